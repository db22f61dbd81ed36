package audit

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"unicode"

	"github.com/mlsysim/mlsysim/catalog"
)

// EntryInput is what a local hardware entry is built from.
type EntryInput struct {
	Key     string
	Device  Device
	Match   Match
	Matched *catalog.Hardware // the catalog entry Match names
	// Peak is the CPU's derived peak (CPU devices; nil when it cannot be derived).
	Peak *CPUPeak
	// Measured is the microbenchmark (CPU devices with --measure; nil otherwise).
	Measured *Measurement
	// PeakFromMatmul takes the measured matmul rate as the peak even when a derived
	// peak exists (without one it is always taken).
	PeakFromMatmul bool
	// Date is when the measurement was made (YYYY-MM-DD), recorded as the sources'
	// verified date; empty without one, so that auditing the same files gives the
	// same entry on any day.
	Date string
}

// LocalEntry is the hardware entry that stands for a detected device: a copy of the
// matched catalog entry with what detection, derivation or measurement knows better
// put in its place, each replaced value named in field_sources. The rest stays the
// matched entry's, which the source says.
func LocalEntry(in EntryInput) *catalog.Hardware {
	h := *in.Matched
	h.Key = in.Key
	h.Name = in.Device.Name + " (this machine)"
	h.ReleaseYear = 0
	h.Rates = maps.Clone(in.Matched.Rates)
	h.FieldSources = maps.Clone(in.Matched.FieldSources)
	if h.FieldSources == nil {
		h.FieldSources = map[string]catalog.Source{}
	}
	h.Corrections, h.Upstream = nil, nil // they describe the catalog entry's own history
	set := func(field, kind, ref string) {
		h.FieldSources[field] = catalog.Source{Kind: kind, Ref: ref, Verified: in.Date}
	}
	var notes []string
	d := in.Device
	if d.MemoryBytes > 0 {
		if d.MemoryBytes != h.MemCapacityBytes {
			// The matched SKU's MIG partitions (7g.80gb on an 80 GB A100) do not fit
			// a device with other memory, and the catalog refuses a slice larger than it.
			h.MIG = nil
		}
		h.MemCapacityBytes = d.MemoryBytes
		set("memory.capacity", "measurement", d.MemorySource)
	}
	if d.PowerW > 0 {
		h.TDPW = d.PowerW
		set("tdp", "measurement", d.PowerSource+" (the board's power limit)")
	}
	kind := "derived"
	if d.Kind == CPUKind {
		if p := in.Peak; p != nil {
			peak := round4(p.FP32FLOPS, "GFLOP/s", catalog.FLOPsPerSecond)
			h.PeakFLOPS, h.Rates = peak, map[string]float64{"fp32": peak}
			ref := fmt.Sprintf("%s; clock: %s; %s; %s", p.Derivation, p.ClockSource, p.Source, p.UpperBoundNotes)
			set("peak", "derived", ref)
			set("rates.fp32", "derived", "the derived FP32 peak (see peak)")
		}
		if m := in.Measured; m != nil {
			kind = "measurement"
			h.MemBandwidthBytesPerS = round4(m.TriadBytesPerS, "GB/s", catalog.BytesPerSecond)
			set("memory.bandwidth", "measurement", fmt.Sprintf(
				"mlsysim audit --measure: STREAM-style triad a = b + 3·c, %d threads, 3 × %s arrays (%s), best of %d trials, 24 bytes per element",
				m.Threads, mib(float64(m.TriadArrayBytes)), m.TriadSizing, m.TriadTrials))
			matmul := fmt.Sprintf("mlsysim audit --measure: blocked pure-Go float32 matrix multiply, n = %d, %d threads, best of %d trials (scalar code: Go does not vectorise it)",
				m.MatrixN, m.Threads, m.MatmulFP32Trials)
			if in.PeakFromMatmul || in.Peak == nil {
				peak := round4(m.MatmulFP32FLOPS, "GFLOP/s", catalog.FLOPsPerSecond)
				h.PeakFLOPS, h.Rates = peak, map[string]float64{"fp32": peak}
				set("peak", "measurement", matmul+"; an achieved rate, so efficiency 1 reproduces it")
				set("rates.fp32", "measurement", "the measured FP32 rate (see peak)")
			} else {
				notes = append(notes, fmt.Sprintf("Measured: the blocked pure-Go matmul reached %.4g GFLOP/s FP32 (%.4g FP64), %.3g of the derived peak; "+
					"--efficiency %.2g models code like it, optimised BLAS reaches far more.",
					m.MatmulFP32FLOPS/1e9, m.MatmulFP64FLOPS/1e9, m.MatmulFP32FLOPS/in.Peak.FP32FLOPS, m.MatmulFP32FLOPS/in.Peak.FP32FLOPS))
			}
		}
		if len(h.Rates) > 0 {
			notes = append(notes, "Precisions other than fp32 fall back to the fp32 peak: the entry states no wider low-precision rate.")
		}
	}
	if d.Kind != CPUKind && in.Measured != nil {
		notes = append(notes, "GPU rates are not measured (no GPU library is linked); they are the catalog entry's.")
	}
	h.Source = catalog.Source{Kind: kind, Verified: in.Date, Ref: fmt.Sprintf(
		"mlsysim audit of %s: the catalog entry %s (%s match) with the values in field_sources replaced; the others are %s's (source: %s)",
		d.Name, in.Matched.Key, in.Match.Confidence, in.Matched.Key, in.Matched.Source.Ref)}
	h.Notes = strings.Join(notes, " ")
	return &h
}

// round4 keeps four significant digits of a derived or measured rate — more would be
// noise — as the value the catalog reads back from "<x> <unit>".
func round4(v float64, unit string, d catalog.Dimension) float64 {
	scale, _ := catalog.ParseQuantity("1 "+unit, d)
	r, err := catalog.ParseQuantity(strconv.FormatFloat(v/scale, 'g', 4, 64)+" "+unit, d)
	if err != nil { // not a finite positive rate: leave it for the loader to refuse
		return v
	}
	return r
}

// LocalKey is the catalog key of a device's local entry: "Local_" and the words of
// its name ("NVIDIA H100 80GB HBM3" → Local_NVIDIA_H100_80GB_HBM3), trademark
// marks dropped, and "_GPU" after an Apple SoC's.
func LocalKey(d Device) string {
	var words []string
	for _, w := range strings.FieldsFunc(d.Name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if w != "R" && w != "TM" && w != "C" {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		words = []string{string(d.Kind)}
	}
	if d.Kind == AppleGPU { // the SoC's name is also its CPU's
		words = append(words, "GPU")
	}
	return "Local_" + strings.Join(words, "_")
}
