package sweep

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// Integers past 2^53 used to travel through float64 and wrap into int64 columns
// (batch −9223372036854775808 with exit 0); every integer parameter now has a
// physical maximum checked when its value is resolved.
func TestIntegerLimitsRefuseHugeValues(t *testing.T) {
	fleet := "version: 1\nstudy: fleet\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n"
	cases := []struct {
		name, src, line, param string
	}{
		{"pow2 to 1e30", serveGrid("  batch_size: {pow2: [1, 1e30]}\n"), ":6:", "batch_size"},
		{"list holds 2^63−1", serveGrid("  batch_size: [1, 9223372036854775807]\n"), ":6:", "batch_size"},
		{"2^53 + 1", serveGrid("  batch_size: 9007199254740993\n"), ":6:", "batch_size"},
		{"range near 2^63", serveGrid("  batch_size: {range: [9223372036854775000, 9223372036854775807]}\n"), ":6:", "batch_size"},
		{"seq_len 1e300", serveGrid("  seq_len: 1e300\n"), ":6:", "seq_len"},
		{"linspace to 1e20", serveGrid("  seq_len: {linspace: [1024, 1e20, 3]}\n"), ":6:", "seq_len"},
		{"tp past every cluster", serveGrid("  tp: [1, 16777217]\n"), ":6:", "tp"},
		{"chunk past MaxTokens", serveGrid("  prefill_chunk_tokens: 134217729\n"), ":6:", "prefill_chunk_tokens"},
		{"fixed nodes 1e18", fleet + "fixed:\n  nodes: 1e18\n", ":7:", "nodes"},
		{"microbatches 2^40", fleet + "  microbatches: 1099511627776\n", ":6:", "microbatches"},
		{"duration a millennium", fleet + "  duration_days: 365250\n", ":6:", "duration_days"},
		{"duration 1e308", fleet + "  duration_days: 1e308\n", ":6:", "duration_days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := planErr("huge.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("planned; want %s refused as out of range", c.param)
			}
			if miss, ok := containsAll(err.Error(), "huge.yaml"+c.line, c.param, "out of range", "≤ "); !ok {
				t.Errorf("error lacks %q: %v", miss, err)
			}
		})
	}
}

// Each integer parameter of each study takes its maximum and refuses the next
// integer, and the maximum is exact in float64 (≤ 2^53).
func TestEveryIntegerParamBounded(t *testing.T) {
	p := &Plan{Catalog: testCatalog()}
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		for i := range st.Params {
			prm := &st.Params[i]
			if prm.Kind != KindInt {
				continue
			}
			if !(prm.Max > 0 && prm.Max <= 1<<53) {
				t.Errorf("%s.%s: maximum %g, want in (0, 2^53]", name, prm.Name, prm.Max)
				continue
			}
			top := strconv.FormatFloat(prm.Max, 'f', -1, 64)
			if _, err := p.resolve(prm, []AxisValue{{Text: top, Where: "t"}}); err != nil {
				t.Errorf("%s.%s: its maximum %s is refused: %v", name, prm.Name, top, err)
			}
			next := strconv.FormatFloat(prm.Max+1, 'f', -1, 64)
			if _, err := p.resolve(prm, []AxisValue{{Text: next, Where: "t"}}); err == nil || !strings.Contains(err.Error(), top) {
				t.Errorf("%s.%s: %s accepted or the error does not name the maximum %s: %v", name, prm.Name, next, top, err)
			}
		}
	}
}

// A generator is counted before any value is made: these would each list
// millions of values (taking seconds and gigabytes before) and fail at once.
func TestGeneratorsCountedFirst(t *testing.T) {
	for _, axis := range []string{
		"  batch_size: {range: [1, 16777216]}\n",
		"  efficiency: {linspace: [0.1, 1, 16777216]}\n",
		"  efficiency: {logspace: [0.1, 1, 1e15]}\n",
		"  efficiency: {range: [0.1, 0.9], step: 1e-12}\n",
		"  batch_size: {range: [1, 600000]}\n  seq_len: {range: [1, 600000]}\n",
	} {
		_, err := planErr("big.yaml", []byte(serveGrid(axis)))
		if err == nil || !strings.Contains(err.Error(), "values") || !strings.Contains(err.Error(), "1048576") {
			t.Errorf("%s: want refused for listing more than 1048576 values, got %v", strings.TrimSpace(axis), err)
		}
	}
}

