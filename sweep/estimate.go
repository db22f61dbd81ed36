package sweep

import (
	"context"
	"time"

	"github.com/mlsysim/mlsysim/sinks"
)

// Estimation of a sweep before running it (--dry-run).
type Estimation struct {
	Sampled      int     // points evaluated for the estimate
	KeptShare    float64 // share of points the where filters keep
	BytesPerRow  float64 // encoded size per written row
	PointsPerSec float64 // one worker, evaluation and encoding
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// Estimate evaluates a few batches spread over the grid and encodes them to
// nowhere, to extrapolate output size and run time. The batches are disjoint
// slices of the grid (batch i starts at N·i/4 and stops before batch i+1 or
// after the sample batch size), so no point is counted twice and a grid of at
// most four sample batches is evaluated whole: its kept share is exact.
func Estimate(ctx context.Context, p *Plan, format, compression string) (*Estimation, error) {
	const batches = 4
	bs := uint64(1 << 14)
	if p.Study.sampleBatch > 0 {
		bs = uint64(p.Study.sampleBatch)
	}
	ev := p.Study.newEval(p)
	rb := newRecordBuilder(p)
	cw := &countingWriter{}
	w, err := sinks.New(format, cw, rb.schema, sinks.Options{Compression: compression})
	if err != nil {
		return nil, err
	}
	var b Batch
	var o Outputs
	est := &Estimation{}
	var rows int
	start := time.Now()
	for i := 0; i < batches; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo := p.N * uint64(i) / batches
		n := int(min(bs, p.N*uint64(i+1)/batches-lo))
		if n <= 0 {
			continue
		}
		p.Fill(&b, lo, n)
		est.Sampled += n
		rows += b.N
		if b.N == 0 {
			continue
		}
		o.resize(p.Study, b.N)
		ev.eval(&b, &o)
		p.settleBinding(&b, &o)
		rec := rb.build(&b, &o)
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	el := time.Since(start).Seconds()
	est.KeptShare = float64(rows) / float64(max(est.Sampled, 1))
	est.BytesPerRow = float64(cw.n) / float64(max(rows, 1))
	est.PointsPerSec = float64(est.Sampled) / max(el, 1e-9)
	return est, nil
}
