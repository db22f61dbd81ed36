package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestKVFormat: "same" resolves to the weights' precision and "auto" to the engine's
// default (calibrated: a 16-bit cache under int8, int4 and fp4 weights, and under fp8
// weights for an engine whose auto is the model's dtype (checkpoint false), the weights' own
// otherwise; seed: the weights' own), by name (KVFormat) and by code (kvPrecision, which
// the serving gather prices the cache's bytes with), and every other kv_precision value
// is its own format, in the parameter's Enum order.
func TestKVFormat(t *testing.T) {
	for _, c := range []struct {
		kv, weights string
		calibrated  bool
		checkpoint  bool
		want        string
	}{
		{KVSame, "int4", true, true, "int4"}, {KVSame, "int4", false, false, "int4"},
		{KVAuto, "int4", true, true, "fp16"}, {KVAuto, "int8", true, true, "fp16"}, {KVAuto, "fp4", true, true, "fp16"},
		{KVAuto, "int4", true, false, "fp16"},
		{KVAuto, "fp8", true, true, "fp8"}, {KVAuto, "fp8", true, false, "fp16"}, {KVAuto, "fp8", false, false, "fp8"},
		{KVSame, "fp8", true, false, "fp8"},
		{KVAuto, "bf16", true, false, "bf16"}, {KVAuto, "fp32", true, true, "fp32"},
		{KVAuto, "int4", false, true, "int4"}, {KVAuto, "int8", false, false, "int8"},
		{"fp16", "int4", true, true, "fp16"}, {"fp8", "int4", false, false, "fp8"}, {"fp8", "fp8", true, false, "fp8"},
	} {
		if got := KVFormat(c.kv, c.weights, c.calibrated, c.checkpoint); got != c.want {
			t.Errorf("KVFormat(%s, %s, calibrated %v, checkpoint %v) = %q, want %q", c.kv, c.weights, c.calibrated, c.checkpoint, got, c.want)
		}
	}
	if kvPrecisionParam.Enum[0] != KVAuto || kvPrecisionParam.Enum[1] != KVSame || kvPrecisionParam.Default != KVAuto {
		t.Fatalf("kv_precision's codes 0 and 1 are %q and %q (default %q), want auto and same (default auto)", kvPrecisionParam.Enum[0], kvPrecisionParam.Enum[1], kvPrecisionParam.Default)
	}
	for _, calibrated := range []bool{false, true} {
		for _, ckpt := range []bool{false, true} {
			for w, weights := range kernel.Precisions {
				for code, kv := range kvPrecisionParam.Enum {
					got := kvPrecision(float64(code), float64(w), calibrated, ckpt)
					if want := KVFormat(kv, weights.String(), calibrated, ckpt); got.String() != want {
						t.Errorf("kvPrecision(%s, %s, %v, %v) = %s, KVFormat says %s", kv, weights, calibrated, ckpt, got, want)
					}
				}
			}
		}
	}
	if b := kvPrecision(1, float64(kernel.INT4), true, true).Bytes(); b != 0.5 {
		t.Errorf("a cache the same as int4 weights: %v bytes an element, want 0.5", b)
	}
}

// TestKVAutoUnderInt4: Llama 3 8B (32 layers, 8 KV heads of 128) at batch 8 and 4096
// tokens holds 2 × 32 × 8 × 128 = 65,536 K and V elements a token, 2,147,483,648 for the
// batch: under int4 weights and the default kv_precision auto the calibrated cache is
// 16-bit, 2 bytes an element = 4.294967296 GB (what vLLM's kv_cache_dtype auto keeps for
// an AWQ/GPTQ checkpoint), and kv_format says fp16; the seed keeps the weights' int4,
// 0.5 bytes = 1.073741824 GB, as before. Before, the calibrated point stored an int4
// cache, a quarter of what the engines hold, and the output called it "same".
func TestKVAutoUnderInt4(t *testing.T) {
	src := func(profile, kv string) string {
		return "version: 1\nstudy: serve\nprofile: " + profile + "\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n" +
			"  precision: [int4]\n  batch_size: 8\n  seq_len: 4096\n" + kv
	}
	for _, c := range []struct {
		profile, kv, format string
		gb                  float64
	}{
		{"calibrated", "", "fp16", 4.294967296},
		{"calibrated", "  kv_precision: [same]\n", "int4", 1.073741824},
		{"seed", "", "int4", 1.073741824},
	} {
		row := evalOne(t, src(c.profile, c.kv))
		if row["kv_format"] != c.format || row["kv_cache_gb"] != c.gb {
			t.Errorf("%s %q: kv_format %v, kv_cache_gb %v; want %s, %v", c.profile, c.kv, row["kv_format"], row["kv_cache_gb"], c.format, c.gb)
		}
	}
}

