package sweep

import (
	"math"
	"os"
	"strings"
	"testing"
)

// TestChunkedEqualsWhole holds every output bit of a serving evaluator run in chunks
// (inChunks, as sweeps run it) to the same evaluator run on the whole batch at once,
// for each serving study under both profiles, filtered grids and drafting included.
func TestChunkedEqualsWhole(t *testing.T) {
	file := func(name string) string {
		src, err := os.ReadFile("../grids/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(src)
	}
	specs := map[string]string{
		"serving-frontier": file("serving-frontier.yaml"),
		// serve-capacity.yaml with every batch size: more points than a chunk
		"serve-capacity": strings.Replace(file("serve-capacity.yaml"), "  max_batch_size: 32\n", "", 1) +
			"  max_batch_size: [1, 8, 32, 128]\n",
		"serving-deploy": file("serving-deploy.yaml"), // where filters: batches carry IDs
		"serve layouts and drafts": "version: 1\nstudy: serve\naxes:\n  model: [Llama3_70B, Mixtral_8x7B]\n  hardware: [H100, MI300X, TPUv5p]\n" +
			"  precision: [fp16, fp8]\n  tp: [1, 2, 8]\n  pp: [1, 2]\n  draft_model: [none, mtp, Llama3_8B]\n  batch_size: {range: [1, 64]}\n" +
			"  seq_len: [512, 8192]\n  prefill_chunk_tokens: [0, 2048]\n",
		"serve-sla": "version: 1\nstudy: serve-sla\naxes:\n  model: [Llama3_8B, Mixtral_8x7B]\n  hardware: [H100, A100]\n" +
			"  precision: [fp16, int4]\n  batch_size: {range: [1, 512]}\n  seq_len: [1024, 4096]\n",
		"node": "version: 1\nstudy: node\naxes:\n  model: all\n  hardware: [H100, A100, MI300X, TPUv5p]\n  precision: [fp16, fp8, int8]\n" +
			"  batch_size: {range: [1, 16]}\n  training: [false, true]\n",
		"batching": "version: 1\nstudy: batching\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100, H200]\n" +
			"  precision: [fp16, fp8]\n  max_batch_size: {range: [1, 512]}\n  seq_len: [1024, 4096]\n  mean_request_tokens: [0, 700]\n",
	}
	for name, src := range specs {
		for _, profile := range Profiles {
			t.Run(name+"/"+profile, func(t *testing.T) {
				p := mustPlan(t, src)
				if err := p.SetProfile(profile); err != nil {
					t.Fatal(err)
				}
				ev, ok := p.Study.newEval(p).(*chunked)
				if !ok {
					t.Fatalf("study %s does not evaluate in chunks", p.Study.Name)
				}
				whole := p.Study.newEval(p).(*chunked).ev
				n := int(min(p.N, 8*evalChunk+123))
				split := false
				for _, lo := range []uint64{0, (p.N - uint64(n)) / 2} {
					var b Batch
					p.Fill(&b, lo, n)
					split = split || b.N > evalChunk
					var got, want Outputs
					got.resize(p.Study, b.N)
					want.resize(p.Study, b.N)
					ev.eval(&b, &got)
					whole.eval(&b, &want)
					sameOutputs(t, p, &b, &got, &want)
				}
				if !split {
					t.Fatal("no batch after filters is larger than a chunk; the test needs more points")
				}
			})
		}
	}
}

func sameOutputs(t *testing.T, p *Plan, b *Batch, got, want *Outputs) {
	t.Helper()
	for i, c := range p.Study.Columns {
		for k := 0; k < b.N; k++ {
			if g, w := outputCell(got, c, i, k), outputCell(want, c, i, k); g != w {
				t.Fatalf("point %d of the batch, column %s: chunked %v, whole %v", k, c.Name, g, w)
			}
		}
	}
}

// outputCell is row k of output column i as a comparable value: a float by its bits, so
// that NaN payloads and signed zeros count.
func outputCell(o *Outputs, c Column, i, k int) any {
	switch c.Type {
	case Float64:
		return math.Float64bits(o.F64[i][k])
	case Bool:
		return o.Bool[i][k]
	case Enum:
		return o.Code[i][k]
	}
	return nil
}

// wholeAndAlone evaluates every point of p in one batch, then each point alone (a batch of
// one point, a fresh evaluator), and fails unless every output bit agrees (sameAlone). It
// returns the whole batch, its outputs and the evaluator that made them.
func wholeAndAlone(t *testing.T, p *Plan) (*Batch, *Outputs, evaluator) {
	t.Helper()
	b, all := &Batch{}, &Outputs{}
	p.Fill(b, 0, int(p.N))
	all.resize(p.Study, b.N)
	ev := p.Study.newEval(p)
	ev.eval(b, all)
	one := p.Study.newEval(p)
	var ob Batch
	var o Outputs
	o.resize(p.Study, 1)
	for k := range b.N {
		id := b.Lo + uint64(k)
		if b.IDs != nil {
			id = b.IDs[k]
		}
		p.Fill(&ob, id, 1)
		one.eval(&ob, &o)
		sameAlone(t, p, &o, all, k, id)
	}
	return b, all, ev
}

// sameAlone fails unless point id, evaluated alone into alone (one row), has every output
// bit row k of the batch's outputs all has.
func sameAlone(t *testing.T, p *Plan, alone, all *Outputs, k int, id uint64) {
	t.Helper()
	for i, c := range p.Study.Columns {
		if got, want := outputCell(alone, c, i, 0), outputCell(all, c, i, k); got != want {
			t.Fatalf("point %d: %s alone %v, in the batch %v", id, c.Name, got, want)
		}
	}
}
