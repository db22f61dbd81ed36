package catalog

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzHFConfig feeds arbitrary bytes to the config.json reader: it must never
// panic, and a model it returns must pass its domain checks with a finite,
// positive parameter count (make fuzz).
func FuzzHFConfig(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/catalog/hf/*/config.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": -1, "intermediate_size": 16, "vocab_size": 10}`))
	f.Add([]byte(`{"num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 10, "num_local_experts": 4, "num_experts_per_tok": 0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ModelFromHFJSON("fuzz/config.json", b)
		if err != nil {
			return
		}
		if verr := m.Validate(); verr != nil {
			t.Fatalf("returned a model that does not validate: %v", verr)
		}
		if !(m.Parameters > 0) || math.IsInf(m.Parameters, 0) || !(m.InferenceFLOPs > 0) || math.IsInf(m.InferenceFLOPs, 0) {
			t.Fatalf("parameters %g, FLOPs %g: want finite and positive", m.Parameters, m.InferenceFLOPs)
		}
	})
}

// FuzzCatalogYAML feeds arbitrary bytes to the --catalog reader: it must never
// panic; on error the catalog is as it was, and every entry it adds validates.
func FuzzCatalogYAML(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/catalog/*.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(goodModel))
	f.Add([]byte(goodHW))
	base, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := base.Clone()
		nh, nm := len(c.Hardware), len(c.Models)
		added, err := c.AddUserYAML("fuzz.yaml", b)
		if err != nil {
			if len(c.Hardware) != nh || len(c.Models) != nm {
				t.Fatalf("error %v left entries behind", err)
			}
			return
		}
		for _, k := range added {
			if h, err := c.HardwareByKey(k); err == nil {
				if verr := h.Validate(); verr != nil {
					t.Fatalf("added hardware that does not validate: %v", verr)
				}
			} else if m, err := c.ModelByKey(k); err == nil {
				if verr := m.Validate(); verr != nil {
					t.Fatalf("added a model that does not validate: %v", verr)
				}
			} else {
				t.Fatalf("added %q, which is not in the catalog", k)
			}
		}
	})
}
