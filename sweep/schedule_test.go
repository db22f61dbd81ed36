package sweep

import (
	"sync/atomic"
	"testing"
	"time"
)

// holdFirst holds the batch of point 0 until the batch of point release has been
// evaluated (or a timeout passed, recorded in timedOut).
type holdFirst struct {
	ev       evaluator
	release  uint64
	held     chan struct{}
	timedOut *atomic.Bool
}

func (h holdFirst) eval(b *Batch, o *Outputs) {
	if b.Lo == 0 {
		select {
		case <-h.held:
		case <-time.After(20 * time.Second):
			h.timedOut.Store(true)
		}
	}
	h.ev.eval(b, o)
	if b.Lo == h.release {
		close(h.held)
	}
}

// A batch that takes longer than the ones after it holds up no worker: the
// others go on evaluating and encoding while it runs, their batches waiting in
// the append queue, and the files are the bytes one worker writes. The first
// batch is held until the fourth has been evaluated; workers that waited for
// their turn to append before taking another batch (in lockstep) never reach it.
func TestSlowBatchHoldsUpNoWorker(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	ref := t.TempDir()
	opt := e2eOptions(ref)
	opt.Workers = 1
	mustWrite(t, p, opt)

	// With parts of 7,000 points and batches of 3,000, the fourth batch is the
	// first of the second part.
	var timedOut atomic.Bool
	held := make(chan struct{})
	st := *p.Study
	inner := st.newEval
	st.newEval = func(p *Plan) evaluator {
		return holdFirst{ev: inner(p), release: e2ePart, held: held, timedOut: &timedOut}
	}
	slow := *p
	slow.Study = &st
	dir := t.TempDir()
	mustWrite(t, &slow, e2eOptions(dir)) // two workers
	if timedOut.Load() {
		t.Fatal("the fourth batch was not evaluated while the first was held: the other worker waited for it")
	}
	sameFiles(t, dirFiles(t, dir), dirFiles(t, ref))
}
