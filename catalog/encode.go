package catalog

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EncodeHardwareYAML writes hardware entries in the catalog file format
// (docs/CATALOG.md) as a `hardware:` list that AddUserFile reads back to the same
// values. Each quantity is written in the unit that gives the shortest number
// ParseQuantity turns back into exactly the stored float, so "80 GiB" stays
// "80 GiB" and nothing drifts by an ulp through a round trip.
func EncodeHardwareYAML(hs []*Hardware) ([]byte, error) {
	doc := struct {
		Hardware []hardwareYAML `yaml:"hardware"`
	}{}
	for _, h := range hs {
		doc.Hardware = append(doc.Hardware, encodeHardware(h))
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// hardwareYAML mirrors rawHardware for writing: fields in the documented order,
// absent values left out.
type hardwareYAML struct {
	Key              string             `yaml:"key"`
	Name             string             `yaml:"name,omitempty"`
	ReleaseYear      int                `yaml:"release_year,omitempty"`
	Peak             string             `yaml:"peak"`
	Rates            map[string]string  `yaml:"rates,omitempty"`
	Unsupported      []string           `yaml:"unsupported_precisions,omitempty"`
	SMCount          int                `yaml:"sm_count,omitempty"`
	ClockRate        string             `yaml:"clock_rate,omitempty"`
	Memory           memoryYAML         `yaml:"memory"`
	Storage          *storageYAML       `yaml:"storage,omitempty"`
	HostLink         *linkYAML          `yaml:"host_link,omitempty"`
	ScaleUp          *linkYAML          `yaml:"scale_up,omitempty"`
	TDP              string             `yaml:"tdp,omitempty"`
	TDPMin           string             `yaml:"tdp_min,omitempty"`
	TDPMax           string             `yaml:"tdp_max,omitempty"`
	Battery          string             `yaml:"battery,omitempty"`
	UnitCost         string             `yaml:"unit_cost,omitempty"`
	UnitCostMax      string             `yaml:"unit_cost_max,omitempty"`
	AcceleratorCount int                `yaml:"accelerator_count,omitempty"`
	EmbodiedCarbon   string             `yaml:"embodied_carbon,omitempty"`
	DispatchTax      string             `yaml:"dispatch_tax"`
	MIGProfiles      []migYAML          `yaml:"mig_profiles,omitempty"`
	GEMMEfficiency   map[string]float64 `yaml:"gemm_efficiency,omitempty"`
	AttnEfficiency   map[string]float64 `yaml:"attention_efficiency,omitempty"`
	GEMMSustained    map[string]float64 `yaml:"gemm_sustained_efficiency,omitempty"`
	AttnFlash1       map[string]float64 `yaml:"attention_efficiency_flash1,omitempty"`
	Source           Source             `yaml:"source"`
	FieldSources     map[string]Source  `yaml:"field_sources,omitempty"`
	Corrections      []Correction       `yaml:"corrections,omitempty"`
	Notes            string             `yaml:"notes,omitempty"`
	Upstream         *Upstream          `yaml:"upstream,omitempty"`
}

type memoryYAML struct {
	Capacity          string `yaml:"capacity"`
	Bandwidth         string `yaml:"bandwidth"`
	SRAMCapacity      string `yaml:"sram_capacity,omitempty"`
	SRAMBandwidth     string `yaml:"sram_bandwidth,omitempty"`
	FlashCapacity     string `yaml:"flash_capacity,omitempty"`
	FlashBandwidth    string `yaml:"flash_bandwidth,omitempty"`
	L2Cache           string `yaml:"l2_cache,omitempty"`
	RegisterFilePerSM string `yaml:"register_file_per_sm,omitempty"`
	SharedMemoryPerSM string `yaml:"shared_memory_per_sm,omitempty"`
	AchievableBW      string `yaml:"achievable_bandwidth,omitempty"`
	L2BW              string `yaml:"l2_bandwidth,omitempty"`
}

type storageYAML struct {
	Capacity  string `yaml:"capacity,omitempty"`
	Bandwidth string `yaml:"bandwidth,omitempty"`
}

type linkYAML struct {
	Name         string    `yaml:"name,omitempty"`
	Bandwidth    string    `yaml:"bandwidth"`
	Direction    Direction `yaml:"direction"`
	Latency      string    `yaml:"latency,omitempty"`
	BusBandwidth string    `yaml:"bus_bandwidth,omitempty"`
	NVLS         bool      `yaml:"nvls,omitempty"`
}

type migYAML struct {
	Name   string `yaml:"name"`
	Memory string `yaml:"memory,omitempty"`
	SMs    int    `yaml:"sms,omitempty"`
	Use    string `yaml:"use,omitempty"`
}

func encodeHardware(h *Hardware) hardwareYAML {
	y := hardwareYAML{
		Key: h.Key, Name: h.Name, ReleaseYear: h.ReleaseYear,
		Peak: FormatQuantity(h.PeakFLOPS, FLOPsPerSecond), SMCount: h.SMCount,
		ClockRate: FormatQuantity(h.ClockHz, Hertz),
		Memory: memoryYAML{
			Capacity:          FormatQuantity(h.MemCapacityBytes, Bytes),
			Bandwidth:         FormatQuantity(h.MemBandwidthBytesPerS, BytesPerSecond),
			SRAMCapacity:      FormatQuantity(h.SRAMCapacityBytes, Bytes),
			SRAMBandwidth:     FormatQuantity(h.SRAMBandwidthBytesPerS, BytesPerSecond),
			FlashCapacity:     FormatQuantity(h.FlashCapacityBytes, Bytes),
			FlashBandwidth:    FormatQuantity(h.FlashBandwidthBytesPerS, BytesPerSecond),
			L2Cache:           FormatQuantity(h.L2CacheBytes, Bytes),
			RegisterFilePerSM: FormatQuantity(h.RegisterFilePerSMBytes, Bytes),
			SharedMemoryPerSM: FormatQuantity(h.SharedMemoryPerSMBytes, Bytes),
			AchievableBW:      FormatQuantity(h.AchievableBandwidthBytesPerS, BytesPerSecond),
			L2BW:              FormatQuantity(h.L2BandwidthBytesPerS, BytesPerSecond),
		},
		HostLink: encodeLink(h.HostLink), ScaleUp: encodeLink(h.ScaleUp),
		TDP: FormatQuantity(h.TDPW, Watts), TDPMin: FormatQuantity(h.TDPMinW, Watts), TDPMax: FormatQuantity(h.TDPMaxW, Watts),
		Battery: FormatQuantity(h.BatteryJ, Joules), UnitCost: FormatQuantity(h.UnitCostUSD, USD),
		UnitCostMax: FormatQuantity(h.UnitCostMaxUSD, USD), AcceleratorCount: h.AcceleratorCount,
		EmbodiedCarbon: FormatQuantity(h.EmbodiedCarbonKg, Kilograms),
		DispatchTax:    FormatQuantity(h.DispatchTaxS, Seconds),
		Source:         h.Source, FieldSources: h.FieldSources, Corrections: h.Corrections,
		Notes: h.Notes, Upstream: h.Upstream, GEMMEfficiency: h.GEMMEfficiency,
		AttnEfficiency: h.AttentionEfficiency, GEMMSustained: h.GEMMSustainedEfficiency,
		AttnFlash1: h.AttentionEfficiencyFlash1, Unsupported: h.UnsupportedPrecisions,
	}
	if len(h.Rates) > 0 {
		y.Rates = make(map[string]string, len(h.Rates))
		for k, v := range h.Rates {
			y.Rates[k] = FormatQuantity(v, FLOPsPerSecond)
		}
	}
	if h.StorageCapacityBytes > 0 || h.StorageBandwidthBytesPerS > 0 {
		y.Storage = &storageYAML{Capacity: FormatQuantity(h.StorageCapacityBytes, Bytes),
			Bandwidth: FormatQuantity(h.StorageBandwidthBytesPerS, BytesPerSecond)}
	}
	for _, m := range h.MIG {
		y.MIGProfiles = append(y.MIGProfiles, migYAML{Name: m.Name, Memory: FormatQuantity(m.MemoryBytes, Bytes), SMs: m.SMs, Use: m.Use})
	}
	return y
}

func encodeLink(l *Link) *linkYAML {
	if l == nil {
		return nil
	}
	return &linkYAML{Name: l.Name, Bandwidth: FormatQuantity(l.BytesPerS, BytesPerSecond), Direction: l.Direction,
		Latency: FormatQuantity(l.LatencyS, Seconds), BusBandwidth: FormatQuantity(l.BusBytesPerS, BytesPerSecond),
		NVLS: l.NVLS}
}

// FormatQuantity writes an SI value as "<number> <unit>" in the unit of dimension d
// that gives the shortest number (not below 1 where another unit allows) that
// ParseQuantity reads back to exactly v; 0 gives ""
// (the catalog's "not stated"). Bit rates and OPS are never chosen: bytes/s and
// FLOP/s say the same without a factor to remember.
func FormatQuantity(v float64, d Dimension) string {
	if v == 0 {
		return ""
	}
	// Every dimension has a unit of scale 1, which always reads back exactly.
	var best, bestUnit string
	bestLen := 0
	for _, u := range unitsByScale(d) {
		scale := units[u].scale
		xs := []float64{v / scale}
		if scale < 1 { // ParseQuantity divides by the inverse for sub-units (units.go)
			xs = append(xs, v*math.Round(1/scale))
		}
		for _, x := range xs {
			num := strconv.FormatFloat(x, 'g', -1, 64)
			if back, err := ParseQuantity(num+" "+u, d); err != nil || back != v {
				continue
			}
			n := len(num)
			if math.Abs(x) < 1 {
				n++ // "700 W" reads better than "0.7 kW"
			}
			if best == "" || n < bestLen {
				best, bestUnit, bestLen = num, u, n
			}
		}
	}
	return best + " " + bestUnit
}

// unitsByScale lists the writable units of a dimension, largest first, so that among
// numbers of equal length the larger unit wins ("1 GB", not "1000 MB").
func unitsByScale(d Dimension) []string {
	var us []string
	for k, def := range units {
		if def.dim != d || strings.HasSuffix(k, "bps") || strings.HasSuffix(k, "OPS") {
			continue
		}
		us = append(us, k)
	}
	sort.Slice(us, func(i, j int) bool {
		if units[us[i]].scale != units[us[j]].scale {
			return units[us[i]].scale > units[us[j]].scale
		}
		return us[i] < us[j]
	})
	return us
}
