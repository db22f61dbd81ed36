package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The seed profile reproduces the MLSys·im registry's answers, so it reads an entry as
// the registry had it. A correction of one of the fields below records the registry's
// value in its upstream, in a form SeedView can restore (checked when the catalog
// loads, seedCorrection):
//
//	peak, memory.capacity, memory.bandwidth, scale_up.bandwidth:  "<number> <unit>"
//	rates: "none", or "key: <number> <unit>, key: <number> <unit>, …" (the whole map)
//	host_link, scale_up: "none" (a link added here; the registry had none)
//
// Any other correction (a direction, a key renamed, a rate stored under a key no
// precision read) applies to both profiles, as it always has.
var seedQuantityFields = map[string]Dimension{
	"peak":               FLOPsPerSecond,
	"memory.capacity":    Bytes,
	"memory.bandwidth":   BytesPerSecond,
	"scale_up.bandwidth": BytesPerSecond,
}

// seedRestores reports whether a correction of field is undone in the seed view.
func seedRestores(field string) bool {
	_, q := seedQuantityFields[field]
	return q || field == "rates" || field == "host_link" || field == "scale_up"
}

// parseSeedRates reads a rates correction's upstream: "none", or comma-separated
// "key: <number> <unit>" pairs.
func parseSeedRates(s string) (map[string]float64, error) {
	if s == AddedUpstreamNone {
		return nil, nil
	}
	m := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		k, q, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("%q: want \"key: <number> <unit>\" pairs separated by commas, or none", part)
		}
		k = strings.TrimSpace(k)
		if !slices.Contains(RateKeys, k) {
			return nil, fmt.Errorf("%q: %q is not a rate key (%s)", part, k, strings.Join(RateKeys, " "))
		}
		v, err := ParseQuantity(strings.TrimSpace(q), FLOPsPerSecond)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// applySeed sets in v the registry's value a correction records; v is a copy the
// caller owns (its Rates map and links included).
func applySeed(v *Hardware, c Correction) error {
	if !seedRestores(c.Field) {
		return nil
	}
	s, ok := c.Upstream.(string)
	if !ok {
		return fmt.Errorf("%s's upstream must be a string the seed profile can read back (docs/CATALOG.md, Sources), not %v", c.Field, c.Upstream)
	}
	switch c.Field {
	case "host_link", "scale_up":
		if s != AddedUpstreamNone {
			return nil // a link the registry had, corrected as a whole: both profiles read it
		}
		if c.Field == "host_link" {
			v.HostLink = nil
		} else {
			v.ScaleUp = nil
		}
		return nil
	case "rates":
		m, err := parseSeedRates(s)
		if err != nil {
			return fmt.Errorf("rates upstream %v", err)
		}
		v.Rates = m
		return nil
	}
	q, err := ParseQuantity(s, seedQuantityFields[c.Field])
	if err != nil {
		return fmt.Errorf("%s upstream: %v", c.Field, err)
	}
	switch c.Field {
	case "peak":
		v.PeakFLOPS = q
	case "memory.capacity":
		v.MemCapacityBytes = q
	case "memory.bandwidth":
		v.MemBandwidthBytesPerS = q
	case "scale_up.bandwidth":
		if v.ScaleUp == nil {
			return fmt.Errorf("scale_up.bandwidth corrected on an entry without a scale_up link")
		}
		v.ScaleUp.BytesPerS = q
	}
	return nil
}

// seedCopy is a copy of h whose Rates map and links may be changed without touching h.
func seedCopy(h *Hardware) *Hardware {
	v := *h
	v.Rates = maps.Clone(h.Rates) // nil stays nil
	if h.HostLink != nil {
		l := *h.HostLink
		v.HostLink = &l
	}
	if h.ScaleUp != nil {
		l := *h.ScaleUp
		v.ScaleUp = &l
	}
	return &v
}

// SeedView is the entry as the MLSys·im registry had it, which the seed profile reads:
// every correction of a field seedRestores names put back to its upstream value (a
// link added here removed, a corrected peak, memory or rate map restored). An entry
// without such corrections is returned as is. The registry stated no precisions a
// device lacks: the view has no UnsupportedPrecisions, so the seed prices bf16 on a V100
// at its default peak, as the registry did. The loader has checked every such
// upstream (seedCorrection), so this cannot fail on a loaded catalog; a correction it
// cannot read is left applied.
func (h *Hardware) SeedView() *Hardware {
	if !slices.ContainsFunc(h.Corrections, func(c Correction) bool { return seedRestores(c.Field) }) {
		if len(h.UnsupportedPrecisions) == 0 {
			return h
		}
		v := *h
		v.UnsupportedPrecisions = nil
		return &v
	}
	v := seedCopy(h)
	v.UnsupportedPrecisions = nil
	for _, c := range h.Corrections {
		_ = applySeed(v, c)
	}
	return v
}

// seedCorrection checks that every correction the seed view restores can be read back
// (run by the loader on every hardware entry).
func seedCorrection(h *Hardware) error {
	v := seedCopy(h)
	for _, c := range h.Corrections {
		if err := applySeed(v, c); err != nil {
			return err
		}
	}
	return nil
}
