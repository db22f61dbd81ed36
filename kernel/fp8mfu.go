package kernel

// MFU and HFU under an FP8 recipe (docs/PHYSICS.md §35, "FP8 mixed precision"). Model
// FLOPs utilisation is the observed throughput over "the theoretical maximum throughput
// of a system operating at peak FLOPs" (Chowdhery et al. 2022, PaLM, Appendix B). A
// step whose linear GEMMs run in FP8 and the rest in the training precision reaches
// that maximum with each FLOP at its own format's peak, so its peak time is
// F8/peak8 + (F − F8)/peak: against the precision's peak alone the utilisation of an
// FP8 step was not bounded by 1 (Llama 3 70B on one H100 at bf16 with current scaling:
// 1.02; at fp32, whose CUDA-core peak is 67 TFLOP/s, 2.03).

// fp8RestFLOPs is what an FP8 recipe leaves in the training precision of a step's model
// FLOPs (fp8training.go: the transformer layers' linear GEMMs run in FP8, the attention
// and the output layer do not): the attention scores of every layer (sc per token, the
// forward), the output layer (logits per token, its forward), and with LoRA the
// adapters (TrainingStep's FLOP count: 3 × each forward, LoRA's frozen output layer
// 2 ×). recomputed is what recomputation adds of them to the hardware FLOPs: a full
// recomputation's attention scores (and adapters), or a selective one's scores where
// the attention is not fused.
func fp8RestFLOPs(tokens, layers, sc, logits, h float64, lora bool, rec Recompute, flash bool) (rest, recomputed float64) {
	var adapters float64
	rest = 3 * tokens * (layers*sc + logits)
	if lora {
		adapters = 2 * LoRAParams(1, h)
		rest = tokens * (3*layers*(sc+adapters) + 2*logits)
	}
	switch rec {
	case RecomputeFull:
		recomputed = tokens * layers * (sc + adapters)
	case RecomputeSelective, RecomputeLinearOutputs, RecomputeDeepSeekV3:
		if !flash {
			recomputed = tokens * layers * sc
		}
	}
	return rest, recomputed
}

// mixedPeakFLOPs is the FLOPs that take, at peak, the time flops take with all but
// rest of them at peak8: rest + (flops − rest) · peak/peak8. Divided by the step's
// time, accelerators and peak it is the utilisation of the mixed-format step.
func mixedPeakFLOPs(flops, rest, peak, peak8 float64) float64 {
	if rest > flops {
		rest = flops
	}
	return rest + (flops-rest)*peak/peak8
}

// fp8PeakAt is point i's FP8 peak (StepIn.FP8Peak), 0 where the column is short.
func fp8PeakAt(in *StepIn, i int) float64 {
	return opt(in.FP8Peak, i, 0)
}
