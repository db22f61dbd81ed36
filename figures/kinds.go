package figures

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Limits that keep a figure readable: past them the caller should filter.
const (
	MaxPanels     = 24
	MaxCategories = 8 * int(shapes) // every colour of Palette × shape pair once
)

// Data are points: X and Y, and optionally per point the panel it belongs to
// (small multiples), a colour category or a colour value, and a label.
type Data struct {
	X, Y  []float64
	Panel []string
	Color []string
	Value []float64
	Label []string
}

// Len is the number of points.
func (d *Data) Len() int { return len(d.X) }

func (d *Data) check(what string) error {
	n := len(d.X)
	for _, c := range []struct {
		name string
		len  int
		set  bool
	}{{"y", len(d.Y), true}, {"panel", len(d.Panel), d.Panel != nil}, {"colour", len(d.Color), d.Color != nil},
		{"value", len(d.Value), d.Value != nil}, {"label", len(d.Label), d.Label != nil}} {
		if c.set && c.len != n {
			return fmt.Errorf("%s: %d %s values for %d points", what, c.len, c.name, n)
		}
	}
	for _, v := range d.Value {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: a colour value is not finite", what)
		}
	}
	return nil
}

// Options are what every kind shares: titles, axes and the colour column.
type Options struct {
	Title   string
	Caption []string
	X, Y    Axis
	// Color names the column behind Data.Color or Data.Value (legend or
	// colour-bar title); ColorLog puts values on a log colour scale.
	Color, ColorUnit string
	ColorLog         bool
	// ColorRange fixes the colour scale (e.g. 0 to 1 for a share) instead of
	// the data's extent.
	ColorRange *[2]float64
}

// Natural sorts names as numbers when all parse as numbers, else as text.
func Natural(names []string) {
	nums := make(map[string]float64, len(names))
	for _, n := range names {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			slices.Sort(names)
			return
		}
		nums[n] = v
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(nums[a], nums[b]) })
}

// Distinct lists the values once each, in natural order.
func Distinct(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	Natural(out)
	return out
}

// categories gives each colour category its style and the legend.
func categories(colors []string, title string) (map[string]Style, []Key, error) {
	names := Distinct(colors)
	if len(names) > MaxCategories {
		return nil, nil, fmt.Errorf("colour by %s: %d values are too many to tell apart (at most %d); filter with --where or use a numeric column", title, len(names), MaxCategories)
	}
	styles := map[string]Style{}
	var keys []Key
	for i, n := range names {
		s := Style{Color: i, Shape: Shape(i / len(Palette))}
		styles[n] = s
		keys = append(keys, Key{Label: n, Style: s})
	}
	return styles, keys, nil
}

// panels splits point indices by panel, panels in natural order.
func panels(d *Data) ([]string, map[string][]int, error) {
	if d.Panel == nil {
		idx := make([]int, d.Len())
		for i := range idx {
			idx[i] = i
		}
		return []string{""}, map[string][]int{"": idx}, nil
	}
	names := Distinct(d.Panel)
	if len(names) > MaxPanels {
		return nil, nil, fmt.Errorf("%d panels are too many (at most %d); filter with --where", len(names), MaxPanels)
	}
	by := map[string][]int{}
	for i, p := range d.Panel {
		by[p] = append(by[p], i)
	}
	return names, by, nil
}

func pick(vs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = vs[i]
	}
	return out
}

// scale is the colour scale over values.
func scale(vs []float64, o Options) *Scale {
	s := &Scale{Name: o.Color, Unit: o.ColorUnit, Min: math.Inf(1), Max: math.Inf(-1), Log: o.ColorLog}
	for _, v := range vs {
		if s.Log && v <= 0 {
			continue
		}
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
	}
	if s.Min > s.Max {
		s.Min, s.Max, s.Log = 0, 1, false
	}
	if r := o.ColorRange; r != nil {
		s.Min, s.Max = r[0], r[1]
	}
	return s
}

// newFigure starts a figure with the shared options.
func newFigure(o Options) *Figure {
	return &Figure{Title: o.Title, Caption: o.Caption, LegendTitle: o.Color}
}

