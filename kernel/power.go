package kernel

// AcceleratorPowerW is an accelerator's draw from what it does (calibrated profile,
// docs/PHYSICS.md §33): a static floor, plus a compute term that reaches the TDP when the
// math units run at peak, plus a memory term for streaming HBM,
//
//	P = TDP · min(1, f_idle + (1 − f_idle)·u_c + (f_mem − f_idle)·u_m)
//
// with u_c the achieved FLOP/s over the peak and u_m the achieved bytes/s over the
// measured streaming bandwidth (both clamped to [0, 1]). f_idle is the seed's static
// fraction (0.30); f_mem = MemoryBoundPowerFraction is the draw of a decode step that
// saturates HBM with little math. The seed's 0.30 + 0.70·MFU (SeedPowerW) has no memory
// term, so a memory-bound decode step sits at the idle floor.
func AcceleratorPowerW(tdp, uCompute, uMemory float64) float64 {
	uc, um := clamp01(uCompute), clamp01(uMemory)
	return tdp * min(1, IdlePowerFraction+(1-IdlePowerFraction)*uc+(MemoryBoundPowerFraction-IdlePowerFraction)*um)
}

// SeedPowerW is the seed's draw at a hardware-FLOP utilisation (physics.md §5.1):
// TDP · (0.30 + 0.70 · HFU), at most the TDP. The seed's decode step is its memory
// traffic alone, so at a large batch its FLOPs over the step pass the peak (HFU > 1)
// and the draw passed the TDP: Llama3_8B's batching replica of 512 on an H100 drew
// 1,056 W of its 700, serve-sla's batch of 1024 on a 70 W T4 153 W. A node step's HFU
// never passes 1 (its roofline takes the compute time), so the seed's goldens stand.
func SeedPowerW(tdp, hfu float64) float64 {
	return tdp * min(1, IdlePowerFraction+DynamicPowerFraction*hfu)
}

// MemoryBoundPowerFraction is the share of TDP a decode step draws when it saturates
// HBM bandwidth and leaves the math units mostly idle: Ma, Afzal, Eitzinger & Wellein
// (2026), "The Illusion of Power Capping in LLM Decode", arXiv:2605.11999 — decode on an
// H200 draws 137–300 W of its 700 W across GQA, MLA, Gated DeltaNet and Mamba2; the upper
// end, 300/700, is the GQA transformer the serving studies model.
const MemoryBoundPowerFraction = 300.0 / 700.0
