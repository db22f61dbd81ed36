package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestFleetVirtualStagesNeedAPipeline: interleaving splits each pipeline stage into
// virtual_stages chunks, so at pp 1 there is nothing to interleave; a plan refuses it
// (PlanFile.CheckEffect) and a fleet grid marks the point infeasible, as it marks a
// split whose stages get no layer, under both profiles. At pp 2 it runs.
func TestFleetVirtualStagesNeedAPipeline(t *testing.T) {
	for _, profile := range Profiles {
		for _, tc := range []struct {
			pp, vs       string
			reason, wall string
		}{
			{"1", "2", "virtual_stages_without_pipeline", "14 Communication"},
			{"1", "1", "", ""},
			{"2", "2", "", ""},
		} {
			row := evalOne(t, "version: 1\nstudy: fleet\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n  tp: 8\n  pp: "+tc.pp+
				"\n  virtual_stages: "+tc.vs+"\n  microbatches: 4\n  batch_size: 256\n  zero_stage: 1\n")
			wall := tc.wall
			if tc.reason == "" {
				wall = row["binding_wall"].(string) // a feasible point's binding wall is the physics' call
			}
			t.Run(profile+"/pp"+tc.pp+"/vs"+tc.vs, func(t *testing.T) { checkInfeasible(t, row, tc.reason, wall) })
			if tc.reason != "" && row["wall_14_communication_pass"] != false {
				t.Errorf("%s pp %s vs %s: wall 14 passes, want it violated", profile, tc.pp, tc.vs)
			}
		}
	}
}

// TestServingRowInvariants sweeps every serving study over layouts at their edges
// (tp, pp, KV wider and narrower than the weights, drafting with acceptance 0 and 1,
// one token to past the context window, batch 1 to 4096, owned and rented) under both
// profiles and holds every row to what its columns promise (docs/COLUMNS.md):
// tokens/s per user is 1000 / ITL; joules per token is the draw over tokens/s per
// accelerator; a rented accelerator's $ per million tokens is its hourly price over
// the tokens it makes in an hour; a feasible row fits in memory, is finite and not
// negative, and a serve-deploy row meets its targets within its accelerator limit.
func TestServingRowInvariants(t *testing.T) {
	const layout = `
  model: [Llama3_8B, Mixtral_8x7B]
  hardware: [H100, MI300X]
  tp: [1, 8]
  pp: [1, 4]
  kv_precision: [same, fp8, fp32]
  draft_model: [none, Llama3_8B]
  spec_acceptance: [0, 1]
  accelerator_hour_usd: [0, 2.5]
`
	studies := map[string]string{
		"serve":          "  batch_size: [1, 4096]\n  seq_len: [1, 8192, 200000]\n",
		"serve-sla":      "  batch_size: [1, 64]\n  seq_len: [16, 8192]\n  qps: [0.5, 50]\n",
		"batching":       "  max_batch_size: [1, 256]\n  seq_len: [64, 8192]\n  input_tokens: [0, 32]\n",
		"serve-deploy":   "  batch_size: [1, 256]\n  input_tokens: [1, 8000]\n  output_tokens: [1, 512]\n  mode: [aggregated, disaggregated]\n  max_accelerators: [0, 16]\n",
		"serve-capacity": "  max_batch_size: [1, 64]\n  seq_len: [64, 8192]\n  qps: [1, 100]\n",
	}
	fixed := map[string]string{
		"serve-deploy":   "fixed:\n  qps: 5\n  target_ttft_ms: 2000\n  target_itl_ms: 100\n",
		"serve-capacity": "fixed:\n  target_p99_ms: 20000\n",
	}
	for _, profile := range Profiles {
		for study, axes := range studies {
			t.Run(profile+"/"+study, func(t *testing.T) {
				p := mustPlan(t, "version: 1\nstudy: "+study+"\nprofile: "+profile+"\n"+fixed[study]+"axes:"+layout+axes+
					"where:\n  - \"draft_model != 'none' || spec_acceptance == 0\"\n")
				rows, feasible := eachFeasibleRow(t, p, func(row map[string]any) {
					servingRowInvariants(t, study, row)
					if profile == "calibrated" {
						contextInvariant(t, row)
					}
				})
				if feasible == 0 || feasible == rows {
					t.Errorf("%d of %d rows feasible: the grid should hold both", feasible, rows)
				}
			})
		}
	}
}

