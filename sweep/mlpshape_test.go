package sweep

import (
	"math"
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

// TestMLPShapeGPTBERT: GPT-2, GPT-3 and BERT carry their plain (GeLU) MLP widths and
// vocabularies, so the calibrated matmuls run on their real layers rather than on a
// width inferred from the catalog's round parameter count (docs/PHYSICS.md §33,
// "The other transformers' shapes"). Each layer has attention 4h² + MLP 2·h·4h = 12h² weights and
// 13h biases and LayerNorm weights (qkv 3h, out h, MLP 4h + h, two LayerNorms 4h);
// the token embedding is tied to the output layer; positions are learned. By hand:
//
//	GPT-2 XL (h 1600, 48 layers, ffn 6400, vocab 50257, 1024 positions):
//	    48·12·1600² = 1,474,560,000; tokens 50257·1600 = 80,411,200;
//	    positions 1024·1600 = 1,638,400; biases and norms 48·13·1600 = 998,400;
//	    final LayerNorm 3,200; in all 1,557,611,200 (openai-community/gpt2-xl)
//	GPT-2 small (h 768, 12 layers, ffn 3072, vocab 50257, 1024 positions):
//	    84,934,656 + 38,597,376 + 786,432 + 119,808 + 1,536 = 124,439,808
//	    (openai-community/gpt2)
//	GPT-3 175B (h 12288, 96 layers, ffn 49152, vocab 50257, 2048 positions):
//	    96·12·12288² = 173,946,175,488; tokens 617,558,016; positions 25,165,824;
//	    biases and norms 96·13·12288 = 15,335,424; final LayerNorm 24,576;
//	    in all 174,604,259,328, which Brown et al. (2020) Table 2.1 rounds to 175.0B
//	    (0.23 % over: the paper's figure is not an exact count, so 0.5 % is allowed)
//	BERT-Base (h 768, 12 layers, ffn 3072, vocab 30522, 512 positions, 2 segment types):
//	    84,934,656 + biases and norms 119,808 + embeddings (30522+512+2)·768 =
//	    23,835,648 + embedding LayerNorm 1,536 + pooler 768² + 768 = 590,592;
//	    in all 109,482,240 (google-bert/bert-base-uncased)
//	BERT-Large (h 1024, 24 layers, ffn 4096): 301,989,888 + 319,488 + 31,780,864
//	    + 2,048 + 1,049,600 = 335,141,888 (google-bert/bert-large-uncased)
//
// The old catalog (no intermediate_dim) fails: mlpShape then returns the width that
// makes the round parameter count add up (GPT-3: 49,599, not 49,152; GPT-2 XL: 6,566, not 6,400).
func TestMLPShapeGPTBERT(t *testing.T) {
	cat := catalog.MustDefault()
	for _, c := range []struct {
		key       string
		ffn       float64
		published float64 // the checkpoint's (or paper's) parameter count
		positions float64 // learned position (and segment-type) embeddings
		extra     float64 // final LayerNorm, or BERT's embedding LayerNorm and pooler
		tol       float64 // relative
	}{
		{"GPT2", 6400, 1557611200, 1024, 2 * 1600, 0},
		{"GPT2_Small", 3072, 124439808, 1024, 2 * 768, 0},
		{"GPT3", 49152, 175.0e9, 2048, 2 * 12288, 0.005},
		{"BERT_Base", 3072, 109482240, 512 + 2, 2*768 + 768*768 + 768, 0},
		{"BERT_Large", 4096, 335141888, 512 + 2, 2*1024 + 1024*1024 + 1024, 0},
	} {
		m, err := cat.ModelByKey(c.key)
		if err != nil {
			t.Fatal(err)
		}
		ffn, gated, experts := mlpShape(m)
		if ffn != c.ffn || gated || experts != 0 {
			t.Fatalf("%s: mlpShape = %v wide, gated %v, experts %v; want %v, plain (GeLU), none", c.key, ffn, gated, experts, c.ffn)
		}
		h, L, V := float64(m.HiddenDim), float64(m.Layers), float64(m.VocabSize)
		if m.KVHeads != 0 && m.KVHeads != m.Heads {
			t.Fatalf("%s: %d KV heads of %d; these models use multi-head attention", c.key, m.KVHeads, m.Heads)
		}
		layer := 4*h*h + 2*h*ffn + 13*h              // attention, MLP, biases and two LayerNorms
		got := L*layer + (V+c.positions)*h + c.extra // tied output layer
		if d := math.Abs(got/c.published - 1); d > c.tol {
			t.Errorf("%s: layers, embeddings and norms add to %.0f parameters, the published count is %.0f (%.2f %% off, %.2f %% allowed)",
				c.key, got, c.published, 100*d, 100*c.tol)
		}
	}
}
