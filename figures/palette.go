package figures

import (
	"image/color"
	"math"
	"strconv"
)

// Palette is the Okabe–Ito palette of eight colours that stay distinct under
// the common colour-vision deficiencies (M. Okabe and K. Ito, "Color Universal
// Design (CUD): how to make figures and presentations that are friendly to
// colorblind people", 2002/2008), ordered so that the first colours have the
// most contrast on white; yellow and black come last.
var Palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// PaletteColor is category i's colour (the palette repeats; Style.Shape tells
// repeats apart).
func PaletteColor(i int) color.NRGBA { return Palette[i%len(Palette)] }

// viridis are nine evenly spaced stops of matplotlib's viridis colour map
// (S. van der Walt and N. Smith, 2015; CC0): perceptually uniform, readable
// in grey and by colour-blind readers. Between stops colours are interpolated
// linearly in sRGB, which stays within one step of the full 256-entry table.
var viridis = []color.NRGBA{
	{0x44, 0x01, 0x54, 0xFF},
	{0x47, 0x2D, 0x7B, 0xFF},
	{0x3B, 0x52, 0x8B, 0xFF},
	{0x2C, 0x72, 0x8E, 0xFF},
	{0x21, 0x91, 0x8C, 0xFF},
	{0x28, 0xAE, 0x80, 0xFF},
	{0x5E, 0xC9, 0x62, 0xFF},
	{0xAD, 0xDC, 0x30, 0xFF},
	{0xFD, 0xE7, 0x25, 0xFF},
}

// Viridis is the colour at t in [0, 1] (clamped).
func Viridis(t float64) color.NRGBA {
	if math.IsNaN(t) || t <= 0 {
		return viridis[0]
	}
	if t >= 1 {
		return viridis[len(viridis)-1]
	}
	x := t * float64(len(viridis)-1)
	i := int(x)
	f := x - float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + f*(float64(q)-float64(p)))) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xFF}
}

// At is the scale's colour for v.
func (s *Scale) At(v float64) color.NRGBA { return Viridis(s.norm(v)) }

// norm maps v to [0, 1] (linearly, or by its logarithm on a log scale).
func (s *Scale) norm(v float64) float64 {
	lo, hi := s.Min, s.Max
	if s.Log {
		lo, hi, v = math.Log10(lo), math.Log10(hi), math.Log10(v)
	}
	if hi == lo {
		return 0.5
	}
	return (v - lo) / (hi - lo)
}

// missing is the colour of a heatmap cell without data.
var missing = color.NRGBA{0xE8, 0xE8, 0xE8, 0xFF}

// faint is a colour lightened for background marks.
func faint(c color.NRGBA) color.NRGBA {
	c.A = 0x30
	return c
}

// textOn is black or white, whichever reads better on the background c
// (relative luminance, ITU-R BT.709 weights).
func textOn(c color.NRGBA) color.NRGBA {
	l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
	if l > 140 {
		return color.NRGBA{0, 0, 0, 0xFF}
	}
	return color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
}

// SI formats v for a tick or a cell: SI prefixes from k upwards and below
// 0.001 (µ, n, p), plain decimals between, at most three significant digits.
func SI(v float64) string {
	num, prefix := si(v)
	return num + prefix
}

// SIUnit is v with its unit, the prefix joined to the unit: 1.98 PFLOP/s.
func SIUnit(v float64, unit string) string {
	num, prefix := si(v)
	return num + " " + prefix + unit
}

func si(v float64) (string, string) {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64), ""
	}
	a := math.Abs(v)
	for _, p := range []struct {
		scale  float64
		prefix string
	}{{1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, ""}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}} {
		if a >= p.scale*0.9995 {
			if p.prefix == "" {
				return trim3(v), ""
			}
			return trim3(v / p.scale), p.prefix
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64), ""
}

// trim3 is v with three significant digits, without trailing zeros or an
// exponent (v is in [0.001, 1000)).
func trim3(v float64) string {
	a := math.Abs(v)
	prec := 0
	switch {
	case a < 1:
		prec = 2 - int(math.Floor(math.Log10(a)))
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if prec > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		s = trimDot(s)
	}
	return s
}

func trimDot(s string) string {
	if s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}
