package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDraftVocabulary: a draft whose vocabulary is not the target's cannot draft for it
// (the target verifies the draft's token ids; vLLM's SpecDecodeWorker asserts the two
// vocabulary sizes equal). Llama-2-7B (32,000 tokens) drafting for Llama-3.1-70B (128,256)
// was feasible and priced 7.10 ms a token against 10.18 without a draft, exit 0; it is now
// infeasible naming both sizes, exit 2 with --strict. A draft of the family still serves.
func TestServeDraftVocabulary(t *testing.T) {
	for _, c := range []struct {
		draft  string
		code   int
		reason string
	}{
		{"Llama2_7B", exitPhysics, "draft_vocabulary_differs: the draft Llama2_7B has a vocabulary of 32000 tokens, the target Llama3_70B 128256"},
		{"Llama3_8B", exitOK, ""},
	} {
		r := mlsysim(t, "serve", "--strict", "Llama3_70B", "H100", "--tp", "4", "-p", "fp8", "--draft-model", c.draft, "-o", "json")
		obj := oneObject(t, r.stdout)
		if r.code != c.code || (c.reason != "" && !strings.Contains(r.stderr, c.reason)) {
			t.Errorf("%s: exit %d, want %d naming %q\n%v", c.draft, r.code, c.code, c.reason, r)
		}
		if want := strings.Split(c.reason, ":")[0]; (c.reason == "" && obj["infeasible_reason"] != nil) || (c.reason != "" && obj["infeasible_reason"] != want) {
			t.Errorf("%s: infeasible_reason %v, want %q", c.draft, obj["infeasible_reason"], want)
		}
	}
}

// TestServeOverloadedLoadColumns: under a rate the replica cannot keep up with, serve -o json
// writes null for every load_* value that has no steady state, as --help says. It wrote
// "load_decode_batch": 0 (where the fixed-point search stopped) beside a null concurrency,
// TTFT and TPOT. Llama3_70B fp8 tp 2 on H100, batch 16, 1024-token prompts: capacity
// 2.92 requests/s, so 40/s is overloaded (the prefills alone take 3.1× the replica's time).
func TestServeOverloadedLoadColumns(t *testing.T) {
	r := mlsysim(t, "serve", "Llama3_70B", "H100", "-p", "fp8", "--tp", "2", "-b", "16", "-s", "1024", "--qps", "40", "-o", "json")
	obj := oneObject(t, r.stdout)
	if r.code != exitOK || obj["infeasible_reason"] != "overloaded" {
		t.Fatalf("exit %d, reason %v, want 0 and overloaded\n%v", r.code, obj["infeasible_reason"], r)
	}
	for _, k := range []string{"load_concurrency", "load_decode_batch", "load_ttft_ms", "load_tpot_ms"} {
		if v, ok := obj[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null: an overloaded replica has no steady state", k, v, ok)
		}
	}
	if obj["load_max_batch"] != 16.0 {
		t.Errorf("load_max_batch %v, want 16", obj["load_max_batch"])
	}
}

// TestOptimizeServingNamesModel: a MODEL that cannot be served is refused naming the
// argument, not a line of the grid optimize serving writes for itself ("optimize
// serving:14: serving needs a transformer").
func TestOptimizeServingNamesModel(t *testing.T) {
	r := mlsysim(t, "optimize", "serving", "ResNet50", "--qps", "2", "--ttft-ms", "500", "--itl-ms", "50", "--hardware", "H100")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "MODEL: serving needs a transformer, but ResNet50 is not one (family cnn)") ||
		strings.Contains(r.stderr, "optimize serving:") {
		t.Errorf("want exit 1 naming MODEL\n%v", r)
	}
}