// marks adds d's points to the figure's panels, one layer per colour
// category (drawn in legend order), or one layer coloured by value.
func (f *Figure) marks(d *Data, o Options, faint bool, layer func(panel string, idx []int, s Style) Layer) (map[string]*Panel, error) {
	names, by, err := panels(d)
	if err != nil {
		return nil, err
	}
	var styles map[string]Style
	switch {
	case d.Color != nil:
		var keys []Key
		if styles, keys, err = categories(d.Color, o.Color); err != nil {
			return nil, err
		}
		if f.Legend == nil {
			f.Legend = keys
		}
	case d.Value != nil && f.Scale == nil:
		f.Scale = scale(d.Value, o)
	}
	out := map[string]*Panel{}
	for _, name := range names {
		p := &Panel{Title: name, X: o.X, Y: o.Y}
		f.Panels = append(f.Panels, p)
		out[name] = p
		idx := by[name]
		if styles == nil {
			p.Layers = append(p.Layers, layer(name, idx, Style{Faint: faint}))
			continue
		}
		byCat := map[string][]int{}
		for _, i := range idx {
			byCat[d.Color[i]] = append(byCat[d.Color[i]], i)
		}
		for _, k := range f.Legend {
			if ix := byCat[k.Label]; len(ix) > 0 {
				s := styles[k.Label]
				s.Faint = faint
				p.Layers = append(p.Layers, layer(name, ix, s))
			}
		}
	}
	return out, nil
}

func points(d *Data, idx []int, s Style) *Points {
	p := &Points{X: pick(d.X, idx), Y: pick(d.Y, idx), Style: s}
	if d.Value != nil && d.Color == nil {
		p.Values = pick(d.Value, idx)
	}
	return p
}

// Scatter places every point, coloured by category or value, one panel per
// Data.Panel value.
func Scatter(d Data, o Options) (*Figure, error) {
	if err := d.check("scatter"); err != nil {
		return nil, err
	}
	f := newFigure(o)
	if _, err := f.marks(&d, o, false, func(_ string, idx []int, s Style) Layer { return points(&d, idx, s) }); err != nil {
		return nil, err
	}
	return f, nil
}

// Lines joins each colour category's points in order of x, one panel per
// Data.Panel value (the caller aggregates repeated x values first).
func Lines(d Data, o Options) (*Figure, error) {
	if err := d.check("line"); err != nil {
		return nil, err
	}
	if d.Value != nil {
		return nil, errors.New("line: colour lines by a category (a numeric column's values become the categories)")
	}
	f := newFigure(o)
	_, err := f.marks(&d, o, false, func(_ string, idx []int, s Style) Layer {
		idx = slices.Clone(idx)
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(d.X[a], d.X[b]) })
		return &Line{X: pick(d.X, idx), Y: pick(d.Y, idx), Style: s, Marks: len(idx) <= 60}
	})
	if err != nil {
		return nil, err
	}
	for i := range f.Legend {
		f.Legend[i].Line = true
	}
	return f, nil
}

