package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

func servePoint(extra string) string {
	return "version: 1\nstudy: serve\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [fp8]\n" + extra
}

// TestServingLayoutReasons: a split the model cannot take is an infeasible row naming
// why, in every serving study; a valid split is not.
func TestServingLayoutReasons(t *testing.T) {
	for _, c := range []struct {
		name, extra, reason string
	}{
		{"tp 3 on 64 heads", "  tp: 3\n", "tp_does_not_divide_heads"},
		{"pp above the layers", "  pp: 81\n", "pp_exceeds_layers"},
		{"ep on a dense model", "  ep: 2\n", "ep_does_not_divide_experts"},
		{"tp over a node", "  tp: 16\n", "tp_spans_nodes"},
		{"ep beyond tp", "  model: [Mixtral_8x7B]\n  ep: 8\n  tp: 2\n", "parallelism_does_not_divide"},
		{"ep within tp", "  model: [Mixtral_8x7B]\n  ep: 2\n  tp: 4\n", ""},
		{"tp over nodes, allowed", "  tp: 16\n  tp_across_nodes: true\n", ""},
		{"draft that is not a transformer", "  draft_model: ResNet50\n", "draft_not_a_transformer"},
		{"draft as large as the target", "  draft_model: Llama3_70B\n", "draft_not_smaller_than_target"},
		{"draft larger than the target", "  model: [Llama3_8B]\n  draft_model: Llama3_70B\n", "draft_not_smaller_than_target"},
		// Llama-2's 32,000-token vocabulary cannot draft for Llama 3's 128,256 (vLLM asserts equal sizes).
		{"draft of another vocabulary", "  draft_model: Llama2_7B\n", "draft_vocabulary_differs"},
		{"smaller draft", "  draft_model: Llama3_8B\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, study := range []string{"serve", "serve-sla", "batching", "serve-capacity", "serve-deploy"} {
				src := strings.Replace(servePoint(c.extra), "study: serve\n", "study: "+study+"\n", 1)
				if strings.HasPrefix(c.extra, "  model:") { // the case names its own model
					src = strings.Replace(src, "  model: [Llama3_70B]\n", "", 1)
				}
				if study == "serve-capacity" {
					src += "  qps: 1\n  target_p99_ms: 60000\n"
				}
				row := evalOne(t, src)
				if row["infeasible_reason"] != c.reason && !(c.reason == "" && row["infeasible_reason"] != "tp_spans_nodes") {
					t.Errorf("%s: reason %v, want %q", study, row["infeasible_reason"], c.reason)
				}
			}
		})
	}
	m, _ := testCatalog().ModelByKey("Mixtral_8x7B")
	if err := ServingLayoutError(m, 8, 1, 3, 8, false); err == nil || !strings.Contains(err.Error(), "ep 3 does not divide the 8 experts") ||
		!strings.Contains(err.Error(), "1, 2, 4, 8") {
		t.Errorf("ep 3 on Mixtral: %v", err)
	}
	if err := ServingLayoutError(m, 8, 1, 8, 8, false); err != nil {
		t.Errorf("tp 8, ep 8 on Mixtral: %v", err)
	}
	// Expert-parallel ranks are tensor-parallel accelerators of a stage: ep must divide tp.
	for _, c := range []struct{ tp, pp, ep int }{{1, 1, 8}, {1, 8, 8}, {2, 1, 4}, {4, 2, 8}} {
		if err := ServingLayoutError(m, c.tp, c.pp, c.ep, 8, false); err == nil || !strings.Contains(err.Error(), "does not divide tp") {
			t.Errorf("tp %d, pp %d, ep %d on Mixtral: %v, want ep does not divide tp", c.tp, c.pp, c.ep, err)
		}
	}
	for _, c := range []struct{ tp, ep int }{{2, 2}, {4, 2}, {8, 4}, {8, 1}} {
		if err := ServingLayoutError(m, c.tp, 1, c.ep, 8, false); err != nil {
			t.Errorf("tp %d, ep %d on Mixtral: %v", c.tp, c.ep, err)
		}
	}
}

