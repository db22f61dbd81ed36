package kernel

import "math"

// Arch is a transformer's layer structure where its layers are not all alike
// (DeepSeek-V3's; docs/PHYSICS.md §35, "DeepSeek-V3's layers"). The zero value is the
// plain model: every layer the same (grouped-query attention and one MLP or MoE).
//
//   - Multi-head latent attention (KVLoraRank > 0; DeepSeek-V2 §2.1, DeepSeek-V3 §2.1.1):
//     queries through a rank-QLoraRank latent (0 = projected directly), keys and
//     values through a shared rank-KVLoraRank latent plus one QKRope-wide rotary key;
//     a head's query/key is QKNope + QKRope wide, its value VHead.
//   - The first DenseLayers layers are dense, their gated MLP DenseFFN wide; the others
//     are MoE layers whose SharedExperts experts (as wide as a routed one) take every token
//     beside the routed top-k, and whose router is an h × experts GEMM.
//   - MTP multi-token-prediction modules (DeepSeek-V3 §2.2): each a projection of the
//     concatenated hidden state and next-token embedding (2h → h), two RMSNorms, one
//     MoE layer, and the shared output head and loss again.
type Arch struct {
	DenseLayers, DenseFFN, SharedExperts              float64
	QLoraRank, KVLoraRank, QKNope, QKRope, VHead, MTP float64
}

// plainArch is the plain model's Arch, read only.
var plainArch Arch

// archAt is point i's layer structure: the column's, or &plainArch where the column is
// absent or the entry nil (the training step and memory compare the pointer).
func archAt(col []*Arch, i int) *Arch {
	if a := opt(col, i, nil); a != nil {
		return a
	}
	return &plainArch
}

// expertTP is point i's expert tensor-parallel degree: the ETP column's, or tp where it
// is absent or 0 (Megatron's default, expert_tensor_parallel_size = tp).
func expertTP(col []float64, i int, tp float64) float64 {
	if e := opt(col, i, 0); e > 0 {
		return e
	}
	return tp
}

// Plain reports whether a has no structure beyond one repeated layer.
func (a *Arch) Plain() bool { return *a == Arch{} }

// mla reports whether the attention is latent (MLA).
func (a *Arch) mla() bool { return a.KVLoraRank > 0 }

// AttentionLinearParams is one layer's attention projection weights: MLA's down and
// up projections and output projection, or grouped-query attention's Q, K, V and O.
func (a *Arch) AttentionLinearParams(h, heads, kvHeads float64) float64 {
	if !a.mla() {
		if kvHeads == 0 {
			kvHeads = heads
		}
		return h*(h+2*kvHeads*h/heads) + h*h
	}
	q := h * heads * (a.QKNope + a.QKRope)
	if a.QLoraRank > 0 {
		q = h*a.QLoraRank + a.QLoraRank*heads*(a.QKNope+a.QKRope)
	}
	return q + h*(a.KVLoraRank+a.QKRope) + a.KVLoraRank*heads*(a.QKNope+a.VHead) + heads*a.VHead*h
}

// ArchParams counts a structured model's parameters (weights of its GEMMs and
// embeddings; norms left out, 0.002 % of DeepSeek-V3): total, the routed experts'
// share and those active per token, each without and with the MTP modules (mtp is
// what those add: their layers, projections and norms; the embedding and output head
// are shared). ffn is an expert's width, mats 3 for a gated MLP, 2 for a plain one;
// vocab counts twice (untied input embedding and output head).
func ArchParams(L, h, heads, kvHeads, vocab, experts, topk, ffn, mats float64, a *Arch) (total, routed, active, mtp float64) {
	attn := a.AttentionLinearParams(h, heads, kvHeads)
	moe := L - a.DenseLayers
	expert := mats * h * ffn
	mlps := experts + a.SharedExperts
	if experts == 0 {
		mlps = 1 // a dense model with latent attention: one MLP ffn wide
	}
	moeLayer := attn + mlps*expert + h*experts
	routedLayer := experts * expert
	total = L*attn + a.DenseLayers*mats*h*a.DenseFFN + moe*(moeLayer-attn) + 2*vocab*h
	routed = moe * routedLayer
	active = total - routed + moe*topk*expert
	mtp = a.MTP * (moeLayer + 2*h*h)
	return total, routed, active, mtp
}

