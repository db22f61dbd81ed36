package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestEvalFP8ParamsAgreesWithSweep: eval --training --fp8-recipe R --fp8-params prices the
// step and memory a one-point node grid with fp8_params true prices (and the node study
// is the fleet study's step on one accelerator, FP8 primary weights included:
// TestNodeTrainingIsOneAcceleratorFleet), for both recipes. The flag changes the answer:
// Llama-3 8B's 6,979,321,856 linear weights (32 · (4096·6144 + 4096² + 3·4096·14336), by
// hand) lose their BF16 copy, 2 bytes each, 13.958643712 GB of the footprint.
func TestEvalFP8ParamsAgreesWithSweep(t *testing.T) {
	args := []string{"eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "-s", "2048", "-b", "2", "-o", "json"}
	for _, recipe := range []string{"delayed", "current"} {
		plain := mlsysim(t, append(args, "--fp8-recipe", recipe)...)
		r := mlsysim(t, append(args, "--fp8-recipe", recipe, "--fp8-params")...)
		if r.code != exitOK || plain.code != exitOK {
			t.Fatalf("%s: eval exits %d and %d: %v %v", recipe, plain.code, r.code, plain, r)
		}
		obj, without := oneObject(t, r.stdout), oneObject(t, plain.stdout)
		row := csvRow(t, fmt.Sprintf("version: 1\nstudy: node\naxes:\n  model: [Llama3_8B]\nfixed:\n  hardware: H100\n  training: true\n  precision: bf16\n"+
			"  seq_len: 2048\n  batch_size: 2\n  fp8_recipe: %s\n  fp8_params: true\n", recipe))
		for _, pair := range [][2]string{{"p_latency", "latency_ms"}, {"p_latency_compute", "latency_compute_ms"}, {"p_latency_memory", "latency_memory_ms"},
			{"p_tokens_per_s", "tokens_per_s"}, {"p_mfu", "mfu"}, {"f_memory_used_gb", "memory_footprint_gb"}, {"f_activation_memory_gb", "activation_memory_gb"}} {
			got, err := strconv.ParseFloat(row[pair[1]], 64)
			if err != nil {
				t.Fatalf("%s: %s %q: %v", recipe, pair[1], row[pair[1]], err)
			}
			near(t, obj, pair[0], got, 1e-12)
		}
		near(t, obj, "f_memory_used_gb", without["f_memory_used_gb"].(float64)-13.958643712, 1e-12)
		if !(obj["p_latency"].(float64) < without["p_latency"].(float64)) {
			t.Errorf("%s: step with FP8 primary weights %v ms, without %v ms: want shorter (no cast from BF16)", recipe, obj["p_latency"], without["p_latency"])
		}
	}
	// The scorecard says the weights are FP8.
	if r := mlsysim(t, "eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-recipe", "current", "--fp8-params"); !strings.Contains(r.stdout, "FP8 primary weights") {
		t.Errorf("scorecard should say FP8 primary weights:\n%s", r.stdout)
	}
}

// TestEvalFP8ParamsRefused: --fp8-params is refused where the fleet study refuses
// fp8_params (checkFP8Params) — without FP8 GEMMs, so under the seed profile too — and,
// as every training flag, without --training: exit 1, one line naming the flag.
func TestEvalFP8ParamsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"without a recipe", []string{"eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-params"}, "--fp8-recipe is none"},
		{"without training", []string{"eval", "Llama3_8B", "H100", "--fp8-params"}, "training step only"},
		{"under seed", []string{"--profile", "seed", "eval", "Llama3_8B", "H100", "--training", "--fp8-params"}, "seed profile"},
		{"under seed with a recipe", []string{"--profile", "seed", "eval", "Llama3_8B", "H100", "--training", "-p", "bf16", "--fp8-recipe", "current", "--fp8-params"}, "seed profile"},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitBadInput || r.stdout != "" || !strings.HasPrefix(r.stderr, "mlsysim: bad input: --fp8-params") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d naming --fp8-params and saying %q", tc.name, r.code, r.stdout, r.stderr, exitBadInput, tc.want)
		}
	}
}
