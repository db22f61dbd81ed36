package kernel

import "math"

// rankContent is what one pipeline rank of a structured model holds in training
// memory (trainingMemoryCalibrated; docs/PHYSICS.md §35, "The most loaded pipeline
// rank"): the parameters of its stages before tensor parallelism, dense (attention,
// dense MLPs, shared experts, routers, MTP projections, embedding and output head) and
// routed experts (before etp·ep), its transformer layers (MTP modules counted as
// layers), and the activations it keeps at its peak as layer-microbatches (each of its
// stages' layers times that stage's microbatches in flight), output-head-microbatches
// (each head's logits) and embedding-microbatches (the embedding dropout mask).
type rankContent struct {
	dense, expert, layers     float64
	actLayers, logits, embeds float64
}

// stageParams is the dense and routed parameters of one stage's mix (stageMix).
type stageParams struct {
	denseLayer, moeDense, moeRouted, mtpDense, vocab float64
}

func (p *stageParams) of(s stageMix) (dense, routed float64) {
	dense = s.dense*p.denseLayer + s.moe*p.moeDense + s.mtp*p.mtpDense
	routed = (s.moe + s.mtp) * p.moeRouted
	if s.logits > 0 {
		dense += p.vocab // the output head, shared by the MTP modules (DeepSeek-V3 §2.2)
	}
	return dense, routed
}

// rankContents returns the contents of every pipeline rank of point i, or nil where the
// memory keeps its first-stage count (a plain model, whose first stage — its layers and
// the input embedding, the most pipeline microbatches in flight — is never lighter than
// its last, which holds the same layers, an output head as large as the embedding and one
// microbatch; or no pipeline; or a split ArchStages cannot lay out). buf is reused.
//
// A rank of 1F1B holds stage r with min(pp − r, m) microbatches in flight (Korthikanti
// et al. 2022 §4.2.3); of the interleaved schedule its v chunks (ArchStages) with
// min(2·(pp − r − 1) + (v − 1)·pp + 1, m·v) chunk-microbatches, Megatron-Core's warm-up
// and one more, which on rank 0 is Korthikanti's pp·(1 + (pp−1)/(pp·v)) stages. Under DualPipe rank r holds stages k and pp−1−k, k =
// min(r, pp−1−r), and at its peak — the main loop's F0 before B0
// (deepseek-ai/DualPipe dualpipe.py at 3da1bbe, DualPipe.step: step 1 runs
// (pp/2 − k − 1)·2 forwards of its first chunk alone, step 2 k + 1 pairs of forwards of
// both, step 3 backs out of the second chunk as it goes forward, step 4 one forward more
// of the first) pp − k microbatches of stage k and k + 1 of stage pp−1−k: pp + 1 in all,
// the README's "Activation Per Device PP+1".
func rankContents(in *TrainMemIn, i int, dual bool, buf []rankContent) []rankContent {
	arch := archAt(in.Arch, i)
	pp, L, h := in.PP[i], in.Layers[i], in.Hidden[i]
	v := math.Max(1, in.VirtualStages[i])
	if pp <= 1 || arch.Plain() || h == 0 || in.Heads[i] == 0 {
		return nil
	}
	stages, ok := ArchStages(L, pp, v, arch)
	if !ok {
		return nil
	}
	mats := 2.0
	if in.Gated[i] {
		mats = 3
	}
	kv, ffn := layerWidths(h, in.Heads[i], in.KVHeads[i], in.FFN[i])
	attn := arch.AttentionLinearParams(h, in.Heads[i], kv)
	var p stageParams
	p.denseLayer = attn + mats*h*arch.DenseFFN
	p.moeDense = attn + mats*h*ffn // a dense model with latent attention: one MLP ffn wide
	if moe := L - arch.DenseLayers; in.ExpertParams[i] > 0 && moe > 0 {
		p.moeRouted = in.ExpertParams[i] / moe
		experts := p.moeRouted / (mats * h * ffn)
		p.moeDense = attn + arch.SharedExperts*mats*h*ffn + h*experts // shared experts and the router
	}
	p.mtpDense = p.moeDense + 2*h*h // an MoE layer and its 2h → h projection (ArchParams)
	p.vocab = in.Vocab[i] * h
	// The catalog's dense count beyond the layers' and embeddings' (norms, anything the
	// widths do not show) spreads evenly over the ranks, as the memory counted it before.
	counted := arch.DenseLayers*p.denseLayer + (L-arch.DenseLayers)*p.moeDense + 2*p.vocab
	rest := math.Max(0, in.Params[i]-in.ExpertParams[i]-counted) / pp
	m := in.InFlight[i]
	buf = buf[:0]
	n := len(stages)
	for r := 0; r < n; r++ {
		var c rankContent
		add := func(s int, inFlight, heads float64) {
			d, e := p.of(stages[s])
			if s == 0 {
				d += p.vocab // the input embedding
				c.embeds += inFlight
			}
			layers := stages[s].dense + stages[s].moe + stages[s].mtp
			c.dense += d
			c.expert += e
			c.layers += layers
			c.actLayers += layers * inFlight
			c.logits += stages[s].logits * heads
		}
		if dual {
			k := min(r, n-1-r)
			add(k, pp-float64(k), pp-float64(k))
			add(n-1-k, float64(k)+1, float64(k)+1)
		} else {
			// Megatron-Core's warm-up forwards (schedules.py,
			// forward_backward_pipelining_with_interleaving: (pp − r − 1)·2 + (v − 1)·pp
			// model-chunk microbatches, at most all m·v of them) and the steady state's
			// one more, in chunk-microbatches; a rank's v chunks taken alike. Without
			// interleaving: min(pp − r, m).
			f := math.Min(pp-float64(r), m)
			if v > 1 {
				f = math.Min(2*(pp-float64(r)-1)+(v-1)*pp+1, m*v) / v
			}
			// The loss chunk's logits: one microbatch (the last rank's warm-up runs its
			// other chunks; in the steady state a forward of it is followed by its backward).
			add(r, f, 1)
		}
		if dual {
			c.dense += 2 * rest
		} else {
			c.dense += rest
		}
		buf = append(buf, c)
	}
	return buf
}
