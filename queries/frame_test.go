//go:build cgo

package queries

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// frameRows: 1000 points, ids 0..999; x = id, y = id mod 10, g = 'a' for even
// ids and 'b' for odd, feasible unless id is a multiple of 4; y is NaN at id 7.
const frameRows = `SELECT i::UBIGINT AS point_id, i::DOUBLE AS x,
	CASE WHEN i = 7 THEN 'NaN'::DOUBLE ELSE (i % 10)::DOUBLE END AS y,
	CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS g, i % 4 <> 0 AS feasible, (i % 3)::BIGINT AS k
	FROM range(1000) t(i)`

func TestParseFilter(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Filter
		err  string
	}{
		{in: "model=Llama3_8B", want: Filter{"model", "=", []string{"Llama3_8B"}}},
		{in: "hardware=H100, B200", want: Filter{"hardware", "=", []string{"H100", "B200"}}},
		{in: "batch_size>=64", want: Filter{"batch_size", ">=", []string{"64"}}},
		{in: "precision!=fp8", want: Filter{"precision", "!=", []string{"fp8"}}},
		{in: "x<1e3", want: Filter{"x", "<", []string{"1e3"}}},
		{in: "=3", err: "want COLUMN=VALUE"},
		{in: "model", err: "want COLUMN=VALUE"},
		{in: "model=", err: "no value"},
		{in: "model=a,,b", err: "no value"},
	} {
		got, err := ParseFilter(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseFilter(%q) = %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestRestrict(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, frameRows))
	count := func() int64 {
		n, err := db.Count(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		filters []string
		want    int64 // worked out from frameRows
	}{
		{nil, 1000},
		{[]string{"g=a"}, 500},
		{[]string{"g=a,b"}, 1000},
		{[]string{"g!=a"}, 500},
		{[]string{"x<100"}, 100},
		{[]string{"x>=990"}, 10},
		{[]string{"x<100", "g=b"}, 50},
		{[]string{"k=0,2"}, 667}, // ids ≡ 0 or 2 mod 3: 334 + 333
		{[]string{"feasible=false"}, 250},
		{[]string{"y=3"}, 100},
		{[]string{"feasible=TRUE"}, 750},
		{[]string{"g=a", "g=b"}, 0}, // each value is held, the two together match nothing
	} {
		var fs []Filter
		for _, s := range c.filters {
			f, err := ParseFilter(s)
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, f)
		}
		if err := db.Restrict(ctx, fs); err != nil {
			t.Fatalf("%v: %v", c.filters, err)
		}
		if got := count(); got != c.want {
			t.Errorf("%v: %d rows, want %d", c.filters, got, c.want)
		}
	}
	for _, c := range []struct{ filter, err string }{
		{"h=1", `no column "h"`},
		{"x=abc", "is numeric"},
		{"g<a", "compare it with = or !="},
		{"feasible=maybe", "true or false"},
		// strconv.ParseBool's other spellings are refused, as in a grid spec.
		{"feasible=1", "true or false"},
		{"feasible=t", "true or false"},
		// A value the column does not hold selects nothing: refused with the
		// closest it does, alone, in a list or after != (where it would
		// exclude nothing) — not ignored.
		{"g=c", `g=c: g has no value "c" (did you mean a or b?) (values: a, b)`},
		{"g=a,A", `g has no value "A" (did you mean a?) (values: a, b)`},
		{"g!=B", `g!=B: g has no value "B" (did you mean b?)`},
		{"g=it's", `g has no value "it's"`}, // a quote in a value stays a value
		{"k=0,5", `k=0,5: k has no value "5" (values: 0, 1, 2)`},
		{"k!=2.5", `k has no value "2.5"`},
		{"y=3,0.1", `y has no value "0.1"`}, // y is 0..9 (and one NaN)
	} {
		f, _ := ParseFilter(c.filter)
		if err := db.Restrict(ctx, []Filter{f}); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Restrict(%s) = %v; want %q", c.filter, err, c.err)
		}
	}
}

