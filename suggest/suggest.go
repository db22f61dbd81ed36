// Package suggest ranks the names a mistyped name may have meant and words the
// hint that offers them, so that every command says "did you mean" the same way:
//
//	unknown hardware "H10" (did you mean H100, A100 or H200?)
//
// It imports nothing of ours, so any package may use it (catalog keys, grid keys
// and parameters, commands, query names and columns, figure kinds).
package suggest

import (
	"sort"
	"strings"
)

// Max is the most names a hint offers: a fourth guess is rarely the right one,
// and the error usually lists every valid name after the hint anyway.
const Max = 3

// Closest returns up to n of names nearest to name, best first: those at the
// smallest distance, as git offers its similar commands, for a second-best guess
// beside a better one is noise ("H1000" means H100, not also A100 and H200).
// A name equal to it but for case is at distance -1, so "h100" gets H100 alone.
// Otherwise a name is near when its edit distance (over runes, ignoring case) is
// at most max(2, len/3), or when one contains the other (counted as distance 2).
// Ties go to a name that starts with what was typed, then to the smaller name. An
// empty name has no neighbours. The result is never nil.
func Closest(name string, names []string, n int) []string {
	type cand struct {
		name string
		dist int
	}
	low := strings.ToLower(name)
	out := []string{}
	if low == "" || n <= 0 {
		return out
	}
	limit := max(2, len([]rune(low))/3)
	var cands []cand
	for _, k := range names {
		lk := strings.ToLower(k)
		if lk == low {
			cands = append(cands, cand{k, -1})
			continue
		}
		d := levenshtein(low, lk)
		if len(low) >= 2 && (strings.Contains(lk, low) || strings.Contains(low, lk)) {
			d = min(d, 2)
		}
		if d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	prefix := func(k string) bool { return strings.HasPrefix(strings.ToLower(k), low) }
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		if pi, pj := prefix(cands[i].name), prefix(cands[j].name); pi != pj {
			return pi // "TPUv5" → TPUv5p before TPUv1
		}
		return cands[i].name < cands[j].name
	})
	for i := 0; i < len(cands) && i < n && cands[i].dist == cands[0].dist; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// Hint is " (did you mean A, B or C?)" naming up to Max of names nearest to name,
// or "" when none is near: the phrase to append to an error that quotes name.
func Hint(name string, names []string) string {
	return Phrase(Closest(name, names, Max))
}

// HintPrefixed is Hint with prefix written before each name offered, for names
// that are typed qualified ("model." + "layers") but ranked bare.
func HintPrefixed(prefix, name string, names []string) string {
	c := Closest(name, names, Max)
	for i := range c {
		c[i] = prefix + c[i]
	}
	return Phrase(c)
}

// Phrase words names already chosen as the hint: " (did you mean A, B or C?)",
// or "" for none.
func Phrase(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " (did you mean " + names[0] + "?)"
	}
	return " (did you mean " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "?)"
}

// levenshtein is the edit distance between a and b in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