// Pareto draws each group's frontier (front, grouped by Data.Color) as marks
// joined in order of x and labelled with Data.Label, over the dominated
// points (rest, same groups) drawn faint behind it.
func Pareto(front, rest Data, o Options) (*Figure, error) {
	if err := front.check("pareto frontier"); err != nil {
		return nil, err
	}
	if err := rest.check("pareto points"); err != nil {
		return nil, err
	}
	if front.Len() == 0 {
		return nil, errors.New("pareto: the frontier is empty")
	}
	if front.Panel != nil || rest.Panel != nil {
		return nil, errors.New("pareto: one panel; groups are coloured")
	}
	f := newFigure(o)
	// Colours follow the frontier's groups; dominated points of a group with
	// no frontier point cannot exist.
	all := Data{X: append(slices.Clone(front.X), rest.X...), Y: append(slices.Clone(front.Y), rest.Y...)}
	if front.Color != nil {
		all.Color = append(slices.Clone(front.Color), rest.Color...)
	}
	styles := map[string]Style{"": {}}
	if all.Color != nil {
		var err error
		if styles, f.Legend, err = categories(all.Color, o.Color); err != nil {
			return nil, err
		}
		for i := range f.Legend {
			f.Legend[i].Line = true
		}
	}
	p := &Panel{X: o.X, Y: o.Y}
	f.Panels = []*Panel{p}
	groups := []string{""}
	if all.Color != nil {
		groups = Distinct(all.Color)
	}
	byGroup := func(d *Data) map[string][]int {
		m := map[string][]int{}
		for i := range d.X {
			g := ""
			if d.Color != nil {
				g = d.Color[i]
			}
			m[g] = append(m[g], i)
		}
		return m
	}
	restBy, frontBy := byGroup(&rest), byGroup(&front)
	for _, g := range groups {
		if idx := restBy[g]; len(idx) > 0 {
			s := styles[g]
			s.Faint = true
			p.Layers = append(p.Layers, &Points{X: pick(rest.X, idx), Y: pick(rest.Y, idx), Style: s})
		}
	}
	for _, g := range groups {
		idx := slices.Clone(frontBy[g])
		if len(idx) == 0 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(front.X[a], front.X[b]) })
		p.Layers = append(p.Layers, &Line{X: pick(front.X, idx), Y: pick(front.Y, idx), Style: styles[g], Marks: true})
		if front.Label != nil {
			// The two ends first, then the points between; the renderer
			// drops a label that would overlap one placed before it.
			order := append([]int{idx[0], idx[len(idx)-1]}, idx[1:max(1, len(idx)-1)]...)
			var lx, ly []float64
			var lt []string
			for _, i := range order[:min(len(order), len(idx))] {
				if front.Label[i] != "" {
					lx, ly, lt = append(lx, front.X[i]), append(ly, front.Y[i]), append(lt, front.Label[i])
				}
			}
			p.Layers = append(p.Layers, &Labels{X: lx, Y: ly, Text: lt, Style: styles[g]})
		}
	}
	return f, nil
}

// Device is one accelerator's roofline: its memory bandwidth and its peak
// compute per precision.
type Device struct {
	Name      string
	BytesPerS float64
	Roofs     []Roof
}

// Roof is a compute ceiling.
type Roof struct {
	Name  string // precision
	FLOPS float64
}

// Roofline draws one panel per device (Data.Panel names the device of each
// point): the memory slope bandwidth·intensity up to each compute roof, the
// roofs, the ridge point of the highest roof, and the points (x: arithmetic
// intensity in FLOP/byte, y: attained FLOP/s) coloured by category or value.
func Roofline(devs []Device, d Data, o Options) (*Figure, error) {
	if err := d.check("roofline"); err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, errors.New("roofline: no accelerator")
	}
	if len(devs) > MaxPanels {
		return nil, fmt.Errorf("roofline: %d accelerators are too many panels (at most %d); select some with --where hardware=A,B", len(devs), MaxPanels)
	}
	byName := map[string]Device{}
	for _, dv := range devs {
		if !(dv.BytesPerS > 0) || len(dv.Roofs) == 0 {
			return nil, fmt.Errorf("roofline: %s has no memory bandwidth or no compute roof", dv.Name)
		}
		for _, r := range dv.Roofs {
			if !(r.FLOPS > 0) {
				return nil, fmt.Errorf("roofline: %s %s: peak %g FLOP/s", dv.Name, r.Name, r.FLOPS)
			}
		}
		byName[dv.Name] = dv
	}
	if d.Panel == nil {
		d.Panel = make([]string, d.Len())
		for i := range d.Panel {
			d.Panel[i] = devs[0].Name
		}
	}
	for _, p := range d.Panel {
		if _, ok := byName[p]; !ok {
			return nil, fmt.Errorf("roofline: a point on %q, which has no ceilings", p)
		}
	}
	o.X.Log, o.Y.Log = true, true
	// The x range covers the points and every ridge point with a decade on
	// either side, so each ceiling's bend is visible.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range d.X {
		lo, hi = min(lo, x), max(hi, x)
	}
	for _, dv := range devs {
		for _, r := range dv.Roofs {
			ridge := r.FLOPS / dv.BytesPerS
			lo, hi = min(lo, ridge/10), max(hi, ridge*10)
		}
	}
	f := newFigure(o)
	withPoints, err := f.marks(&d, o, false, func(_ string, idx []int, s Style) Layer { return points(&d, idx, s) })
	if err != nil {
		return nil, err
	}
	for _, dv := range devs {
		p := withPoints[dv.Name]
		if p == nil {
			p = &Panel{Title: dv.Name, X: o.X, Y: o.Y}
			f.Panels = append(f.Panels, p)
		}
		p.Title = dv.Name
		// Ceilings under the points, their labels over them.
		lines, labels := roofLayers(dv, lo, hi)
		p.Layers = append(append(lines, p.Layers...), labels...)
	}
	slices.SortStableFunc(f.Panels, func(a, b *Panel) int {
		return cmp.Compare(slices.IndexFunc(devs, func(d Device) bool { return d.Name == a.Title }),
			slices.IndexFunc(devs, func(d Device) bool { return d.Name == b.Title }))
	})
	return f, nil
}