// archLayerForwardFLOPs is the forward GEMM FLOPs per token of a structured model's
// layers without the attention scores: dense, MoE (shared and top-k routed experts,
// router) and MTP (an MoE layer and its 2h → h projection), with mats matrices per MLP.
func archLayerForwardFLOPs(h, heads, kvHeads, ffn, topk, experts, mats float64, a *Arch) (dense, moe, mtp float64) {
	attn := 2 * a.AttentionLinearParams(h, heads, kvHeads)
	dense = attn + 2*mats*a.DenseFFN*h
	moe = attn + 2*mats*(math.Max(1, topk)+a.SharedExperts)*ffn*h + 2*h*experts
	return dense, moe, moe + 2*2*h*h
}

// archAttentionScores is the attention core's forward FLOPs per token at sequence s
// (Korthikanti et al. 2022's full s², as attnScores): 2·s·a·(query/key width + value
// width), 4·s·h for multi-head attention.
func archAttentionScores(s, h, heads float64, a *Arch) float64 {
	if !a.mla() {
		return 4 * s * h
	}
	return 2 * s * heads * (a.QKNope + a.QKRope + a.VHead)
}

// stageMix is what one pipeline rank runs per microbatch: its dense, MoE and MTP
// layers and the output layers (with their loss) on it.
type stageMix struct{ dense, moe, mtp, logits float64 }

// SplitLayers is the layer count StepSplit checks a structured model's split with: its
// MTP modules take slots of an interleaved layout that does not divide L (ArchStages),
// so L + MTP; L otherwise (a plain model's MTP modules, if any, are not priced).
func SplitLayers(L, pp, v float64, a *Arch) float64 {
	if a.MTP > 0 && v > 1 && !divides(L, pp*v) {
		return L + a.MTP
	}
	return L
}

// ArchStages lays a structured model's L decoder layers, its MTP modules and the loss
// on pp pipeline ranks of v virtual stages each, as Megatron-Core does (docs/PHYSICS.md
// §35, "Unequal pipeline stages"), and returns each rank's share.
//
//   - Interleaved (v > 1) where L does not cut into pp·v equal chunks but L + MTP + 2
//     does: the embedding, the decoder layers in order, the MTP modules and the loss
//     each take one slot, the slots fill pp·v chunks in order and chunk j runs on rank
//     j mod pp — Megatron-Core's pipeline_model_parallel_layout, as Megatron-Bridge
//     runs DeepSeek-V3 on PP 8 × VP 4: "Et|(tt|)*30mL" (an embedding and one layer,
//     thirty chunks of two, then the MTP and the loss).
//   - Otherwise the decoder layers fill chunks of ⌈L/(pp·v)⌉ in order (the first ranks
//     the deepest where they do not divide) and the MTP modules and the loss go to the
//     last rank (Megatron-Core builds the MTP block on the last pipeline stage).
//
// The first DenseLayers layers are the dense ones. Ok is false for a split that
// cannot be laid out (fewer layers than ranks).
func ArchStages(L, pp, v float64, a *Arch) (ranks []stageMix, ok bool) {
	if pp < 1 || L < pp {
		return nil, false
	}
	v = math.Max(1, v)
	ranks = make([]stageMix, int(pp))
	layer := func(rank int, i float64) {
		if i < a.DenseLayers {
			ranks[rank].dense++
		} else {
			ranks[rank].moe++
		}
	}
	chunks := pp * v
	if v > 1 && pp > 1 && !divides(L, chunks) && divides(L+a.MTP+2, chunks) {
		slots := (L + a.MTP + 2) / chunks
		for item := 0.0; item < L+a.MTP+2; item++ {
			rank := int(math.Mod(math.Floor(item/slots), pp))
			switch {
			case item == 0: // the embedding
			case item <= L:
				layer(rank, item-1)
			case item <= L+a.MTP:
				ranks[rank].mtp++
			default:
				ranks[rank].logits = 1 + a.MTP
			}
		}
		return ranks, true
	}
	per := math.Ceil(L / chunks)
	for i := 0.0; i < L; i++ {
		layer(int(math.Mod(math.Floor(i/per), pp)), i)
	}
	last := &ranks[len(ranks)-1]
	last.mtp, last.logits = a.MTP, 1+a.MTP
	return ranks, true
}

