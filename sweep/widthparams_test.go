package sweep

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestWidthParametersCatalog: every catalog transformer whose widths can be checked
// agrees with its stated count within the tolerance (the warning would otherwise fire
// on the catalog's own entries), and a model whose stated count is ten times its
// widths' is flagged.
func TestWidthParametersCatalog(t *testing.T) {
	checked := 0
	for _, m := range testCatalog().Models {
		implied, off, ok := WidthParameters(m)
		if !ok {
			continue
		}
		checked++
		if off {
			t.Errorf("%s: stated %.4g parameters, widths imply %.4g (%.1f %%)", m.Key, m.Parameters, implied, 100*(implied/m.Parameters-1))
		}
	}
	if checked < 10 {
		t.Errorf("%d catalog transformers checked, want at least 10", checked)
	}
	// meta-llama/Meta-Llama-3-8B: V 128256, h 4096, L 32, H 32, Hkv 8, I 14336, untied,
	// gated: 2·128256·4096 + 32·(4096·(4096 + 2·8·4096/32) + 4096² + 3·4096·14336)
	// = 1,050,673,152 + 32·(25,165,824 + 16,777,216 + 176,160,768) = 8,029,995,008
	// (norms left out); the stated 8.03e9 agrees.
	m := &catalog.Model{Key: "L", Family: catalog.Transformer, Parameters: 8.03e9, Layers: 32, HiddenDim: 4096, Heads: 32, KVHeads: 8,
		IntermediateDim: 14336, VocabSize: 128256}
	implied, off, ok := WidthParameters(m)
	if !ok || off || math.Abs(implied-8029995008) > 1 {
		t.Errorf("Llama-3-8B widths: implied %.0f, disagrees %v, ok %v; want 8029995008, false, true", implied, off, ok)
	}
	m.Parameters = 80.3e9 // a stated count ten times the widths'
	if _, off, ok := WidthParameters(m); !ok || !off {
		t.Errorf("a stated 80.3e9 beside 8.03e9 of widths: disagrees %v, ok %v; want true, true", off, ok)
	}
	m.IntermediateDim = 0 // the width is inferred from the count: nothing to check
	if _, _, ok := WidthParameters(m); ok {
		t.Error("no intermediate_dim: checked, want not")
	}
}
