package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/mlsysim/mlsysim/catalog"
)

// Confidence says how a detected device was mapped to a catalog entry.
type Confidence string

const (
	// ExactKey: a catalog key is spelled out in the device name ("NVIDIA H100 80GB
	// HBM3" holds H100; "Tesla V100-PCIE-16GB" holds V100_PCIe).
	ExactKey Confidence = "exact-key"
	// NameSimilarity: the device name shares its model words with an entry's name.
	NameSimilarity Confidence = "name-similarity"
	// FamilyFallback: nothing in the catalog names the device; the entry stands in for
	// its family (NVIDIA GPUs, Apple silicon, CPUs).
	FamilyFallback Confidence = "family-fallback"
)

// Match is the catalog entry a device maps to and how sure that is.
type Match struct {
	Key        string     `json:"key"`
	Name       string     `json:"name"`
	Confidence Confidence `json:"confidence"`
	// Similarity is the Dice coefficient of the model words (NameSimilarity only).
	Similarity float64 `json:"similarity,omitempty"`
	// FellBackTo is the entry a family fallback chose (FamilyFallback only).
	FellBackTo string `json:"fell_back_to,omitempty"`
	Reason     string `json:"reason"`
}

// Family fallbacks. An Apple SoC maps to the catalog's only Apple GPU entry (the seed's
// choice for Apple machines); a CPU to the catalog's reference CPU. An NVIDIA GPU the
// catalog does not name maps to the NVIDIA cloud GPU nearest in memory capacity.
const (
	appleFallback = "MacBookM3Max"
	cpuFallback   = "ReferenceCPU"
)

// minSimilarity is the least Dice coefficient of model words a name match needs;
// below it two names share a word by accident more often than a model.
const minSimilarity = 0.5

// MatchDevice maps a detected device to its closest catalog entry: the machine's
// own entry from an earlier audit (a --catalog file) if the catalog holds it; for an
// accelerator, an entry whose key its name spells, or whose name shares its model
// words; else the family's stand-in. A CPU is only matched to its own entry: the
// catalog lists accelerators, and a SoC's name ("Apple M3 Max") spells its GPU's.
func MatchDevice(cat *catalog.Catalog, d Device) (Match, error) {
	if h, err := cat.HardwareByKey(LocalKey(d)); err == nil {
		return Match{Key: h.Key, Name: h.Name, Confidence: ExactKey,
			Reason: "the catalog holds this device's own entry (from a --catalog file, e.g. an earlier audit)"}, nil
	}
	if d.Kind != CPUKind {
		toks := nameTokens(d.Name)
		if m, ok := matchKey(cat, toks); ok {
			return m, nil
		}
		if m, ok := matchName(cat, toks); ok {
			return m, nil
		}
	}
	return fallback(cat, d)
}

// matchKey finds the catalog key spelled by a run of consecutive name tokens
// (case and separators ignored), or whose parts are each a name token, in order
// ("NVIDIA A100-SXM4-40GB" spells A100_40GB around "sxm4"); the longest such key wins.
func matchKey(cat *catalog.Catalog, toks []string) (Match, bool) {
	var best *catalog.Hardware
	var bestUsed []bool
	bestLen := 0
	for _, h := range cat.Hardware {
		if h.AcceleratorCount > 1 { // a packaged system (a user file's rack or server) is not one device
			continue
		}
		k := squash(h.Key)
		if len(k) <= bestLen {
			continue
		}
		if used, ok := spells(toks, k, nameTokens(h.Key)); ok {
			best, bestLen, bestUsed = h, len(k), used
		}
	}
	if best == nil {
		return Match{}, false
	}
	var left []string
	for i, t := range toks {
		if !bestUsed[i] {
			left = append(left, t)
		}
	}
	rest := significant(left)
	reason := fmt.Sprintf("the name spells the catalog key %s", best.Key)
	if len(rest) > 0 {
		reason += fmt.Sprintf("; the words %s are not in the key — a variant of %s may differ from the entry", strings.Join(rest, ", "), best.Key)
	}
	return Match{Key: best.Key, Name: best.Name, Confidence: ExactKey, Reason: reason}, true
}

