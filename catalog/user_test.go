package catalog

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func fixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata", "catalog"}, parts...)...)
}

// hasLine reports whether an error message places itself at line n of file, in
// either form the package writes: "file:n: …" (entries) or "file: line n: …" (YAML syntax).
func hasLine(msg, file string, n int) bool {
	return strings.Contains(msg, fmt.Sprintf("%s:%d:", file, n)) || strings.Contains(msg, fmt.Sprintf("%s: line %d:", file, n))
}

// userCatalog is a per-test copy of the default catalog that user files may extend.
func userCatalog(t *testing.T) *Catalog {
	t.Helper()
	return mustDefault(t).Clone()
}

func TestAddUserFileLists(t *testing.T) {
	c := userCatalog(t)
	path := fixture("user_ok.yaml")
	added, err := c.AddUserFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(added, []string{"MyNPU", "MyLM"}) {
		t.Errorf("added %v, want [MyNPU MyLM]", added)
	}

	h, err := c.HardwareByKey("MyNPU")
	if err != nil {
		t.Fatal(err)
	}
	// Values as written in testdata/catalog/user_ok.yaml.
	if h.Tier != "User" || h.PeakFLOPS != 100e12 || h.Rates["int8"] != 200e12 || h.MemCapacityBytes != 16<<30 ||
		h.MemBandwidthBytesPerS != 400e9 || h.TDPW != 75 || h.DispatchTaxS != DefaultDispatchTaxS {
		t.Errorf("MyNPU = %+v", *h)
	}
	if h.File != path+":3" || h.Source.Kind != "estimate" {
		t.Errorf("MyNPU provenance %q %+v, want %s:3, estimate", h.File, h.Source, path)
	}

	m, err := c.ModelByKey("MyLM")
	if err != nil {
		t.Fatal(err)
	}
	if m.Category != "User" || m.Family != Transformer || m.Parameters != 1.2e9 || m.Layers != 24 || m.HiddenDim != 2048 ||
		m.Heads != 16 || m.KVHeads != 4 || !near(m.InferenceFLOPs, 2.4e9, scaleRel) || m.InferenceFLOPsPer != "token" {
		t.Errorf("MyLM = %+v", *m)
	}
	if m.File != path+":14" {
		t.Errorf("MyLM at %q, want %s:14", m.File, path)
	}

	// The clone grew; the shared default did not, and the hashes tell them apart.
	d := mustDefault(t)
	if len(c.Hardware) != len(d.Hardware)+1 || len(c.Models) != len(d.Models)+1 {
		t.Errorf("clone has %d/%d entries, default %d/%d", len(c.Hardware), len(c.Models), len(d.Hardware), len(d.Models))
	}
	if _, err := d.HardwareByKey("MyNPU"); err == nil {
		t.Error("the user's hardware leaked into Default()")
	}
	if c.Hash == d.Hash || len(c.Hash) != 64 {
		t.Errorf("hash after a user file %q, default %q; want a different SHA-256", c.Hash, d.Hash)
	}
	again := userCatalog(t)
	if _, err := again.AddUserFile(path); err != nil || again.Hash != c.Hash {
		t.Errorf("the same user file gave hash %q (%v), want %q", again.Hash, err, c.Hash)
	}
}

func TestAddUserFileBareEntries(t *testing.T) {
	c := userCatalog(t)

	path := fixture("user_hw_bare.yaml")
	added, err := c.AddUserFile(path)
	if err != nil || !slices.Equal(added, []string{"MyBareGPU"}) {
		t.Fatalf("AddUserFile(%s) = %v, %v", path, added, err)
	}
	h, err := c.HardwareByKey("MyBareGPU")
	if err != nil {
		t.Fatal(err)
	}
	// "24 GB" stays decimal; "0.02 ms" overrides the default dispatch tax.
	if h.MemCapacityBytes != 24e9 || h.MemBandwidthBytesPerS != 1e12 || !near(h.DispatchTaxS, 2e-5, scaleRel) || h.File != path+":2" {
		t.Errorf("MyBareGPU = %+v", *h)
	}

	path = fixture("user_model_bare.yaml")
	added, err = c.AddUserFile(path)
	if err != nil || !slices.Equal(added, []string{"MyBareCNN"}) {
		t.Fatalf("AddUserFile(%s) = %v, %v", path, added, err)
	}
	m, err := c.ModelByKey("MyBareCNN")
	if err != nil {
		t.Fatal(err)
	}
	if m.Family != CNN || m.Parameters != 5e6 || !near(m.InferenceFLOPs, 1.2e9, scaleRel) || m.InferenceFLOPsPer != "input" || m.File != path+":2" {
		t.Errorf("MyBareCNN = %+v", *m)
	}
}

