package kernel

import (
	"math"
	"testing"
)

// Sliding-window attention in the calibrated serving physics (docs/PHYSICS.md §33). The
// model is Gemma-2-like in miniature: 2 layers, one attending a 4,096-token window, the
// other the whole context; 8 heads of 128 over a hidden size of 1024, one KV head, so
// the KV cache holds 2 (K and V) · 1 head · 128 = 256 elements per token per layer, 512
// for the two layers, at 2 bytes (BF16).
var swaModel = testModel{name: "gemma2-like", family: Transformer, params: 1e9, layers: 2, hidden: 1024, heads: 8, kvHeads: 1}

func swaIn(seq, window, local float64) *ServeIn {
	in := calIn(swaModel, BF16, h100BF16Eff, seq, 1)
	if window > 0 {
		in.SlidingWindow, in.SlidingLayers = one(window), one(local)
	}
	return in
}

func TestSlidingWindowKVBytes(t *testing.T) {
	if got := swaModel.kvElems(); got != 512 {
		t.Fatalf("KV elements per token = %v, want 2 layers · 2 · 1 head · 128 = 512", got)
	}
	for _, c := range []struct {
		name               string
		seq, window, local float64
		calibrated         bool
		want               float64
	}{
		// context 8192: the global layer holds 8192 tokens, 256 · 8192 · 2 = 4,194,304 B;
		// the local one its window, 256 · 4096 · 2 = 2,097,152 B; 6,291,456 B in all.
		{"windowed", 8192, 4096, 1, true, 6291456},
		// no window: both layers hold 8192 tokens, 512 · 8192 · 2 = 8,388,608 B.
		{"full", 8192, 0, 0, true, 8388608},
		// both layers windowed (Mistral style): 512 · 4096 · 2 = 4,194,304 B.
		{"all layers", 8192, 4096, 2, true, 4194304},
		// within the window nothing changes: 512 · 4096 · 2 = 4,194,304 B.
		{"inside the window", 4096, 4096, 1, true, 4194304},
		// the seed counts every layer at full context: 8,388,608 B.
		{"seed", 8192, 4096, 1, false, 8388608},
	} {
		in := swaIn(c.seq, c.window, c.local)
		in.Calibrated = c.calibrated
		var out ServeOut
		Serving(&out, in)
		if out.KVBytes[0] != c.want {
			t.Errorf("%s: KV bytes = %v, want %v", c.name, out.KVBytes[0], c.want)
		}
	}
}

// TestSlidingWindowDecode: the decode step streams the weights and the cache; at context
// 8192 the windowed layer reads 4096 tokens fewer, 256 · 4096 · 2 = 2,097,152 B, so the
// step is that over the measured bandwidth shorter (both steps are memory-bound: 2 GB of
// weights against ~2·10⁹ FLOPs at 794 TFLOP/s).
func TestSlidingWindowDecode(t *testing.T) {
	var full, win ServeOut
	Serving(&full, swaIn(8192, 0, 0))
	Serving(&win, swaIn(8192, 4096, 1))
	if full.ComputeBound[0] || win.ComputeBound[0] {
		t.Fatal("the test's decode steps are meant to be memory-bound")
	}
	want := 2097152 / h100TriadBW
	if d := full.ITL[0] - win.ITL[0]; math.Abs(d-want) > 1e-9*want {
		t.Errorf("ITL difference = %.6g s, want %.6g s", d, want)
	}
	if !(win.MemUtilization[0] < full.MemUtilization[0]) {
		t.Errorf("memory utilisation %v not below the full cache's %v", win.MemUtilization[0], full.MemUtilization[0])
	}
}

// TestWindowContext: keys attended per new token, by hand.
func TestWindowContext(t *testing.T) {
	for _, c := range []struct {
		n, s, w, want float64
	}{
		{1, 8192, 4096, 4096}, // a decode token past the window attends the window
		{1, 100, 4096, 100},   // inside it, the context
		// a whole 8192-token prompt: positions 1..4096 attend p keys, 4096·4097/2 =
		// 8,390,656, and 4097..8192 attend 4096 each, 4096·4096 = 16,777,216: 25,167,872
		// keys over 8192 tokens, 3072.25 each (causal: (8192 + 1)/2 = 4096.5).
		{8192, 8192, 4096, 3072.25},
		// a 512-token prompt inside the window: (512 + 1)/2
		{512, 512, 4096, 256.5},
		// 1000 new tokens at context 5000: positions 4001..5000 all past the window
		{1000, 5000, 4000, 4000},
	} {
		if got := windowContext(c.n, c.s, c.w); got != c.want {
			t.Errorf("windowContext(%v, %v, %v) = %v, want %v", c.n, c.s, c.w, got, c.want)
		}
	}
	// Averaged over the two layers of the test model: (4096.5 + 3072.25)/2 = 3584.375 keys
	// for the prompt, (8192 + 4096)/2 = 6144 tokens of cache.
	m := swaIn(8192, 4096, 1).point(0)
	if got := m.attnContext(8192, 8192); got != 3584.375 {
		t.Errorf("attnContext = %v, want 3584.375", got)
	}
	if got := m.kvContext(8192); got != 6144 {
		t.Errorf("kvContext = %v, want 6144", got)
	}
}

// TestSlidingWindowChunks: a chunked prefill past the window is the sum of its chunks,
// each timed at its own context. 8192 tokens in chunks of at most 1000 are 9 chunks of
// 910.2; with a window of 4096, chunks 1–4 end inside it, chunk 5 (3640.9..4551) crosses
// it, chunks 6–9 are past it. The one-chunk-at-the-mean-context count would be wrong
// here: the windowed layer's attention is not linear in the context.
func TestSlidingWindowChunks(t *testing.T) {
	m := swaIn(8192, 4096, 1).point(0)
	ttft, chunks, longest := m.prefill(1, 8192, 8192, 1000)
	if chunks != 9 {
		t.Fatalf("chunks = %v, want 9", chunks)
	}
	e := 8192.0 / 9
	var sum float64
	for j := 1.0; j <= 9; j++ {
		sum += m.chunk(1, e, j*e)
	}
	if math.Abs(ttft-sum) > 1e-12*sum {
		t.Errorf("TTFT = %.15g, want the sum of the chunks %.15g", ttft, sum)
	}
	if want := m.chunk(1, 1000, 8192); longest != want {
		t.Errorf("longest chunk = %v, want %v", longest, want)
	}
	// Without the window the chunks' mean context is exact; with it, the mean would overcount.
	naive := 9 * m.chunk(1, e, 10*e/2)
	if !(naive > sum) {
		t.Errorf("mean-context count %v not above the chunks' sum %v: the test does not tell the two apart", naive, sum)
	}
}
