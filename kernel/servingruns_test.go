package kernel

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// runsServeIn is runs of calibrated serving points: each run one of memoServeIn's points
// (model, layout, hardware, engine, drafting), repeated with its per-point columns
// (efficiency, 16-bit, attention and sustained rates, sequence, batch, prefix, chunk) drawn per
// point, a value repeated now and then, as a sweep's fast axes do.
func runsServeIn(runs int) *ServeIn {
	base := memoServeIn(runs)
	r := rand.New(rand.NewPCG(25, 13))
	pick := func(v ...float64) float64 { return v[r.IntN(len(v))] }
	in := &ServeIn{Calibrated: true}
	bv, iv := reflect.ValueOf(&base.ServeIn).Elem(), reflect.ValueOf(in).Elem()
	for run := 0; run < runs; run++ {
		for range 1 + r.IntN(24) {
			for _, j := range serveSharedCols {
				if src := bv.Field(j); !src.IsNil() {
					dst := iv.Field(j)
					dst.Set(reflect.Append(dst, src.Index(run)))
				}
			}
			in.Efficiency = append(in.Efficiency, pick(0.3, 0.5, 0.5, 0.8))
			in.Rate16 = append(in.Rate16, pick(0, 400e12, 700e12))
			in.AttentionRate16 = append(in.AttentionRate16, pick(0, 0, 500e12))
			in.SustainedRate = append(in.SustainedRate, pick(0, 0, 300e12, 600e12))
			in.SustainedRate16 = append(in.SustainedRate16, pick(0, 350e12))
			in.SeqLen = append(in.SeqLen, pick(512, 1024, 4096))
			in.Batch = append(in.Batch, pick(1, 8, 64, 256))
			in.CachedPrefix = append(in.CachedPrefix, pick(0, 0, 300))
			in.ChunkTokens = append(in.ChunkTokens, pick(0, 0, 512))
		}
	}
	return in
}

// servingPointwise is Serving with every point loaded alone (in.point: no runs, no memo).
func servingPointwise(in *ServeIn) *ServeOut {
	n := len(in.Params)
	var out ServeOut
	out.resize(n)
	for i := 0; i < n; i++ {
		m := in.point(i)
		if m.calibrated {
			servingCalibrated(&out, in, &m, i)
		} else {
			servingSeed(&out, in, &m, i)
		}
	}
	return &out
}

// TestServingRunsEqualPointwise: Serving loads a point only where a shared column changes
// and otherwise refreshes the rates alone (reload); every output bit must equal the point
// loaded alone, under both profiles, and most points must take the short path.
func TestServingRunsEqualPointwise(t *testing.T) {
	for _, calibrated := range []bool{true, false} {
		in := runsServeIn(300)
		in.Calibrated = calibrated
		var got ServeOut
		Serving(&got, in)
		sameBits(t, "Serving over runs", &got, servingPointwise(in))
		starts := 0
		for _, s := range got.runStart {
			if s {
				starts++
			}
		}
		if n := len(in.Params); starts > 300 || starts < 100 || n < 3*starts {
			t.Errorf("calibrated %v: %d run starts in %d points of 300 runs", calibrated, starts, n)
		}
	}
}

// TestServingRunsSharedColumns: a change in any shared column starts a run (and the result
// is the point's own); only the columns named in servePointCols may change inside one, and
// every column of ServeIn is a []float64 (or the Calibrated switch, or HostSteps, the
// tables the HostStep column indexes, fixed for a call), so a column added later is
// shared unless it is named there.
func TestServingRunsSharedColumns(t *testing.T) {
	typ := reflect.TypeFor[ServeIn]()
	names := map[string]bool{}
	for j := range typ.NumField() {
		f := typ.Field(j)
		names[f.Name] = true
		if f.Type != reflect.TypeFor[[]float64]() && f.Name != "Calibrated" && f.Name != "HostSteps" {
			t.Errorf("ServeIn.%s is a %s: runStarts compares []float64 columns only", f.Name, f.Type)
		}
	}
	for name := range servePointCols {
		if !names[name] {
			t.Errorf("servePointCols names %s, not a column of ServeIn", name)
		}
	}
	if len(serveSharedCols)+len(servePointCols)+2 != typ.NumField() {
		t.Fatalf("%d shared and %d per-point columns of %d fields", len(serveSharedCols), len(servePointCols), typ.NumField())
	}
	base := memoServeIn(1)
	for _, j := range serveSharedCols {
		name := typ.Field(j).Name
		in := &ServeIn{Calibrated: true, HostSteps: []HostStep{
			{Batches: []float64{8, 64}, TPs: []float64{1}, S: [][]float64{{1e-3, 5e-3}}},
			{Batches: []float64{8, 64}, TPs: []float64{1}, S: [][]float64{{2e-3, 9e-3}}},
			{Batches: []float64{8, 64}, TPs: []float64{1}, S: [][]float64{{4e-3, 4e-3}}}}}
		bv, iv := reflect.ValueOf(&base.ServeIn).Elem(), reflect.ValueOf(in).Elem()
		for _, k := range serveSharedCols {
			v := 1.0
			if src := bv.Field(k); !src.IsNil() {
				v = src.Index(0).Float()
			}
			iv.Field(k).Set(reflect.ValueOf([]float64{v, v, v}))
		}
		for name := range servePointCols {
			col := []float64{0.5, 0.5, 0.5}
			switch name {
			case "SeqLen":
				col = []float64{1024, 1024, 1024}
			case "Batch":
				col = []float64{8, 8, 8}
			case "CachedPrefix", "ChunkTokens", "Rate16", "AttentionRate16", "SustainedRate", "SustainedRate16":
				col = []float64{0, 0, 0}
			}
			iv.FieldByName(name).Set(reflect.ValueOf(col))
		}
		col := iv.Field(j).Interface().([]float64)
		col[1], col[2] = col[0]*1.5+1, col[0]*1.5+1 // a change at point 1, none at point 2
		var got ServeOut
		Serving(&got, in)
		if want := []bool{true, true, false}; !reflect.DeepEqual(got.runStart, want) {
			t.Errorf("%s changed at point 1: run starts %v, want %v", name, got.runStart, want)
		}
		sameBits(t, name+" changed", &got, servingPointwise(in))
	}
}

// TestMarkChanges: markChanges against the definition, on columns of one value, a change
// in every block position, runs longer and shorter than a block, NaN and ±0.
func TestMarkChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	negZero := math.Copysign(0, -1)
	for _, n := range []int{2, 3, 63, 64, 65, 129, 1000} {
		for _, vals := range [][]float64{{1}, {1, 2}, {0, negZero}, {math.NaN(), 1}, {math.NaN()}} {
			for _, runLen := range []int{1, 3, 64, 500, n} {
				col := make([]float64, n)
				v := vals[0]
				for i := range col {
					if i%runLen == 0 && r.IntN(2) == 0 {
						v = vals[r.IntN(len(vals))]
					}
					col[i] = v
				}
				got := make([]bool, n)
				markChanges(got, col)
				for i := 1; i < n; i++ {
					want := math.Float64bits(col[i]) != math.Float64bits(col[i-1])
					if got[i] != want {
						t.Fatalf("n %d, run %d, values %v: point %d marked %v, want %v", n, runLen, vals, i, got[i], want)
					}
				}
				if got[0] {
					t.Fatalf("point 0 marked: markChanges compares with the point before")
				}
			}
		}
	}
}
