//go:build !amd64

package sinks

// bounds is the smallest and largest of vals (of their orderKeys, with keys); vals is
// not empty.
func bounds(vals []int64, keys bool) (lo, hi int64) {
	return boundsGo(vals, keys)
}

// useAVX2 is false: there is no vector loop here (the tests read it on every architecture).
var useAVX2 = false
