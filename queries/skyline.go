package queries

// skyline is a sort-filter skyline (Chomicki et al., ICDE 2003) over points fed
// in lexicographic order, all objectives minimised. A point that dominates
// another sorts before it, so each point only needs checking against the
// frontier found so far, and a point that passes is final.
type skyline struct {
	k     int
	front []float64 // the frontier so far, k values per point
}

func newSkyline(k int) *skyline { return &skyline{k: k} }

// reset starts a new group.
func (s *skyline) reset() { s.front = s.front[:0] }

// add offers the next point (len k, not lexicographically before the previous
// one) and reports whether it is on the frontier.
func (s *skyline) add(p []float64) bool {
	for i := 0; i < len(s.front); i += s.k {
		if dominates(s.front[i:i+s.k], p) {
			return false
		}
	}
	s.front = append(s.front, p...)
	return true
}

// dominates: a ≤ b everywhere and a < b somewhere (minimising).
func dominates(a, b []float64) bool {
	strict := false
	for i := range a {
		if a[i] > b[i] {
			return false
		}
		if a[i] < b[i] {
			strict = true
		}
	}
	return strict
}