// TestServeOneOutputToken: a request of one generated token (the prefill's) has no time
// between tokens. serve --qps priced the decode step it never runs as its TPOT (7.01 ms for
// Llama3_8B on H100, batch 64, 1024-token prompts at 5 requests/s) and gave its user
// 1000/7.01 = 142.7 tokens/s, while the simulation beside it said "none" and serve-sim's
// columns count the user's one token after its TTFT. Now load_tpot_ms is 0, tokens/s per
// user is 1000 / load_ttft_ms, and the text says none.
func TestServeOneOutputToken(t *testing.T) {
	args := []string{"serve", "Llama3_8B", "H100", "-b", "64", "-s", "1024", "--qps", "5", "--output-tokens", "1"}
	r := mlsysim(t, append(args, "-o", "json")...)
	obj := oneObject(t, r.stdout)
	ttft, _ := obj["load_ttft_ms"].(float64)
	if r.code != exitOK || obj["feasible"] != true || obj["load_tpot_ms"] != 0.0 || ttft <= 0 {
		t.Fatalf("load_tpot_ms %v, load_ttft_ms %v, want 0 and > 0\n%v", obj["load_tpot_ms"], obj["load_ttft_ms"], r)
	}
	if u := obj["tokens_per_s_per_user"].(float64); math.Abs(u-1000/ttft) > 1e-9*u {
		t.Errorf("tokens_per_s_per_user %v, want 1000 / load_ttft_ms = %v", u, 1000/ttft)
	}
	text := mlsysim(t, args...)
	if !strings.Contains(text.stdout, "TPOT (loaded)     none: one generated token per request") {
		t.Errorf("text TPOT line:\n%v", text)
	}
}

// TestServeReplicaMemoryAddsUp: total_memory_gb is the whole replica's weights + KV cache, so
// it equals memory_utilization × an accelerator's capacity × the replica's accelerators. A
// cache tensor parallelism cannot split — DeepSeek-V3's latent cache, replicated on every
// rank as vLLM and SGLang hold it — was counted once: at tp 8 × pp 2, batch 32, 2048 tokens,
// kv_cache_gb said 2.30 GB (61 layers · 576 · 1 byte · 65,536 tokens) and total_memory_gb
// 674, while the accelerators held 16 · (671.9/16 + 2.30/2) = 690.3 GB. A grouped-query
// cache split over its 8 heads (Llama-3.1-70B at tp 4 × pp 2) adds up either way.
func TestServeReplicaMemoryAddsUp(t *testing.T) {
	const h100GB = 80 * (1 << 30) / 1e9 // 85.899 GB
	for _, args := range [][]string{
		{"DeepSeek_V3", "H100", "-p", "fp8", "--tp", "8", "--pp", "2", "-b", "32"},
		{"Llama3_70B", "H100", "-p", "fp8", "--tp", "4", "--pp", "2", "-b", "32"},
		{"Llama3_8B", "H100", "--tp", "8", "-b", "64", "--kv-precision", "fp8"},
	} {
		r := mlsysim(t, append(append([]string{"serve"}, args...), "-o", "json")...)
		o := oneObject(t, r.stdout)
		total, util, acc := o["total_memory_gb"].(float64), o["memory_utilization"].(float64), o["accelerators"].(float64)
		if held := util * h100GB * acc; math.Abs(total-held) > 1e-6*held {
			t.Errorf("%v: total_memory_gb %.3f, but %.0f accelerators at %.4f of %.3f GB hold %.3f", args, total, acc, util, h100GB, held)
		}
		if w := o["weights_gb"].(float64); math.Abs(total-w-o["kv_cache_gb"].(float64)) > 1e-9*total {
			t.Errorf("%v: total_memory_gb %.3f is not weights %.3f + KV %.3f", args, total, w, o["kv_cache_gb"])
		}
	}
}

// TestOptimizeServingModelFile: optimize serving takes a model file as MODEL, as eval and
// serve do (it looked the path up as a catalog key: "unknown model …/config.json"), with the
// same answer as adding the file with --catalog and naming its key.
func TestOptimizeServingModelFile(t *testing.T) {
	cfg := fixture("Llama-3.1-8B/config.json")
	flags := []string{"--qps", "2", "--ttft-ms", "500", "--itl-ms", "50", "--hardware", "H100", "--precision", "fp8", "--max-batch", "64", "-o", "json"}
	direct := mlsysim(t, append([]string{"optimize", "serving", cfg}, flags...)...)
	viaCatalog := mlsysim(t, append([]string{"--catalog", cfg, "optimize", "serving", "Llama-3.1-8B"}, flags...)...)
	if direct.code != exitOK || direct.stdout != viaCatalog.stdout {
		t.Errorf("MODEL as a file:\n%v\nwith --catalog:\n%v", direct, viaCatalog)
	}
	if o := oneObject(t, direct.stdout); o["model"] != "Llama-3.1-8B" || o["feasible"] != true {
		t.Errorf("model %v, feasible %v", o["model"], o["feasible"])
	}
}