// TestServingEconomics: the per-token columns of a serve row, recomputed from the row's
// own power and throughput with the catalog's H100 price (30 000 USD), 3-year
// amortisation with 5 % maintenance, US_Avg's PUE and 0.12 USD/kWh; a rental price
// replaces all of it.
func TestServingEconomics(t *testing.T) {
	row := evalOne(t, servePoint("  tp: 4\n  batch_size: 64\n  seq_len: 4096\n"))
	g, _ := testCatalog().GridByKey("US_Avg")
	tps, power := row["tokens_per_s"].(float64), row["power_w"].(float64)
	hour := 30000*(1.0/3+0.05)/8760 + power/1000*g.PUE*0.12
	checkGolden(t, row, []golden{
		{"accelerators", 4, 0},
		{"tokens_per_s_per_accelerator", tps / 4, 1e-12},
		{"tokens_per_s_per_user", 1000 / row["itl_ms"].(float64), 1e-12},
		{"joules_per_token", power * 4 / tps, 1e-12},
		{"usd_per_million_tokens", 4 * hour / (tps * 3600) * 1e6, 1e-12},
	})
	if !(power > 0.3*700 && power < 700) {
		t.Errorf("power %v W outside the idle floor and the TDP", power)
	}
	rented := evalOne(t, servePoint("  tp: 4\n  batch_size: 64\n  seq_len: 4096\n  accelerator_hour_usd: 2.5\n"))
	checkGolden(t, rented, []golden{{"usd_per_million_tokens", 4 * 2.5 / (tps * 3600) * 1e6, 1e-12}})
}

// TestServingKVPrecisionAndDraft: fp8 KV halves an fp16 model's cache; mtp and a draft
// model change the ITL; an unknown draft names the choices.
func TestServingKVPrecisionAndDraft(t *testing.T) {
	base := "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  seq_len: 4096\n  batch_size: 8\n"
	same, fp8 := evalOne(t, base), evalOne(t, base+"  kv_precision: fp8\n")
	checkGolden(t, fp8, []golden{{"kv_cache_gb", same["kv_cache_gb"].(float64) / 2, 1e-12}, {"weights_gb", same["weights_gb"].(float64), 0}})
	ds := "version: 1\nstudy: serve\naxes:\n  model: [DeepSeek_V3]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 8\n  pp: 2\n  seq_len: 4096\n  batch_size: 8\n"
	mtp, plainDS := evalOne(t, ds+"  draft_model: mtp\n  spec_acceptance: 0.8\n"), evalOne(t, ds)
	if !(mtp["itl_ms"].(float64) < plainDS["itl_ms"].(float64)) || mtp["feasible"] != true {
		t.Errorf("mtp with 80 %% acceptance should emit tokens faster: %v vs %v ms (feasible %v)", mtp["itl_ms"], plainDS["itl_ms"], mtp["feasible"])
	}
	big := evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 4\n  draft_model: Llama3_8B\n  spec_acceptance: 0.7\n")
	plain := evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 4\n")
	if !(big["itl_ms"].(float64) < plain["itl_ms"].(float64)) || !(big["total_memory_gb"].(float64) > plain["total_memory_gb"].(float64)) {
		t.Errorf("draft Llama3_8B: ITL %v vs %v, memory %v vs %v", big["itl_ms"], plain["itl_ms"], big["total_memory_gb"], plain["total_memory_gb"])
	}
	checkRefused(t, base+"  draft_model: Llama3_8Bx\n", "Llama3_8Bx", "none", "mtp")
}

// TestServeDeploy: a feasible aggregated and disaggregated fleet for Llama3_70B at
// 20 QPS, checked against the kernel, and a grid through Parquet with every reason.
func TestServeDeploy(t *testing.T) {
	src := "version: 1\nstudy: serve-deploy\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 4\n" +
		"  batch_size: 64\n  qps: 20\n  target_ttft_ms: 500\n  target_itl_ms: 50\n"
	agg, dis := evalOne(t, src), evalOne(t, src+"  mode: disaggregated\n  prefill_tp: 4\n")
	for _, row := range []map[string]any{agg, dis} {
		checkInfeasible(t, row, "", row["binding_wall"].(string))
		if row["ttft_ms"].(float64) > 500 || row["itl_ms"].(float64) > 50 || row["sla_ratio"].(float64) >= 1 {
			t.Errorf("%s misses its targets: TTFT %v, ITL %v, ratio %v", row["mode"], row["ttft_ms"], row["itl_ms"], row["sla_ratio"])
		}
		tokens := 20 * 256.0
		checkGolden(t, row, []golden{{"tokens_per_s_per_accelerator", tokens / row["accelerators"].(float64), 1e-12}})
	}
	if agg["kv_transfer_ms"] != 0.0 || !(dis["kv_transfer_ms"].(float64) > 0) || dis["prefill_instances"].(float64) < 1 {
		t.Errorf("KV transfer agg %v dis %v, prefill instances %v", agg["kv_transfer_ms"], dis["kv_transfer_ms"], dis["prefill_instances"])
	}
	checkGolden(t, dis, []golden{{"accelerators", dis["prefill_accelerators"].(float64) + 4*dis["replicas"].(float64), 0}})

	rows := checkStudyGrid(t, `version: 1
study: serve-deploy
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, MI300X]
  precision: [fp16, fp8]
  tp: [1, 3, 8]
  batch_size: [8, 256, 4096]
  mode: [aggregated, disaggregated]
  qps: [5, 2000]
  target_itl_ms: [8, 60]
  max_accelerators: 64
`, "out_of_memory", "itl_target_missed", "over_accelerator_limit", "tp_does_not_divide_heads")
	for _, r := range rows {
		if r["feasible"] == true && (r["sla_ratio"].(float64) > 1 || r["accelerators"].(float64) > 64) {
			t.Fatalf("feasible row past its targets: %v", r)
		}
	}
}

