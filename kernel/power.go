package kernel

// AcceleratorPowerW is an accelerator's draw from what it does (calibrated profile,
// docs/PHYSICS.md §33): a static floor, plus a compute term that reaches the TDP when the
// math units run at the rate the board holds at its power limit, plus a memory term for
// streaming HBM,
//
//	P = TDP · min(1, f_idle + (1 − f_idle)·u_c + (f_mem − f_idle)·u_m)
//
// with u_c the step's FLOPs over the rate that draws the whole dynamic budget — the
// accelerator's sustained (power-limited) matmul rate where the catalog has one, else
// its peak — and u_m the achieved bytes/s over the measured streaming bandwidth (both
// clamped to [0, 1]). f_idle is the seed's static fraction (0.30); f_mem =
// MemoryBoundPowerFraction is the draw of a decode step that saturates HBM with little
// math. The sustained rate is where a large matmul holds the board at its limit:
// Bekman's MSMF measured ~693 W of the H200's 700 at 65.1 % of its FP8 peak (71.6 % at
// BF16), so u_c = 1 there (the old compute term, over the peak, gave 0.76·TDP at that
// rate). The seed's 0.30 + 0.70·MFU (SeedPowerW) has no memory term, so a memory-bound
// decode step sits at the idle floor.
func AcceleratorPowerW(tdp, uCompute, uMemory float64) float64 {
	uc, um := clamp01(uCompute), clamp01(uMemory)
	return tdp * min(1, IdlePowerFraction+(1-IdlePowerFraction)*uc+(MemoryBoundPowerFraction-IdlePowerFraction)*um)
}

// PowerLimitedS is the shortest time in which a board at its power limit can do a pass
// (calibrated, docs/PHYSICS.md §33, "Power-limited matmul rate"): energy cannot overlap
// as time does (Choi, Bedard, Fowler & Vuduc, "A roofline model of energy", IPDPS 2013,
// §II), so a pass whose FLOPs and bytes would draw more than the limit at the burst
// clock runs until its dynamic energy fits under it,
//
//	t ≥ E_dyn / ((1 − f_idle)·TDP) = w_c + κ·t_m,   κ = (f_mem − f_idle)/(1 − f_idle)
//
// where w_c is the pass's FLOPs, each precision's at its sustained rate (the rate at
// which matmuls alone draw the dynamic budget: AcceleratorPowerW's u_c = 1), and t_m its
// bytes at the measured streaming bandwidth (AcceleratorPowerW's u_m = 1 draws κ of the
// budget). A pass that is all large matmuls runs at the sustained rate; a memory-bound
// decode step never meets the limit (κ < 1).
func PowerLimitedS(work, memS float64) float64 {
	return work + PowerLimitedMemoryShare*memS
}

// PowerLimitedMemoryShare is κ: the share of the dynamic power budget that streaming HBM
// at the measured bandwidth draws, (f_mem − f_idle)/(1 − f_idle) = (300/700 − 0.3)/0.7 ≈ 0.184.
const PowerLimitedMemoryShare = (MemoryBoundPowerFraction - IdlePowerFraction) / (1 - IdlePowerFraction)

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
