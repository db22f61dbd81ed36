package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// floatFormats are the floating-point run precisions a device without a floating-point
// matrix unit cannot run (fp4 has its own rule: no fp4 rate, no fp4 path).
var floatFormats = []string{"fp32", "tf32", "fp16", "bf16", "fp8"}

// topsPeakFloatUnpublished are the entries whose default peak is a vendor TOPS figure
// although the device computes in a floating-point format as well, and whose vendor
// publishes no floating-point rate: a 16-bit run there is priced at the TOPS figure,
// which is the known gap docs/CATALOG.md names ("Precision support"). An entry leaves
// this table when its floating-point rate is sourced (its peak then becomes that rate)
// or when it is found to be integer-only (it then lists every floating format).
var topsPeakFloatUnpublished = map[string]string{
	"NUC_Movidius":    "Movidius Myriad X VPU: its neural compute engine runs FP16 networks (OpenVINO's MYRIAD plugin takes FP16 models); Intel's 1 TOPS is not stated per format",
	"AppleM2":         "Apple Neural Engine: Core ML runs FP16 models on it; Apple's 15.8 trillion operations per second names no format",
	"iPhone15Pro":     "A17 Pro Neural Engine: as the M2's; Apple's 35 TOPS names no format",
	"Pixel8":          "Tensor G3 TPU: the entry's source is a marketing estimate naming no format",
	"Snapdragon8Gen3": "Hexagon NPU: Qualcomm lists INT4, INT8, INT16 and FP16 support and a 45 TOPS figure without a per-format rate",
}

// TestIntegerOnlyRefusesFloat: the rule classes of unsupported_precisions, checked on
// every hardware entry so the catalog cannot regress.
//
//   - An entry that lists both 16-bit floating formats has no floating-point matrix unit:
//     it lists every floating format it states no rate for (a tf32 or fp8 run would
//     otherwise be priced at its integer peak), states an int8 rate, and that rate is its
//     default peak (the vendor's TOPS figure is the integer rate).
//   - An entry whose peak is written in TOPS (an integer-operation rate) is either such an
//     integer-only entry or named in topsPeakFloatUnpublished, exactly.
//   - Every unsupported_precisions list is sourced as a rate is: kind, a reference naming
//     the section, the document's URL and the date it was checked.
func TestIntegerOnlyRefusesFloat(t *testing.T) {
	c := MustDefault()
	tops := topsPeaks(t)
	integerOnly := 0
	for _, h := range c.Hardware {
		if len(h.UnsupportedPrecisions) > 0 {
			s := h.FieldSources["unsupported_precisions"]
			if s.Kind == "" || s.Ref == "" || s.URL == "" || s.Verified == "" {
				t.Errorf("%s: unsupported_precisions source %+v lacks a kind, reference, url or verified date", h.Key, s)
			}
		}
		intOnly := h.Unsupported("fp16") && h.Unsupported("bf16")
		if intOnly {
			integerOnly++
			for _, p := range floatFormats {
				if !h.Unsupported(p) && !h.StatesRate(p) {
					t.Errorf("%s lists fp16 and bf16 unsupported (no floating-point matrix unit) but not %s, which would run at its integer peak", h.Key, p)
				}
			}
			if r := h.Rates["int8"]; r == 0 || r != h.PeakFLOPS {
				t.Errorf("%s: integer-only, so its default peak %g is its int8 rate; int8 rate stated %g", h.Key, h.PeakFLOPS, r)
			}
		}
		_, gap := topsPeakFloatUnpublished[h.Key]
		switch {
		case tops[h.Key] && !intOnly && !gap:
			t.Errorf("%s: peak in TOPS (an integer rate) but neither integer-only (unsupported_precisions lists the floating formats) nor in topsPeakFloatUnpublished: a 16-bit run is priced at an integer rate", h.Key)
		case gap && (!tops[h.Key] || intOnly):
			t.Errorf("%s is in topsPeakFloatUnpublished but its peak is no longer a TOPS figure, or it is now integer-only: drop it from the table", h.Key)
		}
	}
	if integerOnly < 2 {
		t.Errorf("%d integer-only entries, want at least the TPU v1 and the Coral Edge TPU", integerOnly)
	}
	for k := range topsPeakFloatUnpublished {
		if _, err := c.HardwareByKey(k); err != nil {
			t.Errorf("topsPeakFloatUnpublished names %s, not a catalog entry", k)
		}
	}
}

// topsPeaks reads the hardware YAML files and reports which entries write their peak
// in TOPS (the loader converts every rate to FLOP/s and keeps no unit).
func topsPeaks(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("data", "hardware", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("hardware YAML files: %v (%d)", err, len(files))
	}
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var entries []struct {
			Key  string `yaml:"key"`
			Peak string `yaml:"peak"`
		}
		if err := yaml.Unmarshal(b, &entries); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range entries {
			if e.Key == "" || e.Peak == "" {
				t.Fatalf("%s: an entry without key or peak", f)
			}
			out[e.Key] = strings.HasSuffix(strings.TrimSpace(e.Peak), "TOPS")
		}
	}
	n := 0
	for _, v := range out {
		if v {
			n++
		}
	}
	if n < 3 {
		t.Fatalf("%d TOPS peaks read, want the NPUs' (TPU v1, Coral, the phones)", n)
	}
	return out
}

// yearOrUndated matches a source reference that names the year its price holds for, or says
// plainly that no source gives one.
var yearOrUndated = regexp.MustCompile(`(?i)\b(19|20)\d\d\b|\bundated\b`)

// TestPricesDated: every price in the catalog (a hardware entry's unit_cost and
// unit_cost_max, and every prices.yaml entry in US dollars) has a source that names the
// year it holds for, or says it is undated: a price without a date is ambiguous (prices
// move by multiples within a product's life), and an unknown date is stated, never left
// implicit. A hardware entry's datasheet is not a price's source, so a unit_cost needs
// its own field source.
func TestPricesDated(t *testing.T) {
	c := MustDefault()
	priced := 0
	for _, h := range c.Hardware {
		if h.UnitCostUSD == 0 && h.UnitCostMaxUSD == 0 {
			continue
		}
		priced++
		s, ok := h.FieldSources["unit_cost"]
		switch {
		case !ok || s.Ref == "":
			t.Errorf("%s: unit_cost %g USD has no field_sources.unit_cost (the entry's datasheet prices nothing)", h.Key, h.UnitCostUSD)
		case !yearOrUndated.MatchString(s.Ref):
			t.Errorf("%s: unit_cost source %q names no year and does not say it is undated", h.Key, s.Ref)
		}
	}
	dollars := 0
	for _, p := range c.Prices {
		if !strings.Contains(p.Unit, "USD") {
			continue
		}
		dollars++
		if !yearOrUndated.MatchString(p.Source.Ref) {
			t.Errorf("price %s (%g %s): source %q names no year and does not say it is undated", p.Key, p.Value, p.Unit, p.Source.Ref)
		}
	}
	if priced < 10 || dollars < 20 {
		t.Errorf("%d priced accelerators and %d dollar prices checked; want the catalog's (11 and 25 at the audit)", priced, dollars)
	}
	// A price that cannot come from its cited work: the H100 (2022) from a 2018 book.
	for _, k := range []string{"Capital.H100GpuPurchaseUsd", "Capital.DgxH100NodeUsd"} {
		p, err := c.PriceByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if p.Source.Kind == "literature" {
			t.Errorf("%s: cited as literature (%q), but its cited book predates the H100", k, p.Source.Ref)
		}
	}
}
