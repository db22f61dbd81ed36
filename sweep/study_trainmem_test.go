package sweep

import (
	"fmt"
	"strings"
	"testing"
)

// Calibrated expert parallelism is carved out of the data-parallel ranks, so the
// experts' ZeRO state shards over dp/ep. With ep 8 and dp 1 that share was 1/8: the
// expert state was multiplied by 8, and a higher ZeRO stage needed more memory (Mixtral
// on H100 at ZeRO-3: 753 GB against 117 GB at ZeRO-0). Such a layout is infeasible, as in
// the fleet study; the seed profile, which divides every parameter by ep, keeps its rule.
func TestTrainMemoryEPWithinDP(t *testing.T) {
	cases := []struct {
		profile, model string
		ep, dp         int
		reason         string // "" = not refused for its layout
	}{
		{"calibrated", "Mixtral_8x7B", 8, 1, "ep_does_not_divide_dp_or_experts"},
		{"calibrated", "Mixtral_8x7B", 8, 12, "ep_does_not_divide_dp_or_experts"},
		{"calibrated", "Mixtral_8x7B", 16, 64, "ep_does_not_divide_dp_or_experts"}, // 8 experts
		{"calibrated", "Llama3_8B", 2, 64, "ep_does_not_divide_dp_or_experts"},     // dense: no experts to split
		{"calibrated", "Mixtral_8x7B", 8, 64, ""},
		{"calibrated", "Mixtral_8x7B", 1, 1, ""},
		{"seed", "Mixtral_8x7B", 8, 1, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s ep%d dp%d", c.profile, c.model, c.ep, c.dp), func(t *testing.T) {
			var prev float64
			for stage := range 4 {
				row := evalOne(t, fmt.Sprintf("version: 1\nname: m\nstudy: train-memory\nprofile: %s\naxes:\n  model: %s\n  hardware: H100\n  tp: 1\n  ep: %d\n  dp: %d\n  zero_stage: %d\n",
					c.profile, c.model, c.ep, c.dp, stage))
				got := row["infeasible_reason"]
				if c.reason != "" {
					if got != c.reason || row["feasible"] != false || row["wall_2_memory_pass"] != false {
						t.Fatalf("ZeRO-%d: feasible %v, reason %v; want infeasible, %s", stage, row["feasible"], got, c.reason)
					}
					continue
				}
				if got == "ep_does_not_divide_dp_or_experts" {
					t.Fatalf("ZeRO-%d: refused as %v", stage, got)
				}
				// Each ZeRO stage shards more of the state: memory never grows with it.
				total := row["total_memory_gb"].(float64)
				if stage > 0 && total > prev {
					t.Errorf("ZeRO-%d needs %.4g GB, more than ZeRO-%d's %.4g GB", stage, total, stage-1, prev)
				}
				prev = total
			}
		})
	}
}

// TestTrainMemoryHybridShard: under calibrated, dp_shard shards ZeRO's state over a group
// of the data-parallel ranks: Llama-3 8B at ZeRO-3 on dp 64 in groups of 8 needs 8× the
// state of groups of 64 (every rank); a group that does not divide dp, or that ep does not
// divide, is infeasible with its reason.
func TestTrainMemoryHybridShard(t *testing.T) {
	row := func(model string, ep, shard int) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nname: m\nstudy: train-memory\naxes:\n  model: %s\n  hardware: H100\n  dp: 64\n  ep: %d\n  zero_stage: 3\n  dp_shard: %d\n", model, ep, shard))
	}
	all, group := row("Llama3_8B", 1, 0), row("Llama3_8B", 1, 8)
	for _, k := range []string{"weights_gb", "gradients_gb", "optimizer_state_gb"} {
		if r := group[k].(float64) / all[k].(float64); r < 8-1e-9 || r > 8+1e-9 {
			t.Errorf("%s: groups of 8 / all 64 = %g, want 8", k, r)
		}
	}
	for _, tc := range []struct {
		model     string
		ep, shard int
	}{{"Llama3_8B", 1, 48}, {"Mixtral_8x7B", 8, 4}} {
		r := row(tc.model, tc.ep, tc.shard)
		if r["feasible"] != false || r["infeasible_reason"] != "dp_shard_does_not_divide_dp" {
			t.Errorf("%s ep %d dp_shard %d: feasible %v, reason %v", tc.model, tc.ep, tc.shard, r["feasible"], r["infeasible_reason"])
		}
	}
}

