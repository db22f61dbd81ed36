package figures

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"testing"
)

// svgHex is the colour as #RRGGBB, as the SVG renderer writes a fill.
func svgHex(c color.NRGBA) string {
	const digits = "0123456789ABCDEF"
	b := []byte{'#', 0, 0, 0, 0, 0, 0}
	for i, v := range []uint8{c.R, c.G, c.B} {
		b[1+2*i], b[2+2*i] = digits[v>>4], digits[v&15]
	}
	return string(b)
}

func TestSI(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {12.34, "12.3"}, {999, "999"}, {999.6, "1k"}, {1234, "1.23k"}, {1e6, "1M"},
		{2.5e9, "2.5G"}, {989e12, "989T"}, {1.979e15, "1.98P"}, {0.5, "0.5"}, {0.0123, "0.0123"},
		{0.001, "0.001"}, {5e-4, "500µ"}, {2.5e-9, "2.5n"}, {-1500, "-1.5k"}, {-0.25, "-0.25"},
	} {
		if got := SI(c.v); got != c.want {
			t.Errorf("SI(%g) = %q, want %q", c.v, got, c.want)
		}
	}
	if got := SIUnit(3.35e12, "B/s"); got != "3.35 TB/s" {
		t.Errorf("SIUnit = %q", got)
	}
}

// The stops are matplotlib's viridis at 0, 0.5 and 1 (its _viridis_data
// entries 0, 128 and 255 are #440154, #21918C, #FDE725); viridis is
// monotone in lightness, which is what makes it readable in grey.
func TestViridis(t *testing.T) {
	for _, c := range []struct {
		t    float64
		want string
	}{{0, "#440154"}, {0.5, "#21918C"}, {1, "#FDE725"}, {-1, "#440154"}, {2, "#FDE725"}, {math.NaN(), "#440154"}} {
		if got := svgHex(Viridis(c.t)); got != c.want {
			t.Errorf("Viridis(%g) = %s, want %s", c.t, got, c.want)
		}
	}
	prev := -1.0
	for i := 0; i <= 100; i++ {
		c := Viridis(float64(i) / 100)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l < prev-1 {
			t.Fatalf("luminance falls at %d: %g after %g", i, l, prev)
		}
		prev = l
	}
}

// svgDoc is what the structural tests read from an SVG: every path with its
// style and data, every text.
type svgDoc struct {
	paths []svgPath
	texts []string
}

type svgPath struct{ style, d string }

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	inText := false
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return doc
			}
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "path":
				var p svgPath
				for _, a := range e.Attr {
					switch a.Name.Local {
					case "style":
						p.style = a.Value
					case "d":
						p.d = a.Value
					}
				}
				doc.paths = append(doc.paths, p)
			case "text":
				inText = true
				doc.texts = append(doc.texts, "")
			}
		case xml.CharData:
			if inText {
				doc.texts[len(doc.texts)-1] += string(e)
			}
		case xml.EndElement:
			if e.Name.Local == "text" {
				inText = false
			}
		}
	}
}

// marks counts filled circles (paths with an arc) of a colour: opaque, or
// faint (with a fill-opacity; SVG writes a translucent colour un-premultiplied,
// which may round a channel by one).
func (d svgDoc) marks(c color.NRGBA, faint bool) int {
	n := 0
	for _, p := range d.paths {
		i := strings.Index(p.style, "fill:#")
		if i < 0 || !strings.Contains(p.d, "A") || strings.Contains(p.style, "fill-opacity") != faint {
			continue
		}
		v, err := strconv.ParseUint(p.style[i+6:i+12], 16, 32)
		if err != nil {
			continue
		}
		near := func(a uint8, b uint64) bool { return math.Abs(float64(a)-float64(b)) <= 1 }
		if near(c.R, v>>16) && near(c.G, v>>8&0xFF) && near(c.B, v&0xFF) {
			n++
		}
	}
	return n
}

func (d svgDoc) hasText(s string) bool {
	for _, t := range d.texts {
		if t == s {
			return true
		}
	}
	return false
}

