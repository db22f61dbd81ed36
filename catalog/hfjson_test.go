package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config.json is one JSON object with each key once: a duplicated key was decoded
// as its last value (a 64-layer model priced from a config that also says 32) and
// text after the object, which Python's json.load (transformers) refuses as extra
// data, was ignored, both at exit 0. Nested objects and arrays of every bundled config
// still load.
func TestHFConfigOneObject(t *testing.T) {
	const cfg = `{
  "model_type": "llama",
  "num_hidden_layers": 2,
  "hidden_size": 8,
  "num_attention_heads": 2,
  "intermediate_size": 16,
  "vocab_size": 10,
  "rope_scaling": {"factor": 8.0, "rope_type": "llama3"},
  "architectures": ["LlamaForCausalLM"],
  "eos_token_id": [1, 2]
}`
	if _, err := ModelFromHFJSON("ok/config.json", []byte(cfg)); err != nil {
		t.Fatalf("a valid config: %v", err)
	}
	for _, tc := range []struct{ src, want string }{
		{strings.Replace(cfg, `"hidden_size": 8,`, `"hidden_size": 8, "hidden_size": 16,`, 1), `x/config.json:4: "hidden_size" is given twice in one object`},
		{strings.Replace(cfg, `"factor": 8.0,`, `"factor": 8.0, "factor": 4.0,`, 1), `x/config.json:8: "factor" is given twice in one object`},
		{cfg + "\n{}", `x/config.json:12: text after the JSON object`},
		{cfg + " garbage", `x/config.json:11: text after the JSON object`},
	} {
		if _, err := ModelFromHFJSON("x/config.json", []byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want %q", err, tc.want)
		}
	}
	// The same key in two objects, a key equal to a string value, and a value equal
	// to a key are no duplicates.
	same := strings.Replace(cfg, `"rope_type": "llama3"}`, `"rope_type": "llama3", "hidden_size": 1, "x": "factor"}`, 1)
	if _, err := ModelFromHFJSON("ok/config.json", []byte(same)); err != nil {
		t.Errorf("a key of a nested object shared with the top: %v", err)
	}
	seeds, _ := filepath.Glob("../testdata/catalog/hf/*/config.json")
	if len(seeds) == 0 {
		t.Fatal("no bundled configs")
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := oneJSONObject(s, b); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}
