package catalog

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Dimension is the physical dimension of a catalog quantity.
type Dimension uint8

const (
	Bytes Dimension = iota + 1
	BytesPerSecond
	FLOPs
	FLOPsPerSecond
	Watts
	Joules
	Seconds
	USD
	Kilograms
	Hertz
	GramsPerKWh
	LitresPerKWh
)

var dimensionNames = map[Dimension]string{
	Bytes: "bytes", BytesPerSecond: "bandwidth", FLOPs: "FLOP amount", FLOPsPerSecond: "compute rate",
	Watts: "power", Joules: "energy", Seconds: "time", USD: "money", Kilograms: "mass",
	Hertz: "frequency", GramsPerKWh: "carbon intensity", LitresPerKWh: "water intensity",
}

func (d Dimension) String() string { return dimensionNames[d] }

type unitDef struct {
	dim   Dimension
	scale float64 // SI value of one unit
}

// si converts v units to SI; sub-unit scales divide by the exact inverse so that
// "50 us" is 50e-6, not 50 × 1e-6 (which rounds differently).
func (u unitDef) si(v float64) float64 {
	if u.scale < 1 {
		return v / math.Round(1/u.scale)
	}
	return v * u.scale
}

// units maps every unit string the catalog accepts to its SI scale.
// Decimal and binary byte prefixes are distinct on purpose: 80 GiB ≠ 80 GB.
var units = func() map[string]unitDef {
	u := map[string]unitDef{}
	byteUnits := map[string]float64{
		"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	}
	for k, v := range byteUnits {
		u[k] = unitDef{Bytes, v}
		u[k+"/s"] = unitDef{BytesPerSecond, v}
	}
	for k, v := range map[string]float64{"bps": 1, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12} {
		u[k] = unitDef{BytesPerSecond, v / 8}
	}
	for k, v := range map[string]float64{"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21} {
		u[k+"FLOP"] = unitDef{FLOPs, v}
		u[k+"FLOP/s"] = unitDef{FLOPsPerSecond, v}
		u[k+"OPS"] = unitDef{FLOPsPerSecond, v}
	}
	for k, v := range map[string]float64{"mW": 1e-3, "W": 1, "kW": 1e3, "MW": 1e6} {
		u[k] = unitDef{Watts, v}
	}
	for k, v := range map[string]float64{"mJ": 1e-3, "J": 1, "kJ": 1e3, "Wh": 3600, "kWh": 3.6e6, "MWh": 3.6e9, "GWh": 3.6e12} {
		u[k] = unitDef{Joules, v}
	}
	for k, v := range map[string]float64{"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400} {
		u[k] = unitDef{Seconds, v}
	}
	for k, v := range map[string]float64{"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9} {
		u[k] = unitDef{Hertz, v}
	}
	u["USD"] = unitDef{USD, 1}
	for k, v := range map[string]float64{"g": 1e-3, "kg": 1, "t": 1e3} {
		u[k] = unitDef{Kilograms, v}
	}
	u["gCO2e/kWh"] = unitDef{GramsPerKWh, 1}
	u["L/kWh"] = unitDef{LitresPerKWh, 1}
	return u
}()

// ParseQuantity reads "<number> <unit>" and returns the value in SI units of
// dimension want. An error says what was expected and lists the units allowed.
func ParseQuantity(s string, want Dimension) (float64, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return 0, fmt.Errorf("quantity %q: want \"<number> <unit>\" with a %s unit (%s)", s, want, unitsFor(want))
	}
	if err := DigitSeparator(fields[0]); err != nil {
		return 0, fmt.Errorf("quantity %q: %w", s, err)
	}
	if b := strings.TrimLeft(fields[0], "+-"); strings.HasPrefix(b, "0x") || strings.HasPrefix(b, "0X") {
		// strconv reads Go's hexadecimal floats: "0x1p6 GB" was 64 GB.
		return 0, fmt.Errorf("quantity %q: %q is not a decimal number; write the number in decimal", s, fields[0])
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("quantity %q: %q is not a finite number", s, fields[0])
	}
	def, ok := units[fields[1]]
	if !ok || def.dim != want {
		return 0, fmt.Errorf("quantity %q: unit %q is not a %s unit; use one of %s", s, fields[1], want, unitsFor(want))
	}
	si := def.si(v)
	if math.IsInf(si, 0) {
		return 0, fmt.Errorf("quantity %q: %s %s overflows float64 in SI units; no real value is that large", s, fields[0], fields[1])
	}
	return si, nil
}

func unitsFor(d Dimension) string {
	var names []string
	for k, v := range units {
		if v.dim == d {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if units[names[i]].scale != units[names[j]].scale {
			return units[names[i]].scale < units[names[j]].scale
		}
		return names[i] < names[j]
	})
	return strings.Join(names, ", ")
}
