package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim/figures"
)

// chromium finds Debian's chromium. Without it the browser test skips on a
// developer's machine and fails in CI (CI=true), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium before make test")
	}
	t.Skip("chromium not found: the report's browser test needs Debian's chromium (apt-get install chromium)")
	return ""
}

// headless runs chromium on a local file with a fresh profile and no network
// chatter, and returns its standard output.
func headless(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// TestReportInBrowser opens the report of the bundled serving-frontier sweep
// in headless Chromium: the DOM it parsed holds the three figures as SVG, and
// the screenshot shows them — the palette's colours where the frontier and the
// heatmaps are, text in the header, and not a blank page.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	res := swept(t, "serving-frontier")
	page := filepath.Join(t.TempDir(), "report.html")
	if r := mlsysim(t, "report", res, "--out", page); r.code != 0 {
		t.Fatal(r)
	}

	dom := string(headless(t, bin, page, "--dump-dom"))
	if n := strings.Count(dom, "<svg "); n != 3 {
		t.Errorf("the browser's DOM has %d <svg> elements, want 3", n)
	}
	if !strings.Contains(dom, "<h1>mlsysim report — llm-serving-frontier</h1>") {
		t.Error("the browser's DOM has no report title")
	}

	shot := filepath.Join(t.TempDir(), "shot.png")
	headless(t, bin, page, "--hide-scrollbars", "--window-size=1200,3200", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 3000 {
		t.Fatalf("screenshot is %v", b)
	}
	// The header band (title and facts table) holds dark text.
	if dark := count(img, image.Rect(0, 0, b.Dx()/2, 300), func(c color.NRGBA) bool { return c.R < 80 && c.G < 80 && c.B < 80 }); dark < 500 {
		t.Errorf("the header has %d dark pixels: no text rendered?", dark)
	}
	// The figures: the frontier's group colours (Okabe–Ito) and the
	// heatmaps' viridis ends, each over a visible area.
	for _, c := range []struct {
		name string
		col  color.NRGBA
		min  int
	}{
		{"frontier blue (first group)", figures.Palette[0], 200},
		{"frontier vermillion (second group)", figures.Palette[1], 200},
		{"frontier green (third group)", figures.Palette[2], 200},
		{"viridis low end (heatmap)", figures.Viridis(0), 2000},
		{"viridis high end (heatmap)", figures.Viridis(1), 2000},
	} {
		if n := count(img, b, nearColor(c.col)); n < c.min {
			t.Errorf("%s: %d pixels, want at least %d", c.name, n, c.min)
		}
	}
	if white := count(img, b, func(c color.NRGBA) bool { return c.R > 250 && c.G > 250 && c.B > 250 }); white > b.Dx()*b.Dy()*97/100 {
		t.Errorf("the page is %d%% white", white*100/(b.Dx()*b.Dy()))
	}
}

func nearColor(want color.NRGBA) func(color.NRGBA) bool {
	return func(c color.NRGBA) bool {
		d := func(a, b uint8) int {
			if a > b {
				return int(a - b)
			}
			return int(b - a)
		}
		return d(c.R, want.R) <= 12 && d(c.G, want.G) <= 12 && d(c.B, want.B) <= 12
	}
}

func count(img image.Image, r image.Rectangle, ok func(color.NRGBA) bool) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ok(color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)) {
				n++
			}
		}
	}
	return n
}
