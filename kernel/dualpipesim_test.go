package kernel

import "testing"

// TestDualPipeOpsCounts: each rank's op list is dualpipe.py's (deepseek-ai/DualPipe at
// 3da1bbe, DualPipe.step): of its micro forward and micro backward chunks, rank r
// (half-rank r' = min(r, pp−1−r), H = pp/2) runs 3H − r' − 1 forward and 3H − r' − 1
// backward chunks alone — steps 1–3: 2(H−r'−1) + 2(r'+1) + (H−r'−1) forwards; steps 3, 5,
// 6, 7: (H−r'−1) + (H−r'−1) + 2(r'+1) + (H−r'−1) backwards — one more of each on the two
// middle ranks (step 4's first pair is not overlapped), and the rest in pairs; one weight
// chunk per deferred (zero-bubble) backward.
func TestDualPipeOpsCounts(t *testing.T) {
	for _, tc := range []struct{ pp, micro int }{{2, 4}, {4, 8}, {8, 20}, {16, 120}, {16, 32}} {
		H := tc.pp / 2
		for rank := 0; rank < tc.pp; rank++ {
			r := min(rank, tc.pp-1-rank)
			var lf, lb, pairs, w, zb int
			for _, op := range dualPipeOps(nil, rank, tc.pp, tc.micro) {
				switch op.kind {
				case dpF:
					lf++
				case dpB:
					lb++
					if op.zb {
						zb++
					}
				case dpW:
					w++
				case dpFB:
					pairs++
				}
			}
			lone := 3*H - r - 1
			if rank == H-1 || rank == H {
				lone++
			}
			if lf != lone || lb != lone || pairs != tc.micro-lone || w != zb {
				t.Errorf("pp %d, %d microbatches, rank %d: %d lone forwards, %d lone backwards, %d pairs, %d weight chunks for %d deferred; want %d, %d, %d and as many",
					tc.pp, tc.micro, rank, lf, lb, pairs, w, zb, lone, lone, tc.micro-lone)
			}
		}
	}
}

// TestDualPipeSimByHand traces pp 2 with 4 microbatches by hand. Both ranks are middle
// ranks; rank 0 runs F(d0,0) F(d1,0) F(d0,1) B(d1,0) [F(d1,1)&B(d0,0)] B(d1,1) B(d0,1)zb W,
// rank 1 the mirror image (direction 0 runs rank 0 → 1, direction 1 rank 1 → 0). With
// F = 1, B = 2, W = 1 and no communication (a pair takes F + B = 3), both ranks:
//
//	F [0,1]  F [1,2] (after the other rank's first F)  F [2,3]  B [3,5] (last stage)
//	F&B [5,8] (after the other rank's B)  B [8,10]  Bzb [10,11] (B − W)  W [11,12]
//
// 12 = 4·(F + B) + (2/2 − 1)·(…), the README's count. With all-to-alls of 0.5 each way
// a chunk and 120 SMs (20 held: a pair's computation 3·120/100 = 3.6, above its 1 of
// all-to-alls), a lone forward takes 1.5, a lone backward 2.5, a deferred one 1.5:
//
//	F [0,1.5]  F [1.5,3]  F [3,4.5]  B [4.5,7]  F&B [7,10.6]  B [10.6,13.1]  Bzb [13.1,14.6]  W [14.6,15.6]
func TestDualPipeSimByHand(t *testing.T) {
	var s dualPipeSim
	st := []dpStage{{f: 1, b: 2, w: 1}, {f: 1, b: 2, w: 1}}
	relClose(t, "pp 2, no communication", first(s.run(st, 4, 0, 132)), 12, 1e-12)
	st = []dpStage{{f: 1, b: 2, w: 1, af: 0.5, ab: 0.5}, {f: 1, b: 2, w: 1, af: 0.5, ab: 0.5}}
	relClose(t, "pp 2, all-to-alls", first(s.run(st, 4, 0, 120)), 15.6, 1e-12)
}

