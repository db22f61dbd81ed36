// Package figures draws research figures — rooflines, Pareto frontiers,
// heatmaps, scatter and line plots — from plain columns (float slices and
// labels) as SVG, PDF or PNG. It knows nothing of sweeps, the kernel or DuckDB:
// the caller selects, samples and aggregates the data (package reports does it
// in SQL through package queries) and describes what to draw as a Figure.
//
// Drawing goes through gonum.org/v1/plot (pure Go: one drawing path for the
// three formats; docs/ARCHITECTURE.md says why it was chosen). Defaults are
// for publication: Liberation Sans (metric-compatible with Arial), the
// Okabe–Ito colour-blind-safe palette for categories, viridis for values,
// SI-prefixed ticks, axis labels with their units, and a caption for the
// provenance.
package figures

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Axis is one axis of a panel.
type Axis struct {
	Name string // the column or quantity, e.g. itl_ms
	Unit string // e.g. ms; empty for a ratio or a count
	Log  bool
	// Categories makes the axis categorical: value i is drawn at position i
	// and labelled Categories[i] (heatmaps).
	Categories []string
}

// Label is the axis title: the name with its unit in parentheses.
func (a Axis) Label() string {
	if a.Unit == "" {
		return a.Name
	}
	return a.Name + " (" + a.Unit + ")"
}

// Shape is a mark's shape; shapes repeat the colour's information so that
// categories stay apart in grey print.
type Shape uint8

const (
	Circle Shape = iota
	Square
	Triangle
	Diamond
	Cross
	shapes // how many
)

// Style is how a layer is drawn.
type Style struct {
	Color int // index into Palette; repeats past its length
	Shape Shape
	Faint bool // dominated or background points: light and small
}

// Key is one entry of a figure's legend.
type Key struct {
	Label string
	Style Style
	Line  bool // show a line sample instead of a mark
}

// Scale maps values to viridis colours, shown as a colour bar.
type Scale struct {
	Name, Unit string
	Min, Max   float64
	Log        bool
}

// Label is the colour bar's title.
func (s *Scale) Label() string { return Axis{Name: s.Name, Unit: s.Unit}.Label() }

// Figure is a titled grid of panels with a shared legend or colour bar and a
// caption under it.
type Figure struct {
	Title   string
	Caption []string // provenance, sampling and aggregation notes, one per line
	Panels  []*Panel
	// Legend lists categorical colours; LegendTitle names the column.
	Legend      []Key
	LegendTitle string
	// Scale colours Points with Values; nil when no layer has any.
	Scale *Scale
	// Width of one panel in points (1/72 inch); 0 picks a default.
	PanelWidth, PanelHeight float64
}

// Panel is one plot: two axes and the layers drawn on them, in order.
type Panel struct {
	Title  string
	X, Y   Axis
	Layers []Layer
}

// Layer is something drawn on a panel: Points, Line, Labels or Cells.
type Layer interface {
	xy() (x, y []float64)
}

// Points are marks at (X[i], Y[i]). With Values each mark takes its colour
// from the figure's Scale instead of Style.Color.
type Points struct {
	X, Y   []float64
	Values []float64
	Style  Style
}

// Line joins (X[i], Y[i]) in order.
type Line struct {
	X, Y   []float64
	Style  Style
	Dashed bool
	Marks  bool // a mark at every vertex
	Thin   bool // a reference line (roofs, ceilings) rather than data
}

// Labels are short texts placed just above and right of (X[i], Y[i]), or
// above and left of it with Right (the text ends there).
type Labels struct {
	X, Y  []float64
	Text  []string
	Style Style
	Right bool
}

// Cells is a heatmap over two categorical axes: Z[j*NX+i] is the value of
// column i, row j (NaN: no data). Cells take colours from the figure's Scale;
// Text, when set, is written in each cell.
type Cells struct {
	NX, NY int
	Z      []float64
	Text   []string
}

