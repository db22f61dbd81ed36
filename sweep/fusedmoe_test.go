package sweep

import (
	"strconv"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestFusedMoEDefaultByShape: vllm-0.3 (vLLM main of 2024-03-06) ships tuned fused MoE
// configurations for Mixtral at tp 4 on the A100 (E=8, N=3584) and at tp 2 on the H100
// (E=8, N=7168), and runs every other shape on vLLM's default tiles (engines.yaml,
// fused_moe_tuned). So Mixtral at tp 2 on the A100 (N = 14336 / 2 = 7168 on the A100)
// takes the tiles' L2 bound and its prompt is slower than on a clone of the engine
// without the fallback; at tp 4 on the A100 and tp 2 on the H100 the two are equal, and
// so they are under the vllm engine and in the seed profile.
func TestFusedMoEDefaultByShape(t *testing.T) {
	cat := testCatalog().Clone()
	off := cat.Clone()
	for i, e := range off.Engines {
		if e.Key == "vllm-0.3" {
			c := *e
			c.FusedMoEDefaultTiles, c.FusedMoETuned = false, nil
			off.Engines[i] = &c
		}
	}
	ttft := func(c *catalog.Catalog, profile, hw, engine string, tp int) float64 {
		src := "version: 1\nstudy: serve\nprofile: " + profile + "\naxes:\n  model: [Mixtral_8x7B]\n  hardware: [" + hw + "]\n" +
			"  precision: [bf16]\n  tp: " + strconv.Itoa(tp) + "\n  batch_size: 1\n  seq_len: 1000\n  engine: " + engine + "\n"
		return evalOneIn(t, c, src)["ttft_ms"].(float64)
	}
	for _, tc := range []struct {
		profile, hw, engine string
		tp                  int
		slower              bool
	}{
		{"calibrated", "A100", "vllm-0.3", 2, true},
		{"calibrated", "A100", "vllm-0.3", 4, false},
		{"calibrated", "H100", "vllm-0.3", 2, false},
		{"calibrated", "A100", "vllm", 2, false},
		{"seed", "A100", "vllm-0.3", 2, false},
	} {
		on, without := ttft(cat, tc.profile, tc.hw, tc.engine, tc.tp), ttft(off, tc.profile, tc.hw, tc.engine, tc.tp)
		if slower := on > without; slower != tc.slower || (!tc.slower && on != without) {
			t.Errorf("%s %s %s tp %d: TTFT %v ms with the default tiles, %v without; want slower %v", tc.profile, tc.hw, tc.engine, tc.tp, on, without, tc.slower)
		}
	}
}

// TestFusedMoEDefaultColumn: the column the kernel reads, point by point — 1 for a MoE
// model on an engine that falls back and ships no configuration for the accelerator,
// experts and per-rank width; 0 for a tuned shape, a dense model or an engine without
// the fallback; none at all in the seed or when no engine of the plan falls back.
func TestFusedMoEDefaultColumn(t *testing.T) {
	tables := func(calibrated bool, tiles ...bool) *servingTables {
		return &servingTables{
			calibrated: calibrated, hwL2: []float64{5.42e12, 0},
			engineMoETiles: tiles,
			engineMoETuned: [][]moeShape{nil, {{hw: 0, experts: 8, width: 3584}}},
			experts:        []float64{8, 8, 8, 0, 8},
			ffn:            []float64{14336, 14336, 14336, 14336, 14336},
		}
	}
	ec := []float64{1, 1, 0, 1, 1}
	hc := []float64{0, 0, 0, 0, 1}
	tp := []float64{2, 4, 2, 2, 2}
	var in kernel.ServeIn
	tables(true, false, true).fusedMoEDefault(&in, ec, hc, tp, 5)
	want := []float64{1, 0, 0, 0, 1}
	for k := range want {
		if in.FusedMoEDefault[k] != want[k] {
			t.Errorf("point %d: FusedMoEDefault %v, want %v", k, in.FusedMoEDefault[k], want[k])
		}
	}
	if in.L2Bandwidth[0] != 5.42e12 || in.L2Bandwidth[4] != 0 {
		t.Errorf("L2Bandwidth %v, want the hardware's (5.42e12, and 0 where none is catalogued)", in.L2Bandwidth)
	}
	for _, tb := range []*servingTables{tables(false, false, true), tables(true, false, false)} {
		in = kernel.ServeIn{}
		tb.fusedMoEDefault(&in, ec, hc, tp, 5)
		if in.FusedMoEDefault != nil || in.L2Bandwidth != nil {
			t.Errorf("calibrated %v, engines falling back %v: columns %v %v, want none", tb.calibrated, tb.engineMoETiles, in.FusedMoEDefault, in.L2Bandwidth)
		}
	}
}