func servingRowInvariants(t *testing.T, study string, row map[string]any) {
	t.Helper()
	num := func(k string) float64 {
		switch v := row[k].(type) {
		case float64:
			return v
		case int64:
			return float64(v)
		}
		return math.NaN()
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("point %v (%v %v tp %v pp %v kv %v draft %v): %s", row["point_id"], row["model"], row["hardware"], row["tp"], row["pp"],
			row["kv_precision"], row["draft_model"], fmt.Sprintf(format, args...))
	}
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }
	for k, v := range row {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0) || f < 0 && !strings.HasSuffix(k, "_slack")) {
			fail("%s = %v on a feasible row", k, f)
		}
	}
	perAcc, itl := num("tokens_per_s_per_accelerator"), num("itl_ms")
	if !(perAcc > 0) {
		fail("tokens/s per accelerator %v on a feasible row", perAcc)
		return
	}
	if got := num("tokens_per_s_per_user"); !close(got, 1000/itl) {
		fail("tokens/s per user %v, want 1000 / itl_ms = %v", got, 1000/itl)
	}
	if got, want := num("joules_per_token"), num("power_w")/perAcc; !close(got, want) {
		fail("joules per token %v, want power %v W / %v tokens/s = %v", got, num("power_w"), perAcc, want)
	}
	if hour := num("accelerator_hour_usd"); hour > 0 {
		if got, want := num("usd_per_million_tokens"), hour/3600/perAcc*1e6; !close(got, want) {
			fail("$/M tokens %v, want %v/h ÷ 3600 ÷ %v tokens/s × 1e6 = %v", got, hour, perAcc, want)
		}
	}
	if u := num("memory_utilization"); u > 1 {
		fail("memory utilisation %v > 1", u)
	}
	// total_memory_gb is the whole replica's, memory_capacity_gb one accelerator's.
	if used, capacity := num("total_memory_gb"), num("memory_capacity_gb")*num("tp")*num("pp"); used > capacity {
		fail("the replica needs %v GB of its %v GB", used, capacity)
	}
	if study == "serve-deploy" {
		if num("ttft_ms") > num("target_ttft_ms") || itl > num("target_itl_ms") {
			fail("TTFT %v / ITL %v over the targets %v / %v", num("ttft_ms"), itl, num("target_ttft_ms"), num("target_itl_ms"))
		}
		if limit := num("max_accelerators"); limit > 0 && num("accelerators") > limit {
			fail("%v accelerators over the limit %v", num("accelerators"), limit)
		}
	}
}

// contextInvariant: under calibrated no feasible row serves a request longer than the
// model's context window (docs/GRID.md, exceeds_context).
func contextInvariant(t *testing.T, row map[string]any) {
	t.Helper()
	m, err := testCatalog().ModelByKey(fmt.Sprint(row["model"]))
	if err != nil || m.ContextTokens == 0 {
		return
	}
	tokens, _ := row["seq_len"].(int64)
	if in, ok := row["input_tokens"].(int64); ok {
		if out, ok := row["output_tokens"].(int64); ok {
			tokens = in + out
		}
	}
	if tokens > int64(m.ContextTokens) {
		t.Errorf("point %v: a feasible row serves %d tokens, past %s's context window of %d", row["point_id"], tokens, m.Key, m.ContextTokens)
	}
}