// TestServeHFDeepSeekAsCatalog: DeepSeek-V3's config.json is served as the catalog's
// DeepSeek_V3 is. The import took intermediate_size (18432, the three dense layers' width)
// as every expert's width (2048): at tp 8 × pp 2, batch 64, 4096 tokens, fp8 on H200 it
// priced 85.6 ms a token against the catalog entry's 20.7 (and a 2× TTFT), exit 0. The
// counts differ only by the import's exact 37.55B active parameters against the catalog's
// rounded 37B, so the times agree within 3 %.
func TestServeHFDeepSeekAsCatalog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "DeepSeek-V3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"model_type": "deepseek_v3", "first_k_dense_replace": 3, "hidden_size": 7168, "intermediate_size": 18432,
		"kv_lora_rank": 512, "max_position_embeddings": 163840, "moe_intermediate_size": 2048, "moe_layer_freq": 1,
		"n_routed_experts": 256, "n_shared_experts": 1, "num_attention_heads": 128, "num_experts_per_tok": 8,
		"num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1, "q_lora_rank": 1536,
		"qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": false, "v_head_dim": 128, "vocab_size": 129280}`
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	layout := []string{"H200", "-p", "fp8", "--tp", "8", "--pp", "2", "-b", "64", "-s", "4096", "-o", "json"}
	hf := oneObject(t, mlsysim(t, append([]string{"serve", path}, layout...)...).stdout)
	cat := oneObject(t, mlsysim(t, append([]string{"serve", "DeepSeek_V3"}, layout...)...).stdout)
	for _, k := range []string{"ttft_ms", "itl_ms"} {
		a, b := hf[k].(float64), cat[k].(float64)
		if math.Abs(a/b-1) > 0.03 {
			t.Errorf("%s: config.json %.2f, catalog DeepSeek_V3 %.2f", k, a, b)
		}
	}
}

// TestServePackagedSystem: a user hardware entry may be a packaged system of
// accelerator_count accelerators (docs/CATALOG.md); serve runs it as one device but its
// per-accelerator columns count its accelerators. An 8-GPU box (640 GiB, 26.8 TB/s, 5.6 kW,
// $240,000) serving Llama3_70B at batch 64 reported "accelerators": 1 and all of its 6,704
// tokens/s and 2,680 W for one accelerator. Now 8 accelerators of 838 tokens/s and 335 W,
// and the same cost per million tokens (price and draw shared among them).
func TestServePackagedSystem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rack.yaml")
	rack := `key: MyRack
