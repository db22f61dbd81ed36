package catalog

import (
	"math"
	"strings"
	"testing"
)

// TestHFConfigArchitectures: the parameter count assumes a gated (SwiGLU/GeGLU) MLP of three
// matrices, Mixtral/DeepSeek expert keys and Llama's untied head. A config.json of another
// architecture was priced with that formula and exit 0:
//   - Pythia-6.9B (model_type gpt_neox: a plain GELU MLP of two matrices, h 4096, I 16384,
//     32 layers, vocab 50432): counted 3·h·I per layer, +2.1e9 parameters on a 6.9e9 model;
//   - Qwen1.5-MoE-A2.7B (qwen2_moe: its experts are num_experts, a key the parser does not
//     read) came out a dense model of intermediate_size 5632;
//   - Gemma 2B (model_type gemma) leaves tie_word_embeddings out of its config.json, and
//     transformers' GemmaConfig defaults it to True (LlamaConfig to False): the 256000 × 2048
//     embedding was counted twice. Hand count, tied: embed 256000·2048 = 524,288,000; per
//     layer attention 2048·(8·256)·2 + 2048·(1·256)·2 = 9,437,184, MLP 3·2048·16384 =
//     100,663,296, norms 2·2048 = 4,096 (110,104,576 a layer); × 18 layers = 1,981,882,368; + final norm 2,048 =
//     2,506,172,416 (Google reports "2B": 2.51e9 parameters in the Gemma report's Table 1
//     counts 0.524e9 embedding + 1.98e9 non-embedding).
func TestHFConfigArchitectures(t *testing.T) {
	const gemma = `{"model_type": "gemma", "head_dim": 256, "hidden_size": 2048, "intermediate_size": 16384,
		"num_attention_heads": 8, "num_hidden_layers": 18, "num_key_value_heads": 1, "vocab_size": 256000}`
	m, err := ModelFromHFJSON("gemma-2b/config.json", []byte(gemma))
	if err != nil {
		t.Fatal(err)
	}
	if m.Parameters != 2506172416 {
		t.Errorf("Gemma 2B: %.0f parameters, want 2,506,172,416 (embedding tied by default)", m.Parameters)
	}
	// A stated tie_word_embeddings still wins.
	untied := strings.Replace(gemma, `"model_type": "gemma",`, `"model_type": "gemma", "tie_word_embeddings": false,`, 1)
	if m, err := ModelFromHFJSON("gemma-2b/config.json", []byte(untied)); err != nil || m.Parameters != 2506172416+524288000 {
		t.Errorf("Gemma 2B untied: %v, %v", m, err)
	}
	for _, tc := range []struct{ typ, want string }{
		{"gpt_neox", `model_type "gpt_neox" is not supported`},
		{"qwen2_moe", `model_type "qwen2_moe" is not supported (did you mean qwen2`},
		{"lama", `(did you mean llama`},
	} {
		cfg := `{"model_type": "` + tc.typ + `", "hidden_size": 4096, "intermediate_size": 16384, "num_attention_heads": 32,
			"num_hidden_layers": 32, "vocab_size": 50432}`
		_, err := ModelFromHFJSON("x/config.json", []byte(cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x/config.json") {
			t.Errorf("%s: error %v, want %q", tc.typ, err, tc.want)
		}
	}
	// Every supported type reads as before (Llama's count: TestModelFromHFConfig).
	// (deepseek_v2/v3 need their latent attention's shape: TestHFConfigMLA.)
	for _, typ := range []string{"llama", "mistral", "mixtral", "qwen2", "qwen3", ""} {
		cfg := `{"model_type": "` + typ + `", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
			"num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256}`
		if m, err := ModelFromHFJSON("x/config.json", []byte(cfg)); err != nil || m.Parameters != 8030261248 {
			t.Errorf("%q: %v, %v (want Llama-3.1-8B's 8,030,261,248)", typ, m, err)
		}
	}
}

// TestHFConfigMLA: DeepSeek-V2/V3 attention is multi-head latent attention, whose weights are
// not four hidden × heads·(hidden/heads) projections. The count took them for Q/K/V/O of
// hidden_size / heads wide heads and exit 0: DeepSeek-V2 came out 233.0B total and 18.7B
// active (published 236B and 21B), V3 672.2B and 38.7B. Hand counts, as transformers'
// DeepseekV3Attention / DeepseekV3MoE hold the weights (the MTP module is not loaded, and
// V3's e_score_correction_bias is a buffer, not a parameter):
//
// DeepSeek-V3 (h 7168, 128 heads, q_lora 1536, kv_lora 512, nope 128, rope 64, v 128,
// 61 layers, 3 dense of 18432, 256 routed experts of 2048 + 1 shared, top-8, vocab 129280):
//
//	attention  q_a 7168·1536 = 11,010,048 + norm 1,536 + q_b 1536·128·192 = 37,748,736
//	           + kv_a 7168·576 = 4,128,768 + norm 512 + kv_b 512·128·256 = 16,777,216
//	           + o 128·128·7168 = 117,440,512                                = 187,107,328
//	per layer  + 2 norms 14,336 = 187,121,664; × 61                          = 11,414,421,504
//	dense MLP  3·7168·18432 = 396,361,728; × 3                              = 1,189,085,184
//	MoE layer  expert 3·7168·2048 = 44,040,192; 257 of them + router 256·7168 = 1,835,008
//	           = 11,320,164,352; × 58                                        = 656,569,532,416
//	embedding and head 2·129280·7168 = 1,853,358,080; final norm 7,168
//	total 671,026,404,352 (DeepSeek-V3 report, arXiv:2412.19437, abstract: 671B);
//	active: MoE 58·(9·44,040,192 + 1,835,008) = 23,095,410,688, total 37,552,282,624 (37B).
//
// DeepSeek-V2 (h 5120, 128 heads, same MLA ranks, 60 layers, 1 dense of 12288, 160 routed
// of 1536 + 2 shared, top-6, vocab 102400):
//
//	attention  5120·1536 + 1536 + 37,748,736 + 5120·576 + 512 + 16,777,216 + 128·128·5120
//	           = 149,227,520; per layer + 10,240 = 149,237,760; × 60      = 8,954,265,600
//	dense      3·5120·12288                                               = 188,743,680
//	MoE layer  expert 23,592,960; 162 of them + router 819,200 = 3,822,878,720; × 59 = 225,549,844,480
//	embedding and head 2·102400·5120 = 1,048,576,000; final norm 5,120
//	total 235,741,434,880 (DeepSeek-V2 report, arXiv:2405.04434, abstract: 236B);
//	active: 59·(8·23,592,960 + 819,200) = 11,184,209,920, total 21,375,800,320 (21B).
//
// DeepSeek-V2-Lite (h 2048, 16 heads, q_lora_rank null: q_proj 2048·16·192 = 6,291,456;
// kv_a 2048·576 = 1,179,648 + 512, kv_b 512·16·256 = 2,097,152, o 16·128·2048 = 4,194,304:
// 13,763,072 + norms 4,096, × 27 = 371,713,536; dense 3·2048·10944 = 67,239,936; MoE
// 64 + 2 experts of 3·2048·1408 = 8,650,752 + router 131,072 = 571,080,704, × 26 =
// 14,848,098,304; embedding and head 419,430,400; final norm 2,048): 15,706,484,224 (16B).
func TestHFConfigMLA(t *testing.T) {
	const v3 = `{"model_type": "deepseek_v3", "first_k_dense_replace": 3, "hidden_size": 7168, "intermediate_size": 18432,
		"kv_lora_rank": 512, "moe_intermediate_size": 2048, "moe_layer_freq": 1, "n_routed_experts": 256, "n_shared_experts": 1,
		"num_attention_heads": 128, "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 128,
		"q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": false,
		"v_head_dim": 128, "vocab_size": 129280, "n_group": 8, "topk_group": 4}`
	const v2 = `{"model_type": "deepseek_v2", "first_k_dense_replace": 1, "hidden_size": 5120, "intermediate_size": 12288,
		"kv_lora_rank": 512, "moe_intermediate_size": 1536, "moe_layer_freq": 1, "n_routed_experts": 160, "n_shared_experts": 2,
		"num_attention_heads": 128, "num_experts_per_tok": 6, "num_hidden_layers": 60, "num_key_value_heads": 128,
		"q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": false,
		"v_head_dim": 128, "vocab_size": 102400, "n_group": 8, "topk_group": 3}`
	const lite = `{"model_type": "deepseek_v2", "first_k_dense_replace": 1, "hidden_size": 2048, "intermediate_size": 10944,
		"kv_lora_rank": 512, "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2,
		"num_attention_heads": 16, "num_experts_per_tok": 6, "num_hidden_layers": 27, "num_key_value_heads": 16,
		"q_lora_rank": null, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 102400,
		"n_group": 1, "topk_group": 1}`
	for _, tc := range []struct {
		name, cfg      string
		total, active  float64
		published, pub float64 // the report's total and activated parameters, within 2 % and 5 % (0: not checked)
	}{
		{"DeepSeek-V3", v3, 671026404352, 37552282624, 671e9, 37e9},
		{"DeepSeek-V2", v2, 235741434880, 21375800320, 236e9, 21e9},
		// DeepSeek-V2 README: V2-Lite "16B" total, "2.4B" activated, the latter without the
		// input embedding (2,661,150,208 − 209,715,200 = 2.45B), so only the total is held to it.
		{"DeepSeek-V2-Lite", lite, 15706484224, 2661150208, 16e9, 0},
	} {
		m, err := ModelFromHFJSON(tc.name+"/config.json", []byte(tc.cfg))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Parameters != tc.total || m.ActiveParameters != tc.active || m.InferenceFLOPs != 2*tc.active {
			t.Errorf("%s: %.0f parameters, %.0f active, %.0f FLOP/token; want %.0f, %.0f, 2 × active", tc.name, m.Parameters, m.ActiveParameters, m.InferenceFLOPs, tc.total, tc.active)
		}
		if math.Abs(m.Parameters/tc.published-1) > 0.02 || tc.pub > 0 && math.Abs(m.ActiveParameters/tc.pub-1) > 0.05 {
			t.Errorf("%s: %.4g total, %.4g active, published %.4g and %.4g", tc.name, m.Parameters, m.ActiveParameters, tc.published, tc.pub)
		}
		// Group-limited routing as the configs state it (n_group, topk_group); V2-Lite's
		// single group is none.
		route := map[string][2]int{"DeepSeek-V3": {8, 4}, "DeepSeek-V2": {8, 3}}[tc.name]
		groups, top := route[0], route[1]
		if m.RoutingGroups != groups || m.RoutingGroupTopK != top {
			t.Errorf("%s: routing groups %d, top %d; want %d, %d", tc.name, m.RoutingGroups, m.RoutingGroupTopK, groups, top)
		}
		// The cache is the latent: kv_lora_rank + qk_rope_head_dim = 576 values a layer
		// (DeepSeek-V2 report §2.1.4, Table 1: (d_c + d_h^R)·l = 4.5 d_h·l).
		if m.KVLoraRank != 512 || m.QKRopeHeadDim != 64 {
			t.Errorf("%s: kv_lora_rank %d, qk_rope_head_dim %d, want 512 and 64", tc.name, m.KVLoraRank, m.QKRopeHeadDim)
		}
		// And the rest of its widths, which the serving pass prices MLA's matmuls with:
		// 128-wide non-rotary query/key and value heads, a 1536 query latent (none in
		// V2-Lite, q_lora_rank null).
		qLora := 1536
		if tc.name == "DeepSeek-V2-Lite" {
			qLora = 0
		}
		if m.QLoraRank != qLora || m.QKNopeHeadDim != 128 || m.VHeadDim != 128 {
			t.Errorf("%s: q_lora_rank %d, qk_nope_head_dim %d, v_head_dim %d, want %d, 128, 128", tc.name, m.QLoraRank, m.QKNopeHeadDim, m.VHeadDim, qLora)
		}
		// Dense layers of intermediate_size beside experts of moe_intermediate_size (and a
		// shared expert) are no one MLP width: left out, as the catalog's DeepSeek_V3 leaves it.
		if m.IntermediateDim != 0 {
			t.Errorf("%s: intermediate_dim %d, want 0 (mixed dense and expert widths)", tc.name, m.IntermediateDim)
		}
		// They are stated as the catalog's DeepSeek_V3 states them: first_k_dense_replace
		// dense layers of intermediate_size, experts of moe_intermediate_size, n_shared_experts.
		want := map[string][4]int{"DeepSeek-V3": {3, 18432, 2048, 1}, "DeepSeek-V2": {1, 12288, 1536, 2}, "DeepSeek-V2-Lite": {1, 10944, 1408, 2}}[tc.name]
		if got := [4]int{m.DenseLayers, m.DenseIntermediateDim, m.ExpertIntermediateDim, m.SharedExperts}; got != want {
			t.Errorf("%s: dense_layers, dense_intermediate_dim, expert_intermediate_dim, shared_experts %v, want %v", tc.name, got, want)
		}
	}
	// Refused, naming the file and what is missing or wrong.
	for _, tc := range []struct{ cfg, want string }{
		{strings.Replace(v3, `"qk_nope_head_dim": 128, `, ``, 1), "missing or not positive: qk_nope_head_dim"},
		{strings.Replace(v3, `"q_lora_rank": 1536, `, ``, 1), "q_lora_rank (null for queries at full rank)"},
		{strings.Replace(v3, `"q_lora_rank": 1536`, `"q_lora_rank": 0`, 1), "q_lora_rank 0"},
		{strings.Replace(v2, `"moe_layer_freq": 1`, `"moe_layer_freq": 2`, 1), "moe_layer_freq 2"},
		{`{"model_type": "deepseek_v3", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
			"num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256}`, "missing or not positive: kv_lora_rank, qk_rope_head_dim"},
		// transformers' LlamaConfig ignores kv_lora_rank: a latent cache would be wrong.
		{`{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "kv_lora_rank": 512,
			"qk_rope_head_dim": 64, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256}`, `kv_lora_rank 512: latent attention (MLA) is built by transformers for model_type deepseek_v2 and deepseek_v3 only`},
	} {
		_, err := ModelFromHFJSON("ds/config.json", []byte(tc.cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ds/config.json") {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
