package sweep

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

const runGrid = `version: 1
study: node
axes:
  model: [ResNet50, Llama3_8B, BERT_Base]
  hardware: {tier: Cloud}
  precision: [fp16, fp8, int8]
  batch_size: {pow2: [1, 512]}
`

func TestRunOrder(t *testing.T) {
	p := mustPlan(t, runGrid)
	filtered := mustPlan(t, runGrid+"where: \"precision != 'fp8' || hw.fp8_tflops > 0\"\n")
	cases := []struct {
		name   string
		plan   *Plan
		opt    Options
		lo, hi uint64 // expected id range
	}{
		{"small batches", p, Options{Workers: 4, BatchSize: 7}, 0, p.N},
		{"one worker", p, Options{Workers: 1, BatchSize: 100}, 0, p.N},
		{"more workers than batches", p, Options{Workers: 8, BatchSize: 1 << 20}, 0, p.N},
		{"range", p, Options{Workers: 4, BatchSize: 13, Lo: 101, Hi: 997}, 101, 997},
		{"filtered", filtered, Options{Workers: 4, BatchSize: 11}, 0, filtered.N},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ids []uint64
			records := 0
			err := Run(context.Background(), c.plan, c.opt, func(rec arrow.Record) error {
				records++
				for _, id := range rec.Column(0).(*array.Int64).Int64Values() {
					ids = append(ids, uint64(id))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []uint64
			for id := c.lo; id < c.hi; id++ {
				if !c.plan.Filtered() || c.plan.keeps(id) {
					want = append(want, id)
				}
			}
			if len(ids) != len(want) {
				t.Fatalf("%d rows in %d records, want %d", len(ids), records, len(want))
			}
			for i := range ids {
				if ids[i] != want[i] {
					t.Fatalf("row %d has point %d, want %d: records out of order", i, ids[i], want[i])
				}
			}
			bs := uint64(c.opt.BatchSize)
			if wantRecs := int((c.hi - c.lo + bs - 1) / bs); records != wantRecs {
				t.Errorf("%d records, want one per batch (%d)", records, wantRecs)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	p := mustPlan(t, runGrid)
	if err := Run(context.Background(), p, Options{Lo: 10, Hi: p.N + 1}, func(arrow.Record) error { return nil }); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("range beyond the plan: err = %v", err)
	}
	if err := Run(context.Background(), p, Options{Lo: 10, Hi: 5}, func(arrow.Record) error { return nil }); err == nil {
		t.Errorf("Lo > Hi: no error")
	}
	stop := errors.New("stop")
	calls := 0
	err := Run(context.Background(), p, Options{Workers: 4, BatchSize: 10}, func(arrow.Record) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("emit error: err = %v after %d calls, want stop after 3", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, p, Options{Workers: 2, BatchSize: 10}, func(arrow.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestEvalPoint(t *testing.T) {
	p := mustPlan(t, runGrid)
	if _, err := EvalPoint(p); err == nil || !strings.Contains(err.Error(), "one point") {
		t.Errorf("EvalPoint on %d points: err = %v, want it refused", p.N, err)
	}
	one := mustPlan(t, "version: 1\nstudy: node\naxes:\n  model: [ResNet50]\n  hardware: [H100]\n  batch_size: 64\n")
	row, err := EvalPoint(one)
	if err != nil {
		t.Fatal(err)
	}
	if row["point_id"] != int64(0) || row["model"] != "ResNet50" || row["hardware"] != "H100" || row["batch_size"] != int64(64) {
		t.Errorf("row inputs %v %v %v %v", row["point_id"], row["model"], row["hardware"], row["batch_size"])
	}
	// The same point inside the grid gives the same outputs.
	grid := mustPlan(t, runGrid)
	var found map[string]any
	err = Run(context.Background(), grid, Options{}, func(rec arrow.Record) error {
		for k := range int(rec.NumRows()) {
			r := Row(rec, k)
			if r["model"] == "ResNet50" && r["hardware"] == "H100" && r["precision"] == "fp16" && r["batch_size"] == int64(64) {
				found = r
			}
		}
		return nil
	})
	if err != nil || found == nil {
		t.Fatalf("point not found in the grid: %v", err)
	}
	for _, c := range one.Study.Columns {
		if !sameValue(normValue(found[c.Name]), normValue(row[c.Name])) {
			t.Errorf("%s: %v in the grid, %v from EvalPoint", c.Name, found[c.Name], row[c.Name])
		}
	}
}

func TestEstimate(t *testing.T) {
	cases := []struct {
		name     string
		plan     *Plan
		format   string
		kept     float64 // share the filters keep; 0 = between 0 and 1
		wantFail bool
	}{
		{"unfiltered parquet", mustPlan(t, runGrid), "parquet", 1, false},
		{"filtered csv", mustPlan(t, filterGrid), "csv", 0, false},
		{"bad format", mustPlan(t, runGrid), "xml", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			est, err := Estimate(context.Background(), c.plan, c.format, "")
			if c.wantFail {
				if err == nil {
					t.Errorf("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if est.Sampled <= 0 || est.BytesPerRow <= 0 || est.PointsPerSec <= 0 {
				t.Errorf("estimate %+v", est)
			}
			if c.kept == 1 && est.KeptShare != 1 || c.kept == 0 && !(est.KeptShare > 0 && est.KeptShare < 1) {
				t.Errorf("kept share %v", est.KeptShare)
			}
			// The sample batches are disjoint: no more points than the grid has
			// (--dry-run prints "estimated from N sampled points"), and a grid of
			// at most four sample batches is sampled whole, so its kept share is
			// the exact one, counted here point by point.
			if uint64(est.Sampled) > c.plan.N {
				t.Errorf("sampled %d points of a %d-point grid", est.Sampled, c.plan.N)
			}
			if c.plan.N <= 4<<14 {
				var b Batch
				c.plan.Fill(&b, 0, int(c.plan.N))
				if uint64(est.Sampled) != c.plan.N || est.KeptShare != float64(b.N)/float64(c.plan.N) {
					t.Errorf("sampled %d of %d points, kept share %v; want the whole grid and %d/%d kept",
						est.Sampled, c.plan.N, est.KeptShare, b.N, c.plan.N)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Estimate(ctx, mustPlan(t, runGrid), "parquet", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}