// TestServingEfficiencyAuto: efficiency 0 takes the catalog's measured matmul efficiency
// in the calibrated profile (0.5 when none is catalogued) and the seed's 0.5 otherwise; a
// stated efficiency is used as given.
func TestServingEfficiencyAuto(t *testing.T) {
	cat := catalog.MustDefault()
	t4, _ := cat.HardwareByKey("T4")
	if _, ok := t4.GEMMEfficiencyFor("fp16"); ok {
		t.Fatal("T4 now has a measured efficiency; pick another fixture")
	}
	for _, c := range []struct {
		extra string
		want  float64
	}{
		{"  hardware: [H100]\n", 0.803},
		{"  hardware: [T4]\n", kernel.SeedEfficiency},
		{"  hardware: [H100]\n  efficiency: 0.42\n", 0.42},
	} {
		row := evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n"+c.extra)
		if row["efficiency_used"] != c.want {
			t.Errorf("%q: efficiency_used %v, want %v", c.extra, row["efficiency_used"], c.want)
		}
	}
	seed := evalOne(t, "version: 1\nstudy: serve\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n")
	if seed["efficiency_used"] != 0.5 || math.IsNaN(seed["usd_per_million_tokens"].(float64)) {
		t.Errorf("seed: efficiency %v, cost %v", seed["efficiency_used"], seed["usd_per_million_tokens"])
	}
}

// TestServingDraftChecks: a draft reads the whole sequence and runs spec_tokens past it
// (calibrated: its context_tokens must hold seq_len + spec_tokens; Llama-2-7B's window is
// 4096, its config.json max_position_embeddings, as is its Llama-2-70B target's, whose
// 32,000-token vocabulary it shares), and mtp drafts with the model's own multi-token-prediction
// module, which only a model that ships one has (DeepSeek-V3: num_nextn_predict_layers 1).
func TestServingDraftChecks(t *testing.T) {
	const big = "version: 1\nstudy: serve\nprofile: %s\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 4\n  batch_size: 8\n  seq_len: %d\n  draft_model: %s\n  spec_tokens: %d\n"
	const llama2 = "version: 1\nstudy: serve\nprofile: %s\naxes:\n  model: [Llama2_70B]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 4\n  batch_size: 8\n  seq_len: %d\n  draft_model: %s\n  spec_tokens: %d\n"
	const deepseek = "version: 1\nstudy: serve\nprofile: %s\naxes:\n  model: [DeepSeek_V3]\n  hardware: [H100]\n  precision: [fp8]\n  tp: 8\n  pp: 2\n  batch_size: 8\n  seq_len: 4096\n  draft_model: %s\n  spec_tokens: 1\n"
	for _, tc := range []struct {
		name, src, reason string // reason "" = feasible
	}{
		{"draft window holds seq + drafted", fmt.Sprintf(llama2, "calibrated", 4092, "Llama2_7B", 4), ""},
		{"one token past the draft window", fmt.Sprintf(llama2, "calibrated", 4093, "Llama2_7B", 4), "draft_exceeds_context"},
		{"drafted tokens past the draft window", fmt.Sprintf(llama2, "calibrated", 4092, "Llama2_7B", 5), "draft_exceeds_context"},
		{"seed has no window check", fmt.Sprintf(llama2, "seed", 4096, "Llama2_7B", 4), ""},
		{"a draft with a long window", fmt.Sprintf(big, "calibrated", 4096, "Llama3_8B", 4), ""},
		{"mtp without a module", fmt.Sprintf(big, "calibrated", 1024, "mtp", 1), "model_has_no_mtp_module"},
		{"mtp without a module, seed", fmt.Sprintf(big, "seed", 1024, "mtp", 1), "model_has_no_mtp_module"},
		{"mtp with DeepSeek-V3's module", fmt.Sprintf(deepseek, "calibrated", "mtp"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := evalOne(t, tc.src)
			got, _ := row["infeasible_reason"].(string)
			if got != tc.reason || (row["feasible"] == true) != (tc.reason == "") {
				t.Errorf("feasible %v, reason %q; want reason %q", row["feasible"], got, tc.reason)
			}
		})
	}
}