// checkFinite stops a batch whose feasible row holds NaN or ±Inf, except +Inf in
// a column documented to take it; infeasible rows may hold anything.
func TestCheckFinite(t *testing.T) {
	p := mustPlan(t, "version: 1\nstudy: batching\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  max_batch_size: [32, 64]\n")
	var b Batch
	p.Fill(&b, 0, int(p.N))
	var o Outputs
	o.resize(p.Study, b.N)
	p.Study.newEval(p).eval(&b, &o)
	if err := p.checkFinite(&b, &o); err != nil {
		t.Fatalf("a sound batch is refused: %v", err)
	}
	w := outs{p.Study, &o}
	cases := []struct {
		col      string
		x        float64
		feasible bool
		refused  bool
	}{
		{"itl_ms", math.Inf(1), true, true},
		{"itl_ms", math.Inf(-1), true, true},
		{"itl_ms", math.NaN(), true, true},
		{"itl_ms", math.Inf(1), false, false},
		{"speedup_vs_static", math.Inf(1), true, false}, // its description allows +Inf
		{"speedup_vs_static", math.NaN(), true, true},
		{"speedup_vs_static", math.Inf(-1), true, true},
	}
	for _, c := range cases {
		col := w.f(c.col)
		old, oldFeasible := col[1], w.b("feasible")[1]
		col[1], w.b("feasible")[1] = c.x, c.feasible
		err := p.checkFinite(&b, &o)
		col[1], w.b("feasible")[1] = old, oldFeasible
		if (err != nil) != c.refused {
			t.Errorf("%s = %v, feasible %v: error %v, want refused %v", c.col, c.x, c.feasible, err, c.refused)
			continue
		}
		if err != nil {
			if miss, ok := containsAll(err.Error(), "point 1", c.col, "max_batch_size=64"); !ok {
				t.Errorf("error lacks %q: %v", miss, err)
			}
		}
	}
}

// Tensor parallelism gives each accelerator whole attention heads: in a grid a
// tp that does not divide the heads is an infeasible point, never a result, and a split
// the model cannot take binds wall 14 Communication (binding.go; walls.yaml).
func TestServeTPMustDivideHeads(t *testing.T) {
	rows := checkStudyGrid(t, serveGrid("  tp: [1, 2, 3, 5, 8]\n"), "tp_does_not_divide_heads")
	for _, r := range rows {
		tp := int(r["tp"].(float64)) // read back normalised to float64
		if want := 32%tp == 0; r["feasible"] != want {
			t.Errorf("tp %d on 32 heads: feasible %v, want %v (%v)", tp, r["feasible"], want, r["infeasible_reason"])
		}
		if r["feasible"] == false && (r["infeasible_reason"] != "tp_does_not_divide_heads" || r["binding_wall"] != "14 Communication") {
			t.Errorf("tp %d: reason %v, binding %v", tp, r["infeasible_reason"], r["binding_wall"])
		}
	}
}

// allFinite against the definition, with each kind of value at every position of
// short columns (the four- and eight-way loops and their tails) and of a long one,
// with the vector loop and without.
func TestAllFinite(t *testing.T) {
	vector := useAVX2
	defer func() { useAVX2 = vector }()
	for _, useAVX2 = range []bool{false, vector} {
		testAllFinite(t)
	}
}

func testAllFinite(t *testing.T) {
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, math.Copysign(0, -1), math.SmallestNonzeroFloat64}
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1024} {
		for at := 0; at < n; at++ {
			for _, x := range odd {
				xs := make([]float64, n)
				for k := range xs {
					xs[k] = float64(k) * 1e300 // large products must not overflow the sum
				}
				xs[at] = x
				want := true
				for _, v := range xs {
					want = want && !math.IsNaN(v) && !math.IsInf(v, 0)
				}
				if got := allFinite(xs); got != want {
					t.Fatalf("AVX2 %v, n %d, %v at %d: allFinite %v, want %v", useAVX2, n, x, at, got, want)
				}
			}
		}
	}
}
