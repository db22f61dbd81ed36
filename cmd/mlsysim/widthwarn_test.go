package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogWidthsWarning: a --catalog model whose stated parameters disagree with its
// widths by more than 10 % is loaded with a warning naming the file, the model and both
// counts; one that agrees loads silently. Widths: L 16, h 2048, 16 heads (no GQA),
// intermediate 5632, vocabulary 32000. Attention 2048·(2048 + 2·2048) + 2048² =
// 16,777,216 a layer; gated MLP 3·2048·5632 = 34,603,008; untied embeddings
// 2·32000·2048 = 131,072,000: 16·51,380,224 + 131,072,000 = 953,155,584 (9.532e+08),
// the count nearest a stated 8e9 (gated, untied).
func TestCatalogWidthsWarning(t *testing.T) {
	const entry = "models:\n  - key: Tiny8B\n    family: transformer\n    parameters: %s\n    layers: 16\n    hidden_dim: 2048\n    heads: 16\n    kv_heads: 16\n    intermediate_dim: 5632\n    vocab_size: 32000\n    source: {kind: estimate, ref: \"test\"}\n"
	dir := t.TempDir()
	for _, tc := range []struct {
		params string
		warn   bool
	}{{"8e9", true}, {"9.6e8", false}} {
		path := filepath.Join(dir, "m"+tc.params+".yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(entry, "%s", tc.params, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mlsysim(t, "--catalog", path, "eval", "Tiny8B", "H100")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%v", tc.params, r.code, r)
		}
		got := strings.Contains(r.stderr, "warning: "+path+": model Tiny8B states parameters")
		if got != tc.warn {
			t.Errorf("stated %s: warned %v, want %v\n%s", tc.params, got, tc.warn, r.stderr)
		}
		if tc.warn && (!strings.Contains(r.stderr, "8e+09") || !strings.Contains(r.stderr, "imply 9.532e+08")) {
			t.Errorf("the warning lacks both counts (8e+09, 9.532e+08): %s", r.stderr)
		}
	}
}