func TestAddUserFileErrors(t *testing.T) {
	h100, err := mustDefault(t).HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		line int      // 0: the error has no line to give
		want []string // further substrings: the field and what is valid
	}{
		{"user_bad_unknown_key.yaml", 4, []string{`unknown key "peek" (did you mean peak?)`, "valid keys: "}},
		{"user_bad_unit.yaml", 7, []string{"entry BadUnit", "memory.bandwidth", `unit "GB" is not a bandwidth unit`, "GB/s"}},
		{"user_missing_source.yaml", 2, []string{"entry NoSource", "source", "kind and ref"}},
		{"user_dup_h100.yaml", 3, []string{`duplicate hardware key "H100"`, "first defined at " + h100.File}},
		{"user_dup_model.yaml", 2, []string{`duplicate model key "Llama3_8B"`, "catalog/data/models/language.yaml:"}},
		{"user_missing_memory.yaml", 2, []string{"entry NoMemory", "memory: missing", "capacity and bandwidth"}},
		// The sign check reports the line of the tdp value.
		{"user_negative.yaml", 6, []string{"entry Negative", "tdp", "must not be negative"}},
		{"user_bad_family.yaml", 2, []string{"entry Recurrent", `family: "rnn"`, "transformer, moe, cnn"}},
		{"user_bad_indent.yaml", 5, []string{"mapping values are not allowed"}},
		{"user_empty.yaml", 0, []string{"want a YAML mapping", "hardware:", "models:"}},
		{"user_no_entries.yaml", 0, []string{"no entries"}},
		// The catalog's own list shape is not a user file: the message says what is.
		{"user_list.yaml", 0, []string{"want a YAML mapping", "hardware:"}},
	} {
		path := fixture(tc.file)
		c := userCatalog(t)
		nHW, nModels := len(c.Hardware), len(c.Models)
		added, err := c.AddUserFile(path)
		if err == nil {
			t.Errorf("%s: added %v, want an error", tc.file, added)
			continue
		}
		if len(c.Hardware) != nHW || len(c.Models) != nModels {
			t.Errorf("%s: the catalog holds %d hardware and %d models after the error, want %d and %d as before", tc.file, len(c.Hardware), len(c.Models), nHW, nModels)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, path) {
			t.Errorf("%s: error %q does not start with the file name", tc.file, msg)
		}
		if tc.line > 0 && !hasLine(msg, path, tc.line) {
			t.Errorf("%s: error %q does not name line %d", tc.file, msg, tc.line)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", tc.file, msg, w)
			}
		}
		if added != nil {
			t.Errorf("%s: added %v alongside an error", tc.file, added)
		}
	}
	if _, err := userCatalog(t).AddUserFile(fixture("no_such_file.yaml")); err == nil || !strings.Contains(err.Error(), "no_such_file.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// Independent parameter arithmetic for SwiGLU decoders with RMSNorm and no biases:
// embeddings V·h, twice when the LM head is untied; per layer q,o 2·h·(H·d) + k,v
// 2·h·(Hkv·d) + MLP 3·h·I (E experts plus an h·E router for MoE; k of them active)
// + two norms 2·h; a final norm h.
const (
	// meta-llama/Llama-3.1-8B: V 128256, h 4096, L 32, H 32, Hkv 8, d 128, I 14336, untied.
	llama31_8B = 2*128256*4096 + 32*(2*4096*4096+2*4096*1024+3*4096*14336+2*4096) + 4096
	// mistralai/Mixtral-8x7B-v0.1: V 32000, h 4096, L 32, H 32, Hkv 8, d 128, I 14336, 8 experts, top-2, untied.
	mixtralTotal  = 2*32000*4096 + 32*(2*4096*4096+2*4096*1024+8*3*4096*14336+4096*8+2*4096) + 4096
	mixtralActive = 2*32000*4096 + 32*(2*4096*4096+2*4096*1024+2*3*4096*14336+4096*8+2*4096) + 4096
	// Qwen/Qwen2-0.5B: V 151936, h 896, L 24, H 14, Hkv 2, d 64, I 4864, tied: embeddings once.
	qwen2_05B = 151936*896 + 24*(2*896*896+2*896*128+3*896*4864+2*896) + 896
)

func TestModelFromHFConfig(t *testing.T) {
	// The Llama-3.1-8B model card (safetensors) total is 8,030,261,248.
	if llama31_8B != 8_030_261_248 {
		t.Fatalf("test arithmetic: Llama-3.1-8B = %d", llama31_8B)
	}
	for _, tc := range []struct {
		dir            string
		family         Family
		params, active float64 // active 0: dense
		kv, experts, k int
		published      float64 // the model card's total, within 1%
		pubActive      float64
		context        int // max_position_embeddings as the fixture states it
	}{
		{"Llama-3.1-8B", Transformer, llama31_8B, 0, 8, 0, 0, 8.03e9, 0, 131072},
		// Mistral AI, "Mixtral of experts" (2023): 46.7B total, 12.9B used per token.
		{"Mixtral-8x7B-v0.1", MoE, mixtralTotal, mixtralActive, 8, 8, 2, 46.7e9, 12.9e9, 32768},
		// Qwen2 technical report (2024): 0.49B; the card's exact count also holds the q/k/v
		// biases, 24·(896+2·128) = 27 648 weights, that the derivation does not model.
		{"Qwen2-0.5B", Transformer, qwen2_05B, 0, 2, 0, 0, 0.494e9, 0, 131072},
	} {
		path := fixture("hf", tc.dir, "config.json")
		m, err := ModelFromHFConfig(path)
		if err != nil {
			t.Errorf("%s: %v", tc.dir, err)
			continue
		}
		if m.Key != tc.dir || m.Name != tc.dir || m.Category != "User" || m.File != path || m.Source.Kind != "derived" {
			t.Errorf("%s: key %q name %q category %q file %q source %+v", tc.dir, m.Key, m.Name, m.Category, m.File, m.Source)
		}
		if m.Family != tc.family || m.Parameters != tc.params || m.ActiveParameters != tc.active {
			t.Errorf("%s: %s, %.0f parameters (%.0f active); want %s, %.0f (%.0f)", tc.dir, m.Family, m.Parameters, m.ActiveParameters, tc.family, tc.params, tc.active)
		}
		if m.ContextTokens != tc.context {
			t.Errorf("%s: context_tokens %d, want max_position_embeddings %d", tc.dir, m.ContextTokens, tc.context)
		}
		if m.KVHeads != tc.kv || m.Experts != tc.experts || m.ActiveExpertsPerToken != tc.k {
			t.Errorf("%s: %d KV heads, %d experts, top-%d; want %d, %d, %d", tc.dir, m.KVHeads, m.Experts, m.ActiveExpertsPerToken, tc.kv, tc.experts, tc.k)
		}
		perToken := tc.params
		if tc.active > 0 {
			perToken = tc.active
		}
		if m.InferenceFLOPs != 2*perToken || m.InferenceFLOPsPer != "token" {
			t.Errorf("%s: %.0f FLOP per %s, want 2 × %.0f per token (physics.md §2.1)", tc.dir, m.InferenceFLOPs, m.InferenceFLOPsPer, perToken)
		}
		if math.Abs(m.Parameters/tc.published-1) > 0.01 {
			t.Errorf("%s: %.4g parameters, more than 1%% from the published %.4g", tc.dir, m.Parameters, tc.published)
		}
		if tc.pubActive > 0 && math.Abs(m.ActiveParameters/tc.pubActive-1) > 0.01 {
			t.Errorf("%s: %.4g active, more than 1%% from the published %.4g", tc.dir, m.ActiveParameters, tc.pubActive)
		}
	}
}

func TestModelFromHFConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		line int // 0: no line to give
		want []string
	}{
		// Line 5 has `"num_attention_heads": 32;`.
		{"bad_syntax", 5, []string{"malformed JSON", "';'"}},
		// Line 6 has `"num_hidden_layers": "32"`.
		{"bad_type", 6, []string{"field num_hidden_layers", "string"}},
		{"missing_layers", 0, []string{"num_hidden_layers missing", "hidden_size"}},
		{"bad_kv_heads", 0, []string{"num_key_value_heads 6", "num_attention_heads 32"}},
		{"truncated", 0, []string{"malformed JSON", "ends before the object is closed"}},
		{"no_such_model", 0, []string{"no such file"}},
	} {
		path := fixture("hf", tc.dir, "config.json")
		m, err := ModelFromHFConfig(path)
		if err == nil {
			t.Errorf("%s: got %+v, want an error", tc.dir, *m)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, path) {
			t.Errorf("%s: error %q does not name %s", tc.dir, msg, path)
		}
		if tc.line > 0 && !strings.Contains(msg, fmt.Sprintf("%s:%d:", path, tc.line)) {
			t.Errorf("%s: error %q does not name line %d", tc.dir, msg, tc.line)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", tc.dir, msg, w)
			}
		}
	}
}

