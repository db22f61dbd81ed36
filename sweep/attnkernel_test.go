package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// attention_kernel flash1 runs the calibrated step's fused attention at the catalog's
// FlashAttention-1 rate (A100 attention_efficiency_flash1 0.244: Dao 2023, Figure 4(d),
// 76 TFLOP/s at 4K tokens, causal, head dimension 128) instead of FlashAttention-2's
// (attention_efficiency 0.606), and changes nothing else. By hand, for the Llama 2 7B
// (32 heads of 128) at 4,096 tokens, one sequence per microbatch (1,024 over dp 1,024),
// tp 1: the causal forward is 0.5 · 4 · b · a · s² · d = 2 · 32 · 4096² · 128 =
// 137,438,953,472 FLOP, so
//
//	flash1: 1.37439e11 / (0.244 · 312e12 = 76.128e12)  = 1.80537 ms
//	flash2: 1.37439e11 / (0.606 · 312e12 = 189.072e12) = 0.72691 ms
//
// a layer's forward 1.07845 ms longer and its backward, 2.5 times the forward's FLOPs
// at the same rate (Dao 2023 §4.1; FlashAttention recomputes and selective
// checkpointing re-runs nothing more), 2.69613 ms longer.
func TestAttentionKernelFlash1(t *testing.T) {
	point := func(kernel string) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nstudy: fleet\nprofile: calibrated\naxes:\n  model: [Llama2_7B]\n  cluster: [Training_1K_A100]\n  precision: [bf16]\n  seq_len: 4096\n  batch_size: 1024\n  zero_stage: 2\n  attention_kernel: [%s]\n", kernel))
	}
	f1, f2 := point("flash1"), point("flash2")
	for _, c := range []struct {
		col  string
		want float64
	}{
		{"layer_forward_ms", 1.0784533543311456},
		{"layer_backward_ms", 2.6961333858278644},
	} {
		got := f1[c.col].(float64) - f2[c.col].(float64)
		if math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("%s: flash1 − flash2 = %.9g ms, want %.9g", c.col, got, c.want)
		}
	}
	if f1["step_latency_ms"].(float64) <= f2["step_latency_ms"].(float64) {
		t.Errorf("step: flash1 %v ms, flash2 %v ms; FlashAttention-1's slower kernel must lengthen it", f1["step_latency_ms"], f2["step_latency_ms"])
	}
	if f1["model_flops_per_step"] != f2["model_flops_per_step"] || f1["memory_per_accelerator_gb"] != f2["memory_per_accelerator_gb"] {
		t.Errorf("the kernel's rate changed the step's FLOPs or memory: %v/%v FLOP, %v/%v GB",
			f1["model_flops_per_step"], f2["model_flops_per_step"], f1["memory_per_accelerator_gb"], f2["memory_per_accelerator_gb"])
	}
}

// FlashAttention-1 on an accelerator the catalog measures no FlashAttention-1 rate for
// (the H100) is unsupported_by_hardware, never priced at another kernel's rate with a
// feasible row; with flash_attention false no fused kernel runs and the row is
// the unfused attention's, whatever attention_kernel says.
func TestAttentionKernelFlash1Unmeasured(t *testing.T) {
	spec := func(cluster, flash, kernel string) string {
		return fmt.Sprintf("version: 1\nstudy: fleet\nprofile: calibrated\naxes:\n  model: [Llama2_7B]\n  cluster: [%s]\n  seq_len: 4096\n  batch_size: 1024\n  zero_stage: 2\n  flash_attention: %s\n  attention_kernel: [%s]\n", cluster, flash, kernel)
	}
	row := evalOne(t, spec("Training_1K", "true", "flash1"))
	if row["feasible"] != false || row["infeasible_reason"] != "unsupported_by_hardware" {
		t.Errorf("H100 flash1: feasible %v, reason %v; want false, unsupported_by_hardware", row["feasible"], row["infeasible_reason"])
	}
	if r := evalOne(t, spec("Training_1K", "true", "flash2")); r["feasible"] != true {
		t.Errorf("H100 flash2: feasible %v (%v)", r["feasible"], r["infeasible_reason"])
	}
	u1, u2 := evalOne(t, spec("Training_1K", "false", "flash1")), evalOne(t, spec("Training_1K", "false", "flash2"))
	if u1["feasible"] != true || u1["step_latency_ms"] != u2["step_latency_ms"] {
		t.Errorf("unfused attention: flash1 feasible %v, step %v ms; flash2 step %v ms; want the same feasible row", u1["feasible"], u1["step_latency_ms"], u2["step_latency_ms"])
	}
}