// TestTrainMemoryFP8IsTheFleets: train-memory takes fp8_recipe as the fleet study does,
// and its breakdown is the fleet's memory for the same run (Llama-3 8B in BF16 on one
// DGX H100 node, tp 2 with sequence parallelism, dp 4, ZeRO-1, 8 sequences of 4,096;
// the fleet set to train-memory's accounting: unfused attention, gradients in BF16),
// tensor for tensor and bit for bit, for each recipe. FP8 adds the FP8 weight copies
// and saves the GEMM inputs in FP8 (kernel/fp8training.go): more weights, fewer
// activations than without.
func TestTrainMemoryFP8IsTheFleets(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [8]\n  seq_len: [4096]\n  tp: [2]\n  dp: [4]\n  zero_stage: [1]\n  sequence_parallel: [true]\n  fp8_recipe: [%s]\n"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Research_256\n  nodes: 1\n  precision: bf16\n  batch_size: 8\n" +
		"  seq_len: 4096\n  tp: 2\n  zero_stage: 1\n  sequence_parallel: true\n  flash_attention: false\n  fp32_gradients: false\naxes:\n  model: [Llama3_8B]\n  fp8_recipe: [%s]\n"
	rows := map[string]map[string]any{}
	for _, r := range []string{"none", "delayed", "current"} {
		m, f := evalOne(t, fmt.Sprintf(mem, r)), evalOne(t, fmt.Sprintf(fleet, r))
		if m["feasible"] != true || f["feasible"] != true {
			t.Fatalf("%s: feasible train-memory %v (%v), fleet %v (%v)", r, m["feasible"], m["infeasible_reason"], f["feasible"], f["infeasible_reason"])
		}
		for _, pair := range [][2]string{{"weights_gb", "weights_gb"}, {"gradients_gb", "gradients_gb"}, {"optimizer_state_gb", "optimizer_state_gb"},
			{"activations_gb", "activations_gb"}, {"communication_buffers_gb", "buffers_gb"}, {"total_memory_gb", "memory_per_accelerator_gb"}} {
			if m[pair[0]] != f[pair[1]] {
				t.Errorf("%s: train-memory %s = %v, fleet %s = %v", r, pair[0], m[pair[0]], pair[1], f[pair[1]])
			}
		}
		rows[r] = m
	}
	none := rows["none"]
	for _, r := range []string{"delayed", "current"} {
		if w, w0 := rows[r]["weights_gb"].(float64), none["weights_gb"].(float64); !(w > w0) {
			t.Errorf("%s: weights %v GB, without FP8 %v GB: want the FP8 copies on top", r, w, w0)
		}
		if a, a0 := rows[r]["activations_gb"].(float64), none["activations_gb"].(float64); !(a < a0) {
			t.Errorf("%s: activations %v GB, without FP8 %v GB: want the GEMM inputs saved in FP8", r, a, a0)
		}
	}
}

// TestTrainMemoryFP8Refused: fp8_recipe is refused where the fleet study refuses it —
// under the seed profile and beside an 8-bit precision (errors) — and a row on an
// accelerator without a measured FP8 matmul rate is unsupported_by_hardware.
func TestTrainMemoryFP8Refused(t *testing.T) {
	const src = "version: 1\nstudy: train-memory\nprofile: %s\naxes:\n  model: [Llama3_8B]\n  hardware: [%s]\n  precision: [%s]\n  fp8_recipe: [current]\n"
	for _, tc := range []struct{ profile, hw, prec, want string }{
		{"seed", "H100", "bf16", "the seed profile has none"},
		{"calibrated", "H100", "fp8", "beside fp8_recipe"},
	} {
		p := mustPlan(t, fmt.Sprintf(src, tc.profile, tc.hw, tc.prec))
		if err := p.SetProfile(p.Profile); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s %s: err %v, want one saying %q", tc.profile, tc.hw, tc.prec, err, tc.want)
		}
	}
	row := evalOne(t, fmt.Sprintf(src, "calibrated", "A100", "bf16"))
	if row["feasible"] != false || row["infeasible_reason"] != "unsupported_by_hardware" {
		t.Errorf("A100 with FP8 GEMMs: feasible %v, reason %v; want unsupported_by_hardware", row["feasible"], row["infeasible_reason"])
	}
}
