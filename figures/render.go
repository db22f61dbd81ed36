package figures

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

func init() {
	// A PDF records its creation date; a fixed one keeps figures
	// byte-identical from run to run (the provenance is in the caption).
	fixed := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	fpdf.SetDefaultCreationDate(fixed)
	fpdf.SetDefaultModificationDate(fixed)
	fpdf.SetDefaultCatalogSort(true)
}

// Sizes in points (1/72 inch).
const (
	titleSize   = 12
	axisSize    = 10
	tickSize    = 8.5
	legendSize  = 8.5
	captionSize = 7.5
	markSize    = 7 // point labels and cell values

	singleW, singleH = 430, 300 // one panel: a journal's full column width
	facetW, facetH   = 230, 185 // one of several small multiples
	margin           = 8
	radius           = 2.6 // mark radius
	faintRadius      = 1.7
)

var (
	sans    = font.Font{Typeface: "Liberation", Variant: "Sans"}
	black   = color.NRGBA{0, 0, 0, 0xFF}
	grey    = color.NRGBA{0x44, 0x44, 0x44, 0xFF}
	gridCol = color.NRGBA{0xDD, 0xDD, 0xDD, 0xFF}
	white   = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	// labelBack is white at 80 % behind point and ceiling labels.
	labelBack = color.NRGBA{0xFF, 0xFF, 0xFF, 0xCC}
)

func textStyle(size float64, c color.Color, x draw.XAlignment, y draw.YAlignment) text.Style {
	return text.Style{Color: c, Font: font.From(sans, vg.Length(size)), XAlign: x, YAlign: y, Handler: plot.DefaultTextHandler}
}

// The resolutions Render writes a PNG at.
const (
	MinDPI = 36
	MaxDPI = 1200
)

