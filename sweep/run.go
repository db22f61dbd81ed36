package sweep

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/sync/errgroup"
)

// DefaultBatchSize is the number of points in a batch: the unit a worker takes and
// one Parquet row group (serving and node evaluators see it in chunks, chunks.go).
const DefaultBatchSize = 1 << 15

// Options control Run.
type Options struct {
	Workers   int    // goroutines evaluating batches; 0 = GOMAXPROCS
	BatchSize int    // points per batch; 0 = DefaultBatchSize
	Lo, Hi    uint64 // point range [Lo, Hi); Hi = 0 means the whole plan
}

// Run evaluates the plan's points in batches on a pool of workers and calls emit
// with one Arrow record per batch, in point order. Calls of emit never overlap,
// though they may come from different goroutines; the record and its buffers
// are valid only until emit returns. The first error stops the run.
func Run(ctx context.Context, p *Plan, opt Options, emit func(arrow.Record) error) error {
	lo, hi := opt.Lo, opt.Hi
	if hi == 0 {
		hi = p.N
	}
	if lo > hi || hi > p.N {
		return fmt.Errorf("point range [%d, %d) is outside the plan's %d points", lo, hi, p.N)
	}
	bs := uint64(opt.BatchSize)
	if bs == 0 {
		bs = DefaultBatchSize
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := ceilDiv(hi-lo, bs)
	if uint64(workers) > jobs {
		workers = int(max(jobs, 1))
	}
	adviseWorkerHeap(p, workers, min(bs, hi-lo))

	g, ctx := errgroup.WithContext(ctx)
	seq := newSequencer(ctx)
	defer seq.close()
	var next atomic.Uint64
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			ev := p.Study.newEval(p)
			rb := newRecordBuilder(p)
			var b Batch
			var o Outputs
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				j := next.Add(1) - 1
				if j >= jobs {
					return nil
				}
				start := lo + j*bs
				p.Fill(&b, start, int(min(bs, hi-start)))
				o.resize(p.Study, b.N)
				ev.eval(&b, &o)
				p.settleBinding(&b, &o)
				if err := p.checkFinite(&b, &o); err != nil {
					return err
				}
				rec := rb.build(&b, &o)
				err := seq.wait(j)
				if err == nil {
					// After an error the turn is not passed on: the group's
					// cancellation stops the workers waiting for it.
					if err = emit(rec); err == nil {
						seq.done()
					}
				}
				rec.Release()
				if err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// EvalPoint evaluates a plan that holds exactly one point and returns its row.
func EvalPoint(p *Plan) (map[string]any, error) {
	if p.N != 1 {
		return nil, fmt.Errorf("want one point, the plan has %d", p.N)
	}
	var row map[string]any
	err := Run(context.Background(), p, Options{Workers: 1}, func(rec arrow.Record) error {
		row = Row(rec, 0)
		return nil
	})
	return row, err
}
