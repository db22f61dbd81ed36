package catalog

import (
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
	for _, typ := range []string{"llama", "mistral", "mixtral", "qwen2", "qwen3", "deepseek_v2", "deepseek_v3", ""} {
		cfg := `{"model_type": "` + typ + `", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
			"num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256}`
		if m, err := ModelFromHFJSON("x/config.json", []byte(cfg)); err != nil || m.Parameters != 8030261248 {
			t.Errorf("%q: %v, %v (want Llama-3.1-8B's 8,030,261,248)", typ, m, err)
		}
	}
}