func TestFrameSample(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, frameRows))
	all, err := db.Frame(ctx, FrameSpec{Num: []string{"x", "y"}, Text: []string{"g"}, Finite: []string{"y"}, Feasible: true})
	if err != nil {
		t.Fatal(err)
	}
	// 750 feasible rows, id 7 (feasible, NaN y) left out.
	if all.Rows != 749 || all.Matched != 749 {
		t.Fatalf("all: %d rows of %d matched, want 749", all.Rows, all.Matched)
	}
	if !slices.IsSorted(all.Num["x"]) || all.Num["x"][0] != 1 || all.Text["g"][0] != "b" {
		t.Errorf("rows not in point_id order: x starts %v, g %v", all.Num["x"][:3], all.Text["g"][:3])
	}
	s1, err := db.Frame(ctx, FrameSpec{Num: []string{"x"}, Feasible: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := db.Frame(ctx, FrameSpec{Num: []string{"x"}, Feasible: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if s1.Rows != 100 || s1.Matched != 750 {
		t.Fatalf("sample: %d rows of %d, want 100 of 750", s1.Rows, s1.Matched)
	}
	if !reflect.DeepEqual(s1.Num, s2.Num) {
		t.Error("two samples of the same rows differ")
	}
	// A uniform sample, not the first rows: ids spread over the range and
	// each feasible (id not a multiple of 4).
	xs := s1.Num["x"]
	if !slices.IsSorted(xs) || xs[len(xs)-1] < 500 || xs[0] > 500 {
		t.Errorf("sample ids %v… not spread over 0..999", xs[:5])
	}
	for _, x := range xs {
		if int(x)%4 == 0 {
			t.Fatalf("sample holds infeasible id %g", x)
		}
	}
	pos, err := db.Frame(ctx, FrameSpec{Num: []string{"y"}, Positive: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if pos.Rows != 899 { // y = 0 at 100 ids, NaN at id 7
		t.Errorf("positive y: %d rows, want 899", pos.Rows)
	}
	if _, err := db.Frame(ctx, FrameSpec{Num: []string{"g"}}); err == nil || !strings.Contains(err.Error(), "want a numeric column") {
		t.Errorf("text as a number: %v", err)
	}
}

func TestAggregate(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, frameRows))
	ag, err := db.Aggregate(ctx, AggSpec{Keys: []string{"g", "k"}, Value: "x", Agg: "max"})
	if err != nil {
		t.Fatal(err)
	}
	// Largest id per (parity, id mod 3): 996 is the largest even multiple of 3, …
	want := map[string]float64{"a/0": 996, "a/1": 994, "a/2": 998, "b/0": 999, "b/1": 997, "b/2": 995}
	if len(ag.Value) != 6 || ag.Rows != 1000 {
		t.Fatalf("%d groups over %d rows, want 6 over 1000", len(ag.Value), ag.Rows)
	}
	for i, v := range ag.Value {
		key := ag.Keys["g"][i] + "/" + ag.Keys["k"][i]
		if want[key] != v {
			t.Errorf("max x at %s = %g, want %g", key, v, want[key])
		}
	}
	if ag.KeyNum["k"][1] != 1 || ag.Keys["g"][0] != "a" {
		t.Errorf("order: %v %v", ag.Keys["g"], ag.KeyNum["k"])
	}
	share, err := db.Aggregate(ctx, AggSpec{Keys: []string{"g"}, Value: "feasible", Agg: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	// Even ids: half are multiples of 4 → 0.5 feasible; odd ids: all feasible.
	if share.Value[0] != 0.5 || share.Value[1] != 1 {
		t.Errorf("feasible share %v, want [0.5 1]", share.Value)
	}
	mean, err := db.Aggregate(ctx, AggSpec{Keys: []string{"g"}, Value: "y", Agg: "mean", Feasible: true})
	if err != nil {
		t.Fatal(err)
	}
	// Odd ids, all feasible, y = id mod 10 ∈ {1,3,5,7,9} evenly, NaN at id 7
	// left out: (100·25 − 7)/499.
	if got, want := mean.Value[1], (100.0*25-7)/499; math.Abs(got-want) > 1e-12 {
		t.Errorf("mean y of b = %g, want %g", got, want)
	}
	if _, err := db.Aggregate(ctx, AggSpec{Keys: []string{"x"}, Value: "y", Agg: "mean", Limit: 10}); err == nil || !strings.Contains(err.Error(), "more than 10") {
		t.Errorf("limit: %v", err)
	}
	if _, err := db.Aggregate(ctx, AggSpec{Keys: []string{"g"}, Value: "y", Agg: "avg"}); err == nil || !strings.Contains(err.Error(), "mean") {
		t.Errorf("unknown aggregate: %v", err)
	}
	n, err := db.Distinct(ctx, []string{"g", "k", "x"})
	if err != nil || n["g"] != 2 || n["k"] != 3 || n["x"] != 1000 {
		t.Errorf("Distinct = %v, %v", n, err)
	}
}

func TestFrameOfPareto(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, frameRows))
	q, err := Lookup("pareto")
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Prepare(ctx, q, map[string]string{"objectives": "x:min,y:max", "group": "g"})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := db.FrameOf(ctx, st, []string{"x", "y"}, []string{"g"})
	if err != nil {
		t.Fatal(err)
	}
	// Feasible rows only. Group a (even ids, not multiples of 4: 2, 6, 10, …):
	// y = id mod 10 ∈ {2, 6, 0, 4, 8}; frontier of smallest x, largest y:
	// x=2 (y 2), x=6 (y 6), x=18 (y 8). Group b (odd): x=1 (y 1), x=3 (y 3),
	// x=5 (5), x=9 (9) — x=7 has NaN y.
	want := []float64{2, 6, 18, 1, 3, 5, 9}
	if !reflect.DeepEqual(fr.Num["x"], want) {
		t.Errorf("frontier x = %v, want %v", fr.Num["x"], want)
	}
}

func TestProvenanceFromFileMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := dir + "/r.parquet"
	writeParquet(t, `SELECT 1.5 AS itl_ms`, file)
	db := mustOpen(t, file)
	p, err := db.Provenance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Study != "" || len(p.Units) != 0 {
		t.Errorf("a file without mlsysim metadata: %+v", p)
	}
	if got := specName("version: 1\n# name: no\nname: llm-frontier # the name\nstudy: serve\n"); got != "llm-frontier" {
		t.Errorf("specName = %q", got)
	}
}

// A column asked for twice (a scatter of x against x) is read once: one value
// per row, not two.
func TestFrameRepeatedColumn(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, frameRows))
	fr, err := db.Frame(ctx, FrameSpec{Num: []string{"x", "x"}, Text: []string{"g", "g"}, Finite: []string{"x", "x"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if fr.Rows != 10 || len(fr.Num["x"]) != 10 || len(fr.Text["g"]) != 10 {
		t.Errorf("%d rows, %d x values, %d g values; want 10 of each", fr.Rows, len(fr.Num["x"]), len(fr.Text["g"]))
	}
	q, err := Lookup("pareto")
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Prepare(ctx, q, map[string]string{"objectives": "x:min,y:max"})
	if err != nil {
		t.Fatal(err)
	}
	of, err := db.FrameOf(ctx, st, []string{"x", "y", "x"}, []string{"g", "g"})
	if err != nil {
		t.Fatal(err)
	}
	if len(of.Num["x"]) != of.Rows || len(of.Text["g"]) != of.Rows {
		t.Errorf("FrameOf: %d rows, %d x values, %d g values", of.Rows, len(of.Num["x"]), len(of.Text["g"]))
	}
}

// NULL read as text is the word NULL, as query prints it: a blank would make
// an invisible legend entry, axis category or panel title.
func TestFrameNullText(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, fixture(t, `SELECT i::UBIGINT AS point_id, i::DOUBLE AS x,
		CASE WHEN i < 2 THEN NULL ELSE 'oom' END AS reason FROM range(4) t(i)`))
	fr, err := db.Frame(ctx, FrameSpec{Num: []string{"x"}, Text: []string{"reason"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"NULL", "NULL", "oom", "oom"}; !reflect.DeepEqual(fr.Text["reason"], want) {
		t.Errorf("Frame text %q, want %q", fr.Text["reason"], want)
	}
	ag, err := db.Aggregate(ctx, AggSpec{Keys: []string{"reason"}, Value: "x", Agg: "count"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"NULL", "oom"}; !reflect.DeepEqual(ag.Keys["reason"], want) {
		t.Errorf("Aggregate keys %q, want %q", ag.Keys["reason"], want)
	}
}