// TestStudyCheckNamesTheModelAxis: a model a study cannot take is refused at the line
// that names it.
func TestStudyCheckNamesTheModelAxis(t *testing.T) {
	checkRefused(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B, ResNet50]\n  hardware: [H100]\n", "refused.yaml:4: ", "ResNet50 is not one")
	checkRefused(t, "version: 1\nstudy: fleet\naxes:\n  model: [ResNet50]\n  cluster: [Research_256]\n", "refused.yaml:4: ", "fleet study needs a transformer")
}

// TestServingKVHeadSplit: tensor parallelism gives each rank whole KV heads, so tp must
// divide a grouped-query model's KV heads or be a multiple of them (vLLM's
// QKVParallelLinear asserts it). A 24-head, 8-KV-head model at tp 3 was feasible with its
// cache split 3 ways (2.67 heads a rank); now it is tp_does_not_divide_heads in every
// serving study, and ServingLayoutError names the tp that work. A latent-attention cache
// (kv_lora_rank) is replicated and takes any tp that divides the heads.
func TestServingKVHeadSplit(t *testing.T) {
	const user = `models:
  - {key: GQA24, name: g, family: transformer, parameters: 3.2e9, layers: 28, hidden_dim: 3072, heads: 24, kv_heads: 8, source: {kind: estimate, ref: test}}
`
	cat := testCatalog().Clone()
	if _, err := cat.AddUserYAML("user.yaml", []byte(user)); err != nil {
		t.Fatal(err)
	}
	m, _ := cat.ModelByKey("GQA24")
	for _, c := range []struct {
		tp     int
		reason string
	}{{1, ""}, {2, ""}, {3, "tp_does_not_divide_heads"}, {4, ""}, {6, "tp_does_not_divide_heads"}, {8, ""},
		{12, "tp_does_not_divide_heads"}, {24, ""}} {
		err := ServingLayoutError(m, c.tp, 1, 1, 64, false)
		if (err != nil) != (c.reason != "") || (err != nil && !strings.Contains(err.Error(), "(try 1, 2, 4, 8, 24)")) {
			t.Errorf("tp %d: %v, want refused %v naming the tp that split 8 KV heads", c.tp, err, c.reason != "")
		}
		for _, study := range []string{"serve", "serve-sla", "batching", "serve-capacity", "serve-deploy"} {
			src := fmt.Sprintf("version: 1\nstudy: %s\nfixed:\n  node_size: 64\naxes:\n  model: [GQA24]\n  hardware: [H100]\n  tp: [%d]\n", study, c.tp)
			if study == "serve-capacity" {
				src += "  qps: [1]\n  target_p99_ms: [60000]\n"
			}
			row := evalOneIn(t, cat, src)
			if got, _ := row["infeasible_reason"].(string); (c.reason != "" && got != c.reason) || (c.reason == "" && got == "tp_does_not_divide_heads") {
				t.Errorf("%s tp %d: reason %q, want %q", study, c.tp, got, c.reason)
			}
		}
	}
	latent := *m
	latent.KVLoraRank = 512
	if err := ServingLayoutError(&latent, 3, 1, 1, 64, false); err != nil {
		t.Errorf("latent attention at tp 3: %v", err)
	}
}