// archFLOPs is a structured model's model and hardware FLOPs per step over tokens
// tokens of sequence s (TrainingStep's convention, Korthikanti et al. 2022 Eq. 7
// generalised: 3 × the forward GEMMs with the full s² attention, and each output head,
// the model's and every MTP module's, 2·h·V per token); hardware FLOPs add the
// recomputed forward.
//
// Under LoRA (frozen base, adapters on the attention; TrainingStep's convention) the
// layers' GEMMs run forward and dgrad (2×), the scores 3×, the adapters 3× and the frozen
// output heads 2×.
func archFLOPs(tokens, s, h, heads, kv, ffn, topk, experts, vocab, L float64, gated, flash, lora bool, rec Recompute, a *Arch) (model, hw float64) {
	mats := 2.0
	if gated {
		mats = 3
	}
	dense, moe, mtp := archLayerForwardFLOPs(h, heads, kv, ffn, topk, experts, mats, a)
	sc := archAttentionScores(s, h, heads, a)
	fwd := a.DenseLayers*(dense+sc) + (L-a.DenseLayers)*(moe+sc) + a.MTP*(mtp+sc)
	model = 3 * tokens * (fwd + (1+a.MTP)*2*h*vocab)
	if lora {
		layers := L + a.MTP
		adapters := 2 * LoRAParams(1, h)
		linear := fwd - layers*sc
		model = tokens * (2*linear + 3*layers*sc + 3*layers*adapters + 2*(1+a.MTP)*2*h*vocab)
		fwd += layers * adapters
	}
	hw = model
	switch rec {
	case RecomputeFull:
		hw += tokens * fwd
	case RecomputeSelective, RecomputeLinearOutputs, RecomputeDeepSeekV3:
		if !flash {
			hw += tokens * (L + a.MTP) * sc
		}
		if rec == RecomputeDeepSeekV3 && a.mla() {
			// The MLA up-projections' forward again (DeepSeek-V3 §3.2.3).
			q := a.QLoraRank
			if q == 0 {
				q = h
			}
			hw += tokens * (L + a.MTP) * 2 * (q*heads*(a.QKNope+a.QKRope) + a.KVLoraRank*heads*(a.QKNope+a.VHead))
		}
	}
	return model, hw
}

// archLayers prices a structured model's dense layer (the MoE key with a dense MLP
// DenseFFN wide and no experts) and MTP module (the MoE layer's times and its 2h → h
// projection, column-parallel, with the two RMSNorms before it) for one microbatch.
// A model without dense layers (or without an MTP module) gets zero times for them:
// its dense layer has no width to be timed at (DenseFFN 0 gave NaN, and 0 · NaN
// poisoned the step).
func archLayers(k *layerKey) (dense, mtp layerTimes) {
	if k.arch.DenseLayers > 0 {
		dense = archDenseLayer(k)
	}
	if k.arch.MTP > 0 {
		mtp = archMTPLayer(k)
	}
	return dense, mtp
}

// archDenseLayer is the MoE key's layer with a dense MLP DenseFFN wide and no experts.
func archDenseLayer(k *layerKey) layerTimes {
	d, da := *k, *k.arch
	da.SharedExperts = 0
	d.experts, d.topk, d.ffn, d.arch = 0, 1, k.arch.DenseFFN, &da
	return layerStep(&d)
}

