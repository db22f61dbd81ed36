package catalog

import "testing"

// TestNotDecimal: the one rule that flags, query bindings and captured device files
// use to refuse numbers strconv.ParseFloat reads beyond decimal notation.
func TestNotDecimal(t *testing.T) {
	for s, want := range map[string]bool{
		"64": false, "-0.5": false, "+1e-3": false, "1E6": false, "inf": false, "nan": false,
		"0.5e10": false, "0": false, "007": false, // leading zeros are LeadingZero's rule, not this one
		"0x40": true, "0X40": true, "-0x1p-1": true, "+0x1p6": true,
		"6_4": true, "1_000": true, "_1": true, "1e1_0": true,
	} {
		if got := NotDecimal(s); got != want {
			t.Errorf("NotDecimal(%q) = %v, want %v", s, got, want)
		}
	}
}
