package sweep

import (
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestKVFormat: "same" resolves to the weights' precision by name (KVFormat) and by code
// (kvPrecision, which the serving gather prices the cache's bytes with), and every other
// kv_precision value is its own format, in the parameter's Enum order.
func TestKVFormat(t *testing.T) {
	if got := KVFormat(KVSame, "int4"); got != "int4" {
		t.Errorf("KVFormat(same, int4) = %q, want int4", got)
	}
	if got := KVFormat("fp16", "int4"); got != "fp16" {
		t.Errorf("KVFormat(fp16, int4) = %q, want fp16", got)
	}
	if kvPrecisionParam.Enum[0] != KVSame {
		t.Fatalf("kv_precision's code 0 is %q, want %q", kvPrecisionParam.Enum[0], KVSame)
	}
	for w, weights := range kernel.Precisions {
		for code, kv := range kvPrecisionParam.Enum {
			got := kvPrecision(float64(code), float64(w))
			if want := KVFormat(kv, weights.String()); got.String() != want {
				t.Errorf("kvPrecision(%s, %s) = %s, KVFormat says %s", kv, weights, got, want)
			}
		}
	}
	if b := kvPrecision(0, float64(kernel.INT4)).Bytes(); b != 0.5 {
		t.Errorf("a cache the same as int4 weights: %v bytes an element, want 0.5", b)
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