func render(t *testing.T, f *Figure, format Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Render(&buf, format, 72); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func paretoFixture(t *testing.T) *Figure {
	t.Helper()
	front := Data{X: []float64{1, 2, 4, 1.5, 3}, Y: []float64{100, 300, 700, 50, 200},
		Color: []string{"Llama3_8B", "Llama3_8B", "Llama3_8B", "Llama3_70B", "Llama3_70B"},
		Label: []string{"H100 fp8", "H100 fp16", "A100 fp16", "B200 fp8", "H200 fp8"}}
	rest := Data{X: []float64{3, 5, 9, 2, 7, 8}, Y: []float64{100, 200, 300, 40, 100, 20},
		Color: []string{"Llama3_8B", "Llama3_8B", "Llama3_8B", "Llama3_70B", "Llama3_70B", "Llama3_70B"}}
	f, err := Pareto(front, rest, Options{Title: "frontier", Caption: []string{"spec test · profile calibrated"},
		X: Axis{Name: "itl_ms", Unit: "ms", Log: true}, Y: Axis{Name: "tokens_per_s", Unit: "1/s"}, Color: "model"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParetoSVG(t *testing.T) {
	doc := parseSVG(t, render(t, paretoFixture(t), SVG))
	// Groups in natural order: Llama3_70B gets the first colour, Llama3_8B the second.
	first, second := svgHex(Palette[0]), svgHex(Palette[1])
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"Llama3_70B frontier marks", doc.marks(Palette[0], false), 2},
		{"Llama3_8B frontier marks", doc.marks(Palette[1], false), 3},
		{"Llama3_70B faint marks", doc.marks(Palette[0], true), 3},
		{"Llama3_8B faint marks", doc.marks(Palette[1], true), 3},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	for _, s := range []string{"itl_ms (ms)", "tokens_per_s (1/s)", "frontier", "spec test · profile calibrated", "model",
		"Llama3_8B", "Llama3_70B", "H100 fp8", "A100 fp16", "B200 fp8", "H200 fp8"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q in %q", s, doc.texts)
		}
	}
	// The frontier lines: one stroked path per group in its colour.
	lines := 0
	for _, p := range doc.paths {
		if strings.Contains(p.style, "fill:none") && (strings.Contains(p.style, "stroke:"+first) || strings.Contains(p.style, "stroke:"+second)) {
			lines++
		}
	}
	if lines != 4 { // two frontier lines + two legend samples
		t.Errorf("%d stroked paths in the group colours, want 4", lines)
	}
}

func TestRooflineSVG(t *testing.T) {
	devs := []Device{
		{Name: "H100", BytesPerS: 3.35e12, Roofs: []Roof{{"fp16", 989e12}, {"fp8", 1979e12}}},
		{Name: "A100", BytesPerS: 2.039e12, Roofs: []Roof{{"fp16", 312e12}}},
	}
	d := Data{X: []float64{10, 100, 1000, 20}, Y: []float64{30e12, 300e12, 800e12, 35e12},
		Panel: []string{"H100", "H100", "H100", "A100"}, Color: []string{"fp16", "fp16", "fp8", "fp16"}}
	f, err := Roofline(devs, d, Options{X: Axis{Name: "arithmetic intensity", Unit: "FLOP/byte"}, Y: Axis{Name: "attained", Unit: "FLOP/s"}, Color: "precision"})
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, render(t, f, SVG))
	// Ridge of H100 fp8: 1979e12 / 3.35e12 = 590.7 FLOP/B; A100 fp16: 153.0.
	for _, s := range []string{"H100", "A100", "fp8 1.98 PFLOP/s · ridge 591 FLOP/B", "fp16 989 TFLOP/s",
		"fp16 312 TFLOP/s · ridge 153 FLOP/B", "3.35 TB/s", "2.04 TB/s", "arithmetic intensity (FLOP/byte)", "attained (FLOP/s)"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q in %q", s, doc.texts)
		}
	}
	if got := doc.marks(Palette[0], false); got != 3+1 { // fp16 points + legend mark
		t.Errorf("%d fp16 marks, want 4", got)
	}
	dashed := 0
	for _, p := range doc.paths {
		if strings.Contains(p.style, "stroke-dasharray") {
			dashed++
		}
	}
	if dashed != 1 { // H100's lower roof
		t.Errorf("%d dashed roofs, want 1", dashed)
	}
}

func TestHeatmapSVG(t *testing.T) {
	g := Grid{X: []string{"1", "2", "4"}, Y: []string{"2048", "8192"}, Z: []float64{1, 2, 3, 4, math.NaN(), 6}}
	f, err := Heatmap(g, Options{X: Axis{Name: "batch_size"}, Y: Axis{Name: "seq_len", Unit: "tokens"}, Color: "itl_ms", ColorUnit: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, render(t, f, SVG))
	cells, empty := 0, 0
	for _, p := range doc.paths {
		switch {
		case strings.Contains(p.style, "fill:"+svgHex(missing)):
			empty++
		case strings.Contains(p.style, "fill:"+svgHex(Viridis(0))) || strings.Contains(p.style, "fill:"+svgHex(Viridis(1))):
			cells++
		}
	}
	if empty != 1 {
		t.Errorf("%d empty cells, want 1", empty)
	}
	if cells < 2 { // the lowest and highest cell at least (the colour bar is shaded in steps between)
		t.Errorf("%d cells at the ends of the scale", cells)
	}
	for _, s := range []string{"1", "2", "3", "4", "6", "batch_size", "seq_len (tokens)", "itl_ms (ms)", "2048", "8192"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q in %q", s, doc.texts)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	for _, format := range Formats {
		a, b := render(t, paretoFixture(t), format), render(t, paretoFixture(t), format)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", format)
		}
	}
}