// TestGridEffectNotes: a grid parameter is noted, with its spec line, where no point
// reads it, and not where some point does: efficiency in a calibrated fleet grid of
// transformers on accelerators with a measured matmul rate at the grid's precisions;
// speculative decoding's parameters without a draft model; the engine's under seed.
func TestGridEffectNotes(t *testing.T) {
	const fleet, serve = "version: 1\nstudy: fleet\n%saxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n%s",
		"version: 1\nstudy: serve\n%saxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n%s"
	for _, tc := range []struct {
		name, spec, want string // want: the note, "" for none
	}{
		{"measured", fmt.Sprintf(fleet, "", "  efficiency: [0.3, 0.6]\n"), "test.yaml:6: efficiency changes nothing"},
		{"seed", fmt.Sprintf(fleet, "profile: seed\n", "  efficiency: [0.3, 0.6]\n"), ""},
		{"overlap share calibrated", fmt.Sprintf(fleet, "", "  overlap_efficiency: [0.5, 0.9]\n"), "test.yaml:6: overlap_efficiency changes nothing"},
		{"overlap share seed", fmt.Sprintf(fleet, "profile: seed\n", "  overlap_efficiency: [0.5, 0.9]\n"), ""},
		{"unmeasured precision", fmt.Sprintf(fleet, "", "  precision: [fp16, fp32]\n  efficiency: [0.3, 0.6]\n"), ""},
		{"not set", fmt.Sprintf(fleet, "", ""), ""},
		{"dp_shard seed", fmt.Sprintf(fleet, "profile: seed\n", "  zero_stage: [3]\n  dp_shard: [8]\n"), "test.yaml:8: dp_shard changes nothing"},
		{"dp_shard without ZeRO", fmt.Sprintf(fleet, "", "  dp_shard: [8]\n"), "test.yaml:6: dp_shard changes nothing"},
		{"transformer_execution seed", fmt.Sprintf(fleet, "profile: seed\n", "  transformer_execution: [fused, eager]\n"), "test.yaml:7: transformer_execution changes nothing"},
		{"transformer_execution calibrated", fmt.Sprintf(fleet, "", "  transformer_execution: [fused, eager]\n"), ""},
		{"dp_shard with ZeRO somewhere", fmt.Sprintf(fleet, "", "  zero_stage: [0, 3]\n  dp_shard: [8]\n"), ""},
		{"node transformer_execution seed", "version: 1\nstudy: node\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  training: [true]\n  transformer_execution: [fused, eager]\n", "test.yaml:8: transformer_execution changes nothing"},
		{"node transformer_execution calibrated", "version: 1\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  training: [true]\n  transformer_execution: [fused, eager]\n", ""},
		{"node transformer_execution CNN", "version: 1\nstudy: node\naxes:\n  model: [ResNet50]\n  hardware: [H100]\n  training: [true]\n  transformer_execution: [fused, eager]\n", "test.yaml:7: transformer_execution changes nothing"},
		{"node study", "version: 1\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  efficiency: [0.3, 0.6]\n", ""},
		{"no draft", fmt.Sprintf(serve, "", "  spec_acceptance: [0.5, 0.9]\n"), "test.yaml:6: spec_acceptance changes nothing"},
		{"a draft somewhere", fmt.Sprintf(serve, "", "  draft_model: [none, Llama3_8B]\n  spec_tokens: [2, 4]\n"), ""},
		{"engine seed", fmt.Sprintf(serve, "profile: seed\n", "  engine: [vllm, trtllm]\n"), "test.yaml:7: engine changes nothing"},
		{"engine calibrated", fmt.Sprintf(serve, "", "  engine: [vllm, trtllm]\n"), ""},
		{"output_tokens without qps", fmt.Sprintf(serve, "", "  output_tokens: [128, 512]\n"), "test.yaml:6: output_tokens changes nothing"},
		{"output_tokens under qps", fmt.Sprintf(serve, "", "  qps: [0, 4]\n  output_tokens: [128, 512]\n"), ""},
		// A rental price covers power and hardware: electricity and unit cost are never read.
		{"fleet electricity under rental", fmt.Sprintf(fleet, "", "  rental_usd_per_accelerator_hour: [2, 3]\n  electricity_usd_per_kwh: [0.05, 0.3]\n"), "test.yaml:7: electricity_usd_per_kwh changes nothing"},
		{"fleet unit cost under rental", fmt.Sprintf(fleet, "fixed: {rental_usd_per_accelerator_hour: 2}\n", "  unit_cost_usd: [20000, 30000]\n"), "test.yaml:7: unit_cost_usd changes nothing"},
		{"fleet electricity owned somewhere", fmt.Sprintf(fleet, "", "  rental_usd_per_accelerator_hour: [0, 3]\n  electricity_usd_per_kwh: [0.05, 0.3]\n"), ""},
		{"serve electricity rented", fmt.Sprintf(serve, "", "  accelerator_hour_usd: [2, 3]\n  electricity_usd_per_kwh: [0.05, 0.3]\n"), "test.yaml:7: electricity_usd_per_kwh changes nothing"},
		{"serve electricity owned", fmt.Sprintf(serve, "", "  electricity_usd_per_kwh: [0.05, 0.3]\n"), ""},
		// A serving study reads the region for its electricity price only (qa13).
		{"serve region rented", fmt.Sprintf(serve, "fixed: {accelerator_hour_usd: 2}\n", "  region: [US_Avg, Quebec]\n"), "test.yaml:7: region changes nothing"},
		{"serve region owned", fmt.Sprintf(serve, "", "  region: [US_Avg, Quebec]\n"), ""},
		{"fleet region rented", fmt.Sprintf(fleet, "fixed: {rental_usd_per_accelerator_hour: 2}\n", "  region: [US_Avg, Quebec]\n"), ""},
		{"prefill_tp aggregated", strings.Replace(fmt.Sprintf(serve, "fixed: {qps: 5, target_ttft_ms: 500, target_itl_ms: 50}\n", "  prefill_tp: [1, 4]\n"), "study: serve", "study: serve-deploy", 1), "test.yaml:7: prefill_tp changes nothing"},
		// qa27: the compression and efficiency studies read these for one method or kernel.
		{"sparsity quantized", "version: 1\nstudy: compression\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  sparsity: [0, 0.5]\n", "test.yaml:6: sparsity changes nothing"},
		{"sparsity_type quantized", "version: 1\nstudy: compression\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  method: [quantization, other]\n  sparsity_type: [structured, n_m]\n", "test.yaml:7: sparsity_type changes nothing"},
		{"sparsity pruned", "version: 1\nstudy: compression\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  method: [quantization, pruning]\n  sparsity: [0, 0.5]\n", ""},
		{"bitwidth pruned", "version: 1\nstudy: compression\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  method: [pruning]\n  target_bitwidth: [4, 8]\n", "test.yaml:7: target_bitwidth changes nothing"},
		{"flash without attention", "version: 1\nstudy: efficiency\naxes:\n  hardware: [H100]\n  workload_type: [ffn, conv]\n  flash_attention: [true, false]\n", "test.yaml:6: flash_attention changes nothing"},
		{"flash with attention", "version: 1\nstudy: efficiency\naxes:\n  hardware: [H100]\n  workload_type: [ffn, attention]\n  flash_attention: [true, false]\n", ""},
		{"prefill_tp colocated sim", "version: 1\nstudy: serve-sim\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  qps: [2]\n  prefill_tp: [1, 2]\n", "test.yaml:7: prefill_tp changes nothing"},
		{"prefill_tp pools sim", "version: 1\nstudy: serve-sim\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  qps: [2]\n  prefill_instances: [0, 1]\n  prefill_tp: [1, 2]\n", ""},
		{"prefill_tp disaggregated", strings.Replace(fmt.Sprintf(serve, "fixed: {qps: 5, target_ttft_ms: 500, target_itl_ms: 50}\n", "  mode: [aggregated, disaggregated]\n  prefill_tp: [1, 4]\n"), "study: serve", "study: serve-deploy", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, tc.spec)
			if p.Profile == "" {
				if err := p.SetProfile("calibrated"); err != nil {
					t.Fatal(err)
				}
			}
			notes := p.EffectNotes()
			switch {
			case tc.want == "" && len(notes) > 0:
				t.Errorf("notes %q, want none", notes)
			case tc.want != "" && (len(notes) != 1 || !strings.Contains(notes[0], tc.want)):
				t.Errorf("notes %q, want one saying %q", notes, tc.want)
			}
		})
	}
}