// archMTPLayer is the MTP module: the MoE layer's times and its 2h → h projection.
func archMTPLayer(k *layerKey) (mtp layerTimes) {
	mtp = layerStep(k)
	mtp.logits = 0
	n := k.b * k.s / k.cp
	h, e, tp := k.h, k.bytes, k.tp
	rate, in := k.rate, e
	if k.fp8 != FP8None {
		rate, in = k.rate8, 1
	}
	gradBytes := 2 * e
	if k.fp32 {
		gradBytes = GradAccumFP32Bytes
	}
	E := n * h
	if k.sp {
		E /= tp
	}
	mtp.fwd += gemmTime(n, h/tp, 2*h, 1, rate, k.sms, k.bw, in, e) + 2*2*E*e/k.bw
	w := gemmTime(2*h, h/tp, n, 1, rate, k.sms, k.bw, in, gradBytes)
	mtp.bwd += gemmTime(n, 2*h, h/tp, 1, rate, k.sms, k.bw, in, e) + w + 2*5*E*e/k.bw
	mtp.w += w
	return mtp
}

// archActivations is what an MoE or structured model's layer keeps for its backward
// beyond calibratedActivations' count of a plain layer with one MLP (ffn wide, kv
// key/value heads), in bytes for tokens tokens at b bytes per element, averaged over
// its L layers (docs/PHYSICS.md §35, "DeepSeek-V3's layers" and "MoE activations";
// a plain MoE model is a = the zero Arch):
//
//   - latent attention keeps, split over tp, its queries and keys (a·(QKNope + QKRope)
//     each), values and the output projection's input (a·VHead each) in place of
//     grouped-query attention's 2h + 2h·kv/a; and, on every TP rank (the down
//     projections are replicated), the query and key/value latents before and after
//     their RMSNorms and the rotary key: 2·(QLoraRank + KVLoraRank) + QKRope;
//   - an MoE layer's MLP keeps the intermediates of its topk routed and its shared
//     experts, (g+1)·ffn each (g = 2 gated; g·ffn keeping linear outputs), where the
//     plain count has one: every routed copy of a token runs its expert's own up/gate
//     GEMMs and keeps their outputs (Megatron-Core MoE; Korthikanti et al. 2022 §4.1
//     per MLP); a dense layer's, (g+1)·DenseFFN.
//
// Full recomputation keeps only the layer input: nothing more.
//
// DeepSeek-V3's recomputation (RecomputeDeepSeekV3; report §3.2.3 and §3.3.3) keeps
// less: the MLA up-projections re-run in the backward, so of the attention's tensors
// only the output projection's input (a·VHead, split) is kept, beside the two latents
// before their RMSNorms (which re-run too) and the rotary key (QLoraRank + KVLoraRank +
// QKRope, replicated); an MoE layer keeps only the inputs of its experts' SwiGLU, g·ffn
// per routed and shared expert, in FP8 (1 byte) under an FP8 recipe ("also stored in
// FP8 with our fine-grained quantization method") and its output is recomputed, in
// place of the plain count's (g+1)·ffn at b bytes (ffn at 1 byte with FP8:
// fp8SavedInputs). Dense layers keep their MLP as the plain count does. fp8 says
// whether the linear GEMMs run in FP8.
func archActivations(tokens, h, heads, kv, ffn, topk, L, tp, b float64, gated, fp8 bool, r Recompute, a *Arch) float64 {
	if r == RecomputeFull {
		return 0
	}
	up := 1.0
	if gated {
		up = 2
	}
	// Each MLP keeps its up (and gate) outputs and its activation's output, (g+1)·ffn;
	// keeping the linear outputs recomputes the activation's (calibratedActivations).
	mlp := up + 1
	if r == RecomputeLinearOutputs {
		mlp = up
	}
	var split, replicated float64
	if r == RecomputeDeepSeekV3 {
		if a.mla() {
			split += heads*a.VHead - (2*h + 2*h*kv/heads)
			replicated += a.QLoraRank + a.KVLoraRank + a.QKRope
		}
		plain := (up + 1) * ffn // the plain count's MLP, in b-byte elements
		cached := b             // the SwiGLU input's bytes per element
		if fp8 {
			plain -= (b - 1) / b * ffn // fp8SavedInputs: the activation output at 1 byte
			cached = 1
		}
		moe := up*ffn*(math.Max(1, topk)+a.SharedExperts)*cached/b - plain
		dense := (up+1)*a.DenseFFN - (up+1)*ffn
		if topk == 0 {
			moe = 0 // no experts: a dense model keeps its MLP as the plain count has it
		}
		split += ((L-a.DenseLayers)*moe + a.DenseLayers*dense) / L
		return tokens * b * (split/tp + replicated)
	}
	if a.mla() {
		split += 2*heads*(a.QKNope+a.QKRope) + 2*heads*a.VHead - (2*h + 2*h*kv/heads)
		replicated += 2*(a.QLoraRank+a.KVLoraRank) + a.QKRope
	}
	moe := mlp * ffn * (math.Max(1, topk) + a.SharedExperts - 1)
	dense := mlp*a.DenseFFN - mlp*ffn
	if fp8 && r != RecomputeLinearOutputs {
		// TE saves each MLP-down GEMM's input, the activation's output, as its 1-byte FP8
		// cast: fp8SavedInputs takes (b − 1)/b off the first ffn of it, so every further
		// expert's, and a dense layer's wider one, are 1 byte too (fp8MLPOutputs).
		moe -= fp8MLPOutputs(ffn*(math.Max(1, topk)+a.SharedExperts-1), b)
		dense -= fp8MLPOutputs(a.DenseFFN-ffn, b)
	}
	split += ((L-a.DenseLayers)*moe + a.DenseLayers*dense) / L
	return tokens * b * (split/tp + replicated)
}