func TestPNGSize(t *testing.T) {
	f := paretoFixture(t)
	var lo, hi bytes.Buffer
	if err := f.Render(&lo, PNG, 72); err != nil {
		t.Fatal(err)
	}
	if err := f.Render(&hi, PNG, 144); err != nil {
		t.Fatal(err)
	}
	a, err := png.DecodeConfig(&lo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.DecodeConfig(&hi)
	if err != nil {
		t.Fatal(err)
	}
	if d := b.Width - 2*a.Width; d < -1 || d > 1 || a.Width < 400 || b.Height-2*a.Height < -1 || b.Height-2*a.Height > 1 {
		t.Errorf("72 dpi %d×%d, 144 dpi %d×%d", a.Width, a.Height, b.Width, b.Height)
	}
	if err := f.Render(&lo, PNG, 10); err == nil {
		t.Error("10 dpi accepted")
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		f    *Figure
		err  string
	}{
		{"no panels", &Figure{}, "no panels"},
		{"empty", &Figure{Panels: []*Panel{{}}}, "empty"},
		{"lengths", &Figure{Panels: []*Panel{{Layers: []Layer{&Points{X: []float64{1, 2}, Y: []float64{1}}}}}}, "2 x values for 1 y"},
		{"log zero", &Figure{Panels: []*Panel{{X: Axis{Name: "itl_ms", Log: true}, Layers: []Layer{&Points{X: []float64{0}, Y: []float64{1}}}}}}, "log axis"},
		{"NaN", &Figure{Panels: []*Panel{{Layers: []Layer{&Points{X: []float64{math.NaN()}, Y: []float64{1}}}}}}, "not finite"},
		{"values without scale", &Figure{Panels: []*Panel{{Layers: []Layer{&Points{X: []float64{1}, Y: []float64{1}, Values: []float64{3}}}}}}, "Scale"},
	} {
		err := c.f.Check()
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
	many := Data{}
	for i := range MaxCategories + 1 {
		many.X, many.Y, many.Color = append(many.X, 1), append(many.Y, 1), append(many.Color, string(rune('A'+i)))
	}
	if _, err := Scatter(many, Options{Color: "hardware"}); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("too many categories: %v", err)
	}
	if _, err := Pareto(Data{}, Data{}, Options{}); err == nil {
		t.Error("empty frontier accepted")
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]Format{"a.svg": SVG, "b.PDF": PDF, "dir.x/c.png": PNG} {
		if got, err := FormatOf(in); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"a.jpg", "svg", "a."} {
		if _, err := FormatOf(in); err == nil {
			t.Errorf("FormatOf(%q) accepted", in)
		}
	}
}

// Every roof is labelled, however close the roofs are in a small panel: a
// label that would overlap the one above it goes below its line instead of
// being left out (H100's 989 TFLOP/s roof is a factor 2 under its 1979, a
// few points apart in a panel spanning four decades).
func TestRooflineLabelsEveryRoof(t *testing.T) {
	devs := []Device{
		{Name: "H100", BytesPerS: 3.35e12, Roofs: []Roof{{"bf16/fp16/fp32/int4", 989e12}, {"fp8/int8", 1979e12}}},
		{Name: "T4", BytesPerS: 320e9, Roofs: []Roof{{"bf16/fp16/fp32/fp8/int4", 65e12}, {"int8", 130e12}}},
	}
	d := Data{X: []float64{0.5, 10, 1000, 5000, 0.5, 3000}, Y: []float64{1.5e12, 30e12, 600e12, 1.3e15, 0.16e12, 90e12},
		Panel: []string{"H100", "H100", "H100", "H100", "T4", "T4"}}
	f, err := Roofline(devs, d, Options{X: Axis{Name: "arithmetic intensity", Unit: "FLOP/byte"}, Y: Axis{Name: "attained", Unit: "FLOP/s"}})
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, render(t, f, SVG))
	for _, s := range []string{"fp8/int8 1.98 PFLOP/s · ridge 591 FLOP/B", "bf16/fp16/fp32/int4 989 TFLOP/s",
		"int8 130 TFLOP/s · ridge 406 FLOP/B", "bf16/fp16/fp32/fp8/int4 65 TFLOP/s"} {
		if !doc.hasText(s) {
			t.Errorf("no roof label %q in %q", s, doc.texts)
		}
	}
}
