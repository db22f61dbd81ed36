package validation

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// trtllmBenchSettings is trtllm-bench's own max_batch_size and max_num_tokens for a
// throughput run that passes neither (the TensorRT-LLM performance overview's command):
// calc_engine_setting and finetune_setting (tensorrt_llm/bench/build/tuning.py, read at
// 04cba88) count the requests of ISL + OSL tokens whose KV cache (kvBytes an element, the
// checkpoint's KV algorithm: 1 for FP8, 2 for none) fits 0.90 (the tool's default
// kv_cache_free_gpu_mem_fraction) of what the FP8 parameters leave on tp GPUs of gib each,
// cap them at 4096 and round them up; get_settings (tensorrt_llm/bench/benchmark/utils/
// general.py, read at 0171265) raises max_num_tokens to ISL + max_batch_size, chunked
// context being off.
func trtllmBenchSettings(gib, params, layers, kvHeads, headDim, tp, kvBytes, isl, osl float64) (bs, tokens float64) {
	const gb = 1 << 30
	perToken := 2 * layers * math.Max(tp, kvHeads) * headDim * kvBytes / gb
	requests := (gib*tp - params/gb) * 0.90 / (perToken * (isl + osl))
	rawBS := math.Min(requests, 4096)
	rawTok := math.Min(rawBS*(1+isl/osl), 32768)
	switch {
	case rawBS < 256:
		bs = math.Max(64, 32*math.Ceil(rawBS/32))
	case rawBS < 1024:
		bs = 128 * math.Ceil(rawBS/128)
	default:
		bs = 256 * math.Ceil(rawBS/256)
	}
	switch {
	case rawTok < 4096:
		tokens = math.Max(2048, 256*math.Ceil(rawTok/256))
	case rawTok < 8192:
		tokens = 512 * math.Ceil(rawTok/512)
	default:
		tokens = 1024 * math.Ceil(rawTok/1024)
	}
	return bs, math.Max(tokens, isl+bs)
}

// TestTRTLLMBenchSettingsByHand: the Llama 3.1 405B at tp 8 on H100s (79.65 GiB each, the
// nvml total) with 128 + 4096 tokens. A 16-bit cache: 2 · 126 layers · 8 KV heads · 128 ·
// 2 bytes is 516,096 bytes a token, 2.030 GiB a request of 4224; the FP8 parameters,
// 405.85e9 bytes, are 377.98 GiB of the 637.2, so 0.9 · 259.22 / 2.030 = 114.9 requests →
// 128 (32 · ⌈114.9/32⌉), and max_num_tokens max(2048, 128 + 128) = 2048. An FP8 cache fits
// twice as many, 229.8 → 256.
func TestTRTLLMBenchSettingsByHand(t *testing.T) {
	for _, c := range []struct{ kvBytes, bs, tokens float64 }{{2, 128, 2048}, {1, 256, 2048}} {
		bs, tok := trtllmBenchSettings(79.65, 405.85e9, 126, 8, 128, 8, c.kvBytes, 128, 4096)
		if bs != c.bs || tok != c.tokens {
			t.Errorf("%v-byte cache: max_batch_size %v, max_num_tokens %v; want %v, %v", c.kvBytes, bs, tok, c.bs, c.tokens)
		}
	}
}

// TestPerfOverviewCasesUseTRTLLMBenchSettings holds the TensorRT-LLM performance-overview
// cases (decode_throughput-trtllm-llama3*) to the settings trtllm-bench derives from their own
// study point: a case whose KV precision changes (the checkpoint's cache, docs/PHYSICS.md §33)
// must carry the max_batch_size and max_num_tokens that cache gives, not the old ones.
func TestPerfOverviewCasesUseTRTLLMBenchSettings(t *testing.T) {
	cases, err := LoadCases("../testdata/validation")
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoints' shapes (their config.json: num_hidden_layers, num_key_value_heads,
	// hidden_size / num_attention_heads) and the parameter counts the cases state.
	models := map[string]struct{ params, layers float64 }{
		"Llama3_8B": {8.03e9, 32}, "Llama3_70B": {70.55e9, 80}, "Llama3_405B": {405.85e9, 126},
	}
	gib := map[string]float64{"H100": 79.65, "H200": 140.40} // nvml totals the cases state
	n := 0
	for _, c := range cases {
		if !strings.HasPrefix(c.ID, "decode_throughput-trtllm-llama3") || c.Study == nil {
			continue
		}
		n++
		p := c.Study.Params
		num := func(k string) float64 {
			switch v := p[k].(type) {
			case int:
				return float64(v)
			case float64:
				return v
			}
			t.Fatalf("%s: study param %s is %v, want a number", c.ID, k, p[k])
			return 0
		}
		m, ok := models[fmt.Sprint(p["model"])]
		g, okHW := gib[fmt.Sprint(p["hardware"])]
		if !ok || !okHW {
			t.Fatalf("%s: model %v on %v is not a perf-overview layout", c.ID, p["model"], p["hardware"])
		}
		tp := 1.0
		if _, set := p["tp"]; set {
			tp = num("tp")
		}
		kvBytes := 1.0 // the weights' FP8 (kv_precision unset: same)
		switch kv := fmt.Sprint(p["kv_precision"]); kv {
		case "<nil>", "same", "fp8":
		case "bf16", "fp16":
			kvBytes = 2
		default:
			t.Fatalf("%s: kv_precision %s", c.ID, kv)
		}
		isl, seq := num("input_tokens"), num("seq_len")
		bs, tok := trtllmBenchSettings(g, m.params, m.layers, 8, 128, tp, kvBytes, isl, seq-isl)
		if num("max_batch_size") != bs || num("max_num_tokens") != tok {
			t.Errorf("%s: max_batch_size %v, max_num_tokens %v; trtllm-bench gives %v, %v for a %v-byte cache",
				c.ID, num("max_batch_size"), num("max_num_tokens"), bs, tok, kvBytes)
		}
	}
	if n != 60 {
		t.Errorf("%d performance-overview cases, want the 60 of issue #10's seventh round", n)
	}
}
