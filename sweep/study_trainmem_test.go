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
				row := evalOne(t, fmt.Sprintf("version: 1\nname: m\nstudy: train-memory\nprofile: %s\naxes:\n  model: %s\n  hardware: H100\n  batch_size: %d\n  tp: 1\n  ep: %d\n  dp: %d\n  zero_stage: %d\n",
					c.profile, c.model, c.dp, c.ep, c.dp, stage))
				got := row["infeasible_reason"]
				if c.reason != "" {
					if got != c.reason || row["feasible"] != false {
						t.Fatalf("ZeRO-%d: feasible %v, reason %v; want infeasible, %s", stage, row["feasible"], got, c.reason)
					}
					// The memory wall keeps its own verdict on the state counted.
					if fits := row["total_memory_gb"].(float64) <= row["memory_capacity_gb"].(float64); row["wall_2_memory_pass"] != fits {
						t.Fatalf("ZeRO-%d: wall_2_memory_pass %v, but %v GB of %v fit: %v", stage, row["wall_2_memory_pass"], row["total_memory_gb"], row["memory_capacity_gb"], fits)
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
		return evalOne(t, fmt.Sprintf("version: 1\nname: m\nstudy: train-memory\naxes:\n  model: %s\n  hardware: H100\n  batch_size: 64\n  dp: 64\n  ep: %d\n  zero_stage: 3\n  dp_shard: %d\n", model, ep, shard))
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
		"  batch_size: [8]\n  seq_len: [4096]\n  tp: [2]\n  dp: [4]\n  zero_stage: [1]\n  sequence_parallel: [true]\n  fp8_recipe: [%s]\n  fp8_params: [%v]\n"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Research_256\n  nodes: 1\n  precision: bf16\n  batch_size: 8\n" +
		"  seq_len: 4096\n  tp: 2\n  zero_stage: 1\n  sequence_parallel: true\n  flash_attention: false\n  fp32_gradients: false\naxes:\n  model: [Llama3_8B]\n  fp8_recipe: [%s]\n  fp8_params: [%v]\n"
	rows := map[string]map[string]any{}
	// FP8 primary weights (fp8_params) with each recipe: keyed "delayed+params".
	for _, rp := range []struct {
		r      string
		params bool
	}{{"none", false}, {"delayed", false}, {"current", false}, {"delayed", true}, {"current", true}} {
		r := rp.r
		if rp.params {
			r += "+params"
		}
		m, f := evalOne(t, fmt.Sprintf(mem, rp.r, rp.params)), evalOne(t, fmt.Sprintf(fleet, rp.r, rp.params))
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
		// FP8 primary weights drop the BF16 copy of the linear weights of this rank, by
		// hand: Llama-3 8B's 32 · (4096·6144 + 4096² + 3·4096·14336) = 6,979,321,856 linear
		// weights over tp 2 (ZeRO-1 does not shard weights), 2 bytes each = 6.979321856 GB;
		// gradients, optimizer state and activations are unchanged.
		p := rows[r+"+params"]
		checkGolden(t, p, []golden{{"weights_gb", rows[r]["weights_gb"].(float64) - 6.979321856, 1e-12},
			{"gradients_gb", rows[r]["gradients_gb"].(float64), 0}, {"optimizer_state_gb", rows[r]["optimizer_state_gb"].(float64), 0},
			{"activations_gb", rows[r]["activations_gb"].(float64), 0}})
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
	// FP8 primary weights without FP8 GEMMs, as the fleet study refuses them: under either
	// profile (the seed's recipe can only be none), naming the axis.
	for _, profile := range []string{"seed", "calibrated"} {
		p := mustPlan(t, "version: 1\nstudy: train-memory\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [bf16]\n  fp8_params: [true]\n")
		if err := p.SetProfile(p.Profile); err == nil || !strings.Contains(err.Error(), "axis fp8_params") {
			t.Errorf("%s: fp8_params true with fp8_recipe none: err %v, want one naming axis fp8_params", profile, err)
		}
	}
	row := evalOne(t, fmt.Sprintf(src, "calibrated", "A100", "bf16"))
	if row["feasible"] != false || row["infeasible_reason"] != "unsupported_by_hardware" {
		t.Errorf("A100 with FP8 GEMMs: feasible %v, reason %v; want unsupported_by_hardware", row["feasible"], row["infeasible_reason"])
	}
}

// TestTrainMemoryBatchSplitsOverDP: under calibrated, each data-parallel rank's batch
// splits into microbatches · accumulation microbatches of whole sequences, as in the
// fleet study (kernel.StepSplit). Batch 4 over dp 8 used to be counted as one sequence on
// each of 8 ranks, and microbatches only multiplied the sequences in flight: batch 64
// over dp 8 in 8 microbatches held 8 microbatches of 8 sequences on the first stage, 64
// sequences of a rank whose batch is 8. The seed keeps its rule (at least one sequence).
func TestTrainMemoryBatchSplitsOverDP(t *testing.T) {
	row := func(profile string, batch, dp, micro, ga int) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nname: m\nstudy: train-memory\nprofile: %s\naxes:\n  model: Llama3_8B\n  hardware: H100\n  precision: bf16\n"+
			"  batch_size: %d\n  dp: %d\n  pp: 8\n  microbatches: %d\n  gradient_accumulation_steps: %d\n", profile, batch, dp, micro, ga))
	}
	for _, tc := range []struct{ batch, dp, micro, ga int }{{4, 8, 1, 1}, {12, 8, 1, 1}, {64, 8, 16, 1}, {64, 8, 4, 4}} {
		r := row("calibrated", tc.batch, tc.dp, tc.micro, tc.ga)
		if r["feasible"] != false || r["infeasible_reason"] != "batch_does_not_divide_into_microbatches" {
			t.Errorf("batch %d dp %d microbatches %d accumulation %d: feasible %v, reason %v; want batch_does_not_divide_into_microbatches",
				tc.batch, tc.dp, tc.micro, tc.ga, r["feasible"], r["infeasible_reason"])
		}
	}
	// 64 / (8 · 8) = 1 sequence per microbatch and min(pp 8, 8) = 8 in flight: the first
	// stage's activations of 8 sequences, 8 × what it holds of batch 8 over dp 8 in one
	// microbatch (the dropout mask scales with the microbatches in flight too). With one in
	// flight the last stage is the larger (docs/PHYSICS.md §35, "The most loaded pipeline
	// rank"): the same 4 layers for one sequence, no embedding mask (s·h bytes) and the
	// output layer's logits, 4·s·h·(1 + V/h)·2/2 = 4·s·(4096 + 128256) bytes.
	split, one := row("calibrated", 64, 8, 8, 1), row("calibrated", 8, 8, 1, 1)
	if split["feasible"] != true || split["microbatch"] != 1.0 || one["microbatch"] != 1.0 {
		t.Fatalf("batch 64 dp 8 microbatches 8: feasible %v, microbatch %v (batch 8: %v); want feasible, 1 and 1", split["feasible"], split["microbatch"], one["microbatch"])
	}
	seq := float64(split["seq_len"].(int64))
	last := split["activations_gb"].(float64)/8 - seq*4096/1e9 + 4*seq*(4096+128256)/1e9
	if a, b := split["activations_gb"].(float64), one["activations_gb"].(float64); b < last*(1-1e-9) || b > last*(1+1e-9) {
		t.Errorf("activations %.6g GB with one microbatch of 1 in flight, want the last stage's %.6g GB (8 in flight: %.6g GB)", b, last, a)
	}
	if r := row("calibrated", 128, 8, 4, 2); r["feasible"] != true || r["microbatch"] != 2.0 {
		t.Errorf("batch 128 dp 8 microbatches 4 accumulation 2: feasible %v, microbatch %v; want feasible, 128/(8·4·2) = 2", r["feasible"], r["microbatch"])
	}
	if r := row("seed", 4, 8, 1, 1); r["feasible"] != true || r["microbatch"] != 1.0 {
		t.Errorf("seed batch 4 dp 8: feasible %v, reason %v, microbatch %v; the seed keeps at least one sequence", r["feasible"], r["infeasible_reason"], r["microbatch"])
	}
}