// spells reports which name tokens spell the squashed key k: a run of consecutive
// tokens, else the key's parts each equal to a token, in order (a key of one part
// needs the run).
func spells(toks []string, k string, parts []string) ([]bool, bool) {
	used := make([]bool, len(toks))
	for i := range toks {
		run := ""
		for j := i; j < len(toks) && len(run) < len(k); j++ {
			run += toks[j]
			if run == k {
				for u := i; u <= j; u++ {
					used[u] = true
				}
				return used, true
			}
		}
	}
	if len(parts) < 2 {
		return nil, false
	}
	next := 0
	for i, t := range toks {
		if next < len(parts) && t == parts[next] {
			used[i] = true
			next++
		}
	}
	return used, next == len(parts)
}

// matchName compares the device's model words with each entry's name and key words.
func matchName(cat *catalog.Catalog, toks []string) (Match, bool) {
	dev := significant(toks)
	var best Match
	for _, h := range cat.Hardware {
		if h.AcceleratorCount > 1 {
			continue
		}
		ent := significant(slices.Concat(nameTokens(h.Name), nameTokens(splitCamel(h.Key))))
		shared := intersect(dev, ent)
		if !slices.ContainsFunc(shared, hasDigit) { // "pro" or "max" alone is not a model
			continue
		}
		s := 2 * float64(len(shared)) / float64(len(dev)+len(ent))
		if s >= minSimilarity && s > best.Similarity {
			best = Match{Key: h.Key, Name: h.Name, Confidence: NameSimilarity, Similarity: s,
				Reason: fmt.Sprintf("the name shares %s with %q (similarity %.2f)", strings.Join(shared, ", "), h.Name, s)}
		}
	}
	return best, best.Key != ""
}

func fallback(cat *catalog.Catalog, d Device) (Match, error) {
	key, why := cpuFallback, "the catalog lists no CPUs; its reference desktop CPU stands in"
	switch d.Kind {
	case AppleGPU:
		key, why = appleFallback, "no catalog entry names this Apple chip; the catalog's Apple GPU entry stands in"
	case NvidiaGPU:
		k, err := nearestNvidia(cat, d.MemoryBytes)
		if err != nil {
			return Match{}, err
		}
		key, why = k, "no catalog entry names this GPU; the NVIDIA cloud GPU nearest in memory capacity stands in"
	}
	h, err := cat.HardwareByKey(key)
	if err != nil {
		return Match{}, fmt.Errorf("family fallback for %s: %w", d.Name, err)
	}
	return Match{Key: key, Name: h.Name, Confidence: FamilyFallback, FellBackTo: key, Reason: why}, nil
}

// nearestNvidia is the single NVIDIA cloud GPU whose memory is nearest (by ratio) to
// the detected memory; ties go to the smaller key.
func nearestNvidia(cat *catalog.Catalog, mem float64) (string, error) {
	var cands []*catalog.Hardware
	for _, h := range cat.Hardware {
		if h.Tier == "Cloud" && strings.HasPrefix(h.Name, "NVIDIA") && h.AcceleratorCount <= 1 {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("the catalog has no NVIDIA cloud GPU to fall back to")
	}
	dist := func(h *catalog.Hardware) float64 {
		if mem <= 0 {
			return 0
		}
		return math.Abs(math.Log(h.MemCapacityBytes / mem))
	}
	best := slices.MinFunc(cands, func(a, b *catalog.Hardware) int {
		return cmp.Or(cmp.Compare(dist(a), dist(b)), cmp.Compare(a.Key, b.Key))
	})
	return best.Key, nil
}

// nameTokens lower-cases a name and splits it at anything but letters and digits.
func nameTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// splitCamel spaces a key's parts: "MacBookM3Max" → "Mac Book M3 Max".
func splitCamel(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func squash(key string) string { return strings.Join(nameTokens(key), "") }

// noise are words that name a vendor, a brand line or a trademark rather than a model.
var noise = []string{"nvidia", "tesla", "geforce", "quadro", "rtx", "amd", "intel", "apple", "r", "tm",
	"cpu", "processor", "core", "gpu", "with", "graphics", "radeon", "google"}

// significant drops noise words and memory sizes and types ("80gb", "hbm3"),
// keeping order, once each.
func significant(toks []string) []string {
	var out []string
	for _, t := range toks {
		mem := (strings.HasSuffix(t, "gb") || strings.HasSuffix(t, "gib")) && hasDigit(t) || strings.HasPrefix(t, "hbm")
		if !mem && !slices.Contains(noise, t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func hasDigit(s string) bool { return strings.ContainsFunc(s, unicode.IsDigit) }