// TestFP8AttentionFollowsKVCache: TensorRT-LLM runs the attention core at 8 bits (FP8
// context FMHA) with FP8 weights only over an FP8 KV cache (TrtllmAttention.forward asks
// for FP8 attention output only with has_fp8_kv_cache; docs/PHYSICS.md §33). Llama 3 70B in
// FP8 at tp 2 on an H100, a 5000-token prompt: over a 16-bit cache the trtllm point must
// time exactly as the same engine without fp8_attention (a clone of the catalog with it
// off), and over an FP8 cache faster than that. The gap is the causal attention's
// 16.4 TFLOP per accelerator at the 16-bit attention rate instead of the FP8 matmul rate,
// 47 − 12 ≈ 35 ms (the worked numbers of PHYSICS §33), so it must exceed 25 ms.
func TestFP8AttentionFollowsKVCache(t *testing.T) {
	cat := testCatalog().Clone()
	off := cat.Clone()
	for i, e := range off.Engines {
		if e.Key == "trtllm" {
			c := *e
			c.FP8Attention = false
			off.Engines[i] = &c
		}
	}
	src := func(kv string) string {
		return "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n" +
			"  precision: [fp8]\n  kv_precision: [" + kv + "]\n  tp: 2\n  batch_size: 1\n  seq_len: 5000\n  engine: trtllm\n"
	}
	ttft := func(c *catalog.Catalog, kv string) float64 { return evalOneIn(t, c, src(kv))["ttft_ms"].(float64) }
	if on, without := ttft(cat, "fp16"), ttft(off, "fp16"); on != without {
		t.Errorf("FP8 weights over a 16-bit cache: TTFT %v ms with trtllm's fp8_attention, %v without: the attention core must stay 16-bit", on, without)
	}
	for _, kv := range []string{"fp8", "same"} {
		on, without := ttft(cat, kv), ttft(off, kv)
		if gap := without - on; !(gap > 25) {
			t.Errorf("kv_precision %s (an FP8 cache): FP8 attention saves %v ms of prefill, want ≈ 35 ms", kv, gap)
		}
	}
}

// TestKVAutoUnderFP8ByEngine: Llama 3 8B at batch 8 and 4096 tokens holds 2,147,483,648 K
// and V elements (as TestKVAutoUnderInt4). Under fp8 weights and kv_precision auto the
// calibrated cache is the engine's default, the checkpoint's KV scheme, which the point
// takes as FP8: vLLM, SGLang and TensorRT-LLM each keep a scheme the checkpoint names
// (engines.yaml, kv_cache_auto: checkpoint), 1 byte an element = 2.147483648 GB in fp8.
// An engine whose auto were the model's dtype whatever the checkpoint says (a clone of
// the catalog's vllm with KVAutoCheckpoint off; none such is in the catalog) keeps 2 bytes
// = 4.294967296 GB in fp16; the seed keeps the weights' fp8 under any engine.
func TestKVAutoUnderFP8ByEngine(t *testing.T) {
	cat := testCatalog().Clone()
	modelDtype := cat.Clone()
	for i, e := range modelDtype.Engines {
		if e.Key == "vllm" {
			c := *e
			c.KVAutoCheckpoint = false
			modelDtype.Engines[i] = &c
		}
	}
	for _, c := range []struct {
		profile, engine, format string
		cat                     *catalog.Catalog
		gb                      float64
	}{
		{"calibrated", "vllm", "fp8", cat, 2.147483648},
		{"calibrated", "sglang", "fp8", cat, 2.147483648},
		{"calibrated", "trtllm", "fp8", cat, 2.147483648},
		{"calibrated", "vllm", "fp16", modelDtype, 4.294967296},
		{"seed", "vllm", "fp8", modelDtype, 2.147483648},
	} {
		row := evalOneIn(t, c.cat, "version: 1\nstudy: serve\nprofile: "+c.profile+"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"+
			"  precision: [fp8]\n  batch_size: 8\n  seq_len: 4096\n  engine: ["+c.engine+"]\n")
		if row["kv_format"] != c.format || row["kv_cache_gb"] != c.gb {
			t.Errorf("%s %s (checkpoint %v): kv_format %v, kv_cache_gb %v; want %s, %v", c.profile, c.engine, c.cat == cat, row["kv_format"], row["kv_cache_gb"], c.format, c.gb)
		}
	}
}

// TestKVBytesEveryFormat: the cache's bytes for each stated kv_precision, by hand. Llama 3
// 8B (config.json: 32 layers, 8 KV heads of head_dim 128) holds 2 × 32 × 8 × 128 = 65,536
// K and V elements a token; at batch 8 and 4096 tokens 65,536 × 32,768 = 2,147,483,648
// elements. At 4 bytes (fp32, tf32) that is 8.589934592 GB, at 2 (fp16, bf16)
// 4.294967296 GB, at 1 (fp8, int8) 2.147483648 GB and at 0.5 (int4, fp4) 1.073741824 GB,
// whatever the weights (bf16 here) and in both profiles; kv_format names the one stated.
func TestKVBytesEveryFormat(t *testing.T) {
	const elements = 2 * 32 * 8 * 128 * 8 * 4096
	for _, c := range []struct {
		kv    string
		bytes float64
	}{
		{"fp32", 4}, {"tf32", 4}, {"fp16", 2}, {"bf16", 2}, {"fp8", 1}, {"int8", 1}, {"int4", 0.5}, {"fp4", 0.5},
	} {
		for _, profile := range []string{"calibrated", "seed"} {
			row := evalOne(t, "version: 1\nstudy: serve\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"+
				"  precision: [bf16]\n  kv_precision: ["+c.kv+"]\n  batch_size: 8\n  seq_len: 4096\n")
			want := elements * c.bytes / 1e9
			if row["kv_format"] != c.kv || math.Abs(row["kv_cache_gb"].(float64)-want) > 1e-9 {
				t.Errorf("%s kv_precision %s: kv_format %v, kv_cache_gb %v; want %s, %v", profile, c.kv, row["kv_format"], row["kv_cache_gb"], c.kv, want)
			}
		}
	}
}
