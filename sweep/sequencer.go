package sweep

import (
	"context"
	"sync"
)

// sequencer puts the jobs of a worker pool back in order. Workers take job
// numbers 0, 1, 2, … from a counter and do the costly work (evaluation,
// encoding) in parallel; each then waits for its turn and runs its ordered step
// (writing, emitting) while no other job does. A worker holds one job at a
// time, so at most one finished-but-waiting job per worker is in memory, and
// batch buffers can be reused as soon as the ordered step returns.
type sequencer struct {
	mu     sync.Mutex
	cond   sync.Cond
	next   uint64
	cancel error
	stop   func() bool
}

func newSequencer(ctx context.Context) *sequencer {
	s := &sequencer{}
	s.cond.L = &s.mu
	s.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cancel = context.Cause(ctx)
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	return s
}

// wait blocks until job j's turn, or returns the cancellation cause.
func (s *sequencer) wait(j uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.next != j && s.cancel == nil {
		s.cond.Wait()
	}
	return s.cancel
}

// done ends the current job's turn.
func (s *sequencer) done() {
	s.mu.Lock()
	s.next++
	s.cond.Broadcast()
	s.mu.Unlock()
}

// close releases the context hook.
func (s *sequencer) close() { s.stop() }