// TestServeDeployCachedPrefix: a prefix cache holding the whole prompt or more is
// cached_prefix_too_long in serve-deploy as in serve (it was feasible, priced as a
// one-token prefill: input_tokens 1 with 5,000 cached tokens met a 500 ms TTFT); one token
// short of the prompt still serves, with a shorter prefill than no cache.
func TestServeDeployCachedPrefix(t *testing.T) {
	src := "version: 1\nstudy: serve-deploy\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n  input_tokens: [1024]\n  qps: [5]\n"
	for _, c := range []struct {
		cached int
		reason string
	}{{0, ""}, {1023, ""}, {1024, "cached_prefix_too_long"}, {5000, "cached_prefix_too_long"}} {
		for _, mode := range []string{"aggregated", "disaggregated"} {
			row := evalOne(t, fmt.Sprintf("%s  cached_prefix_len: [%d]\n  mode: [%s]\n", src, c.cached, mode))
			checkInfeasible(t, row, c.reason, row["binding_wall"].(string))
			if c.reason != "" && !math.IsInf(row["sla_ratio"].(float64), 1) {
				t.Errorf("cached %d %s: sla_ratio %v, want +Inf (no fleet of this point exists)", c.cached, mode, row["sla_ratio"])
			}
		}
	}
	none, most := evalOne(t, src), evalOne(t, src+"  cached_prefix_len: [1023]\n")
	if !(most["prefill_ms"].(float64) < none["prefill_ms"].(float64)) {
		t.Errorf("prefill with 1023 of 1024 tokens cached %v ms, without %v ms", most["prefill_ms"], none["prefill_ms"])
	}
}

// TestServingFFNLatent: DeepSeek-V3's serving pass counts its attention as MLA's
// projections (187,105,280 weights a layer: 7168·1536 + 1536·128·192 + 7168·576 +
// 512·128·256 + 128·128·7168), so the plain expert width inferred from its 37B active
// parameters makes the layers' matmuls and the output layer add up to them:
// ffn = (37e9 − 129280·7168 − 61·187,105,280) / (61·8·2·7168) = 24,659,898,880 / 6,995,968
// = 3524.87 (the full-attention count, 4·7168² a layer, gave 3364.3). A grouped-query
// model keeps its mlpShape width and no latent widths.
func TestServingFFNLatent(t *testing.T) {
	cat := testCatalog()
	m, _ := cat.ModelByKey("DeepSeek_V3")
	a, _, _, _ := archShape(m)
	ffn, w := servingFFN(m, 0, &a)
	if math.Abs(ffn-24659898880.0/6995968) > 1e-9*ffn {
		t.Errorf("ffn %.6f, want %.6f", ffn, 24659898880.0/6995968)
	}
	if w != [5]float64{1536, 512, 128, 64, 128} {
		t.Errorf("latent widths %v", w)
	}
	if active := 61*(187105280+8*2*7168*ffn) + 129280*7168; math.Abs(active-37e9) > 1 {
		t.Errorf("the pass's active weights %.0f, want 37e9", active)
	}
	llama, _ := cat.ModelByKey("Llama3_70B")
	la, _, _, _ := archShape(llama)
	plain, _, _ := mlpShape(llama)
	if f, lw := servingFFN(llama, plain, &la); f != plain || lw != ([5]float64{}) {
		t.Errorf("Llama3_70B: ffn %v (mlpShape %v), latent widths %v", f, plain, lw)
	}
}

// TestServingPowerLimitGathered: calibrated, an accelerator whose catalog entry has a
// sustained matmul rate (H200: MSMF) prefills four 4096-token prompts of Llama 3 70B in
// FP8 (TensorRT-LLM, whose attention then runs at 8 bits too) at the power limit
// (kernel.PowerLimitedS; docs/PHYSICS.md §33): slower than the same point with its burst
// efficiency (0.734) stated as a number, which fixes the rate and leaves the power limit
// out. A memory-bound decode step of 8 sequences is the same under both.
func TestServingPowerLimitGathered(t *testing.T) {
	const point = "version: 1\nstudy: serve\naxes:\n  model: [Llama3_70B]\n  hardware: [H200]\n  precision: [fp8]\n  engine: [trtllm]\n  seq_len: 4096\n  batch_size: %d\n%s"
	auto := evalOne(t, fmt.Sprintf(point, 4, ""))
	fixed := evalOne(t, fmt.Sprintf(point, 4, "  efficiency: 0.734\n"))
	if auto["efficiency_used"] != 0.734 {
		t.Fatalf("efficiency_used %v: the fixed point no longer states the burst", auto["efficiency_used"])
	}
	fa, fx := auto["ttft_ms"].(float64), fixed["ttft_ms"].(float64)
	if !(fa > fx) {
		t.Errorf("TTFT %v ms at the power limit, %v ms at the stated burst: want the limit slower", fa, fx)
	}
	if auto["itl_ms"] != fixed["itl_ms"] {
		t.Errorf("memory-bound ITL %v ms, %v ms with the efficiency stated: want the same", auto["itl_ms"], fixed["itl_ms"])
	}
}