// TestDualPipeSimREADME: where a lone chunk costs what it computes, a pair costs F + B
// and a backward is twice a forward, half of it weight gradients (B = 2F, W = F), the
// schedule's time is the README's M·F&B + (PP/2 − 1)(F&B + B − 3W) (deepseek-ai/DualPipe
// README, "Pipeline Bubbles and Memory Usage Comparison"): pp 4, 8 microbatches, F 1,
// B 2, W 1: 8·3 + 1·(3 + 2 − 3) = 26; pp 16, 120 microbatches: 120·3 + 7·2 = 374; pp 8,
// 20 microbatches, F 2, B 4, W 2: 20·6 + 3·(6 + 4 − 6) = 132. (Away from those ratios the
// README's count is not the schedule's: F 2, B 5, W 3 runs 152, not 149.)
func TestDualPipeSimREADME(t *testing.T) {
	var s dualPipeSim
	for _, tc := range []struct {
		pp, micro int
		f, b, w   float64
		want      float64
	}{{4, 8, 1, 2, 1, 26}, {16, 120, 1, 2, 1, 374}, {8, 20, 2, 4, 2, 132}} {
		st := make([]dpStage, tc.pp)
		for i := range st {
			st[i] = dpStage{f: tc.f, b: tc.b, w: tc.w}
		}
		relClose(t, "README bubble", first(s.run(st, tc.micro, 0, 132)), tc.want, 1e-12)
	}
}

// TestDualPipeSimLoneAllToAlls: with all-to-alls, the lone chunks of the warm-up and
// drain pay theirs. pp 4, 8 microbatches, F 1, B 2, W 1, 0.5 of all-to-alls each way,
// 132 SMs: a pair is (F + B)·132/112 = 3.5357; by the schedule's critical path (rank 0:
// 3H = 6 lone forwards at F + Af, 2H + 1 = 5 lone backwards at B + Ab counted through
// its drain, 2(H − 1) = 2 weight chunks the zero-bubble steps take off, M − H − 2 = 4
// pairs) 4·3.5357 + 6·1.5 + 5·2.5 − 2·1 = 33.643; the README's count with the pair's
// time, M·F&B + (H − 1)(F&B + B − 3W), gives 31.821, and the sim more.
func TestDualPipeSimLoneAllToAlls(t *testing.T) {
	var s dualPipeSim
	st := make([]dpStage, 4)
	for i := range st {
		st[i] = dpStage{f: 1, b: 2, w: 1, af: 0.5, ab: 0.5}
	}
	fb := 3.0 * 132 / 112
	relClose(t, "pp 4 with all-to-alls", first(s.run(st, 8, 0, 132)), 4*fb+6*1.5+5*2.5-2*1, 1e-12)
	// Reused buffers give the same answer (the evaluator keeps one simulation).
	relClose(t, "pp 4 again", first(s.run(st, 8, 0, 132)), 4*fb+6*1.5+5*2.5-2*1, 1e-12)
}

func first(t, _ float64) float64 { return t }

// TestDualPipeSimIdle: the bubble is the last rank's idle time. In the hand trace of
// pp 2 without communication (TestDualPipeSimByHand) every op of a rank starts when its
// previous one ends — busy 1+1+1+2+3+2+1+1 = 12, the whole step — so the idle is 0. On
// pp 4 with 8 microbatches (F 1, B 2, W 1, no communication) the step is the README's
// 26 = 8·3 + 2 and every rank computes 8 forwards and 8 backwards, 8·(1 + 2) = 24, so
// the idle is the README's bubble (4/2 − 1)(3 + 2 − 3) = 2.
func TestDualPipeSimIdle(t *testing.T) {
	var s dualPipeSim
	st := []dpStage{{f: 1, b: 2, w: 1}, {f: 1, b: 2, w: 1}}
	if _, idle := s.run(st, 4, 0, 132); idle != 0 {
		t.Errorf("pp 2: idle %v, want 0", idle)
	}
	st = make([]dpStage, 4)
	for i := range st {
		st[i] = dpStage{f: 1, b: 2, w: 1}
	}
	_, idle := s.run(st, 8, 0, 132)
	relClose(t, "pp 4 idle", idle, 2, 1e-12)
}

// TestDualPipeSimRefuses: a split DualPipeSplit refuses (odd pp, odd or too few
// microbatches, no stage) gives no schedule (−1), so the step keeps its closed form.
func TestDualPipeSimRefuses(t *testing.T) {
	var s dualPipeSim
	st := make([]dpStage, 4)
	for i := range st {
		st[i] = dpStage{f: 1, b: 2, w: 1}
	}
	for _, tc := range []struct {
		stages []dpStage
		micro  int
	}{{st, 6}, {st, 9}, {st[:3], 8}, {nil, 8}} {
		if got, _ := s.run(tc.stages, tc.micro, 0, 132); got != -1 {
			t.Errorf("%d stages, %d microbatches: %v, want -1", len(tc.stages), tc.micro, got)
		}
	}
}
