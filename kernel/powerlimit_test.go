package kernel

import (
	"math"
	"testing"
)

// The power limit of the calibrated serving physics (docs/PHYSICS.md §33, "Power-limited
// matmul rate"). Sustained rate: Bekman's MSMF, 0.651 of the FP8 peak (H200 SXM, carried
// to the H100 by the catalog), 1288.329 TFLOP/s on 1979.
const h100FP8Sustained = 0.651 * 1979e12

// TestPowerLimitedS: κ = (300/700 − 0.30)/0.70 = 0.128571/0.70 = 0.183673; a pass of
// 10 ms of FLOPs at the sustained rate and 8 ms of bytes at the measured bandwidth needs
// 10 + 0.183673·8 = 11.469 ms at the limit, and at that time AcceleratorPowerW draws the
// TDP exactly: 0.30 + 0.70·10/11.469 + 0.128571·8/11.469 = 0.30 + 0.6103 + 0.0897 = 1.
// A matmul alone at the sustained rate (MSMF: ~693 W of 700) draws the TDP; at the old
// compute term (u_c over the peak, 0.651) it drew 0.30 + 0.70·0.651 = 0.756·TDP, 529 W.
func TestPowerLimitedS(t *testing.T) {
	near(t, "κ", PowerLimitedMemoryShare, (300.0/700-0.3)/0.7)
	if math.Abs(PowerLimitedMemoryShare-0.183673) > 1e-6 {
		t.Errorf("κ = %v, want 0.183673", PowerLimitedMemoryShare)
	}
	floor := PowerLimitedS(10e-3, 8e-3)
	if math.Abs(floor-11.469e-3) > 1e-6 {
		t.Errorf("floor %v, want 11.469 ms", floor)
	}
	near(t, "power at the floor", AcceleratorPowerW(700, 10e-3/floor, 8e-3/floor), 700)
	near(t, "a matmul at the sustained rate", AcceleratorPowerW(700, 1, 0), 700)
	if p := AcceleratorPowerW(700, 10e-3/(2*floor), 8e-3/(2*floor)); p >= 700 {
		t.Errorf("a pass taking twice the floor draws %v W, want below the TDP", p)
	}
}

// TestServingPowerLimit: Llama3_8B FP8 on one H100 (no layer shape: each pass is one
// roofline), burst 0.709 of the peak, sustained 0.651.
//
// Prefill of 2048 tokens: FLOPs 2·8.03e9·2048 + 524288·2048·(2048 − 2047/2) = 3.289e13 +
// 1.100e12 = 3.399e13; bytes 8.03e9 + 65536·2048 = 8.164e9 (FP8 cache). At the burst rate
// max(3.399e13/1.4031e15, 8.164e9/2.97e12) + 128·3.3 µs = 24.23 + 0.42 = 24.65 ms; at the
// limit 3.399e13/1.2883e15 + 0.1837·2.749 ms = 26.38 + 0.50 = 26.89 ms, which is the TTFT
// (+9.1 %). A decode step of 8 sequences at 256 tokens (memory-bound: 2.75 ms of bytes,
// 0.05 ms of FLOPs) keeps its time; one of 4096 (compute-bound) runs at the limit and
// draws the TDP.
func TestServingPowerLimit(t *testing.T) {
	coef, kvTok := llama3_8B.attnCoef(), llama3_8B.kvElems()
	if coef != 524288 || kvTok != 65536 {
		t.Fatalf("coef %v, KV elements %v: the comment's arithmetic assumes 524288 and 65536", coef, kvTok)
	}
	kernels := 32 * 4 * KernelS
	burst, sus := 1979e12*h100FP8Eff, h100FP8Sustained
	run := func(seq, batch float64, limited bool) ServeOut {
		in := calIn(llama3_8B, FP8, h100FP8Eff, seq, batch)
		if limited {
			in.SustainedRate, in.SustainedRate16 = one(sus), one(0.716*989e12)
		}
		var out ServeOut
		Serving(&out, in)
		return out
	}

	flops := 2*8.03e9*2048 + coef*2048*(2048-2047.0/2)
	bytes := 8.03e9 + kvTok*2048
	atBurst := math.Max(flops/burst, bytes/h100TriadBW) + kernels
	atLimit := flops/sus + PowerLimitedMemoryShare*bytes/h100TriadBW
	if !(atLimit > atBurst) {
		t.Fatalf("the comment's prefill is not power-limited: %v ≤ %v", atLimit, atBurst)
	}
	near(t, "TTFT without a sustained rate", run(2048, 1, false).TTFT[0], atBurst)
	near(t, "TTFT at the power limit", run(2048, 1, true).TTFT[0], atLimit)
	if r := atLimit / atBurst; math.Abs(r-1.091) > 0.001 {
		t.Errorf("power-limited prefill is %.4f× the burst one, want 1.091 (the comment's arithmetic)", r)
	}

	// Memory-bound decode: the same step; its draw now counts the FLOPs against the
	// sustained rate.
	free, lim := run(256, 8, false), run(256, 8, true)
	near(t, "memory-bound ITL", lim.ITL[0], free.ITL[0])
	dFlops := (2*8.03e9 + coef*256) * 8
	dBytes := 8.03e9 + kvTok*256*8
	near(t, "memory-bound power", lim.PowerW[0], AcceleratorPowerW(700, dFlops/sus/lim.ITL[0], dBytes/h100TriadBW/lim.ITL[0]))
	near(t, "memory-bound power without a sustained rate", free.PowerW[0],
		AcceleratorPowerW(700, dFlops/1979e12/free.ITL[0], dBytes/h100TriadBW/free.ITL[0]))

	// Compute-bound decode: at the limit, drawing the TDP.
	cFlops := (2*8.03e9 + coef*256) * 4096
	cBytes := 8.03e9 + kvTok*256*4096
	big := run(256, 4096, true)
	want := cFlops/sus + PowerLimitedMemoryShare*cBytes/h100TriadBW
	if b := math.Max(cFlops/burst, cBytes/h100TriadBW) + kernels; !(want > b) {
		t.Fatalf("the 4096-sequence step is not power-limited: %v ≤ %v", want, b)
	}
	near(t, "compute-bound ITL at the limit", big.ITL[0], want)
	near(t, "its draw", big.PowerW[0], 700)
}