func (p *Points) xy() ([]float64, []float64) { return p.X, p.Y }
func (l *Line) xy() ([]float64, []float64)   { return l.X, l.Y }
func (l *Labels) xy() ([]float64, []float64) { return l.X, l.Y }
func (c *Cells) xy() ([]float64, []float64)  { return nil, nil }

// Check reports what would make the figure unreadable or wrong: mismatched
// lengths, no data, values a log axis cannot show.
func (f *Figure) Check() error {
	if len(f.Panels) == 0 {
		return errors.New("nothing to draw: no panels")
	}
	marks := 0
	for _, p := range f.Panels {
		for _, l := range p.Layers {
			x, y := l.xy()
			switch l := l.(type) {
			case *Points:
				if l.Values != nil && len(l.Values) != len(l.X) {
					return fmt.Errorf("panel %q: %d values for %d points", p.Title, len(l.Values), len(l.X))
				}
				if l.Values != nil && f.Scale == nil {
					return fmt.Errorf("panel %q: points coloured by value need the figure's Scale", p.Title)
				}
				marks += len(l.X)
			case *Labels:
				if len(l.Text) != len(l.X) {
					return fmt.Errorf("panel %q: %d labels for %d points", p.Title, len(l.Text), len(l.X))
				}
			case *Cells:
				if l.NX <= 0 || l.NY <= 0 || len(l.Z) != l.NX*l.NY || (l.Text != nil && len(l.Text) != len(l.Z)) {
					return fmt.Errorf("panel %q: cells %d×%d with %d values", p.Title, l.NX, l.NY, len(l.Z))
				}
				if f.Scale == nil {
					return fmt.Errorf("panel %q: cells need the figure's Scale", p.Title)
				}
				if len(p.X.Categories) != l.NX || len(p.Y.Categories) != l.NY {
					return fmt.Errorf("panel %q: cells %d×%d on axes of %d×%d categories", p.Title, l.NX, l.NY, len(p.X.Categories), len(p.Y.Categories))
				}
				marks += len(l.Z)
			case *Line:
				marks += len(l.X)
			}
			if len(x) != len(y) {
				return fmt.Errorf("panel %q: %d x values for %d y values", p.Title, len(x), len(y))
			}
			for _, ax := range []struct {
				a Axis
				v []float64
			}{{p.X, x}, {p.Y, y}} {
				for _, v := range ax.v {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return fmt.Errorf("panel %q: %s has a value that is not finite", p.Title, ax.a.Name)
					}
					if ax.a.Log && v <= 0 {
						return fmt.Errorf("panel %q: %s is on a log axis but has the value %g; leave out values ≤ 0 or use a linear axis", p.Title, ax.a.Name, v)
					}
				}
			}
		}
	}
	if marks == 0 {
		return errors.New("nothing to draw: every panel is empty")
	}
	if s := f.Scale; s != nil {
		if !(s.Min <= s.Max) || math.IsInf(s.Min, 0) || math.IsInf(s.Max, 0) {
			return fmt.Errorf("colour scale %s: range [%g, %g]", s.Name, s.Min, s.Max)
		}
		if s.Log && s.Min <= 0 {
			return fmt.Errorf("colour scale %s is logarithmic but its minimum is %g", s.Name, s.Min)
		}
	}
	return nil
}

// Format is an output format: svg, pdf or png.
type Format string

const (
	SVG Format = "svg"
	PDF Format = "pdf"
	PNG Format = "png"
)

// Formats are the formats Render writes.
var Formats = []Format{SVG, PDF, PNG}

// FormatOf picks the format from a file name's extension.
func FormatOf(file string) (Format, error) {
	i := strings.LastIndexByte(file, '.')
	if i >= 0 {
		f := Format(strings.ToLower(file[i+1:]))
		for _, g := range Formats {
			if f == g {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("%s: want a file name ending in .svg, .pdf or .png", file)
}