name: My 8-GPU box
release_year: 2024
peak: 7912 TFLOP/s
accelerator_count: 8
memory: {capacity: 640 GiB, bandwidth: 26.8 TB/s}
tdp: 5600 W
unit_cost: 240000 USD
source: {kind: estimate, ref: "a test's system"}
`
	if err := os.WriteFile(path, []byte(rack), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "--catalog", path, "serve", "Llama3_70B", "MyRack", "-b", "64", "-o", "json")
	o := oneObject(t, r.stdout)
	acc, tps, per := o["accelerators"].(float64), o["tokens_per_sec"].(float64), o["tokens_per_s_per_accelerator"].(float64)
	if r.code != exitOK || acc != 8 || math.Abs(per*8-tps) > 1e-9*tps {
		t.Errorf("accelerators %v, %v tokens/s per accelerator of %v; want 8 sharing them\n%v", acc, per, tps, r)
	}
	if j, p := o["joules_per_token"].(float64), o["power_w"].(float64); math.Abs(j-p*acc/tps) > 1e-9*j || p > 5600.0/8 {
		t.Errorf("power_w %v (want at most 700 W an accelerator), joules_per_token %v", p, j)
	}
	text := mlsysim(t, "--catalog", path, "serve", "Llama3_70B", "MyRack", "-b", "64")
	if !strings.Contains(text.stdout, "per MyRack, a packaged system of 8 accelerators") {
		t.Errorf("memory line:\n%v", text)
	}
}

// TestServeSeedEP: --ep changes nothing under the seed profile (no expert parallelism in its
// serving step: Mixtral_8x7B at tp 8 printed the same answer at ep 1, 2 and 8, exit 0), so it
// is refused there naming the flag, as --engine is; calibrated it is taken.
func TestServeSeedEP(t *testing.T) {
	r := mlsysim(t, "--profile", "seed", "serve", "Mixtral_8x7B", "H100", "--tp", "8", "--ep", "2")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "--ep: changes nothing under the seed profile") {
		t.Errorf("seed --ep 2: want exit 1 naming --ep\n%v", r)
	}
	if r := mlsysim(t, "serve", "Mixtral_8x7B", "H100", "--tp", "8", "--ep", "2"); r.code != exitOK {
		t.Errorf("calibrated --ep 2: %v", r)
	}
}

// TestOptimizeServingSeedEngine: under the seed profile optimize serving's header does not
// claim an engine's terms were charged (it printed "engine vllm"; --engine is refused there
// and serve says "the seed profile does not model engines"), and it says that its
// latencies are the seed's closed form, without a wait for a free batch slot (issue #10's
// simcons round: TestOptimizeServingPicksHoldUnderSimulation's seed pick misses its TTFT
// target simulated).
func TestOptimizeServingSeedEngine(t *testing.T) {
	r := mlsysim(t, "--profile", "seed", "optimize", "serving", "Llama3_8B", "--qps", "4", "--ttft-ms", "1000", "--itl-ms", "50", "--hardware", "H100", "--max-batch", "64")
	if r.code != exitOK || !strings.Contains(r.stdout, "engine vllm (the seed profile does not model engines)") {
		t.Errorf("header:\n%v", r)
	}
	if !strings.Contains(r.stdout, "\nLatencies: "+seedLatencyBasis+"\n") {
		t.Errorf("the seed's header does not say its latencies are its closed form without a slot wait:\n%s", r.stdout)
	}
}

// TestServeStatesKVFormat: serve says which format its KV cache is in and why. Under the
// default --kv-precision auto an int4 model's calibrated cache is 16-bit, as the engines
// keep it (0.27 GB for Llama3_8B at 2048 tokens; it was int4, 0.07 GB, under the old
// default same), and the seed's stays the weights' int4; --kv-precision same asks for it.
// Under FP8 weights the cache is the checkpoint's KV scheme, taken as FP8, and the line
// says so and names the engine.
func TestServeStatesKVFormat(t *testing.T) {
	for _, c := range []struct {
		args       []string
		json, text string
	}{
		{[]string{"-p", "int4"}, "fp16", "0.27 GB in fp16 (vllm's default for these weights, the model's 16-bit dtype: their checkpoints name no KV scheme: --kv-precision auto)"},
		{[]string{"-p", "int8"}, "fp16", "0.27 GB in fp16 (vllm's default for these weights, the model's 16-bit dtype"},
		// FP8 weights: every engine's auto keeps the checkpoint's KV scheme, taken as FP8:
		// 2 × 32 × 8 × 128 × 2048 = 134,217,728 elements of 1 byte = 0.13 GB.
		{[]string{"-p", "fp8"}, "fp8", "0.13 GB in fp8 (vllm's default, the checkpoint's KV scheme, taken as FP8 for FP8 weights; --kv-precision bf16 for a checkpoint that names none: --kv-precision auto)"},
		{[]string{"-p", "fp8", "--engine", "trtllm"}, "fp8", "0.13 GB in fp8 (trtllm's default, the checkpoint's KV scheme"},
		{[]string{"-p", "fp8", "--engine", "sglang"}, "fp8", "0.13 GB in fp8 (sglang's default, the checkpoint's KV scheme"},
		{[]string{"-p", "fp8", "--profile", "seed"}, "fp8", "in fp8 (the weights' format: --kv-precision auto under the seed profile)"},
		{[]string{"-p", "fp8", "--kv-precision", "bf16"}, "bf16", "0.27 GB in bf16\n"},
		{[]string{"-p", "int4", "--kv-precision", "same"}, "int4", "0.07 GB in int4 (the weights' format: --kv-precision same)"},
		{[]string{"-p", "int4", "--profile", "seed"}, "int4", "0.07 GB in int4 (the weights' format: --kv-precision auto under the seed profile)"},
		{[]string{"-p", "int4", "--kv-precision", "fp16"}, "fp16", "GB in fp16\n"},
		{nil, "fp16", "GB in fp16 (vllm's default, the model's dtype: --kv-precision auto)"},
	} {
		args := append([]string{"serve", "Llama3_8B", "H100"}, c.args...)
		o := oneObject(t, mlsysim(t, append(args, "-o", "json")...).stdout)
		text := mlsysim(t, args...)
		if o["kv_precision"] != c.json || !strings.Contains(text.stdout, c.text) {
			t.Errorf("%v: kv_precision %v, want %s; text lacks %q\n%v", c.args, o["kv_precision"], c.json, c.text, text)
		}
	}
}

// TestSmallFixed: serve's per-accelerator line keeps small values readable instead of
// rounding them to zero beside a nonzero energy per token.
func TestSmallFixed(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    int
		want string
	}{{0.3, 0, "0.3"}, {283.7, 0, "284"}, {0.0155, 1, "0.0155"}, {1587.94, 1, "1587.9"}, {0, 0, "0"}, {0.5, 0, "0.5"}, {0.04, 1, "0.04"}} {
		if got := smallFixed(c.v, c.d); got != c.want {
			t.Errorf("smallFixed(%v, %d) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
}

// TestServePoolsJudgedBySimulation: with disaggregated pools under --qps the pools are the
// deployment asked about. 4 prefill instances (tp 1) and 1 decode instance (tp 2) of MI300X
// keep up with 20 requests/s of Llama3_70B (simulated capacity 21.7/s) that one colocated
// tp 2 replica cannot (2 accelerators, overloaded): serve said "Feasible no (overloaded)" and
// exited 2 with --strict. Now the Feasible line gives the pools' verdict beside the replica's
// overload, and --strict follows the simulation (at 30/s the pools are overloaded too: exit 2).
func TestServePoolsJudgedBySimulation(t *testing.T) {
	base := []string{"serve", "Llama3_70B", "MI300X", "-p", "fp8", "--kv-precision", "fp8", "--tp", "2", "-b", "257", "-s", "1024",
		"--output-tokens", "256", "--prefill-instances", "4", "--prefill-tp", "1", "--decode-instances", "1", "--strict"}
	for _, c := range []struct {
		qps  string
		code int
		want string
	}{
		{"20", exitOK, "Feasible          yes, as the disaggregated pools simulated below (one colocated replica of 2 accelerators alone is overloaded)"},
		{"30", exitPhysics, "Feasible          no (one colocated replica of 2 accelerators is overloaded; the disaggregated pools: overloaded)"},
	} {
		r := mlsysim(t, append(base, "--qps", c.qps)...)
		if r.code != c.code || !strings.Contains(r.stdout, c.want) {
			t.Errorf("qps %s: exit %d, want %d and %q\n%v", c.qps, r.code, c.code, c.want, r)
		}
	}
	// The cost is the pools' at the rate (serve-sim's and optimize serving's $0.23 for this
	// deployment), not the colocated replica's fixed batch ($0.069).
	r := mlsysim(t, append(base[:len(base)-1], "--qps", "20")...)
	for _, w := range []string{"(the pools' 6 accelerators at 20 requests/s)", "Cost              $0.23 per million tokens", "(the pools)"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("pools' economics: output lacks %q\n%v", w, r)
		}
	}
	j := oneObject(t, mlsysim(t, append(base[:len(base)-1], "--qps", "20", "-o", "json")...).stdout)
	if u, ok := j["sim_usd_per_million_tokens"].(float64); !ok || math.Abs(u-0.2298) > 0.001 {
		t.Errorf("sim_usd_per_million_tokens %v, want the pools' 0.2298", j["sim_usd_per_million_tokens"])
	}
	// Colocated (no pools) the replica's own overload still decides.
	if r := mlsysim(t, "serve", "Llama3_70B", "MI300X", "-p", "fp8", "--tp", "2", "-b", "257", "-s", "1024", "--qps", "20", "--strict"); r.code != exitPhysics {
		t.Errorf("colocated at 20/s: exit %d, want 2\n%v", r.code, r)
	}
}
