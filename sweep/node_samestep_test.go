package sweep

import "testing"

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
	var b Batch
	p.Fill(&b, 0, int(p.N))
	var all Outputs
	all.resize(p.Study, b.N)
	ev := p.Study.newEval(p)
	ev.eval(&b, &all)
	// The last chunk's evaluation (chunks of 1,024 points hold this whole grid).
	if ne := ev.(*chunked).ev.(*nodeEval); len(ne.steps) == len(ne.rows) || len(ne.steps)-len(ne.rows) >= b.N {
		t.Fatalf("%d repeated steps of %d points: the grid should repeat some and not all", len(ne.steps)-len(ne.rows), b.N)
	}
	lat := -1
	for i, c := range p.Study.Columns {
		if c.Name == "latency_ms" {
			lat = i
		}
	}
	differ := false
	one := p.Study.newEval(p)
	var ob Batch
	var o Outputs
	o.resize(p.Study, 1)
	if b.IDs != nil {
		t.Fatal("the grid has no filter: its batch should be contiguous")
	}
	for k := range b.N {
		id := b.Lo + uint64(k)
		p.Fill(&ob, id, 1)
		one.eval(&ob, &o)
		sameAlone(t, p, &o, &all, k, id)
		if k > 0 && all.F64[lat][k] != all.F64[lat][k-1] {
			differ = true
		}
	}
	if !differ {
		t.Fatal("every latency equal: the grid tests nothing")
	}
}
