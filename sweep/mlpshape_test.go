package sweep

import (
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestMLPShapeLlama2: the Llama 2 entries carry their config.json widths, so the
// calibrated matmuls run on the models' real layers, not on a plain MLP that absorbs
// the catalog's round parameter count (docs/PHYSICS.md §33, twelfth round). The
// widths must add up to the checkpoints' published parameter counts, by hand:
//
//	7B  (h 4096, 32 layers, MHA, ffn 11008, vocab 32000, untied):
//	    attention 4096·12288 + 4096² = 67,108,864, MLP 3·4096·11008 = 135,266,304,
//	    32 layers 6,476,005,376; embedding and output layer 2·32000·4096 = 262,144,000;
//	    RMSNorms 32·2·4096 + 4096 = 266,240; in all 6,738,415,616
//	70B (h 8192, 80 layers, 8 KV heads of 128, ffn 28672, vocab 32000, untied):
//	    attention 8192·10240 + 8192² = 150,994,944, MLP 3·8192·28672 = 704,643,072,
//	    80 layers 68,451,041,280; embeddings 524,288,000; RMSNorms 1,318,912;
//	    in all 68,976,648,192
//
// (meta-llama/Llama-2-7b-hf and Llama-2-70b-hf: 6,738,415,616 and 68,976,648,192).
func TestMLPShapeLlama2(t *testing.T) {
	cat := catalog.MustDefault()
	for _, c := range []struct {
		key       string
		ffn       float64
		published float64 // the checkpoint's parameter count, norms included
		norms     float64 // RMSNorm weights: 2 per layer and a final one, h each
	}{
		// 32·2·4096 + 4096 norm weights.
		{"Llama2_7B", 11008, 6738415616, 32*2*4096 + 4096},
		// 80·2·8192 + 8192 norm weights.
		{"Llama2_70B", 28672, 68976648192, 80*2*8192 + 8192},
	} {
		m, err := cat.ModelByKey(c.key)
		if err != nil {
			t.Fatal(err)
		}
		ffn, gated, experts := mlpShape(m)
		if ffn != c.ffn || !gated || experts != 0 {
			t.Fatalf("%s: mlpShape = %v wide, gated %v, experts %v; want %v, gated (SwiGLU), none", c.key, ffn, gated, experts, c.ffn)
		}
		h, L, V := float64(m.HiddenDim), float64(m.Layers), float64(m.VocabSize)
		kv := float64(m.KVHeads)
		if kv == 0 {
			kv = float64(m.Heads)
		}
		attn := h*(h+2*kv*h/float64(m.Heads)) + h*h
		got := L*(attn+3*h*ffn) + 2*V*h + c.norms // untied embedding and output layer
		if got != c.published {
			t.Errorf("%s: layers, embeddings and norms add to %.0f parameters, the checkpoint has %.0f", c.key, got, c.published)
		}
	}
}
