package kernel

import (
	"bytes"
	"math"
	"reflect"
	"unsafe"
)

// Runs of shared serving inputs. A sweep varies a few axes fastest (efficiency, batch,
// sequence length) under model, hardware, precision and layout axes that hold one value
// for thousands of points, so most points of a batch read the same ~45 columns as the
// point before them. Serving resolves those columns into the llm struct (load, derive)
// only where one of them changes (runStarts) and, between, refreshes the per-point rates
// alone (reload): a hit changes no bit, since load and derive read nothing else.

// servePointCols are the ServeIn columns that may differ inside a run: the ones Serving
// reads per point itself (the sequence and batch shape) and the rates reload refreshes.
// Every other column is shared: a change in it starts a run.
var servePointCols = map[string]bool{
	"SeqLen": true, "Batch": true, "CachedPrefix": true, "ChunkTokens": true,
	"Efficiency": true, "Rate16": true, "AttentionRate16": true,
	"SustainedRate": true, "SustainedRate16": true,
}

// serveSharedCols holds the indices of ServeIn's shared columns: every []float64 field
// not in servePointCols, so a column added to ServeIn is shared unless named there.
var serveSharedCols = func() []int {
	t, col := reflect.TypeFor[ServeIn](), reflect.TypeFor[[]float64]()
	var idx []int
	for j := range t.NumField() {
		if f := t.Field(j); f.Type == col && !servePointCols[f.Name] {
			idx = append(idx, j)
		}
	}
	return idx
}()

// runStarts sets starts[i] (grown to n) where point i's shared columns differ from point
// i − 1's, bit for bit, and at point 0.
func (in *ServeIn) runStarts(starts []bool, n int) []bool {
	starts = grow(starts, n)
	clear(starts)
	if n == 0 {
		return starts
	}
	starts[0] = true
	if n == 1 {
		return starts
	}
	v := reflect.ValueOf(in).Elem()
	for _, j := range serveSharedCols {
		col := *v.Field(j).Addr().Interface().(*[]float64)
		if col == nil {
			continue
		}
		_ = col[n-1] // as load would: a column shorter than the batch is the caller's bug
		markChanges(starts, col[:n])
	}
	return starts
}

// markChanges sets starts[i] where col[i] and col[i − 1] differ in any bit. Columns are
// compared as bytes (runtime.memequal, vectorised), first whole — a column of one value
// equals itself shifted by one value — then in blocks of 64 values, and value by value
// only in a block that differs.
func markChanges(starts []bool, col []float64) {
	n := len(col)
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col))), 8*n)
	if bytes.Equal(b[8:], b[:8*(n-1)]) {
		return
	}
	for lo := 1; lo < n; lo += changeBlock {
		hi := min(lo+changeBlock, n)
		if bytes.Equal(b[8*lo:8*hi], b[8*(lo-1):8*(hi-1)]) {
			continue
		}
		for i := lo; i < hi; i++ {
			if math.Float64bits(col[i]) != math.Float64bits(col[i-1]) {
				starts[i] = true
			}
		}
	}
}

const changeBlock = 64

// reload is load for point i, given that m holds the point before it and that the two
// share every shared column: only the rates change, and where they keep their bits
// nothing does (the memo's shape id included).
func (in *ServeIn) reload(m *llm, i int) {
	eff, r16, a16 := in.Efficiency[i], opt(in.Rate16, i, 0), opt(in.AttentionRate16, i, 0)
	sus, sus16 := 0.0, 0.0
	if in.Calibrated {
		sus, sus16 = opt(in.SustainedRate, i, 0), opt(in.SustainedRate16, i, 0)
	}
	if math.Float64bits(eff) == math.Float64bits(m.eff) && math.Float64bits(r16) == math.Float64bits(m.rate16) &&
		math.Float64bits(a16) == math.Float64bits(m.attn16) && math.Float64bits(sus) == math.Float64bits(m.sus) &&
		math.Float64bits(sus16) == math.Float64bits(m.sus16) {
		return
	}
	m.eff, m.rate16, m.attn16, m.sus, m.sus16 = eff, r16, a16, sus, sus16
	m.rates()
	m.shapeID = 0
}
