package kernel

import "math"

// passMemo remembers the weight matmuls of recent calibrated serving passes (llm.matmuls:
// five gemmTime calls, most of a point's time). A pass depends only on the stage's matmul
// shape and on its sequences and tokens, and a sweep repeats both heavily: a batch-size
// axis varies fastest under layouts, engines and KV precisions that leave the shape
// alone, and a prefill of fixed length recurs at every decode batch. A hit returns the
// values the pass computed, so results are bit-identical with or without the memo.
//
// Shapes are interned into a few slots, each under an id never reused; an entry holds the
// id, the pass's sequences and tokens, and its results, in a direct-mapped table. An
// evaluator's output struct holds one memo by value (about 230 KB), so it lives as long as
// the evaluator, and a copied output struct shares nothing with the original: two memos
// that handed out the same id for different shapes never read one table.
type passMemo struct {
	shapes [memoShapes]passShape
	sums   [memoShapes]uint64 // each shape's hash, compared before the shape
	ids    [memoShapes]uint64 // 0: an empty slot
	last   int                // the slot that matched last
	next   int                // the slot the next new shape takes (round robin)
	issued uint64             // ids handed out so far
	table  [memoEntries]passEntry
}

const (
	memoShapes   = 16 // a grid's inner layout axes (tp, pp, engine, KV precision) and a draft
	memoBits     = 12 // 4096 entries: every batch size of a 1–1024 axis for a few shapes
	memoEntries  = 1 << memoBits
	memoHashMulA = 0x9e3779b97f4a7c15 // odd 64-bit multipliers (golden ratio and splitmix64's)
	memoHashMulB = 0xbf58476d1ce4e5b9
)

// passShape is everything llm.matmuls reads besides its arguments, as bit patterns: equal
// bits give the same pass (float equality would take −0 for +0).
type passShape [22]uint64

type passEntry struct {
	id           uint64
	seqs, tokens uint64 // bit patterns
	t, flops     float64
	bytes        float64
}

func (m *llm) passShape() passShape {
	var moe uint64
	switch {
	case m.denseLocal():
		moe = 2 // whole local experts over every token (gemmPass)
	case m.moe() && m.moeTiles:
		moe = 3 // the fused MoE kernel's default tiles bound the expert matmuls
	case m.moe():
		moe = 1
	}
	return passShape{
		math.Float64bits(m.hidden), math.Float64bits(m.rate), math.Float64bits(m.bw), math.Float64bits(m.b),
		math.Float64bits(m.sms), math.Float64bits(m.layers), math.Float64bits(m.pp),
		math.Float64bits(m.qkvN), math.Float64bits(m.oK), math.Float64bits(m.upN), math.Float64bits(m.downK),
		math.Float64bits(m.restN), math.Float64bits(m.experts), math.Float64bits(m.topk), math.Float64bits(m.ep), moe,
		math.Float64bits(m.headRate), math.Float64bits(m.headB),
		math.Float64bits(m.downN), math.Float64bits(m.qUpN), math.Float64bits(m.qUpK),
		math.Float64bits(m.l2bw),
	}
}

// id interns a shape: the id of the slot holding it, or a new id in the next slot.
func (c *passMemo) id(s *passShape) uint64 {
	// The fields that tell a sweep's shapes apart (rate: efficiency and precision; widths:
	// tp, ep and the model; bytes per element; SMs); the full compare settles the rest.
	sum := ((s[1]*memoHashMulA^s[3])*memoHashMulA^s[4]^s[7])*memoHashMulA ^ s[9]
	if c.ids[c.last] != 0 && c.sums[c.last] == sum && c.shapes[c.last] == *s {
		return c.ids[c.last]
	}
	for j := range c.shapes {
		if c.ids[j] != 0 && c.sums[j] == sum && c.shapes[j] == *s {
			c.last = j
			return c.ids[j]
		}
	}
	c.issued++
	j := c.next
	c.next = (c.next + 1) % memoShapes
	c.shapes[j], c.sums[j], c.ids[j], c.last = *s, sum, c.issued, j
	return c.issued
}

// matmuls is m.gemmPass(seqs, n), from the table when this shape ran the same pass before.
func (c *passMemo) matmuls(m *llm, seqs, n float64) (t, flops, bytes float64) {
	if m.shapeID == 0 {
		s := m.passShape()
		m.shapeID = c.id(&s)
	}
	id := m.shapeID
	tokens := seqs * n
	sb, tb := math.Float64bits(seqs), math.Float64bits(tokens)
	h := (tb*memoHashMulA ^ sb ^ id) * memoHashMulB
	e := &c.table[h>>(64-memoBits)]
	if e.id == id && e.seqs == sb && e.tokens == tb {
		return e.t, e.flops, e.bytes
	}
	t, flops, bytes = m.gemmPass(seqs, tokens)
	*e = passEntry{id: id, seqs: sb, tokens: tb, t: t, flops: flops, bytes: bytes}
	return t, flops, bytes
}
