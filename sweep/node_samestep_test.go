package sweep

import (
	"slices"
	"testing"
)

// TestNodeTrainingDedupEqualsPointwise: a node grid whose efficiency axis repeats each
// calibrated training step (trainingStep prices it once) gives every output bit a point
// evaluated alone gives, on accelerators with a measured matmul rate (where the rows
// share a step) and without one (where efficiency prices the GEMMs and they must not).
func TestNodeTrainingDedupEqualsPointwise(t *testing.T) {
	src := "version: 1\nstudy: node\nfixed:\n  training: true\n  seq_len: 1024\naxes:\n" +
		"  model: [Llama3_8B, GPT2, ResNet50]\n  hardware: [H100, A100, TPUv5p, MI300X]\n" +
		"  precision: [fp16, fp8]\n  batch_size: [1, 4]\n  lora: [false, true]\n  efficiency: [0.3, 0.5, 0.7]\n"
	p := mustPlan(t, src)
	if err := p.SetProfile("calibrated"); err != nil {
		t.Fatal(err)
	}
	b, all, ev := wholeAndAlone(t, p)
	// The last chunk's evaluation (chunks of 1,024 points hold this whole grid).
	if ne := ev.(*chunked).ev.(*nodeEval); len(ne.steps) == len(ne.rows) || len(ne.steps)-len(ne.rows) >= b.N {
		t.Fatalf("%d repeated steps of %d points: the grid should repeat some and not all", len(ne.steps)-len(ne.rows), b.N)
	}
	lat := slices.IndexFunc(p.Study.Columns, func(c Column) bool { return c.Name == "latency_ms" })
	differ := false
	for k := 1; k < b.N; k++ {
		if all.F64[lat][k] != all.F64[lat][k-1] {
			differ = true
		}
	}
	if !differ {
		t.Fatal("every latency equal: the grid tests nothing")
	}
}
