package kernel

// DualPipe's schedule as its reference implementation runs it (issue #15, trainfix round).
//
// deepseek-ai/DualPipe at 3da1bbe, dualpipe/dualpipe.py, DualPipe.step: every rank runs
// eight phases in order — nF0, nF0F1, nB1W1F1, the main nF0B1F1B0, nB1F1B0, nB1B0, nWB0,
// nW — and only the main phase and nB1F1B0 pair a forward chunk with a backward chunk
// (_forward_backward_chunk, the module's overlapped_forward_backward). Every other chunk
// runs alone (_forward_chunk, _backward_chunk): the module's forward or backward with
// nothing beside it, so its all-to-alls are not hidden, and its p2p sends are waited for
// (_commit_and_wait_comm) before the rank's next chunk. The README's bubble
// (PP/2 − 1)(F&B + B − 3W) is that schedule's idle time when a lone chunk costs what it
// computes; with all-to-alls in the lone chunks it is not, and the ranks' stages differ
// (DeepSeek-V3's first rank holds the dense layers and the output heads). So the
// pipeline is simulated: each rank runs its op list in dualpipe.py's order, an op
// starting when the rank is free and its inputs (the previous stage's forward, the next
// stage's backward, its own forward) are done, and the step is the last rank's finish.

// dpStage is one pipeline stage's chunk for one microbatch: forward and backward
// computation (exposed TP and CP included, all-to-alls not), the weight-gradient part of
// the backward, and the forward's and the backward's all-to-alls.
type dpStage struct{ f, b, w, af, ab float64 }

// dpOp is one op of a rank's schedule: a lone forward (dpF), a lone backward (dpB, zb:
// its weight gradients deferred to a later dpW), a deferred weight-gradient chunk (dpW),
// or a forward beside a backward (dpFB). fd and bd are the directions (0: the forward
// direction, rank 0 to pp − 1; 1: the reverse) of its forward and backward chunk:
// dualpipe.py's phase, flipped on the second half of the ranks.
type dpOp struct {
	kind, fd, bd uint8
	zb           bool
}

const (
	dpF uint8 = iota
	dpB
	dpW
	dpFB
)

// dpRank is what one rank's ops take, by direction: its neighbours (−1: none), a lone
// forward, a lone backward whole and with its weight gradients deferred, and a pair
// whose forward runs in that direction (its backward in the other).
type dpRank struct {
	up, down         [2]int
	lf, lb, lbzb, fb [2]float64
	w                [2]float64
}

// dualPipeSim holds the simulation's buffers, reused from point to point.
type dualPipeSim struct {
	ops            []dpOp
	start, n       []int     // each rank's ops: ops[start[k] : start[k]+n[k]]
	fDone, bDone   []float64 // [rank][direction][microbatch], −1 until done
	wq             []float64 // each rank's FIFO of deferred weight-gradient chunks
	wHead, wTail   []int
	fCount, bCount []int // [rank][direction]
	idx            []int
	free, busy     []float64
	ranks          []dpRank
	stages         []dpStage // the caller's buffer of stages
}

// dualPipeOps appends rank's op list (dualpipe.py's DualPipe.step, phases 1–8) for pp
// ranks and micro microbatches (micro/2 from each end).
func dualPipeOps(ops []dpOp, rank, pp, micro int) []dpOp {
	H := pp / 2
	r := min(rank, pp-1-rank)
	half := micro / 2
	middle := rank == H-1 || rank == H
	var flip uint8 // phase ^= is_in_second_half
	if rank >= H {
		flip = 1
	}
	f := func(p uint8) dpOp { return dpOp{kind: dpF, fd: p ^ flip} }
	b := func(p uint8, zb bool) dpOp { return dpOp{kind: dpB, bd: p ^ flip, zb: zb} }
	fb := func(p0, p1 uint8) dpOp { return dpOp{kind: dpFB, fd: p0 ^ flip, bd: p1 ^ flip} }
	for i := 0; i < 2*(H-r-1); i++ { // step 1: nF0
		ops = append(ops, f(0))
	}
	for i := 0; i < r+1; i++ { // step 2: nF0F1
		ops = append(ops, f(0), f(1))
	}
	for i := 0; i < H-r-1; i++ { // step 3: nB1W1F1
		ops = append(ops, b(1, true), dpOp{kind: dpW}, f(1))
	}
	for i := 0; i < half-pp+r+1; i++ { // step 4: nF0B1F1B0
		if i == 0 && middle {
			ops = append(ops, f(0), b(1, false)) // "We don't overlap these two chunks"
		} else {
			ops = append(ops, fb(0, 1))
		}
		ops = append(ops, fb(1, 0))
	}
	for i := 0; i < H-r-1; i++ { // step 5: nB1F1B0
		ops = append(ops, b(1, false), fb(1, 0))
	}
	zb := false
	for i := 0; i < r+1; i++ { // step 6: nB1B0
		if i == (r+1)/2 && r%2 == 1 {
			zb = true
		}
		ops = append(ops, b(1, zb))
		if i == (r+1)/2 && r%2 == 0 {
			zb = true
		}
		ops = append(ops, b(0, zb))
	}
	for i := 0; i < H-r-1; i++ { // step 7: nWB0
		ops = append(ops, dpOp{kind: dpW}, b(0, true))
	}
	for i := 0; i < r+1; i++ { // step 8: nW
		ops = append(ops, dpOp{kind: dpW})
	}
	return ops
}

