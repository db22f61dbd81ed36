package sweep

import (
	"math"
	"testing"
)

// TestColumnNamesUnique: a result's column names are unique in every study (an
// input parameter and an output column must not share a name: Parquet readers
// would rename one of them).
func TestColumnNamesUnique(t *testing.T) {
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		seen := map[string]string{"point_id": "point_id"}
		for _, p := range st.Params {
			if prev, dup := seen[p.Name]; dup {
				t.Errorf("study %s: input %s repeats %s", name, p.Name, prev)
			}
			seen[p.Name] = "input"
		}
		for _, c := range st.Columns {
			if prev, dup := seen[c.Name]; dup {
				t.Errorf("study %s: output %s repeats an %s column", name, c.Name, prev)
			}
			seen[c.Name] = "output"
		}
	}
}

// setBits against bit-by-bit packing, for lengths around byte boundaries and each
// element type it packs (booleans, float input columns, dictionary indices).
func TestSetBits(t *testing.T) {
	for n := 0; n <= 33; n++ {
		bools, nums, idx := make([]bool, n), make([]float64, n), make([]int32, n)
		for k := range n {
			bools[k], nums[k], idx[k] = k%3 == 0, float64(k%5)-2, int32(k%4)
		}
		if n > 0 {
			nums[n/2] = math.Copysign(0, -1) // −0 is zero: its bit stays clear
		}
		check := func(name string, got []byte, set func(k int) bool) {
			t.Helper()
			for k := range n {
				if bit := got[k/8]>>(k%8)&1 == 1; bit != set(k) {
					t.Fatalf("%s, n %d: bit %d is %v", name, n, k, bit)
				}
			}
			for k := n; k < len(got)*8; k++ {
				if got[k/8]>>(k%8)&1 == 1 {
					t.Fatalf("%s, n %d: padding bit %d set", name, n, k)
				}
			}
		}
		bm, m := setBits(make([]byte, (n+7)/8), bools)
		check("bool", bm, func(k int) bool { return bools[k] })
		if m != n {
			t.Fatalf("setBits counts %d values of %d", m, n)
		}
		bm, _ = setBits(make([]byte, (n+7)/8), nums)
		check("float64", bm, func(k int) bool { return nums[k] != 0 })
		bm, _ = setBits(make([]byte, (n+7)/8), idx)
		check("int32", bm, func(k int) bool { return idx[k] != 0 })
	}
}
