package sweep

import (
	"fmt"
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
