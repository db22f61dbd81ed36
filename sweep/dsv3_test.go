package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestFleetBF16Moments: Adam's moments in BF16 (DeepSeek-V3 report §3.3.3) keep 8 bytes
// of optimizer state per parameter instead of 12 (4 master + 2 + 2 against 4 + 4 + 4),
// so optimizer_state_gb is 8/12 of the FP32 one, and the optimizer's pass moves 40 + 2
// bytes per parameter instead of 48 + 2 (bf16 weights written back): optimizer_ms is
// 42/50 of it, and the step shorter by exactly that difference. Weights, gradients
// (FP32) and activations do not move.
func TestFleetBF16Moments(t *testing.T) {
	fp32 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none"))
	bf16 := evalOne(t, fp8Fleet("", "Training_10K", "bf16", "none")+"  optimizer_state_precision: bf16\n")
	f := func(r map[string]any, k string) float64 { return r[k].(float64) }
	if got := f(bf16, "optimizer_state_gb") / f(fp32, "optimizer_state_gb"); math.Abs(got-8.0/12) > 1e-12 {
		t.Errorf("optimizer state ratio %v, want 8/12", got)
	}
	if got := f(bf16, "optimizer_ms") / f(fp32, "optimizer_ms"); math.Abs(got-42.0/50) > 1e-12 {
		t.Errorf("optimizer pass ratio %v, want 42/50", got)
	}
	dStep := f(fp32, "step_latency_ms") - f(bf16, "step_latency_ms")
	dOpt := f(fp32, "optimizer_ms") - f(bf16, "optimizer_ms")
	if dOpt <= 0 || math.Abs(dStep/dOpt-1) > 1e-9 {
		t.Errorf("step shorter by %v ms, want the optimizer's %v ms", dStep, dOpt)
	}
	for _, k := range []string{"weights_gb", "gradients_gb", "activations_gb"} {
		if bf16[k] != fp32[k] {
			t.Errorf("%s: %v with BF16 moments, %v without", k, bf16[k], fp32[k])
		}
	}
	// Under the seed profile nothing reads it: the grid says so with its line.
	p := mustPlan(t, fp8Fleet("profile: seed\n", "Training_10K", "bf16", "none")+"  optimizer_state_precision: bf16\n")
	if notes := strings.Join(p.EffectNotes(), "\n"); !strings.Contains(notes, "optimizer_state_precision changes nothing") {
		t.Errorf("seed grid notes %q, want optimizer_state_precision noted", notes)
	}
}

// TestFleetDualPipe: pipeline_schedule dualpipe doubles a rank's weights (two stages),
// refuses the splits DualPipe cannot run with infeasible_reason
// dualpipe_needs_even_pp_and_microbatches (odd pp, virtual stages, too few or odd
// microbatches), and a plan says which key to change.
func TestFleetDualPipe(t *testing.T) {
	grid := func(extra string) string {
		return strings.Replace(fp8Fleet("", "Training_10K", "bf16", "none"), "  virtual_stages: 5\n", "", 1) + extra
	}
	base := evalOne(t, grid(""))
	dual := evalOne(t, grid("  pipeline_schedule: dualpipe\n"))
	if dual["feasible"] != true && dual["infeasible_reason"] != "out_of_memory" {
		t.Fatalf("dualpipe point: %v", dual["infeasible_reason"])
	}
	if got := dual["weights_gb"].(float64) / base["weights_gb"].(float64); math.Abs(got-2) > 1e-12 {
		t.Errorf("weights ×%v under DualPipe, want ×2", got)
	}
	for _, tc := range []struct{ name, extra string }{
		{"interleaved", "  pipeline_schedule: dualpipe\n  virtual_stages: 2\n"},
		{"microbatches below 2·pp", strings.Replace(grid("  pipeline_schedule: dualpipe\n"), "microbatches: 64", "microbatches: 8", 1)},
	} {
		src := grid(tc.extra)
		if strings.HasPrefix(tc.extra, "version") {
			src = tc.extra
		}
		r := evalOne(t, src)
		if r["feasible"] != false || r["infeasible_reason"] != "dualpipe_needs_even_pp_and_microbatches" {
			t.Errorf("%s: feasible %v reason %v", tc.name, r["feasible"], r["infeasible_reason"])
		}
	}
}

// TestPlanDualPipeSplit: a plan asking for DualPipe where it cannot run is refused at
// the key to change — virtual stages or an odd pp at pipeline_schedule, too few or odd
// microbatches at microbatches — and a split it can run passes.
func TestPlanDualPipeSplit(t *testing.T) {
	plan := func(pp, m, v int) string {
		return fmt.Sprintf("version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B, batch_size: %d, seq_len: 4096}\nhardware: {name: H100, accelerators: 64, accelerators_per_node: 8}\nparallelism: {tp: 8, pp: %d, microbatches: %d, virtual_stages: %d,\n  pipeline_schedule: dualpipe}\n", 8*m, pp, m, v)
	}
	for _, tc := range []struct {
		pp, m, v int
		want     string // "" passes
	}{
		{4, 8, 1, ""}, {2, 4, 1, ""},
		{4, 6, 1, "plan.yaml:5: microbatches 6"}, {4, 9, 1, "plan.yaml:5: microbatches 9"},
		{4, 8, 2, "plan.yaml:6: dualpipe with virtual_stages 2"}, {1, 8, 1, "plan.yaml:6: dualpipe needs an even pp"},
	} {
		err := checkPlanSplit(plan(tc.pp, tc.m, tc.v))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("pp %d m %d v %d refused: %v", tc.pp, tc.m, tc.v, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("pp %d m %d v %d: %v, want %q", tc.pp, tc.m, tc.v, err, tc.want)
		}
	}
}
