package kernel

// InferenceScaling is the cost of answering one query with chain-of-thought
// reasoning (physics.md §6.6, InferenceScalingModel; Wall 12):
//
//	sv     = Serving(S = context length, batch 1)
//	t_step = 50 · sv.ITL                     (50 tokens per reasoning step)
//	total  = sv.TTFT + K · t_step            (K reasoning steps)
//	tokens = 50 · K
//	energy = TDP · total                     (full TDP, no utilisation scaling; 0 if unstated)
//	feasible = sv.feasible
//
// The seed evaluates Serving at batch 1; the kernel evaluates whatever in.Serve
// holds and keeps the Serving result in out.Serve (the seed's serving_detail).
func InferenceScaling(out *ReasonOut, in *ReasonIn) {
	Serving(&out.Serve, &in.Serve)
	n := len(in.ReasoningSteps)
	out.resize(n)
	for i := 0; i < n; i++ {
		k := in.ReasoningSteps[i]
		step := TokensPerReasoningStep * out.Serve.ITL[i]
		total := out.Serve.TTFT[i] + k*step
		out.TimePerStep[i] = step
		out.TotalTime[i] = total
		out.Tokens[i] = TokensPerReasoningStep * k
		out.Energy[i] = in.TDP[i] * total
	}
}

// TokensPerReasoningStep is TOKENS_PER_REASONING_STEP (physics.md §6.6, §10).
const TokensPerReasoningStep = 50

// DefaultReasoningSteps is the seed's reasoning_steps default.
const DefaultReasoningSteps = 8

// ReasonIn holds the input columns of InferenceScaling.
type ReasonIn struct {
	Serve          ServeIn   // SeqLen = context length, Batch = 1 in the seed
	ReasoningSteps []float64 // K
	TDP            []float64 // W, 0 = not stated
}

// ReasonOut holds the output columns of InferenceScaling; times in s, energy in J.
type ReasonOut struct {
	Serve                  ServeOut // TTFT, ITL and feasibility of the serving point
	TotalTime, TimePerStep []float64
	Tokens                 []float64 // generated tokens
	Energy                 []float64 // J per query
}

func (o *ReasonOut) resize(n int) {
	for _, p := range []*[]float64{&o.TotalTime, &o.TimePerStep, &o.Tokens, &o.Energy} {
		*p = grow(*p, n)
	}
}
