package kernel

// Family is the kind of workload, which decides how it lowers to FLOPs and weight
// bytes (physics.md §2.1, Workload.lower).
type Family uint8

const (
	Generic Family = iota
	Transformer
	MoE
	CNN
	SSM
	Diffusion
)

// WorkloadOps is the FLOP count of one unit of work (a token for language models,
// an input for vision models): the stated inference FLOPs, else 2 × (active)
// parameters; diffusion multiplies by its denoising steps.
func WorkloadOps(f Family, inferenceFLOPs, params, activeParams, denoisingSteps float64) float64 {
	ops := inferenceFLOPs
	if ops == 0 {
		switch f {
		case MoE:
			ops = 2 * activeParams
		case CNN:
			ops = 0 // CNNs must state their FLOPs; the catalog enforces it
		default:
			ops = 2 * params
		}
	}
	if f == Diffusion && denoisingSteps > 0 {
		ops *= denoisingSteps
	}
	return ops
}

// WeightBytes is the resident weight size: parameters × bytes per element, or the
// stated model size for a generic workload without a parameter count.
func WeightBytes(f Family, params, modelSizeBytes, bytesPerElem float64) float64 {
	if params == 0 && f == Generic {
		return modelSizeBytes
	}
	return params * bytesPerElem
}

// Transformer shape defaults the seed applies when a model leaves a field out
// (physics.md §2.1, §6.1).
const (
	DefaultHidden = 4096
	DefaultHeads  = 32
)

// HeadDim is hidden // heads with the seed's defaults (integer division).
func HeadDim(hidden, heads float64) float64 {
	if hidden == 0 {
		hidden = DefaultHidden
	}
	if heads == 0 {
		heads = DefaultHeads
	}
	return float64(int64(hidden) / int64(heads))
}

// KVElemsPerToken is the number of KV-cache elements one token of one sequence
// keeps: L·(r_kv + r_rope) for multi-head latent attention, else 2·L·H_kv·d
// (physics.md §2.1 get_kv_cache_size).
func KVElemsPerToken(layers, heads, kvHeads, hidden, kvLoraRank, ropeDim float64) float64 {
	if kvLoraRank > 0 && ropeDim > 0 {
		return layers * (kvLoraRank + ropeDim)
	}
	h := heads
	if h == 0 {
		h = DefaultHeads
	}
	kv := kvHeads
	if kv == 0 {
		kv = h
	}
	return 2 * layers * kv * HeadDim(hidden, heads)
}

// AttentionFLOPsCoef is 4·L·H·d: prefill attention costs coef·n·S·B FLOPs for n new
// tokens attending a context of S (physics.md §6.1), with L = layers or 1.
func AttentionFLOPsCoef(layers, heads, hidden float64) float64 {
	l := layers
	if l == 0 {
		l = 1
	}
	h := heads
	if h == 0 {
		h = DefaultHeads
	}
	return 4 * l * h * HeadDim(hidden, heads)
}

// ForwardFLOPs is one forward pass of batch sequences, each adding n new tokens that
// attend a context of s: 2·P·n·B + coef·n·s·B, with coef from AttentionFLOPsCoef
// (physics.md §6.1's TTFT numerator). n = s is a whole prompt's prefill, n = 1 one
// decode step; Serving, the batchers and the calibrated compute floor all count it here.
func ForwardFLOPs(params, coef, n, s, batch float64) float64 {
	return 2*params*n*batch + coef*n*s*batch
}
