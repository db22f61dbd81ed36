package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// WidthParameterTolerance is how far (as a fraction) a transformer's stated parameter
// count may sit from the count its widths imply before WidthParameters flags it. The
// catalog's own transformers sit within it (TestWidthParametersCatalog): the counts
// leave out norms and biases, under 1 % of a decoder's weights.
const WidthParameterTolerance = 0.10

// WidthParameters is the parameter count a transformer's widths imply — the GEMMs and
// embeddings the calibrated training step prices (mlpShape's or archShape's count,
// gated or plain MLP and tied or untied embeddings, whichever lands nearest the stated
// count) — and whether it disagrees with the entry's parameters by more than
// WidthParameterTolerance. Memory counts the stated parameters and the training step
// the widths, so a disagreement prices two different models. ok is false where the
// widths cannot be checked: not a transformer, no stated count, or no intermediate_dim
// (the width is then inferred from the count, and agrees by construction).
func WidthParameters(m *catalog.Model) (implied float64, disagrees, ok bool) {
	if !m.Family.IsTransformer() || m.Parameters <= 0 || m.HiddenDim == 0 || m.Layers == 0 || m.VocabSize == 0 {
		return 0, false, false
	}
	h, L, emb := float64(m.HiddenDim), float64(m.Layers), float64(m.VocabSize)*float64(m.HiddenDim)
	best := math.Inf(1)
	consider := func(n float64) {
		if math.Abs(n/m.Parameters-1) < math.Abs(best/m.Parameters-1) {
			best = n
		}
	}
	if a, ffn, _, _ := archShape(m); !a.Plain() {
		for _, mats := range []float64{2, 3} {
			total, _, _, _ := kernel.ArchParams(L, h, float64(m.Heads), float64(m.KVHeads), float64(m.VocabSize),
				float64(m.Experts), float64(m.ActiveExpertsPerToken), ffn, mats, &a)
			consider(total)
			consider(total - emb) // tied embeddings
		}
	} else {
		f := float64(m.IntermediateDim)
		if f == 0 {
			return 0, false, false
		}
		attn := attentionParams(m)
		experts := math.Max(1, float64(m.Experts))
		for _, mats := range []float64{2, 3} {
			for _, tied := range []float64{1, 2} {
				consider(L*(attn+experts*mats*h*f) + tied*emb)
			}
		}
	}
	return best, math.Abs(best/m.Parameters-1) > WidthParameterTolerance, true
}
