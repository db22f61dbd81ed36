package catalog

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// Invalid models and hardware are refused at load, whichever way they arrive
// (issue 9 item 7): a Hugging Face config.json, a user YAML file, the catalog.

// llamaConfig is Llama-3.1-8B's config.json shape (testdata/catalog/hf).
func llamaConfig() map[string]any {
	return map[string]any{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
		"num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256, "_name_or_path": "meta-llama/Llama-3.1-8B"}
}

func mixtralConfig() map[string]any {
	c := llamaConfig()
	c["model_type"], c["num_local_experts"], c["num_experts_per_tok"] = "mixtral", 8, 2
	return c
}

// deepseekConfig is a DeepSeek-V3-style shape on the Llama fixture: latent attention and
// 8 routed experts after one dense layer.
func deepseekConfig() map[string]any {
	c := llamaConfig()
	c["model_type"], c["n_routed_experts"], c["num_experts_per_tok"], c["moe_intermediate_size"] = "deepseek_v3", 8, 2, 2048
	c["first_k_dense_replace"], c["kv_lora_rank"], c["q_lora_rank"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"] = 1, 512, 1536, 128, 64, 128
	return c
}

func TestHFConfigDomains(t *testing.T) {
	if _, err := ModelFromHFJSON("ok/config.json", mustJSON(t, llamaConfig())); err != nil {
		t.Fatalf("the Llama config is refused: %v", err)
	}
	if m, err := ModelFromHFJSON("ok/config.json", mustJSON(t, mixtralConfig())); err != nil || m.ActiveExpertsPerToken != 2 {
		t.Fatalf("the Mixtral config: %v, %v", m, err)
	}
	if m, err := ModelFromHFJSON("ok/config.json", mustJSON(t, deepseekConfig())); err != nil || m.Experts != 8 || m.KVLoraRank != 512 {
		t.Fatalf("the DeepSeek config: %v, %v", m, err)
	}
	stated := llamaConfig()
	stated["head_dim"] = 128 // Llama 3's config.json states it: 32 × 128 = 4096
	if _, err := ModelFromHFJSON("ok/config.json", mustJSON(t, stated)); err != nil {
		t.Fatalf("a head_dim of hidden_size / heads is refused: %v", err)
	}
	cases := []struct {
		name  string
		base  func() map[string]any
		field string
		value any
		want  string
	}{
		{"negative kv heads", llamaConfig, "num_key_value_heads", -1, "num_key_value_heads must be in [0"},
		{"kv heads not dividing", llamaConfig, "num_key_value_heads", 3, "must divide num_attention_heads"},
		{"kv heads above heads", llamaConfig, "num_key_value_heads", 64, "must divide num_attention_heads"},
		{"negative layers", llamaConfig, "num_hidden_layers", -32, "num_hidden_layers missing or not positive"},
		{"absurd layers", llamaConfig, "num_hidden_layers", 1 << 40, "num_hidden_layers must be at most"},
		{"absurd vocabulary", llamaConfig, "vocab_size", 1 << 50, "vocab_size must be at most"},
		{"negative intermediate", llamaConfig, "intermediate_size", -5, "intermediate_size must be in [0"},
		{"negative head_dim", llamaConfig, "head_dim", -128, "head_dim must be in [0"},
		// Gemma-2-9B's shape in the Llama fixture: 32 heads of 256 = 8192 ≠ 4096. The KV
		// cache was sized at 4096/32 = 128 per head, half of it, with exit 0.
		{"head_dim not hidden/heads", llamaConfig, "head_dim", 256, "head_dim 256 × num_attention_heads 32 = 8192, not hidden_size 4096"},
		{"heads not dividing hidden", llamaConfig, "hidden_size", 4001, "num_attention_heads 32 do not divide hidden_size 4001"},
		{"negative experts", mixtralConfig, "num_local_experts", -8, "num_local_experts must be in [0"},
		{"negative routed experts", mixtralConfig, "n_routed_experts", -1, "n_routed_experts must be in [0"},
		{"zero active experts", mixtralConfig, "num_experts_per_tok", 0, "num_experts_per_tok missing or 0"},
		{"more active than experts", mixtralConfig, "num_experts_per_tok", 9, "exceeds the 8 experts"},
		{"active without experts", llamaConfig, "num_experts_per_tok", 2, "exceeds the 0 experts"},
		{"dense layers beyond the model", deepseekConfig, "first_k_dense_replace", 40, "first_k_dense_replace 40 exceeds the 32 layers"},
		// transformers' LlamaConfig builds no experts and MixtralConfig reads no
		// moe_intermediate_size: the count must not read them either.
		{"experts on a dense type", llamaConfig, "num_local_experts", 8, `num_local_experts 8: model_type "llama" ignores the key`},
		{"DeepSeek keys on Mixtral", mixtralConfig, "moe_intermediate_size", 2048, `moe_intermediate_size 2048: model_type "mixtral" ignores the key`},
		{"Mixtral keys on DeepSeek", deepseekConfig, "num_local_experts", 8, `num_local_experts 8: model_type "deepseek_v3" ignores the key`},
		{"escape in the name", llamaConfig, "_name_or_path", "x\x1b[2Jy", "a control character (U+001B)"},
		{"layers as a fraction", llamaConfig, "num_hidden_layers", 32.5, "field num_hidden_layers: want int"},
		{"layers as text", llamaConfig, "num_hidden_layers", "32", "want int, got a JSON string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.base()
			cfg[c.field] = c.value
			m, err := ModelFromHFJSON("bad/config.json", mustJSON(t, cfg))
			if err == nil {
				t.Fatalf("accepted: %+v", m)
			}
			if !strings.HasPrefix(err.Error(), "bad/config.json") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want the file and %q", err, c.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	goodModel = "key: M\nname: m\nfamily: moe\nparameters: 4.7e10\nactive_parameters: 1.3e10\nlayers: 32\nhidden_dim: 4096\nheads: 32\nkv_heads: 8\nexperts: 8\nactive_experts_per_token: 2\nsource: {kind: estimate, ref: test}\n"
	goodHW    = "key: G\nname: g\npeak: 100 TFLOP/s\nmemory: {capacity: 80 GB, bandwidth: 2 TB/s}\ntdp: 700 W\nsource: {kind: estimate, ref: test}\n"
)

// with replaces (or adds) a top-level line "key: value" in a YAML entry.
func with(entry, key, value string) string {
	lines := strings.Split(strings.TrimSuffix(entry, "\n"), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, key+":") {
			lines[i] = key + ": " + value
			return strings.Join(lines, "\n") + "\n"
		}
	}
	return entry + key + ": " + value + "\n"
}

func TestUserEntryDomains(t *testing.T) {
	for _, ok := range []string{goodModel, goodHW} {
		if _, err := userCatalog(t).AddUserYAML("ok.yaml", []byte(ok)); err != nil {
			t.Fatalf("a sound entry is refused: %v\n%s", err, ok)
		}
	}
	cases := []struct {
		name, src, want string
	}{
		{"negative kv heads", with(goodModel, "kv_heads", "-1"), "kv_heads: must be in [0"},
		{"kv heads not dividing", with(goodModel, "kv_heads", "5"), "kv_heads: 5 does not divide heads 32"},
		{"heads not dividing hidden", with(goodModel, "hidden_dim", "4100"), "heads: 32 does not divide hidden_dim 4100"},
		{"kv heads above heads", with(goodModel, "kv_heads", "64"), "kv_heads"},
		{"negative experts", with(goodModel, "experts", "-2"), "experts: must be in [0"},
		{"more active experts than experts", with(goodModel, "active_experts_per_token", "9"), "9 exceeds the 8 experts"},
		{"zero active experts", with(goodModel, "active_experts_per_token", "0"), "routes each token to at least 1"},
		{"active experts without experts", with(with(goodModel, "experts", "0"), "family", "transformer"), "active_experts_per_token: 2 without experts"},
		{"active above total parameters", with(goodModel, "active_parameters", "5e10"), "active_parameters: 5e+10 exceeds parameters"},
		{"all layers dense", with(goodModel, "dense_layers", "32"), "dense_layers: 32 must be fewer than layers 32"},
		{"dense layers without their width", with(goodModel, "dense_layers", "2"), "dense_layers: needs dense_intermediate_dim"},
		{"shared experts without experts", with(with(with(with(goodModel, "experts", "0"), "active_experts_per_token", "0"), "family", "transformer"), "shared_experts", "1"),
			"dense_layers, shared_experts and expert_intermediate_dim describe a mixture of experts"},
		{"shared experts without their width", with(goodModel, "shared_experts", "1"), "expert_intermediate_dim: needed with dense_layers or shared_experts"},
		{"routing groups alone", with(goodModel, "routing_groups", "4"), "routing_groups: routing_groups and routing_group_topk go together"},
		{"routing groups not dividing the experts", with(with(goodModel, "routing_groups", "3"), "routing_group_topk", "1"), "routing_groups: 3 does not divide the 8 experts"},
		{"more chosen groups than groups", with(with(goodModel, "routing_groups", "4"), "routing_group_topk", "5"), "routing_group_topk: 5 exceeds the 4 groups"},
		{"chosen groups too small", with(with(with(goodModel, "routing_groups", "8"), "routing_group_topk", "1"), "active_experts_per_token", "2"), "routing_group_topk: 1 groups of 1 experts cannot hold a token's 2 experts"},
		{"latent head widths without the latent", with(goodModel, "qk_nope_head_dim", "128"), "latent attention's widths go together"},
		{"negative layers", with(goodModel, "layers", "-3"), "layers: must be in [0"},
		{"fractional layers", with(goodModel, "layers", "32.5"), "layers: want a whole number"},
		{"infinite parameters", with(goodModel, "parameters", ".inf"), "want a finite number"},
		{"absurd parameters", with(goodModel, "parameters", "1e300"), "parameters: 1e+300 is beyond any real system"},
		{"capacity overflowing after units", with(goodHW, "memory", "{capacity: 1e308 PB, bandwidth: 2 TB/s}"), "overflows float64"},
		{"capacity beyond any device", with(goodHW, "memory", "{capacity: 1e10 PB, bandwidth: 2 TB/s}"), "memory.capacity: 1e+25 is beyond any real system"},
		{"peak beyond any device", with(goodHW, "peak", "1e30 PFLOP/s"), "is beyond any real system (at most 1e+21)"},
		{"negative bandwidth", with(goodHW, "memory", "{capacity: 80 GB, bandwidth: -2 TB/s}"), "must not be negative"},
		{"tdp_min above tdp_max", goodHW + "tdp_min: 800 W\ntdp_max: 700 W\n", "tdp_min: 800 W is above tdp_max 700 W"},
		{"release year 3000", goodHW + "release_year: 3000\n", "release_year: want a year"},
		{"negative accelerator count", goodHW + "accelerator_count: -1\n", "accelerator_count: must be in [0"},
		{"MIG slice above the device", goodHW + "mig_profiles: [{name: big, memory: 100 GB, sms: 10}]\n", "mig_profiles.memory: 1e+11 is beyond"},
		{"Cyrillic look-alike key", with(goodHW, "key", "H1\u0410\u0410"), "use ASCII letters, digits"},
		{"zero-width space in a key", with(goodHW, "key", "\"H100\u200b\""), "use ASCII letters, digits"},
		{"key differing only in case", with(goodHW, "key", "h100"), `"h100" differs only in case from "H100"`},
		{"escape in a name", with(goodHW, "name", "\"x\\e[31my\""), "a control character (U+001B)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat := userCatalog(t)
			before := len(cat.Hardware) + len(cat.Models)
			added, err := cat.AddUserYAML("bad.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("added %v\n%s", added, c.src)
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want the file and %q", err, c.want)
			}
			if len(cat.Hardware)+len(cat.Models) != before {
				t.Errorf("the catalog kept entries of a refused file")
			}
		})
	}
}

// Every entry of the embedded catalog passes its own domain checks, and
// Validate is what refuses a bad one.
func TestCatalogEntriesValidate(t *testing.T) {
	c := mustDefault(t)
	for _, h := range c.Hardware {
		if err := h.Validate(); err != nil {
			t.Error(err)
		}
		bad := *h
		bad.Rates = maps.Clone(h.Rates)
		bad.MemCapacityBytes = -1
		if bad.Validate() == nil {
			t.Errorf("%s with negative capacity validates", h.Key)
		}
	}
	for _, m := range c.Models {
		if err := m.Validate(); err != nil {
			t.Error(err)
		}
		bad := *m
		bad.KVHeads = -1
		if bad.Validate() == nil {
			t.Errorf("%s with -1 kv heads validates", m.Key)
		}
	}
}