// Render draws the figure. dpi applies to PNG only.
func (f *Figure) Render(w io.Writer, format Format, dpi int) error {
	if err := f.Check(); err != nil {
		return err
	}
	cols, rows := f.grid()
	pw, ph := f.panelSize()
	legendW := f.legendWidth()
	titleH := 0.0
	if f.Title != "" {
		titleH = titleSize * 1.8
	}
	width := vg.Length(pw*float64(cols) + legendW + 2*margin)
	caption := wrap(f.Caption, textStyle(captionSize, grey, draw.XLeft, draw.YBottom), width-2*margin)
	capH := float64(len(caption))*captionSize*1.35 + 4
	height := vg.Length(ph*float64(rows) + titleH + capH + 2*margin)

	var c vg.CanvasWriterTo
	switch format {
	case SVG:
		c = vgsvg.New(width, height)
	case PDF:
		c = vgpdf.New(width, height)
	case PNG:
		if dpi < MinDPI || dpi > MaxDPI {
			return fmt.Errorf("dpi %d: want %d to %d", dpi, MinDPI, MaxDPI)
		}
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	default:
		return fmt.Errorf("format %q: want svg, pdf or png", format)
	}
	dc := draw.New(c)
	dc.SetColor(white)
	dc.Fill(dc.Rectangle.Path())

	top := height - margin
	if f.Title != "" {
		dc.FillText(textStyle(titleSize, black, draw.XCenter, draw.YTop), vg.Point{X: width / 2, Y: top}, f.Title)
		top -= vg.Length(titleH)
	}
	y := vg.Length(margin)
	for i := len(caption) - 1; i >= 0; i-- {
		dc.FillText(textStyle(captionSize, grey, draw.XLeft, draw.YBottom), vg.Point{X: margin, Y: y}, caption[i])
		y += vg.Length(captionSize * 1.35)
	}
	area := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: margin, Y: vg.Length(margin + capH)},
		Max: vg.Point{X: width - margin - vg.Length(legendW), Y: top},
	}}
	f.drawKey(dc, area.Max.X+6, top)

	plots, err := f.plots(cols, rows)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 10, PadY: 8}
	canvases := plot.Align(plots, tiles, area)
	for j := range plots {
		for i, p := range plots[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	if format != SVG {
		_, err := c.WriteTo(w)
		return err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	// The text was laid out with Liberation Sans metrics; Arial and Helvetica
	// share them, so a viewer without Liberation keeps the layout.
	_, err = w.Write(bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")))
	return err
}

// wrap breaks lines at spaces so that none is wider than w.
func wrap(lines []string, sty text.Style, w vg.Length) []string {
	var out []string
	for _, l := range lines {
		cur := ""
		for _, word := range strings.Fields(l) {
			next := word
			if cur != "" {
				next = cur + " " + word
			}
			if cur != "" && sty.Width(next) > w {
				out = append(out, cur)
				next = "  " + word
			}
			cur = next
		}
		out = append(out, cur)
	}
	return out
}

// grid is the panel layout: one row up to three panels, then near-square.
func (f *Figure) grid() (cols, rows int) {
	n := len(f.Panels)
	cols = n
	if n > 3 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	return cols, (n + cols - 1) / cols
}

func (f *Figure) panelSize() (w, h float64) {
	w, h = singleW, singleH
	if len(f.Panels) > 1 {
		w, h = facetW, facetH
	}
	if f.PanelWidth > 0 {
		w = f.PanelWidth
	}
	if f.PanelHeight > 0 {
		h = f.PanelHeight
	}
	return w, h
}

// legendWidth is the band on the right for the legend or the colour bar.
func (f *Figure) legendWidth() float64 {
	var w vg.Length
	sty := textStyle(legendSize, black, draw.XLeft, draw.YCenter)
	if len(f.Legend) > 0 {
		w = sty.Width(f.LegendTitle)
		for _, k := range f.Legend {
			w = max(w, 16+sty.Width(k.Label))
		}
	}
	if f.Scale != nil {
		w = max(w, sty.Width(f.Scale.Label()), 48)
	}
	if w == 0 {
		return 0
	}
	return float64(w) + 12
}

// drawKey draws the legend and the colour bar in the band right of the panels.
func (f *Figure) drawKey(dc draw.Canvas, x, top vg.Length) {
	sty := textStyle(legendSize, black, draw.XLeft, draw.YCenter)
	line := vg.Length(legendSize * 1.5)
	y := top - line/2
	if len(f.Legend) > 0 {
		if f.LegendTitle != "" {
			dc.FillText(sty, vg.Point{X: x, Y: y}, f.LegendTitle)
			y -= line
		}
		for _, k := range f.Legend {
			c := PaletteColor(k.Style.Color)
			if k.Line {
				dc.StrokeLine2(draw.LineStyle{Color: c, Width: 1.5}, x, y, x+12, y)
			} else {
				dc.DrawGlyph(glyph(k.Style, c, radius), vg.Point{X: x + 5, Y: y})
			}
			dc.FillText(sty, vg.Point{X: x + 16, Y: y}, k.Label)
			y -= line
		}
		y -= line / 2
	}
	if s := f.Scale; s != nil {
		dc.FillText(sty, vg.Point{X: x, Y: y}, s.Label())
		y -= line * 1.2
		barH := min(vg.Length(170), y-dc.Min.Y-40)
		const steps = 64
		for i := range steps {
			// Top of the bar is the maximum.
			t := 1 - (float64(i)+0.5)/steps
			y0 := y - barH*vg.Length(i)/steps
			dc.FillPolygon(Viridis(t), []vg.Point{{X: x, Y: y0}, {X: x + 10, Y: y0}, {X: x + 10, Y: y0 - barH/steps - 0.3}, {X: x, Y: y0 - barH/steps - 0.3}})
		}
		lo, hi := s.Min, s.Max
		if lo == hi {
			dc.FillText(sty, vg.Point{X: x + 14, Y: y - barH/2}, SI(lo))
			return
		}
		for _, t := range ticks(lo, hi, s.Log, 5) {
			if t.Label == "" {
				continue
			}
			ty := y - barH*vg.Length(1-s.norm(t.Value))
			dc.StrokeLine2(draw.LineStyle{Color: black, Width: 0.5}, x+10, ty, x+13, ty)
			dc.FillText(sty, vg.Point{X: x + 15, Y: ty}, t.Label)
		}
	}
}

// plots builds one gonum plot per panel, with axis ranges shared across
// panels so small multiples compare at a glance.
func (f *Figure) plots(cols, rows int) ([][]*plot.Plot, error) {
	xr, yr := newRange(), newRange()
	for _, p := range f.Panels {
		for _, l := range p.Layers {
			x, y := l.xy()
			xr.add(x...)
			yr.add(y...)
		}
	}
	out := make([][]*plot.Plot, rows)
	for j := range out {
		out[j] = make([]*plot.Plot, cols)
	}
	for k, p := range f.Panels {
		pl := plot.New()
		pl.BackgroundColor = nil
		if p.Title != "" {
			pl.Title.Text = p.Title
			pl.Title.TextStyle = textStyle(axisSize, black, draw.XCenter, draw.YTop)
			pl.Title.Padding = 3
		}
		setAxis(&pl.X, p.X, xr, len(f.Panels) > 1)
		setAxis(&pl.Y, p.Y, yr, len(f.Panels) > 1)
		grid := plotter.NewGrid()
		grid.Vertical = draw.LineStyle{Color: gridCol, Width: 0.4}
		grid.Horizontal = grid.Vertical
		if len(p.X.Categories) > 0 {
			grid.Vertical.Width = 0
		}
		if len(p.Y.Categories) > 0 {
			grid.Horizontal.Width = 0
		}
		pl.Add(grid)
		placed := new([]vg.Rectangle)
		for _, l := range p.Layers {
			pl.Add(layerPlotter{f: f, l: l, placed: placed})
		}
		out[k/cols][k%cols] = pl
	}
	return out, nil
}

// valueRange is the extent of the data on one axis.
type valueRange struct{ lo, hi, pos float64 } // pos: smallest positive value

func newRange() *valueRange { return &valueRange{math.Inf(1), math.Inf(-1), math.Inf(1)} }

func (r *valueRange) add(vs ...float64) {
	for _, v := range vs {
		r.lo, r.hi = min(r.lo, v), max(r.hi, v)
		if v > 0 {
			r.pos = min(r.pos, v)
		}
	}
}

func setAxis(a *plot.Axis, ax Axis, r *valueRange, small bool) {
	size := float64(axisSize)
	if small {
		size = tickSize
	}
	a.Label.Text = ax.Label()
	a.Label.TextStyle = textStyle(size, black, draw.XCenter, draw.YBottom)
	a.Label.Padding = 3
	a.Tick.Label.Font = font.From(sans, tickSize)
	a.Tick.Length = 4
	a.Padding = 4
	if n := len(ax.Categories); n > 0 {
		a.Min, a.Max = -0.5, float64(n)-0.5
		a.Padding = 0
		var ts plot.ConstantTicks
		long := 0
		for _, c := range ax.Categories {
			long = max(long, len(c))
		}
		step := 1
		if n > 24 {
			step = (n + 23) / 24
		}
		for i, c := range ax.Categories {
			if i%step == 0 {
				ts = append(ts, plot.Tick{Value: float64(i), Label: c})
			}
		}
		a.Tick.Marker = ts
		if a.Tick.Label.XAlign == draw.XCenter && n > 5 && long > 4 {
			// Long labels under a horizontal axis: slanted so they do not collide.
			a.Tick.Label.Rotation = math.Pi / 4
			a.Tick.Label.XAlign, a.Tick.Label.YAlign = draw.XRight, draw.YTop
		}
		return
	}
	lo, hi := r.lo, r.hi
	if ax.Log {
		lo = r.pos
		if lo == hi {
			lo, hi = lo/2, hi*2
		}
		a.Scale = plot.LogScale{}
	} else if lo == hi {
		d := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-d, hi+d
	}
	a.Min, a.Max = lo, hi
	a.Tick.Marker = siTicker{log: ax.Log}
}

// siTicker labels ticks with SI prefixes (1k, 10M, 2.5µ).
type siTicker struct{ log bool }

func (t siTicker) Ticks(lo, hi float64) []plot.Tick { return ticks(lo, hi, t.log, 6) }

// ticks are round values from lo to hi: on a log axis the powers of ten (every
// k-th when there are many decades, with 2 and 5 between when there are few),
// on a linear axis gonum's choice; labelled at most about want times.
func ticks(lo, hi float64, log bool, want int) []plot.Tick {
	if !log {
		ts := plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = SI(ts[i].Value)
			}
		}
		return ts
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	decades := e1 - e0
	step := max(1, (decades+want-1)/want)
	// Few decades: label 2 and 5 too, or every multiple, until at least
	// three labels fall inside the range.
	var ts []plot.Tick
	for _, between := range [][]int{nil, {2, 5}, {2, 3, 4, 5, 6, 7, 8, 9}} {
		ts = ts[:0]
		in := 0
		for e := e0; e <= e1; e++ {
			v := math.Pow(10, float64(e))
			t := plot.Tick{Value: v}
			if e%step == 0 {
				t.Label = SI(v)
			}
			ts = append(ts, t)
			if e == e1 || decades > 6 {
				continue
			}
			for m := 2; m < 10; m++ {
				t := plot.Tick{Value: v * float64(m)}
				if slices.Contains(between, m) {
					t.Label = SI(t.Value)
				}
				ts = append(ts, t)
			}
		}
		for _, t := range ts {
			if t.Label != "" && t.Value >= lo*0.999 && t.Value <= hi*1.001 {
				in++
			}
		}
		if in >= 3 || decades > 2 {
			break
		}
	}
	return ts
}

// layerPlotter draws one layer on a gonum plot.
type layerPlotter struct {
	f      *Figure
	l      Layer
	placed *[]vg.Rectangle // the panel's labels so far
}

func (lp layerPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	switch l := lp.l.(type) {
	case *Points:
		r := vg.Length(radius)
		if l.Style.Faint {
			r = faintRadius
		}
		for i := range l.X {
			col := PaletteColor(l.Style.Color)
			if l.Values != nil {
				col = lp.f.Scale.At(l.Values[i])
			}
			if l.Style.Faint {
				col = faint(col)
			}
			c.DrawGlyph(glyph(l.Style, col, r), vg.Point{X: trX(l.X[i]), Y: trY(l.Y[i])})
		}
	case *Line:
		col := PaletteColor(l.Style.Color)
		sty := draw.LineStyle{Color: col, Width: 1.4}
		if l.Thin {
			sty.Width = 0.9
		}
		if l.Dashed {
			sty.Dashes = []vg.Length{4, 2.5}
		}
		pts := make([]vg.Point, len(l.X))
		for i := range l.X {
			pts[i] = vg.Point{X: trX(l.X[i]), Y: trY(l.Y[i])}
		}
		c.StrokeLines(sty, c.ClipLinesXY(pts)...)
		if l.Marks {
			for _, pt := range pts {
				c.DrawGlyph(glyph(l.Style, col, radius), pt)
			}
		}
	case *Labels:
		above := textStyle(markSize, grey, draw.XLeft, draw.YBottom)
		off := vg.Point{X: 3, Y: 2}
		if l.Right {
			above.XAlign, off.X = draw.XRight, -1
		}
		below := above
		below.YAlign = draw.YTop
		for i := range l.X {
			pt := vg.Point{X: trX(l.X[i]), Y: trY(l.Y[i])}
			if l.Text[i] == "" || !c.Contains(pt) {
				continue
			}
			// Above the point, else below it; a label that would overlap one
			// already drawn either way is left out (labels come in priority
			// order).
			for _, p := range []struct {
				sty draw.TextStyle
				off vg.Point
			}{{above, off}, {below, vg.Point{X: off.X, Y: -off.Y}}} {
				r := p.sty.Rectangle(l.Text[i])
				at := pt.Add(p.off)
				r.Min, r.Max = r.Min.Add(at).Sub(vg.Point{X: 1, Y: 1}), r.Max.Add(at).Add(vg.Point{X: 1, Y: 1})
				if overlaps(*lp.placed, r) {
					continue
				}
				*lp.placed = append(*lp.placed, r)
				// A light backing keeps the text legible over marks and lines.
				c.FillPolygon(labelBack, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
				c.FillText(p.sty, at, l.Text[i])
				break
			}
		}
	case *Cells:
		s := lp.f.Scale
		sty := textStyle(markSize, black, draw.XCenter, draw.YCenter)
		for j := range l.NY {
			for i := range l.NX {
				z := l.Z[j*l.NX+i]
				col := missing
				if !math.IsNaN(z) {
					col = s.At(z)
				}
				x0, x1 := trX(float64(i)-0.5), trX(float64(i)+0.5)
				y0, y1 := trY(float64(j)-0.5), trY(float64(j)+0.5)
				c.FillPolygon(col, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
				if l.Text != nil && l.Text[j*l.NX+i] != "" && x1-x0 > 18 && y1-y0 > 9 {
					sty.Color = textOn(col)
					c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, l.Text[j*l.NX+i])
				}
			}
		}
	}
}

func overlaps(rs []vg.Rectangle, r vg.Rectangle) bool {
	for _, q := range rs {
		if r.Min.X < q.Max.X && q.Min.X < r.Max.X && r.Min.Y < q.Max.Y && q.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// glyph is the gonum glyph style of a mark.
func glyph(s Style, c color.Color, r vg.Length) draw.GlyphStyle {
	var g draw.GlyphDrawer
	switch s.Shape % shapes {
	case Square:
		g = draw.BoxGlyph{}
		r *= 0.9
	case Triangle:
		g = draw.PyramidGlyph{}
		r *= 1.15
	case Diamond:
		g = diamondGlyph{}
		r *= 1.15
	case Cross:
		g = draw.CrossGlyph{}
	default:
		g = draw.CircleGlyph{}
	}
	return draw.GlyphStyle{Color: c, Radius: r, Shape: g}
}

// diamondGlyph is a filled square standing on a corner.
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetColor(sty.Color)
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}
