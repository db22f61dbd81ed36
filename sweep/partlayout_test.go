package sweep

import (
	"strings"
	"testing"
)

// TestPartLayout: part counts worked out by hand from GRID.md's policy
// (⌈points / (32·N)⌉ rounded up to 16,384, clamped to [16,384, 2^20]) and the
// MaxParts bound (2^18 parts), which a grid past it meets as an error that
// says which --part-points would fit, before any part table is allocated.
func TestPartLayout(t *testing.T) {
	for _, tc := range []struct {
		name             string
		points, given    uint64
		shards           int
		wantPP, wantPart uint64
		wantErr          string
	}{
		{"one point", 1, 0, 0, MinPartPoints, 1, ""},
		{"serving-frontier", 123_552, 0, 0, 16_384, 8, ""},                           // ⌈123552/32⌉ = 3861 → 16384; ⌈123552/16384⌉ = 8
		{"1M points", 1 << 20, 0, 0, 32_768, 32, ""},                                 // 2^20/32 = 32768
		{"100M points", 100_000_000, 0, 0, 1 << 20, 96, ""},                          // ⌈1e8/2^20⌉ = 96
		{"at the bound", 1 << 38, 0, 0, 1 << 20, 1 << 18, ""},                        // 2^38/2^20 = 2^18 parts exactly
		{"one past it", 1<<38 + 1, 0, 0, 0, 0, "give --part-points 1048577 or more"}, // ⌈(2^38+1)/2^18⌉
		{"given parts fit", 1<<38 + 1, 1 << 21, 0, 1 << 21, 1<<17 + 1, ""},
		{"given parts too small", 1 << 20, 1, 0, 0, 0, "give --part-points 4 or more"}, // 2^20/2^18
		{"too large for any part", 1<<48 + 1, 0, 0, 0, 0, "shrink the grid to at most 281474976710656 points"},
		{"3.7e14 points (3.5e8 parts, 21 GB of table before)", 371_250_000_000_000, 0, 0, 0, 0, "more than the 262144"},
		{"part size past its bound", 100, MaxPartPoints + 1, 0, 0, 0, "at most 1073741824 points"},
		{"4 shards of 250K points", 250_000, 0, 4, 16_384, 16, ""}, // ⌈250000/128⌉ = 1954 → 16384; ⌈250000/16384⌉ = 16
	} {
		t.Run(tc.name, func(t *testing.T) {
			pp, parts, err := PartLayout(tc.points, tc.given, tc.shards)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pp != tc.wantPP || parts != tc.wantPart {
				t.Errorf("PartLayout(%d, %d, %d) = %d points × %d parts, want %d × %d", tc.points, tc.given, tc.shards, pp, parts, tc.wantPP, tc.wantPart)
			}
		})
	}
}

// TestCeilDiv: ⌈a/b⌉ by hand, up to the largest uint64, where (a+b−1)/b wraps.
func TestCeilDiv(t *testing.T) {
	const maxU = ^uint64(0)
	for _, tc := range []struct{ a, b, want uint64 }{
		{0, 1, 0}, {1, 1, 1}, {1, 2, 1}, {2, 2, 1}, {3, 2, 2},
		{123_552, 16_384, 8},          // serving-frontier's parts: 7·16384 = 114688 < 123552 ≤ 8·16384
		{MaxPoints, 1 << 30, 1 << 33}, // (2^63 − 1)/2^30 = 2^33 − 2^−30: one partial part
		{MaxPoints, MaxPartPoints, 1 << 33},
		{maxU, 2, 1 << 63},    // (2^64 − 1)/2 = 2^63 − 1/2
		{maxU, maxU, 1},       // a + b − 1 would wrap to 2^64 − 2: 0
		{maxU - 1, maxU, 1},   // likewise
		{maxU, 1 << 63, 2},    // 2^64 − 1 over 2^63
		{1 << 63, 1 << 63, 1}, // exact
	} {
		if got := ceilDiv(tc.a, tc.b); got != tc.want {
			t.Errorf("ceilDiv(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestPartBounds: the parts of a grid tile it, the last one short.
func TestPartBounds(t *testing.T) {
	for _, tc := range []struct{ n, pp uint64 }{{1, 16_384}, {123_552, 16_384}, {1 << 20, 32_768}, {MaxPoints, MaxPartPoints}} {
		parts := ceilDiv(tc.n, tc.pp)
		for _, i := range []uint64{0, parts / 2, parts - 1} {
			lo, hi := partBounds(i, tc.pp, tc.n)
			if lo != i*tc.pp || hi <= lo || hi-lo > tc.pp || (i < parts-1 && hi-lo != tc.pp) {
				t.Errorf("n %d pp %d: part %d = [%d, %d)", tc.n, tc.pp, i, lo, hi)
			}
		}
		if _, hi := partBounds(parts-1, tc.pp, tc.n); hi != tc.n {
			t.Errorf("n %d pp %d: the last part ends at %d, want %d", tc.n, tc.pp, hi, tc.n)
		}
	}
}
