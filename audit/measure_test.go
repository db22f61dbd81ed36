package audit

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// The blocked multiply against the textbook triple loop. Integer-valued inputs keep
// every partial sum exact, so the two must agree bit for bit whatever the order of
// summation. Depth 8 on n = 20 leaves a 4-deep remainder block; the production depth
// on n = 12 is one partial block.
func TestMulAddMatchesNaive(t *testing.T) {
	for _, c := range []struct{ n, kc int }{{4, 8}, {8, 8}, {12, 8}, {20, 8}, {12, blockDepth}, {36, 16}} {
		for _, threads := range []int{1, 3} {
			checkMul[float64](t, c.n, c.kc, threads)
			checkMul[float32](t, c.n, c.kc, threads)
		}
	}
}

func checkMul[T float32 | float64](t *testing.T, n, kc, threads int) {
	t.Helper()
	a, b, c, bp := make([]T, n*n), make([]T, n*n), make([]T, n*n), make([]T, n*n)
	for i := range a {
		a[i], b[i], c[i] = T(i%7-3), T(i%5-2), T(i%3)
	}
	want := make([]T, n*n)
	for i := range n {
		for j := range n {
			s := c[i*n+j]
			for k := range n {
				s += a[i*n+k] * b[k*n+j]
			}
			want[i*n+j] = s
		}
	}
	mulAdd(c, a, b, bp, n, kc, threads)
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("n=%d threads=%d: c[%d][%d] = %v, want %v", n, threads, i/n, i%n, c[i], want[i])
		}
	}
}

func TestTriadKernel(t *testing.T) {
	b, c := []float64{1, 2, 3}, []float64{10, 20, 30}
	a := make([]float64, 3)
	triadKernel(a, b, c)
	for i, want := range []float64{31, 62, 93} { // b + 3·c, STREAM's scalar
		if a[i] != want {
			t.Errorf("a[%d] = %v, want %v", i, a[i], want)
		}
	}
}

func TestParallelCoversRangeOnce(t *testing.T) {
	for _, c := range []struct{ threads, n int }{{1, 10}, {3, 10}, {4, 3}, {8, 1}} {
		seen := make([]int, c.n)
		parallel(c.threads, c.n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, s := range seen {
			if s != 1 {
				t.Errorf("threads=%d n=%d: index %d visited %d times", c.threads, c.n, i, s)
			}
		}
	}
}

// STREAM's rule (each array ≥ 4 × the last-level cache) within memory and time bounds.
func TestTriadArrayBytes(t *testing.T) {
	for _, c := range []struct {
		name      string
		cfg       MeasureConfig
		want      int64
		sizingHas string
	}{
		{"unknown cache", MeasureConfig{}, 128 << 20, "assumed 32 MiB"},
		{"small cache floors at 64 MiB", MeasureConfig{LLCBytes: 8 << 20}, 64 << 20, "4 × the 8 MiB"},
		{"48 MiB cache", MeasureConfig{LLCBytes: 48 << 20}, 192 << 20, "4 × the 48 MiB"},
		{"huge cache capped", MeasureConfig{LLCBytes: 768 << 20}, 512 << 20, "below STREAM's rule"},
		{"little memory", MeasureConfig{AvailableBytes: 256 << 20}, 32 << 20, "capped at 32 MiB"},
		{"caller's size", MeasureConfig{ArrayBytes: 1 << 20}, 1 << 20, "set by the caller"},
	} {
		got, sizing := triadArrayBytes(c.cfg)
		if got != c.want || !strings.Contains(sizing, c.sizingHas) {
			t.Errorf("%s: %d bytes (%q), want %d and %q", c.name, got, sizing, c.want, c.sizingHas)
		}
	}
}

// The benchmark's timing is its output, not something to assert: check the shape of
// the result and that the rates are finite, positive and physically possible.
func TestMeasureSmall(t *testing.T) {
	m, err := Measure(t.Context(), MeasureConfig{Threads: 2, ArrayBytes: 1 << 20, MatrixN: 32, Budget: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"triad": m.TriadBytesPerS, "fp64": m.MatmulFP64FLOPS, "fp32": m.MatmulFP32FLOPS} {
		if !(v > 0) || math.IsInf(v, 0) || v > 1e15 {
			t.Errorf("%s rate %g: want finite, > 0 and below 1e15 per second", name, v)
		}
	}
	if m.Threads != 2 || m.MatrixN != 32 || m.TriadArrayBytes != 1<<20 || m.TriadSizing == "" {
		t.Errorf("config not reported back: %+v", m)
	}
	for name, n := range map[string]int{"triad": m.TriadTrials, "fp64": m.MatmulFP64Trials, "fp32": m.MatmulFP32Trials} {
		if n < 1 || n > maxTrials {
			t.Errorf("%s trials %d, want 1..%d", name, n, maxTrials)
		}
	}
	if m.ElapsedS <= 0 {
		t.Errorf("elapsed %v", m.ElapsedS)
	}
}

func TestMeasureRejectsBadConfig(t *testing.T) {
	for _, cfg := range []MeasureConfig{
		{MatrixN: 30}, {MatrixN: MaxMatrixN + 4}, {Budget: -time.Second}, {Budget: MaxBudget + 1}, {Threads: -1}, {ArrayBytes: -8}, {ArrayBytes: MaxArrayBytes + 1},
	} {
		if _, err := Measure(t.Context(), cfg); err == nil {
			t.Errorf("%+v: want an error", cfg)
		}
	}
}

func TestMeasureStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Measure(ctx, MeasureConfig{ArrayBytes: 1 << 20, MatrixN: 8, Budget: time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// repeat's stopping rule: one warm-up, then at least one timed trial, minTrials while
// the whole budget lasts, more until the phase ends, never more than maxTrials.
func TestRepeatTrialCounts(t *testing.T) {
	past, future := time.Now().Add(-time.Second), time.Now().Add(time.Hour)
	for _, c := range []struct {
		name        string
		phase, hard time.Time
		want        int
	}{
		{"budget spent", past, past, 1}, // and no warm-up
		{"phase spent", past, future, minTrials},
		{"time to spare", future, future, maxTrials},
	} {
		calls, warmups := 0, 1
		if c.hard.Before(time.Now()) {
			warmups = 0
		}
		_, n, err := repeat(t.Context(), c.phase, c.hard, true, func() { calls++ })
		if err != nil || n != c.want || calls != c.want+warmups {
			t.Errorf("%s: %d timed trials in %d calls (%v), want %d and %d warm-ups", c.name, n, calls, err, c.want, warmups)
		}
		calls = 0
		if _, n, _ := repeat(t.Context(), c.phase, c.hard, false, func() { calls++ }); calls != n {
			t.Errorf("%s, warm-up off: %d calls for %d timed trials", c.name, calls, n)
		}
	}
}

// The triad first-touches its arrays step by step and streams only what it touched
// when the clock runs out.
func TestTriadCutsWhenTouchingIsSlow(t *testing.T) {
	past, future := time.Now().Add(-time.Second), time.Now().Add(time.Minute)
	if _, used, _, err := triad(t.Context(), 1000, 2, future, future); err != nil || used != 1000 {
		t.Errorf("time to spare: used %d of 1000 (%v)", used, err)
	}
	rate, used, trials, err := triad(t.Context(), 3*touchStep, 1, past, past)
	if err != nil || used != touchStep || trials != 1 || !(rate > 0) {
		t.Errorf("no time: used %d (want one step, %d), %d trials, rate %g, %v", used, touchStep, trials, rate, err)
	}
}
