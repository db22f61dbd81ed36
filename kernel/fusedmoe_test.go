package kernel

import (
	"math"
	"testing"
)

// TestFusedMoETileL2Time by hand, on Mixtral 8x7B's first expert matmul at tp 2 (w1: the
// gate and up projections, N = 2 · 14336 / 2 = 14336 over K = 4096) in 16-bit operands
// and the A100's 5.42 TB/s L2 (catalog, RRZE gpu-l2-cache):
//
//   - a prefill pass of 32 prompts × 1000 tokens routes 64,000 rows over 8 experts, 8,000
//     each: ⌈8000/64⌉ = 125 M-blocks each load the 14336 × 4096 weight (7,340,032,000
//     elements) and ⌈14336/64⌉ = 224 N-blocks each load the 8,000 × 4096 tokens
//     (7,340,032,000): 29,360,128,000 bytes, 5.41700 ms. The same is the matmul's
//     2 · 8000 · 14336 · 4096 = 939.5 GFLOP at 32 FLOP per loaded byte (64 · 64 / 128) ×
//     5.42 TB/s = 173.4 TFLOP/s;
//   - a decode step of 64 sequences routes 16 rows to each expert: one M-block loads the
//     weight (58,720,256 elements) and 224 N-blocks the 16 × 4096 tokens (14,680,064):
//     146,800,640 bytes, 27.085 µs — less than streaming the weight's 117.4 MB from HBM
//     at 1.70 TB/s (69.1 µs), so the bound does not bind there;
//   - one decode token (M ≤ E: the 16 × 32 tiles) is one row: 58,720,256 + ⌈14336/32⌉ =
//     448 × 4096 = 1,835,008 elements, 121,110,528 bytes, 22.345 µs.
func TestFusedMoETileL2Time(t *testing.T) {
	for _, tc := range []struct {
		name               string
		rows, tileM, tileN float64
		want               float64
	}{
		{"prefill, 8000 rows an expert", 8000, FusedMoETileM, FusedMoETileN, 29360128000 / 5.42e12},
		{"decode at batch 64, 16 rows an expert", 16, FusedMoETileM, FusedMoETileN, 146800640 / 5.42e12},
		{"one decode token, small tiles", 1, FusedMoESmallTileM, FusedMoESmallTileN, 121110528 / 5.42e12},
	} {
		got := FusedMoETileL2Time(tc.rows, 14336, 4096, tc.tileM, tc.tileN, 2, 5.42e12)
		if math.Abs(got-tc.want) > 1e-12*tc.want {
			t.Errorf("%s: %.9g s, want %.9g", tc.name, got, tc.want)
		}
	}
	if got := FusedMoETileL2Time(8000, 14336, 4096, 64, 64, 2, 5.42e12); math.Abs(got-5.41700e-3) > 1e-8 {
		t.Errorf("prefill expert matmul %.6g s, want 5.41700 ms", got)
	}
	if got := FusedMoETileL2Time(8000, 14336, 4096, 64, 64, 2, 0); got != 0 {
		t.Errorf("no L2 measurement gives %v, want no bound (0)", got)
	}
	for _, tc := range []struct{ tokens, tileM, tileN float64 }{{1, 16, 32}, {8, 16, 32}, {9, 64, 64}, {64000, 64, 64}} {
		if m, n := fusedMoETiles(tc.tokens, 8); m != tc.tileM || n != tc.tileN {
			t.Errorf("%v tokens over 8 experts: tiles %v × %v, want %v × %v ('if M <= E')", tc.tokens, m, n, tc.tileM, tc.tileN)
		}
	}
}

// TestFusedMoEDefaultTiles: a Mixtral prompt of 4096 tokens on one A100 (312 TFLOP/s at
// the measured 0.869, 1.70 TB/s, L2 5.42 TB/s; no SMs, so each matmul is
// max(FLOPs at the rate, operands at the bandwidth) plus its output, gemmTime) routes
// 4096 · 2 / 8 = 1024 rows to each of the 8 experts. On the default 64 × 64 tiles the
// expert matmuls take their L2 loads where these are longer: w1 [1024 × 28672] over 4096
// loads (16 · 28672 · 4096 + 448 · 1024 · 4096) · 2 B = 7.516 GB, 1.38675 ms against its
// roofline's 0.92164 ms; w2 [1024 × 4096] over 14336 loads (16 · 4096 · 14336 + 64 · 1024 ·
// 14336) · 2 B = 3.758 GB, 0.69338 ms against 0.44849 ms. The prompt takes 32 layers × 8
// experts × (0.46511 + 0.24489) ms = 181.76 ms more. A decode step of one token (the
// 16 × 32 tiles) streams each expert's weights from HBM longer than its tiles load them
// from L2, so it does not move; nor does the seed profile, which has no engine.
func TestFusedMoEDefaultTiles(t *testing.T) {
	const l2, rate, bw = 5.42e12, 312e12 * 0.869, 1.70e12
	run := func(tiles, calibrated bool) ServeOut {
		in := calIn(mixtral, BF16, 0.869, 4096, 1)
		in.PeakFLOPS, in.AchievableBW, in.Calibrated = one(312e12), one(bw), calibrated
		in.ActiveParams, in.Experts, in.ExpertsPerToken = one(12.9e9), one(8), one(2)
		in.Heads, in.FFN, in.UpMatrices, in.SMs = one(32), one(14336), one(2), one(0)
		in.KernelsPerLayer, in.MoEKernels, in.L2Bandwidth = one(10), one(4), one(l2)
		if tiles {
			in.FusedMoEDefault = one(1)
		}
		var out ServeOut
		Serving(&out, in)
		return out
	}
	mm := func(m, n, k float64) float64 {
		return max(2*m*n*k/rate, (m*k+k*n)*2/bw) + m*n*2/bw
	}
	w1 := (16*28672*4096 + 448*1024*4096) * 2 / l2
	w2 := (16*4096*14336 + 64*1024*14336) * 2 / l2
	want := 32 * 8 * (w1 - mm(1024, 28672, 4096) + w2 - mm(1024, 4096, 14336))
	if math.Abs(want-0.18176) > 1e-5 {
		t.Fatalf("the test's own arithmetic gives %.6g s, not 181.76 ms", want)
	}
	tuned, tiled := run(false, true), run(true, true)
	if got := tiled.TTFT[0] - tuned.TTFT[0]; math.Abs(got-want) > 1e-9*want {
		t.Errorf("the default tiles add %.9g s to the prompt, want %.9g", got, want)
	}
	if tiled.ITL[0] != tuned.ITL[0] {
		t.Errorf("a one-token decode step moved with the default tiles: %v -> %v s", tuned.ITL[0], tiled.ITL[0])
	}
	if s1, s2 := run(false, false), run(true, false); s1.TTFT[0] != s2.TTFT[0] || s1.ITL[0] != s2.ITL[0] {
		t.Error("the seed profile moved with FusedMoEDefault")
	}
}