// attention_kernel is noted where no point reads it: under the seed profile and where
// flash_attention is false everywhere.
func TestAttentionKernelEffectNotes(t *testing.T) {
	for _, c := range []struct {
		name, profile, flash string
		want                 string
	}{
		{"seed", "seed", "true", "seed profile's training step has no attention core"},
		{"unfused", "calibrated", "false", "flash_attention is false at every point"},
		{"read", "calibrated", "true", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, fmt.Sprintf("version: 1\nstudy: fleet\nprofile: %s\naxes:\n  model: [Llama2_7B]\n  cluster: [Training_1K_A100]\n  flash_attention: %s\n  attention_kernel: [flash1]\n", c.profile, c.flash))
			var got string
			for _, n := range p.EffectNotes() {
				if strings.Contains(n, "attention_kernel") {
					got = n
				}
			}
			switch {
			case c.want == "" && got != "":
				t.Errorf("note where the kernel is read: %s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("note %q, want one saying %q", got, c.want)
			}
		})
	}
}

// A fleet plan names the kernel as parallelism.attention_kernel: flash1 on the A100
// reaches the grid's axis; where nothing could read it, the plan is refused at its line.
func TestPlanAttentionKernel(t *testing.T) {
	plan := func(hw, extra string) string {
		return "version: \"1.0\"\nname: x\nworkload: {name: Llama2_7B, batch_size: 1024, seq_len: 4096}\nhardware: {name: " + hw + ", accelerators: 1024, accelerators_per_node: 8, precision: bf16}\nparallelism:\n  zero_stage: 2\n" + extra
	}
	_, ax, _, _ := resolvePlan(t, plan("A100", "  attention_kernel: flash1\n"))
	if ax["attention_kernel"] != "flash1" {
		t.Errorf("attention_kernel axis %q, want flash1", ax["attention_kernel"])
	}
	for _, c := range []struct {
		name, hw, extra, profile string
		want                     []string // substrings of the error; nil: accepted
	}{
		{"A100 flash1", "A100", "  attention_kernel: flash1\n", "calibrated", nil},
		{"H100 flash2", "H100", "  attention_kernel: flash2\n", "calibrated", nil},
		{"H100 flash1", "H100", "  attention_kernel: flash1\n", "calibrated", []string{"plan.yaml:7:", "H100 has no measured FlashAttention-1 rate", "(A100, A100_40GB)"}},
		{"unfused", "A100", "  flash_attention: false\n  attention_kernel: flash1\n", "calibrated", []string{"plan.yaml:8:", "changes nothing with flash_attention false"}},
		{"seed", "A100", "  attention_kernel: flash1\n", "seed", []string{"plan.yaml:7:", "parallelism.attention_kernel changes nothing under the seed profile"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pf := parsePlan(t, plan(c.hw, c.extra))
			if _, _, _, err := pf.Resolve(planCatalog(), func(string) {}); err != nil {
				t.Fatal(err)
			}
			err := pf.CheckEffect(planCatalog(), c.profile, func(string) {})
			switch {
			case c.want == nil && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != nil && err == nil:
				t.Errorf("accepted; want an error saying %q", c.want)
			case c.want != nil:
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, err)
					}
				}
			}
		})
	}
}

// activation_checkpointing linear_outputs reaches the fleet step and its memory: the
// Llama 2 7B at 4,096 tokens, one sequence per microbatch, tp 1, keeps less than
// selective — the two norm outputs (2 · 4096 · 2 bytes a token) and the SwiGLU product
// (11008 · 2 bytes) in each of 32 layers: 4096 · (16384 + 22016) · 32 = 5,033,164,800
// bytes, 5.033 GB — and its backward is longer (the re-run, by hand in the kernel's
// TestStepRecomputeLinearOutputs).
func TestFleetRecomputeLinearOutputs(t *testing.T) {
	point := func(ckpt string) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nstudy: fleet\nprofile: calibrated\naxes:\n  model: [Llama2_7B]\n  cluster: [Training_1K_A100]\n  precision: [bf16]\n  seq_len: 4096\n  batch_size: 1024\n  zero_stage: 2\n  activation_checkpointing: [%s]\n", ckpt))
	}
	lin, sel := point("linear_outputs"), point("selective")
	if d := sel["activations_gb"].(float64) - lin["activations_gb"].(float64); math.Abs(d-5.0331648) > 1e-6 {
		t.Errorf("activations: selective − linear_outputs = %.9g GB, want 5.0331648", d)
	}
	if lin["layer_backward_ms"].(float64) <= sel["layer_backward_ms"].(float64) || lin["layer_forward_ms"] != sel["layer_forward_ms"] {
		t.Errorf("layer: linear_outputs %v/%v ms, selective %v/%v ms (forward/backward); want the same forward and a longer backward",
			lin["layer_forward_ms"], lin["layer_backward_ms"], sel["layer_forward_ms"], sel["layer_backward_ms"])
	}
}
