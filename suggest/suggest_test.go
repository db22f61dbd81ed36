package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	keys := []string{"H100", "H200", "A100", "B200", "T4", "TPUv4", "TPUv5p", "Llama3_8B", "Llama3_70B", "Llama3_405B", "Llama2_7B"}
	for _, tc := range []struct {
		name string
		n    int
		want []string
	}{
		{"H100", 3, []string{"H100"}},                                     // itself, alone
		{"h100", 3, []string{"H100"}},                                     // a case-insensitive match, alone
		{"H10", 3, []string{"H100"}},                                      // distance 1 beats A100 and H200 at 2
		{"H300", 3, []string{"H100", "H200"}},                             // ties, all of them
		{"A10", 1, []string{"A100"}},                                      // n caps the list
		{"Llama3", 3, []string{"Llama3_405B", "Llama3_70B", "Llama3_8B"}}, // substring counts as distance 2
		{"llama3", 2, []string{"Llama3_405B", "Llama3_70B"}},              // case-insensitive substring; n caps ties
		{"TPUv", 3, []string{"TPUv4"}},
		{"TPUv5", 3, []string{"TPUv5p", "TPUv4"}}, // at one distance, the prefix first
		{"Gaudi", 3, []string{}},
		{"H100", 0, []string{}},
		{"", 3, []string{}}, // nothing typed is near nothing (T4 is two edits from "")
	} {
		got := Closest(tc.name, keys, tc.n)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("Closest(%q, %d) = %#v, want %#v", tc.name, tc.n, got, tc.want)
		}
	}
	if got := Closest("x", nil, 3); got == nil || len(got) != 0 {
		t.Errorf("Closest over no keys = %#v, want an empty list", got)
	}
	// Two values that differ only in case are both offered (a query's text column
	// may hold both), before any other near value.
	if got := Closest("FP8", []string{"fp4", "fp8", "Fp8"}, 3); !slices.Equal(got, []string{"Fp8", "fp8"}) {
		t.Errorf("case-insensitive matches = %#v, want [Fp8 fp8]", got)
	}
	// A long qualified name: its one-edit neighbour alone, not also the names six
	// edits away that its length would admit.
	metrics := []string{"macro.tco_usd", "performance.latency", "performance.mfu", "performance.step_latency"}
	if got := Closest("performance.latncy", metrics, 3); !slices.Equal(got, []string{"performance.latency"}) {
		t.Errorf("long qualified name = %#v, want [performance.latency]", got)
	}
	if got := Closest("performance.step_latncy", metrics, 3); !slices.Equal(got, []string{"performance.step_latency"}) {
		t.Errorf("long qualified name = %#v, want [performance.step_latency]", got)
	}
	// The distance limit grows with the name, in runes: "µµµµµµ" (6 runes, 12 bytes)
	// allows 2 edits, not 4.
	if got := Closest("µµµµµµ", []string{"µµµµab", "µµabcd"}, 3); !slices.Equal(got, []string{"µµµµab"}) {
		t.Errorf("rune limit = %#v, want [µµµµab]", got)
	}
}

func TestHint(t *testing.T) {
	names := []string{"sweep", "serve", "eval", "zoo", "merge"}
	for _, tc := range []struct {
		name, want string
	}{
		{"swep", " (did you mean sweep?)"},
		{"merve", " (did you mean merge or serve?)"},
		{"evl", " (did you mean eval?)"},
		{"EVAL", " (did you mean eval?)"},
		{"quantum", ""},
	} {
		if got := Hint(tc.name, names); got != tc.want {
			t.Errorf("Hint(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Hint("Llama", []string{"Llama2_7B", "Llama2_70B", "Llama3_8B", "Llama3_70B", "Llama3_405B"}); got != " (did you mean Llama2_70B, Llama2_7B or Llama3_405B?)" {
		t.Errorf("Hint caps at Max = %d: %q", Max, got)
	}
	if got := HintPrefixed("model.", "layrs", []string{"layers", "hidden"}); got != " (did you mean model.layers?)" {
		t.Errorf("HintPrefixed = %q", got)
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"a"}, " (did you mean a?)"},
		{[]string{"a", "b"}, " (did you mean a or b?)"},
		{[]string{"a", "b", "c"}, " (did you mean a, b or c?)"},
	} {
		if got := Phrase(tc.names); got != tc.want {
			t.Errorf("Phrase(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"h100", "h200", 1},
		{"flaw", "lawn", 2}, {"µs", "us", 1}, // runes, not bytes
	} {
		if d := levenshtein(tc.a, tc.b); d != tc.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
		if d := levenshtein(tc.b, tc.a); d != tc.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d (symmetry)", tc.b, tc.a, d, tc.d)
		}
	}
}
