package sweep

import "slices"

// pointGroups sorts a batch's points into groups that agree on every parameter
// an evaluator's expensive part reads, so that part runs once per group instead of
// once per point. A grid repeats such combinations whenever an axis the part does
// not read varies faster than one it does (the fleet study's region, varied fastest
// in grids/fleet-placement.yaml, leaves the training step unchanged).
//
// A point's group is found from its id, not from its input columns: the key is the
// point's digits over the dimensions that hold a parameter the part reads, read as a
// mixed-radix number over those dimensions alone. Parameters fixed in the plan are the
// same in every point and need no digit. This holds for any batch Plan.Fill made.
type pointGroups struct {
	dims   []groupDim // every dimension of the plan, in its order
	digits []uint64   // scratch: the digits of the point being keyed

	// int32 halves the index traffic; a batch of 2^31 points would need hundreds of GB of input columns.
	Of    []int32 // per point: its group, numbered in order of first appearance
	First []int32 // per group: its first point

	key   []uint64 // per point: the key, then scratch
	keys  []uint64 // per group: its key
	table []int32  // open addressing over keys: group + 1, 0 for an empty slot
}

// groupDim is one dimension of the plan.
type groupDim struct {
	stride, len uint64 // the dimension's place in the point id
	radix       uint64 // its place in the key; 0 when it holds only free parameters
}

// newPointGroups groups a plan's points by every parameter except those named in
// free (which the grouped part must not read). Naming the free parameters, not the
// read ones, keeps a parameter added to a study later in the key: safe, if slower.
func newPointGroups(p *Plan, free ...string) *pointGroups {
	g := &pointGroups{}
	read := make([]bool, len(p.Dims))
	for i, v := range p.Values {
		if v.Dim >= 0 && !slices.Contains(free, p.Study.Params[i].Name) {
			read[v.Dim] = true
		}
	}
	g.dims = make([]groupDim, len(p.Dims))
	g.digits = make([]uint64, len(p.Dims))
	radix := uint64(1)
	for d := len(p.Dims) - 1; d >= 0; d-- {
		g.dims[d] = groupDim{stride: p.Dims[d].stride, len: uint64(p.Dims[d].Len)}
		if read[d] {
			g.dims[d].radix = radix
			radix *= uint64(p.Dims[d].Len) // at most p.N: no overflow
		}
	}
	return g
}

// assign groups the points of b.
func (g *pointGroups) assign(b *Batch) {
	n := b.N
	g.key = grow(g.key, n)
	g.Of = grow(g.Of, n)
	g.First, g.keys = g.First[:0], g.keys[:0]
	if n == 0 {
		return
	}
	key := g.key
	if len(b.IDs) > 0 {
		// A filter dropped points: each kept id gives its digits.
		clear(key)
		for _, d := range g.dims {
			if d.radix == 0 {
				continue
			}
			for k, id := range b.IDs {
				key[k] += (id / d.stride) % d.len * d.radix
			}
		}
	} else {
		// Contiguous ids: the digits of b.Lo, then an odometer that advances them one id at
		// a time, carrying the key along (mostly one digit and one addition a point).
		cur := uint64(0)
		for i, d := range g.dims {
			g.digits[i] = (b.Lo / d.stride) % d.len
			cur += g.digits[i] * d.radix
		}
		for k := range key {
			key[k] = cur
			for i := len(g.dims) - 1; i >= 0; i-- {
				d := &g.dims[i]
				cur += d.radix
				if g.digits[i]++; g.digits[i] < d.len {
					break
				}
				g.digits[i] = 0
				cur -= d.len * d.radix
			}
		}
	}

	bits := 1
	for 1<<bits < 2*n {
		bits++
	}
	g.table = grow(g.table, 1<<bits)
	clear(g.table)
	mask := uint64(1)<<bits - 1
	for k, x := range key {
		if k > 0 && x == key[k-1] {
			g.Of[k] = g.Of[k-1] // the common case: a run of points that only differ in free parameters
			continue
		}
		// Fibonacci hashing: the top bits of the product depend on every digit.
		for s := (x * 0x9E3779B97F4A7C15) >> (64 - bits); ; s = (s + 1) & mask {
			slot := g.table[s]
			if slot == 0 {
				g.table[s] = int32(len(g.First)) + 1
				g.Of[k] = int32(len(g.First))
				g.First = append(g.First, int32(k))
				g.keys = append(g.keys, x)
				break
			}
			if g.keys[slot-1] == x {
				g.Of[k] = slot - 1
				break
			}
		}
	}
}

// firsts fills dst with the first point of each group (every input column), the
// batch the grouped part evaluates.
func (g *pointGroups) firsts(b *Batch, dst *Batch) *Batch {
	m := len(g.First)
	dst.Lo, dst.N = 0, m // ids are the batch's, not the groups'
	dst.IDs = dst.IDs[:0]
	if len(dst.In) != len(b.In) {
		dst.In = make([][]float64, len(b.In))
	}
	for i, col := range b.In {
		d := grow(dst.In[i], m)
		for j, k := range g.First {
			d[j] = col[k]
		}
		dst.In[i] = d
	}
	return dst
}

// spread writes a per-group column as a per-point one: dst[k] = src[of[k]].
func spread(dst, src []float64, of []int32) {
	dst = dst[:len(of)] // one bounds check for the loop
	for k, j := range of {
		dst[k] = src[j]
	}
}

// spreadScaled is spread with a unit conversion: dst[k] = src[of[k]] · s.
func spreadScaled(dst, src []float64, of []int32, s float64) {
	dst = dst[:len(of)]
	for k, j := range of {
		dst[k] = src[j] * s
	}
}