// roofLayers are a device's ceilings over intensities lo..hi: per roof the
// line min(bandwidth·x, peak) and the ridge point of the highest roof marked
// (lines), and the labels: each roof's at its right end, the bandwidth above
// the slope.
func roofLayers(dv Device, lo, hi float64) (lines, labels []Layer) {
	roofs := slices.Clone(dv.Roofs)
	slices.SortStableFunc(roofs, func(a, b Roof) int { return cmp.Compare(b.FLOPS, a.FLOPS) })
	var ls []Layer
	var lx, ly []float64
	var lt []string
	for k, r := range roofs {
		ridge := r.FLOPS / dv.BytesPerS
		ls = append(ls, &Line{X: []float64{lo, ridge, hi}, Y: []float64{dv.BytesPerS * lo, r.FLOPS, r.FLOPS},
			Style: Style{Color: len(Palette) - 1}, Thin: true, Dashed: k > 0})
		label := r.Name + " " + SIUnit(r.FLOPS, "FLOP/s")
		if k == 0 {
			label += " · ridge " + SIUnit(ridge, "FLOP/B")
		}
		lx, ly, lt = append(lx, hi), append(ly, r.FLOPS), append(lt, label)
	}
	top := roofs[0]
	ls = append(ls, &Points{X: []float64{top.FLOPS / dv.BytesPerS}, Y: []float64{top.FLOPS}, Style: Style{Color: len(Palette) - 1, Shape: Diamond}})
	// An empty label at twice the top roof reserves room for the roof labels.
	lx, ly, lt = append(lx, hi), append(ly, top.FLOPS*2), append(lt, "")
	// The bandwidth halfway up the slope, ending left of it.
	low := roofs[len(roofs)-1].FLOPS / dv.BytesPerS
	x := math.Sqrt(lo * low)
	return ls, []Layer{&Labels{X: lx, Y: ly, Text: lt, Right: true},
		&Labels{X: []float64{x}, Y: []float64{dv.BytesPerS * x * 2}, Text: []string{SIUnit(dv.BytesPerS, "B/s")}, Right: true}}
}

// Grid is a metric aggregated over two axes: Z[j*len(X)+i] at X[i], Y[j]
// (NaN: no row there).
type Grid struct {
	X, Y []string
	Z    []float64
}

// Heatmap colours each cell of the grid by its value and writes the value in
// it when the cells are large enough to read.
func Heatmap(g Grid, o Options) (*Figure, error) {
	if len(g.X) == 0 || len(g.Y) == 0 || len(g.Z) != len(g.X)*len(g.Y) {
		return nil, fmt.Errorf("heatmap: %d×%d grid with %d values", len(g.X), len(g.Y), len(g.Z))
	}
	var vals []float64
	text := make([]string, len(g.Z))
	for i, z := range g.Z {
		if !math.IsNaN(z) {
			vals = append(vals, z)
			text[i] = SI(z)
		}
	}
	if len(vals) == 0 {
		return nil, errors.New("heatmap: every cell is empty")
	}
	f := newFigure(o)
	f.Scale = scale(vals, o)
	o.X.Categories, o.Y.Categories = g.X, g.Y
	o.X.Log, o.Y.Log = false, false
	f.Panels = []*Panel{{X: o.X, Y: o.Y, Layers: []Layer{&Cells{NX: len(g.X), NY: len(g.Y), Z: g.Z, Text: text}}}}
	return f, nil
}