// run simulates DualPipe over stages (stage s of the forward direction; rank k holds
// stage k of the forward direction and stage pp−1−k of the reverse) for micro
// microbatches, micro even and at least 2·pp, pp even (DualPipeSplit). A pair's time is
// its computation on sms − DualPipeCommSMs SMs or its all-to-alls and two sends,
// whichever is longer (partitioned; overlappedOn when it has no all-to-all), as the
// steady state is priced; a lone chunk is its computation on all SMs, then its
// all-to-alls, then its send to the next rank. It returns the time the last rank
// finishes and how long that rank was idle (its bubble).
func (s *dualPipeSim) run(stages []dpStage, micro int, send, sms float64) (t, idle float64) {
	pp := len(stages)
	half := micro / 2
	if pp < 2 || pp%2 != 0 || micro%2 != 0 || micro < 2*pp {
		return -1, 0 // not a split DualPipeSplit accepts
	}
	s.ops = s.ops[:0]
	s.start, s.n = growInts(s.start, pp), growInts(s.n, pp)
	for k := 0; k < pp; k++ {
		s.start[k] = len(s.ops)
		s.ops = dualPipeOps(s.ops, k, pp, micro)
		s.n[k] = len(s.ops) - s.start[k]
	}
	s.fDone, s.bDone = grow(s.fDone, pp*2*half), grow(s.bDone, pp*2*half)
	for i := range s.fDone {
		s.fDone[i], s.bDone[i] = -1, -1
	}
	s.wq = grow(s.wq, pp*micro)
	s.wHead, s.wTail, s.idx = growInts(s.wHead, pp), growInts(s.wTail, pp), growInts(s.idx, pp)
	s.fCount, s.bCount = growInts(s.fCount, 2*pp), growInts(s.bCount, 2*pp)
	s.free, s.busy = grow(s.free, pp), grow(s.busy, pp)
	s.ranks = grow(s.ranks, pp)
	for k := 0; k < pp; k++ {
		s.wHead[k], s.wTail[k], s.idx[k], s.free[k], s.busy[k] = k*micro, k*micro, 0, 0, 0
		s.fCount[2*k], s.fCount[2*k+1], s.bCount[2*k], s.bCount[2*k+1] = 0, 0, 0, 0
		R := &s.ranks[k]
		R.up[0], R.down[0], R.up[1], R.down[1] = k-1, k+1, k+1, k-1
		if k+1 == pp {
			R.down[0], R.up[1] = -1, -1
		}
		sendTo := func(n int) float64 {
			if n < 0 {
				return 0
			}
			return send
		}
		for d := 0; d < 2; d++ {
			x, y := &stages[k], &stages[pp-1-k] // direction d's stage, the other's
			if d == 1 {
				x, y = y, x
			}
			R.lf[d] = x.f + x.af + sendTo(R.down[d])
			R.lb[d] = x.b + x.ab + sendTo(R.up[d])
			R.lbzb[d], R.w[d] = R.lb[d]-x.w, x.w
			a2a := x.af + y.ab
			if comp, comm := x.f+y.b, a2a+2*send; a2a > 0 {
				R.fb[d] = partitioned(comm, comp, sms, DualPipeCommSMs)
			} else {
				R.fb[d] = overlappedOn(comm, comp, sms, DualPipeCommSMs)
			}
		}
	}
	fDone, bDone := s.fDone, s.bDone
	for progress := true; progress; {
		progress = false
		for k := 0; k < pp; k++ {
			R := &s.ranks[k]
			ops := s.ops[s.start[k] : s.start[k]+s.n[k]]
			i, free, busy := s.idx[k], s.free[k], s.busy[k]
		ops:
			for ; i < len(ops); i++ {
				op := ops[i]
				ready := free
				fj, bj := -1, -1
				if op.kind == dpF || op.kind == dpFB {
					d := int(op.fd)
					fj = s.fCount[2*k+d]
					if u := R.up[d]; u >= 0 {
						t := fDone[(u*2+d)*half+fj]
						if t < 0 {
							break ops
						}
						ready = max(ready, t)
					}
				}
				if op.kind == dpB || op.kind == dpFB {
					d := int(op.bd)
					bj = s.bCount[2*k+d]
					if n := R.down[d]; n >= 0 {
						t := bDone[(n*2+d)*half+bj]
						if t < 0 {
							break ops
						}
						ready = max(ready, t)
					}
					ready = max(ready, fDone[(k*2+d)*half+bj]) // done: this rank ran it earlier
				}
				var dur float64
				switch op.kind {
				case dpF:
					dur = R.lf[op.fd]
				case dpB:
					dur = R.lb[op.bd]
					if op.zb {
						dur = R.lbzb[op.bd]
						s.wq[s.wTail[k]] = R.w[op.bd]
						s.wTail[k]++
					}
				case dpW:
					dur = s.wq[s.wHead[k]]
					s.wHead[k]++
				default:
					dur = R.fb[op.fd]
				}
				free = ready + dur
				busy += dur
				if fj >= 0 {
					fDone[(k*2+int(op.fd))*half+fj] = free
					s.fCount[2*k+int(op.fd)]++
				}
				if bj >= 0 {
					bDone[(k*2+int(op.bd))*half+bj] = free
					s.bCount[2*k+int(op.bd)]++
				}
				progress = true
			}
			s.idx[k], s.free[k], s.busy[k] = i, free, busy
		}
	}
	for k := 0; k < pp; k++ {
		if s.idx[k] < s.n[k] {
			return -1, 0 // a deadlock: cannot happen for a split DualPipeSplit accepts
		}
		if s.free[k] > t {
			t, idle = s.free[k], s.free[k]-s.busy[k]
		}
	}
	return t, idle
}

func growInts(s []int, n int) []int { return grow(s, n) }
