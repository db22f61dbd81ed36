package kernel

import "math"

// Serving is the LLM serving model (physics.md §6.1, ServingModel; Wall 4):
// prefill is compute-bound, decode memory-bound.
//
//	n      = max(1, S − cached prefix)                       new prompt tokens
//	TTFT   = (2·P·n·B + 4·L·H·d·n·S·B) / (F·η) + dispatch · chunks
//	KV     = kv elements per token · S · B · b               (full context, MLA aware)
//	ITL    = (P·b + KV) / BW_HBM + L · 0.01 ms
//	feasible iff P·b + KV ≤ HBM capacity
//
// With chunked prefill of c tokens, chunks = ceil(n/c) and the longest chunk,
// (2·P·c'·B + 4·L·H·d·c'·S·B)/(F·η) + dispatch with c' = min(c, n), bounds how
// long one chunk stalls decode. P is the total parameter count, also for MoE (as the seed).
//
// Tensor parallelism over tp accelerators (ours; the seed serves on one device): each holds
// 1/tp of the weights and KV cache and does 1/tp of the math, and every layer all-reduces
// its activations twice per forward pass (after attention and after the MLP; Shoeybi et
// al. 2019, Megatron-LM §3): 2·L·ring(tokens·B·h·b, tp, β, 500 ns) with β the per-direction
// scale-up link. Sizes stay per replica; feasibility and utilisation are per accelerator.
//
// With ComputeFloor (the calibrated profile, docs/PHYSICS.md §31) a decode step also
// cannot beat the roofline's compute side (Williams, Waterman & Patterson 2009): the
// streaming term becomes max(bytes/tp/BW, (2·P·B + coef·S·B)/(F·η·tp)), one new token per
// sequence attending over S. The seed keeps decode purely memory-bound, which at large
// batches predicts more tokens/s than the accelerator's FLOP/s allow.
func Serving(out *ServeOut, in *ServeIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		p, b, s, batch := in.Params[i], in.Bytes[i], in.SeqLen[i], in.Batch[i]
		tp := 1.0
		if in.TP != nil && in.TP[i] > 1 {
			tp = in.TP[i]
		}
		rate := in.PeakFLOPS[i] * in.Efficiency[i] * tp
		newTok := math.Max(1, s-in.CachedPrefix[i])
		coef := in.AttnCoef[i]
		dispatch := in.DispatchTax[i]
		// allReduces is the TP communication of one forward pass over tokens per sequence.
		allReduces := func(tokens float64) float64 {
			if tp == 1 {
				return 0
			}
			h := in.Hidden[i]
			if h == 0 {
				h = DefaultHidden
			}
			return 2 * in.Layers[i] * RingAllReduce(tokens*batch*h*b, tp, in.TPBandwidth[i], NVLinkLatencyS)
		}

		ttft := ForwardFLOPs(p, coef, newTok, s, batch)/rate + allReduces(newTok)
		chunks := 1.0
		chunkMax := 0.0
		if c := in.ChunkTokens[i]; c > 0 {
			chunks = math.Max(1, math.Ceil(newTok/c))
			cc := math.Min(c, newTok)
			chunkMax = ForwardFLOPs(p, coef, cc, s, batch)/rate + allReduces(cc) + dispatch
		}
		ttft += dispatch * chunks

		w := p * b
		kv := in.KVElemsPerToken[i] * s * batch * b
		total := w + kv
		comm := allReduces(1)
		stream := total / tp / in.MemBandwidth[i]
		computeBound := false
		if in.ComputeFloor {
			if compute := ForwardFLOPs(p, coef, 1, s, batch) / rate; compute > stream {
				stream, computeBound = compute, true
			}
		}
		itl := stream + LayerTaxS*in.Layers[i] + comm

		out.TTFT[i] = ttft
		out.ITL[i] = itl
		out.KVBytes[i] = kv
		out.WeightBytes[i] = w
		out.TotalBytes[i] = total
		out.MemUtilization[i] = total / tp / in.MemCapacity[i]
		out.TokensPerS[i] = batch / itl
		out.Chunks[i] = chunks
		out.ChunkTime[i] = chunkMax
		out.TPComm[i] = comm
		out.Feasible[i] = total/tp <= in.MemCapacity[i]
		out.ComputeBound[i] = computeBound
	}
}

// ServeIn holds the input columns of Serving.
type ServeIn struct {
	Params          []float64 // total parameters
	Layers          []float64 // decode layer tax (model.layers)
	AttnCoef        []float64 // AttentionFLOPsCoef(layers, heads, hidden)
	KVElemsPerToken []float64 // KVElemsPerToken(...)
	Bytes           []float64 // bytes per element
	SeqLen          []float64 // context length S
	Batch           []float64
	CachedPrefix    []float64 // tokens served from a prefix cache (0 = none)
	ChunkTokens     []float64 // prefill chunk size (0 = not chunked)
	Efficiency      []float64
	PeakFLOPS       []float64
	MemBandwidth    []float64
	MemCapacity     []float64
	DispatchTax     []float64 // s

	// Tensor parallelism (optional: nil TP means one accelerator).
	TP          []float64 // accelerators sharing the model
	TPBandwidth []float64 // per-direction bytes/s between them
	Hidden      []float64 // hidden size for the activation all-reduces (0 = 4096)

	// ComputeFloor bounds a decode step below by its FLOPs (calibrated profile).
	ComputeFloor bool
}

// ServeOut holds the output columns of Serving; times in s, sizes in bytes.
type ServeOut struct {
	TTFT, ITL                        []float64
	KVBytes, WeightBytes, TotalBytes []float64
	MemUtilization, TokensPerS       []float64
	Chunks, ChunkTime                []float64 // ChunkTime = 0 when not chunked
	TPComm                           []float64 // TP all-reduce time per decode step (0 at tp = 1)
	Feasible                         []bool
	ComputeBound                     []bool // the decode step's FLOPs outlast its bytes (ComputeFloor only)
}

func (o *ServeOut) resize(n int) {
	for _, p := range []*[]float64{&o.TTFT, &o.ITL, &o.KVBytes, &o.WeightBytes, &o.TotalBytes,
		&o.MemUtilization, &o.TokensPerS, &o.Chunks, &o.ChunkTime, &o.TPComm} {
		*p = grow(*p, n)
	}
	o.Feasible = grow(o.Feasible, n)
	o.ComputeBound = grow(o.ComputeBound, n)
}
