package sweep

import (
	"fmt"
	"sort"
	"strings"
)

// checkFinite refuses a batch in which a feasible point has a NaN or infinite
// output. Every study promises finite numbers on feasible rows — +Inf only in a
// column whose description says so (an unbounded speedup), NaN never — and inputs
// are bounded (limits.go), so anything else is an overflow the physics cannot
// represent: a wrong answer, which must stop the run rather than be written or
// shown as a result.
func (p *Plan) checkFinite(b *Batch, o *Outputs) error {
	feasible := -1
	for i, c := range p.Study.Columns {
		if c.Name == colFeasible.Name {
			feasible = i
		}
	}
	if feasible < 0 {
		return nil
	}
	ok := o.Bool[feasible][:b.N]
	for i, c := range p.Study.Columns {
		if c.Type != Float64 {
			continue
		}
		col := o.F64[i][:b.N]
		if allFinite(col) {
			continue
		}
		inf := strings.Contains(c.Doc, "+Inf")
		for k, x := range col {
			if x-x != 0 && ok[k] && !(inf && x > 0) { // x − x is NaN for NaN and ±Inf only
				id := b.Lo + uint64(k)
				if len(b.IDs) > 0 {
					id = b.IDs[k]
				}
				return fmt.Errorf("point %d (%s): %s is %v on a feasible row; the inputs are beyond what the model can compute (docs/GRID.md \"Limits\")",
					id, describeInputs(p.Inputs(id)), c.Name, x)
			}
		}
	}
	return nil
}

// allFinite reports whether every value of xs is finite, the common case checkFinite
// passes first: x − x is 0 for a finite x and NaN for NaN and ±Inf, and a sum keeps a
// NaN. A branch per value cost checkFinite ~5 instructions a cell (BENCHMARKS.md, "Serve
// study: throughput and two workers"); the sums take about 3.5 in Go and under 1 in
// AVX2 (sumDiffs; BENCHMARKS.md, "Pages of one value, bounds in AVX2").
func allFinite(xs []float64) bool {
	return sumDiffs(xs) == 0
}

// sumDiffsGo is sumDiffs without vector instructions: four sums let the additions overlap.
func sumDiffsGo(xs []float64) float64 {
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(xs); k += 4 {
		q := xs[k : k+4 : k+4]
		s0 += q[0] - q[0]
		s1 += q[1] - q[1]
		s2 += q[2] - q[2]
		s3 += q[3] - q[3]
	}
	for ; k < len(xs); k++ {
		s0 += xs[k] - xs[k]
	}
	return s0 + s1 + s2 + s3
}

// describeInputs lists a point's inputs as name=value, sorted by name.
func describeInputs(in map[string]any) string {
	parts := make([]string, 0, len(in))
	for k, v := range in {
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
