package sweep

// evalChunk is the points an evaluator wrapped by inChunks sees at a time. A serving
// evaluator reads and writes ~130 columns per point — the batch's inputs and outputs,
// the gathered ServeIn and the kernel's outputs between them — so a 32,768-point batch
// streams ~30 MB through the caches per pass; 1,024 points keep that near one core's
// L2 (1 MB on this machine kind). Simulated with a 1 MB cache (cachegrind, the serve
// evaluator over bench/serve-10m.yaml), data misses fall from 32.3 M to 5.2 M (2,048:
// 14.1 M; 4,096: 30.8 M) for 0.5 % fewer instructions: the memory traffic that made two
// workers cost more CPU than one (BENCHMARKS.md, "Serve study: throughput and two workers").
const evalChunk = 1024

// inChunks runs ev over a batch in slices of evalChunk points. It is only for
// evaluators whose outputs at a point depend on that point's inputs alone — the serving
// and node evaluators (the serving kernel's pass memo returns the bits it computed) —
// so that every row is the same either way (TestChunkedEqualsWhole); an evaluator that
// groups a batch's points (the fleet study's) must see the batch whole.
func inChunks(ev evaluator) evaluator { return &chunked{ev: ev, size: evalChunk} }

// chunked runs an evaluator over a batch in slices of size points, each a view of the
// batch's input and output columns (no copy). The batch stays whole — it is a Parquet
// row group, so the files do not change — while what the evaluator gathers and computes
// in between stays in the core's cache.
type chunked struct {
	ev   evaluator
	size int
	b    Batch
	o    Outputs
}

func (c *chunked) eval(b *Batch, o *Outputs) {
	if b.N <= c.size {
		c.ev.eval(b, o)
		return
	}
	for lo := 0; lo < b.N; lo += c.size {
		c.view(b, o, lo, min(lo+c.size, b.N))
		c.ev.eval(&c.b, &c.o)
	}
}

// view points c.b and c.o at points lo..hi-1 of b and o.
func (c *chunked) view(b *Batch, o *Outputs, lo, hi int) {
	v := &c.b
	v.N = hi - lo
	v.Lo, v.IDs = b.Lo+uint64(lo), nil
	if len(b.IDs) > 0 {
		v.Lo, v.IDs = b.Lo, b.IDs[lo:hi]
	}
	v.In = grow(v.In, len(b.In))
	for i, col := range b.In {
		v.In[i] = col[lo:hi:hi]
	}
	c.o.F64, c.o.Bool, c.o.Code = grow(c.o.F64, len(o.F64)), grow(c.o.Bool, len(o.Bool)), grow(c.o.Code, len(o.Code))
	for i := range o.F64 {
		c.o.F64[i], c.o.Bool[i], c.o.Code[i] = window(o.F64[i], lo, hi), window(o.Bool[i], lo, hi), window(o.Code[i], lo, hi)
	}
}

// window is s[lo:hi], or nil for a column of another type (nil in Outputs).
func window[T any](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi:hi]
}
