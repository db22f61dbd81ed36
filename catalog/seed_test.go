package catalog

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitScale is the SI value of one unit, for printing a loaded value in the units a
// correction's value string uses.
func unitScale(t testing.TB, unit string, d Dimension) float64 {
	t.Helper()
	v, err := ParseQuantity("1 "+unit, d)
	if err != nil {
		t.Fatalf("unit %q: %v", unit, err)
	}
	return v
}

// loadedLike prints the loaded value of a seed-restorable field the way like (a
// correction's value) writes it: the same units, and for rates the same keys in the
// same order, so a row compares the catalog's number with the one its correction states.
func loadedLike(t testing.TB, h *Hardware, field, like string) string {
	t.Helper()
	if field == "rates" {
		if like == AddedUpstreamNone {
			if len(h.Rates) == 0 {
				return AddedUpstreamNone
			}
			return fmt.Sprint(h.Rates)
		}
		var parts []string
		for _, p := range strings.Split(like, ", ") {
			k, q, _ := strings.Cut(p, ": ")
			unit := strings.Fields(q)[1]
			r, ok := h.Rates[k]
			if !ok {
				parts = append(parts, k+": <absent>")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %g %s", k, r/unitScale(t, unit, FLOPsPerSecond), unit))
		}
		return strings.Join(parts, ", ")
	}
	unit := strings.Fields(like)[1]
	var v float64
	switch field {
	case "peak":
		v = h.PeakFLOPS
	case "memory.capacity":
		v = h.MemCapacityBytes
	case "memory.bandwidth":
		v = h.MemBandwidthBytesPerS
	case "scale_up.bandwidth":
		v = h.ScaleUp.BytesPerS
	default:
		t.Fatalf("%s: %s is not a field the seed view restores", h.Key, field)
	}
	return fmt.Sprintf("%g %s", v/unitScale(t, unit, seedQuantityFields[field]), unit)
}

// seedRow is TestRecordedCorrections' row for a correction the seed view undoes: the
// loaded entry carries the value, its SeedView the upstream (checked here too).
func seedRow(t testing.TB, c *Catalog, key, field, upstream, value string) correctionRow {
	t.Helper()
	h, err := c.HardwareByKey(key)
	if err != nil {
		t.Fatal(err)
	}
	current := loadedLike(t, h, field, value)
	if seed := loadedLike(t, h.SeedView(), field, upstream); seed != upstream {
		current = fmt.Sprintf("%s (but the seed view reads %s, not the upstream %s)", current, seed, upstream)
	}
	return correctionRow{key, field, h.Corrections, upstream, value, current}
}

// TestSeedView: the seed profile reads every entry as the MLSys·im registry had it. For
// each correction of a restorable field, the loaded entry holds the correction's value
// and the seed view its upstream; every other field is the same in both; an entry
// without such corrections is its own seed view; SeedLinks are the seed view's links.
func TestSeedView(t *testing.T) {
	c := MustDefault()
	restored := 0
	for _, h := range c.Hardware {
		v := h.SeedView()
		has := false
		for _, cr := range h.Corrections {
			if !seedRestores(cr.Field) {
				continue
			}
			has = true
			up, val := fmt.Sprint(cr.Upstream), fmt.Sprint(cr.Value)
			if (cr.Field == "host_link" || cr.Field == "scale_up") && up == AddedUpstreamNone {
				restored++
				continue // TestAddedLinks covers the links themselves
			}
			restored++
			if got := loadedLike(t, h, cr.Field, val); got != val {
				t.Errorf("%s.%s loaded as %s, its correction says %s", h.Key, cr.Field, got, val)
			}
			if got := loadedLike(t, v, cr.Field, up); got != up {
				t.Errorf("%s.%s seed view %s, the registry's (upstream) %s", h.Key, cr.Field, got, up)
			}
		}
		if !has && v != h && len(h.UnsupportedPrecisions) == 0 {
			t.Errorf("%s: no restorable correction, yet SeedView made a copy", h.Key)
		}
		// The registry listed no formats a device lacks: the seed prices them as it did.
		if v.UnsupportedPrecisions != nil {
			t.Errorf("%s: seed view keeps unsupported_precisions %v", h.Key, v.UnsupportedPrecisions)
		}
		if has && (v.Key != h.Key || v.TDPW != h.TDPW || v.DispatchTaxS != h.DispatchTaxS || v.UnitCostUSD != h.UnitCostUSD) {
			t.Errorf("%s: the seed view changed a field no correction names", h.Key)
		}
		host, up := h.SeedLinks()
		if host != v.HostLink && (host == nil || v.HostLink == nil || *host != *v.HostLink) {
			t.Errorf("%s: SeedLinks host %+v, seed view %+v", h.Key, host, v.HostLink)
		}
		if up != v.ScaleUp && (up == nil || v.ScaleUp == nil || *up != *v.ScaleUp) {
			t.Errorf("%s: SeedLinks scale-up %+v, seed view %+v", h.Key, up, v.ScaleUp)
		}
	}
	// 7 added links + 27 restorable values (TestRecordedCorrections lists them).
	if restored != 34 {
		t.Errorf("%d restorable corrections, want 34", restored)
	}
	// The seed view never writes through to the loaded entry.
	trn, _ := c.HardwareByKey("Trainium2")
	s := trn.SeedView()
	s.Rates["fp8"] = 1
	if trn.Rates["fp8"] != 1299e12 || trn.MemBandwidthBytesPerS != 2.9e12 || s.MemBandwidthBytesPerS != 2.4e12 || s.PeakFLOPS != 380e12 {
		t.Errorf("Trainium2 seed view %g B/s, %g FLOP/s; entry fp8 %g, %g B/s: want the registry's 2.4 TB/s and 380 in the view, the entry untouched",
			s.MemBandwidthBytesPerS, s.PeakFLOPS, trn.Rates["fp8"], trn.MemBandwidthBytesPerS)
	}
	g, _ := c.HardwareByKey("Gaudi2")
	if _, up := g.SeedLinks(); up.BytesPerS != 300e9 || g.ScaleUp.BytesPerS != 262.5e9 {
		t.Errorf("Gaudi2 scale-up: seed %g, calibrated %g; want the registry's 300 GB/s and Intel's 262.5", up.BytesPerS, g.ScaleUp.BytesPerS)
	}
}

// TestSeedCorrectionRefused: a correction of a restorable field whose upstream the seed
// view cannot read back is a load error naming the file and field.
func TestSeedCorrectionRefused(t *testing.T) {
	for _, tc := range []struct{ field, upstream, want string }{
		{"memory.capacity", "lots", "memory.capacity upstream"},
		{"peak", "380 GB/s", "not a compute rate unit"},
		{"rates", "fp8 760 TFLOP/s", "key: <number> <unit>"},
		{"rates", "fp9: 760 TFLOP/s", "not a rate key"},
	} {
		yaml := fmt.Sprintf(`key: X
name: X
peak: 1 TFLOP/s
memory: {capacity: 1 GiB, bandwidth: 1 GB/s}
source: {kind: datasheet, ref: r}
corrections:
  - {field: %s, upstream: %q, value: v, reason: r, source: {ref: r}}
`, tc.field, tc.upstream)
		c := MustDefault()
		_, err := c.AddUserYAML("x.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.yaml") {
			t.Errorf("%s upstream %q: %v, want an error naming x.yaml and %q", tc.field, tc.upstream, err, tc.want)
		}
	}
}

// TestCatalogAuditRules: conventions a datasheet audit checks by hand, checked on every
// hardware entry (docs/CATALOG.md, "Hardware entry" and "Memory capacity units").
func TestCatalogAuditRules(t *testing.T) {
	c := MustDefault()
	checked := map[string]int{}
	for _, h := range c.Hardware {
		// The default peak is the dense 16-bit rate: where the entry states fp16 or bf16
		// it is that rate, and a 2:4-sparse figure is exactly twice its dense one (NVIDIA
		// prints sparse figures; taking one as dense doubles every answer).
		for _, k := range []string{"fp16", "bf16"} {
			if r, ok := h.Rates[k]; ok {
				checked["peak=16-bit"]++
				if r != h.PeakFLOPS {
					t.Errorf("%s: %s rate %g differs from the default peak %g (the dense 16-bit rate)", h.Key, k, r, h.PeakFLOPS)
				}
			}
		}
		for sparse, dense := range map[string]string{"fp16_sparse": "fp16", "fp4_sparse": "fp4"} {
			s, ok := h.Rates[sparse]
			if !ok {
				continue
			}
			d, ok := h.Rates[dense]
			if !ok && dense == "fp16" {
				d, ok = h.PeakFLOPS, true
			}
			if ok {
				checked["sparse=2×dense"]++
				if s != 2*d {
					t.Errorf("%s: %s %g is not twice %s %g (2:4 structured sparsity doubles the dense rate)", h.Key, sparse, s, dense, d)
				}
			}
		}
		// A scale-up link named "NxR GbE" carries N × R Gb/s ÷ 8 per direction: the
		// ports that form it, no more (Gaudi 2's three scale-out ports are not in it).
		if l := h.ScaleUp; l != nil {
			if m := regexp.MustCompile(`(\d+)x(\d+)GbE`).FindStringSubmatch(l.Name); m != nil {
				checked["ports"]++
				n, _ := strconv.Atoi(m[1])
				r, _ := strconv.Atoi(m[2])
				if want := float64(n*r) * 1e9 / 8; l.Direction != PerDirection || l.BytesPerS != want {
					t.Errorf("%s: scale_up %q is %g B/s %s, want %d × %d Gb/s ÷ 8 = %g per_direction", h.Key, l.Name, l.BytesPerS, l.Direction, n, r, want)
				}
			}
		}
	}
	for rule, n := range map[string]int{"peak=16-bit": 8, "sparse=2×dense": 1, "ports": 2} {
		if checked[rule] < n {
			t.Errorf("rule %s checked %d entries, want at least %d (the catalog's rates did not load?)", rule, checked[rule], n)
		}
	}
}

// TestHBMCapacityAgainstDevice: vendors quote HBM in binary gigabytes (NVIDIA's "80GB"
// A100 shows exactly 80 GiB), so the catalog stores the vendor figure in GiB and a
// device's visible total (nvidia-smi memory.total, MiB) sits just under it: the driver
// keeps back under 1 %. Captured totals (audit/match_test.go's detections and the
// sources in cloud.yaml): A100 80GB 81,920 MiB and H100 81,559 MiB (modal-labs/
// modal-client #2797), H200 143,771 MiB, B200 183,359 MiB, GB200 189,471 MiB. A decimal
// reading (the registry's 131 GiB H200) or a pre-launch figure (192 GiB B200) fails.
func TestHBMCapacityAgainstDevice(t *testing.T) {
	c := MustDefault()
	for key, mib := range map[string]float64{"A100": 81920, "H100": 81559, "H800": 81559, "H200": 143771, "B200": 183359, "GB200": 189471} {
		h, err := c.HardwareByKey(key)
		if err != nil {
			t.Fatal(err)
		}
		visible := mib * (1 << 20)
		if r := h.MemCapacityBytes / visible; r < 1 || r > 1.01 {
			t.Errorf("%s: catalog %.4g GiB is %.4f × the device's visible %.2f GiB; want at most 1 %% above it",
				key, h.MemCapacityBytes/(1<<30), r, visible/(1<<30))
		}
		if g := h.MemCapacityBytes / (1 << 30); g != math.Trunc(g) {
			t.Errorf("%s: %g GiB is not a whole number of GiB (HBM capacities are binary)", key, g)
		}
	}
}