// TestFP4NeedsAnFP4Rate: a grid point at fp4 on an accelerator whose catalog entry
// states no fp4 rate is unsupported_by_hardware in every study that names one, in both
// profiles (sweep.PrecisionPath's rule, which eval, serve and plans refuse with exit 1);
// before, H100 at fp4 was priced as its int4 answer. B200 states an fp4 rate and runs.
func TestFP4NeedsAnFP4Rate(t *testing.T) {
	for _, profile := range Profiles {
		for _, tc := range []struct{ study, where, runs, refused, more string }{
			{"serve", "hardware", "B200", "H100", ""},
			{"batching", "hardware", "B200", "H100", ""},
			{"serve-sla", "hardware", "B200", "H100", ""},
			{"node", "hardware", "B200", "H100", ""},
			{"fleet", "cluster", "GB200_NVL72_x8", "Research_256", "  tp: 8\n  microbatches: 4\n  batch_size: 256\n  zero_stage: 1\n"},
		} {
			for _, hw := range []string{tc.runs, tc.refused} {
				row := evalOne(t, "version: 1\nstudy: "+tc.study+"\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  "+tc.where+": ["+hw+"]\n  precision: [fp4]\n"+tc.more)
				got := row["infeasible_reason"]
				switch {
				case hw == tc.refused && (got != "unsupported_by_hardware" || row["feasible"] != false):
					t.Errorf("%s %s on %s at fp4: feasible %v, reason %v; want infeasible, unsupported_by_hardware", profile, tc.study, hw, row["feasible"], got)
				case hw == tc.runs && got == "unsupported_by_hardware":
					t.Errorf("%s %s on %s at fp4: unsupported_by_hardware, but %s states an fp4 rate", profile, tc.study, hw, hw)
				}
			}
		}
	}
}