func TestAddModel(t *testing.T) {
	c := userCatalog(t)
	m, err := ModelFromHFConfig(fixture("hf", "Llama-3.1-8B", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddModel(m); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ModelByKey("Llama-3.1-8B"); err != nil || got != m {
		t.Errorf("ModelByKey after AddModel: %v, %v", got, err)
	}
	if _, err := mustDefault(t).ModelByKey("Llama-3.1-8B"); err == nil {
		t.Error("AddModel on a clone changed Default()")
	}
	for _, key := range []string{"Llama-3.1-8B", "Llama3_8B"} {
		dup := *m
		dup.Key = key
		if err := c.AddModel(&dup); err == nil || !strings.Contains(err.Error(), `"`+key+`" is already in the catalog`) || !strings.Contains(err.Error(), m.File) {
			t.Errorf("AddModel(%s) again: %v", key, err)
		}
	}
}

// TestHFConfigMTPLayers: num_nextn_predict_layers (DeepSeek-V3's config.json states 1)
// becomes mtp_layers, absent is 0, and a negative count is refused.
func TestHFConfigMTPLayers(t *testing.T) {
	const base = `{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 320%s}`
	for _, tc := range []struct {
		extra   string
		want    int
		wantErr string
	}{
		{"", 0, ""},
		{`, "num_nextn_predict_layers": 1`, 1, ""},
		{`, "num_nextn_predict_layers": -1`, 0, "num_nextn_predict_layers must be in [0,"},
	} {
		m, err := ModelFromHFJSON("config.json", []byte(fmt.Sprintf(base, tc.extra)))
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.extra, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.extra, err)
		case m.MTPLayers != tc.want:
			t.Errorf("%s: mtp_layers %d, want %d", tc.extra, m.MTPLayers, tc.want)
		}
	}
}