// TestTrainMemoryMoEIsTheFleets: train-memory prices an MoE model's memory as the fleet
// study does — each routed expert's MLP intermediates (top-k of them per token) and a
// structured model's layers (DeepSeek-V3: dense first layers, shared experts, latent
// attention; kernel.archActivations) — tensor for tensor, on one DGX H100 node's worth of
// ranks at ep 8 (the fleet set to train-memory's accounting: unfused attention,
// gradients in BF16). Mixtral 8x7B's activations by hand (h 4096, 32 heads, 8 K/V
// heads, gated ffn 14336, 32 layers, top-2, vocabulary 32000; s 4096, one sequence per
// rank, tp 1, selective, 2 bytes): per layer and token 4h·2 + 2h = 40,960 replicated,
// 2·(2h + 2h·8/32 + 3·14336) = 106,496 split, and the second expert's 2·3·14336 =
// 86,016, and the two routed copies of the token its experts' first GEMMs save
// (kernel.MoEExpertInputs) 2·4096·2 = 16,384: 249,856 B × 4096 tokens × 32 layers =
// 32,749,125,632 B; plus the embedding dropout mask 4096·4096 = 16,777,216 B and, without
// pipelining, the output layer's 4·4096·4096·(1 + 32000/4096) = 591,396,864 B:
// 33.357299712 GB (31.21 GB without the routed copies; 30.06 GB with one expert's count,
// when 84.6 GB in all fit the H100's 85.9 GB and 95.9 GB do not).
func TestTrainMemoryMoEIsTheFleets(t *testing.T) {
	const mem = "version: 1\nstudy: train-memory\nprofile: calibrated\naxes:\n  model: [%s]\n  hardware: [H100]\n  precision: [bf16]\n" +
		"  batch_size: [16]\n  seq_len: [4096]\n  tp: [1]\n  dp: [16]\n  ep: [8]\n  zero_stage: [1]\n"
	const fleet = "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Research_256\n  nodes: 2\n  precision: bf16\n  batch_size: 16\n" +
		"  seq_len: 4096\n  tp: 1\n  ep: 8\n  zero_stage: 1\n  activation_checkpointing: selective\n  sequence_parallel: false\n  flash_attention: false\n  fp32_gradients: false\naxes:\n  model: [%s]\n"
	for _, model := range []string{"Mixtral_8x7B", "DeepSeek_V3"} {
		m, f := evalOne(t, fmt.Sprintf(mem, model)), evalOne(t, fmt.Sprintf(fleet, model))
		for _, pair := range [][2]string{{"weights_gb", "weights_gb"}, {"gradients_gb", "gradients_gb"}, {"optimizer_state_gb", "optimizer_state_gb"},
			{"activations_gb", "activations_gb"}, {"communication_buffers_gb", "buffers_gb"}, {"total_memory_gb", "memory_per_accelerator_gb"}} {
			if m[pair[0]] != f[pair[1]] {
				t.Errorf("%s: train-memory %s = %v, fleet %s = %v", model, pair[0], m[pair[0]], pair[1], f[pair[1]])
			}
		}
		if model == "Mixtral_8x7B" {
			checkGolden(t, m, []golden{{"activations_gb", 33.357299712, 1e-12}})
			if m["feasible"] != false || m["infeasible_reason"] != "out_of_memory" {
				t.Errorf("Mixtral: feasible %v (%v) at %v GB, want out_of_memory", m["feasible"], m["infeasible_reason"], m["total_memory_gb"])
			}
		}
	}
}
