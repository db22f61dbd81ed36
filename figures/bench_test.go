package figures

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// The cost of drawing a sampled scatter at the default point budget (20,000
// marks) in each format, against a yardstick: the least SVG that shows the
// same marks (one <circle> each, no axes or text), which is what writing
// SVG ourselves would start from (docs/ARCHITECTURE.md, BENCHMARKS.md).
//
//	go test -run='^$' -bench=. -benchmem ./figures/

func benchData() Data {
	r := rand.New(rand.NewPCG(1, 2))
	d := Data{}
	for i := range 20000 {
		d.X = append(d.X, 0.1+r.Float64()*1000)
		d.Y = append(d.Y, 1+r.Float64()*1e6)
		d.Color = append(d.Color, fmt.Sprint("group", i%4))
	}
	return d
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkRender(b *testing.B) {
	d := benchData()
	for _, format := range Formats {
		b.Run(string(format), func(b *testing.B) {
			var w countingWriter
			for b.Loop() {
				f, err := Scatter(d, Options{X: Axis{Name: "x", Log: true}, Y: Axis{Name: "y", Log: true}, Color: "group"})
				if err != nil {
					b.Fatal(err)
				}
				w.n = 0
				if err := f.Render(&w, format, 150); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n), "bytes/figure")
		})
	}
}

func BenchmarkHandWrittenSVG(b *testing.B) {
	d := benchData()
	var w countingWriter
	for b.Loop() {
		w.n = 0
		handSVG(&w, d)
	}
	b.ReportMetric(float64(w.n), "bytes/figure")
}

// handSVG is the yardstick: marks only, on log axes, 430×300 pt.
func handSVG(w io.Writer, d Data) {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="430" height="300">`)
	styles := map[string]int{}
	for i := range d.X {
		c, ok := styles[d.Color[i]]
		if !ok {
			c = len(styles)
			styles[d.Color[i]] = c
		}
		x := 430 * (math.Log10(d.X[i]) + 1) / 4
		y := 300 - 300*math.Log10(d.Y[i])/6
		fmt.Fprintf(bw, `<circle cx="%.1f" cy="%.1f" r="2.6" fill="%s"/>`, x, y, svgHex(PaletteColor(c)))
	}
	fmt.Fprint(bw, "</svg>")
	bw.Flush()
}