// TestHFConfigSlidingWindow: the window and the layers that use it, as transformers builds
// them (docs/CATALOG.md): Mistral-7B-v0.1's config.json (huggingface.co/mistralai/
// Mistral-7B-v0.1, sliding_window 4096) windows all 32 layers; Mixtral-8x7B-v0.1 states
// null and Qwen2-0.5B use_sliding_window false, so neither has one. Patterns the import
// cannot read are refused.
func TestHFConfigSlidingWindow(t *testing.T) {
	for _, tc := range []struct {
		dir           string
		window, local int
		params        float64
	}{
		// 2·32000·4096 + 32·(2·4096² + 2·4096·1024 + 3·4096·14336 + 2·4096) + 4096
		// = 7,241,732,096, the model card's 7.24B.
		{"Mistral-7B-v0.1", 4096, 32, 7_241_732_096},
		{"Mixtral-8x7B-v0.1", 0, 0, mixtralTotal},
		{"Qwen2-0.5B", 0, 0, qwen2_05B},
	} {
		m, err := ModelFromHFConfig(fixture("hf", tc.dir, "config.json"))
		if err != nil {
			t.Errorf("%s: %v", tc.dir, err)
			continue
		}
		if m.SlidingWindow != tc.window || m.SlidingWindowLayers != tc.local || m.Parameters != tc.params {
			t.Errorf("%s: window %d on %d layers, %.0f parameters; want %d on %d, %.0f", tc.dir, m.SlidingWindow, m.SlidingWindowLayers, m.Parameters, tc.window, tc.local, tc.params)
		}
	}
	const base = `{"model_type": %q, "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 320%s}`
	for _, tc := range []struct {
		typ, extra    string
		window, local int
		wantErr       string
	}{
		{"mistral", "", 4096, 2, ""}, // MistralConfig's default window, on every layer
		{"mistral", `, "sliding_window": null`, 0, 0, ""},
		{"mistral", `, "sliding_window": 1024`, 1024, 2, ""},
		{"mixtral", "", 0, 0, ""},
		{"mixtral", `, "sliding_window": 4096`, 4096, 2, ""},
		{"llama", "", 0, 0, ""},
		// Qwen2: only under use_sliding_window, on the layers from max_window_layers on.
		{"qwen2", `, "sliding_window": 4096, "max_window_layers": 1`, 0, 0, ""},
		{"qwen2", `, "use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 1`, 4096, 1, ""},
		{"qwen3", `, "use_sliding_window": true, "sliding_window": 4096`, 0, 0, ""}, // default max_window_layers 28 ≥ 2 layers
		{"qwen2", `, "use_sliding_window": false, "sliding_window": 4096, "layer_types": ["sliding_attention", "sliding_attention"]`, 0, 0, ""},
		// layer_types name each layer (Gemma 2 style: alternating).
		{"mistral", `, "sliding_window": 4096, "layer_types": ["sliding_attention", "full_attention"]`, 4096, 1, ""},
		{"mistral", `, "sliding_window": 4096, "layer_types": ["full_attention", "full_attention"]`, 0, 0, ""},
		{"mistral", `, "layer_types": ["sliding_attention"]`, 0, 0, "layer_types lists 1 layers, num_hidden_layers is 2"},
		{"mistral", `, "layer_types": ["sliding_attention", "chunked_attention"]`, 0, 0, `layer_types[1] is "chunked_attention"`},
		{"mistral", `, "sliding_window": null, "layer_types": ["sliding_attention", "full_attention"]`, 0, 0, "sliding_window is missing or null"},
		{"mistral", `, "sliding_window_pattern": 6`, 0, 0, "sliding_window_pattern 6"},
		{"llama", `, "sliding_window": 4096, "layer_types": ["sliding_attention", "full_attention"]`, 0, 0, `model_type "llama" has sliding-window layers`},
		{"mistral", `, "sliding_window": "4096"`, 0, 0, `sliding_window must be a whole number of tokens or null, got "4096"`},
		{"mistral", `, "sliding_window": -1`, 0, 0, "sliding_window must be in [0,"},
	} {
		m, err := ModelFromHFJSON("config.json", []byte(fmt.Sprintf(base, tc.typ, tc.extra)))
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "config.json") {
				t.Errorf("%s%s: error %v, want %q", tc.typ, tc.extra, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s%s: %v", tc.typ, tc.extra, err)
		case m.SlidingWindow != tc.window || m.SlidingWindowLayers != tc.local:
			t.Errorf("%s%s: window %d on %d layers, want %d on %d", tc.typ, tc.extra, m.SlidingWindow, m.SlidingWindowLayers, tc.window, tc.local)
		}
	}
}

// TestModelSlidingWindowValidate: a window and its layers go together, within the model.
func TestModelSlidingWindowValidate(t *testing.T) {
	for _, tc := range []struct {
		window, local int
		want          string
	}{
		{4096, 16, ""},
		{4096, 0, "sliding_window_layers: missing"},
		{0, 16, "sliding_window: missing"},
		{4096, 33, "sliding_window_layers: 33 exceeds the 32 layers"},
		{-1, 0, "sliding_window: must be in [0,"},
	} {
		m := &Model{Key: "M", Name: "M", Architecture: "Transformer", Parameters: 7e9, Layers: 32, HiddenDim: 4096, Heads: 32,
			SlidingWindow: tc.window, SlidingWindowLayers: tc.local}
		err := m.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d/%d: %v", tc.window, tc.local, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%d/%d: error %v, want %q", tc.window, tc.local, err, tc.want)
		}
	}
}