// fp8MLPOutputs is what counting elems MLP-activation outputs at 1 byte (their FP8 cast,
// which TE's Linear and GroupedLinear save for the MLP-down GEMM's weight gradient) in
// place of b bytes takes off a count kept in b-byte elements: (b − 1)/b of them.
func fp8MLPOutputs(elems, b float64) float64 {
	return elems * (b - 1) / b
}

// MoEExpertInputs is the activation memory, in bytes, that an MoE layer's routed experts
// keep for their weight gradients beyond what archActivations counts: each routed copy of
// a token is the input of its expert's first GEMM (up and gate), which saves it for the
// weight gradient — Megatron-Core's grouped MLP runs linear_fc1 on the permuted tokens
// (megatron/core/transformer/moe/experts.py, TEGroupedMLP: a TE GroupedLinear, whose
// forward saves its inputs for the wgrad GEMM, transformer_engine/pytorch/module/
// grouped_linear.py, ctx.save_for_backward(*inputmats)), a tensor of its own beside the
// norm's output that the router and the shared expert read. A rank keeps the rows its
// experts receive: etp·tokens/tp·topk of h (the dispatcher routes each TP rank's own
// tokens and gathers them over the expert-TP group, TrainingStep), at b bytes, or 1 when
// the GEMMs run in FP8 (TE saves the FP8 cast; DeepSeek-V3 dispatches and caches its
// expert inputs in FP8, report §3.3.3). moeFraction is the share of the layers that are
// MoE layers (a structured model's first layers are dense). Full recomputation keeps only
// the layer's input.
func MoEExpertInputs(tokens, h, topk, tp, etp, b, moeFraction float64, fp8 bool, r Recompute) float64 {
	if r == RecomputeFull || topk <= 0 {
		return 0
	}
	if fp8 {
		b = 1
	}
	return moeFraction * tokens * etp / tp * topk * h * b
}
