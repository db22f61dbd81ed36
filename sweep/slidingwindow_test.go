package sweep

import (
	"fmt"
	"testing"
)

// TestSlidingWindowServing: two user models alike but for a 4,096-token window on every
// layer (Mistral 7B v0.1's shape: 32 layers, 8 KV heads of 128). In the calibrated profile
// every serving study sees the window at a 16,384-token context — serve's KV cache is a
// quarter of the full one: 2 (K, V) · 32 layers · 8 heads · 128 · 2 bytes = 131,072 B a
// token, 4096 tokens = 0.537 GB against 16384 tokens = 2.147 GB — and the seed profile,
// which counts every layer at full context, gives the two the same row.
func TestSlidingWindowServing(t *testing.T) {
	const user = `models:
  - {key: SWA7B, name: s, family: transformer, parameters: 7.24e9, layers: 32, hidden_dim: 4096, heads: 32, kv_heads: 8, intermediate_dim: 14336, vocab_size: 32000, sliding_window: 4096, sliding_window_layers: 32, source: {kind: estimate, ref: test}}
  - {key: Full7B, name: f, family: transformer, parameters: 7.24e9, layers: 32, hidden_dim: 4096, heads: 32, kv_heads: 8, intermediate_dim: 14336, vocab_size: 32000, source: {kind: estimate, ref: test}}
`
	cat := testCatalog().Clone()
	if _, err := cat.AddUserYAML("user.yaml", []byte(user)); err != nil {
		t.Fatal(err)
	}
	studies := map[string]string{
		"serve":          "  seq_len: [16384]\n  batch_size: [8]\n",
		"serve-sla":      "  seq_len: [16384]\n",
		"batching":       "  seq_len: [16384]\n  max_batch_size: [256]\n",
		"serve-capacity": "  seq_len: [16384]\n  qps: [1]\n  target_p99_ms: [60000]\n",
		"serve-deploy":   "  input_tokens: [16000]\n  output_tokens: [384]\n  qps: [2]\n",
	}
	for study, axes := range studies {
		for _, profile := range []string{"calibrated", "seed"} {
			row := func(model string) map[string]any {
				return evalOneIn(t, cat, fmt.Sprintf("version: 1\nstudy: %s\nprofile: %s\naxes:\n  model: [%s]\n  hardware: [H100]\n%s", study, profile, model, axes))
			}
			swa, full := row("SWA7B"), row("Full7B")
			var moved []string
			for k, v := range swa {
				if k != "model" && fmt.Sprint(v) != fmt.Sprint(full[k]) {
					moved = append(moved, k)
				}
			}
			switch {
			case profile == "seed" && len(moved) > 0:
				t.Errorf("%s/seed: the window changed %v", study, moved)
			case profile == "calibrated" && len(moved) == 0:
				t.Errorf("%s/calibrated: the window changed nothing", study)
			}
			if study == "serve" {
				want := map[string]float64{"calibrated": 8 * 131072 * 4096 / 1e9, "seed": 8 * 131072 * 16384 / 1e9}[profile]
				if got := swa["kv_cache_gb"]; got != want {
					t.Errorf("serve/%s: kv_cache_gb %v, want %v", profile, got, want)
				}
			}
		}
	}
}
