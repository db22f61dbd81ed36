package kernel

import (
	"math"
	"testing"
)

// erlangCWait is an independent Erlang C computation in plain arithmetic
// (fine for small c): P_wait = (a^c/c!)/(1−ρ) / (Σ_{i<c} a^i/i! + (a^c/c!)/(1−ρ)).
func erlangCWait(lambda, mu float64, c int) float64 {
	a := lambda / mu
	rho := a / float64(c)
	term, sum := 1.0, 0.0 // term = a^i/i!
	for i := range c {
		sum += term
		term *= a / float64(i+1)
	}
	last := term / (1 - rho)
	return last / (sum + last)
}

func TestMMcWait(t *testing.T) {
	inf := math.Inf(1)
	// M/M/c waits are 0 with probability 1 − P_wait, else exponential with rate
	// c·μ·(1−ρ), so the q-quantile is ln(P_wait/(1−q))/(c·μ·(1−ρ)) when P_wait ≥ 1−q, else 0.
	// §13.2 F28 (λ 80, μ 10, c 10): P_wait ≈ 0.409 < 0.5, so only p99 waits.
	pw80 := erlangCWait(80, 10, 10)
	// λ 95, μ 10, c 10: P_wait above 0.5, so both quantiles wait (rate 5/s).
	pw95 := erlangCWait(95, 10, 10)
	cases := []struct {
		name          string // and source
		lambda, mu    float64
		c             int
		rho, p50, p99 float64
	}{
		// physics.md §13.4 TailLatency(λ 50 qps, 10 ms, c 1): M/M/1 so P_wait = ρ = 0.5 and the
		// wait tail is exponential with rate μ − λ = 50/s: p50 = ln(0.5/0.5)/50 = 0,
		// p99 = ln(0.5/0.01)/50 (latency 88.2405 ms = 78.2405 ms wait + 10 ms service).
		{"§13.4 λ50 c1", 50, 100, 1, 0.5, 0, math.Log(50) / 50},
		// §13.4 TailLatency(λ 80, 10 ms, c 1): rate 20/s; p50 ln(0.8/0.5)/20, p99 ln(0.8/0.01)/20.
		{"§13.4 λ80 c1", 80, 100, 1, 0.8, math.Log(1.6) / 20, math.Log(80) / 20},
		// §13.4 TailLatency(λ 80, 10 ms, c 4): P_wait 0.00958 < 0.01 → no wait at either quantile.
		{"§13.4 λ80 c4", 80, 100, 4, 0.2, 0, 0},
		{"F28 λ80 μ10 c10", 80, 10, 10, 0.8, 0, math.Log(pw80/0.01) / 20},
		{"λ95 μ10 c10", 95, 10, 10, 0.95, math.Log(pw95/0.5) / 5, math.Log(pw95/0.01) / 5},
		// §13.2 F29 and §3.8: λ ≥ c·μ or μ = 0 → unstable.
		{"F29 saturated", 100, 10, 10, 1, inf, inf},
		{"overloaded", 200, 10, 10, 1, inf, inf},
		{"no service", 1, 0, 4, 1, inf, inf},
		// §3.8: a = 0 (no arrivals) never waits.
		{"idle", 0, 10, 4, 0, 0, 0},
		// §3.8: c < 1 counts as one server.
		{"c 0 is c 1", 50, 100, 0, 0.5, 0, math.Log(50) / 50},
	}
	for _, c := range cases {
		rho, p50, p99 := MMcWait(c.lambda, c.mu, c.c)
		checkScalars(t, []scalarCase{
			{c.name + " ρ", rho, c.rho, tightRel, 0},
			{c.name + " p50", p50, c.p50, tightRel, 0},
			{c.name + " p99", p99, c.p99, tightRel, 0},
		})
	}
	if !(0.01 <= pw80 && pw80 < 0.5 && pw95 >= 0.5) {
		t.Fatalf("setup: P_wait %g (λ 80) and %g (λ 95) do not cover both quantile branches", pw80, pw95)
	}

	// §13.4 published latencies (ms, 4 decimals) = wait + 10 ms service.
	_, _, p99 := MMcWait(50, 100, 1)
	_, p50b, p99b := MMcWait(80, 100, 1)
	checkScalars(t, []scalarCase{
		{"§13.4 λ50 p99 latency ms", p99*1e3 + 10, 88.2405, 0, 5e-5},
		{"§13.4 λ80 p50 latency ms", p50b*1e3 + 10, 33.5002, 0, 5e-5},
		{"§13.4 λ80 p99 latency ms", p99b*1e3 + 10, 229.1013, 0, 5e-5},
		{"§13.4 λ80 c4 P_wait", erlangCWait(80, 100, 4), 0.00958, 0, 5e-6},
	})

	// §13.2 F30: λ 400, μ 1, c 500 overflows a^c/c! in plain arithmetic but not in log space.
	rho, p50, p99 := MMcWait(400, 1, 500)
	if rho != 0.8 || math.IsNaN(p50) || math.IsInf(p50, 0) || math.IsNaN(p99) || math.IsInf(p99, 0) || p50 < 0 || p99 < p50 {
		t.Errorf("F30 λ400 μ1 c500: (%g, %g, %g), want ρ 0.8 and finite 0 ≤ p50 ≤ p99", rho, p50, p99)
	}

	// §13.2 test_solver_suite S17: ρ = 50/(r·100) for r replicas.
	for _, r := range []int{1, 2, 4, 8, 16} {
		if rho, _, _ := MMcWait(50, 100, r); !withinTol(rho, 50/(float64(r)*100), tightRel, 0) {
			t.Errorf("S17 r %d: ρ %g, want %g", r, rho, 50/(float64(r)*100))
		}
	}
}

// Over a grid of stable and unstable queues: ρ is in [0, 1], the quantiles are
// ordered 0 ≤ p50 ≤ p99, finite exactly when the queue is stable, and adding a
// server never lengthens the p99 wait.
func TestMMcWaitProperties(t *testing.T) {
	for _, mu := range []float64{0.5, 1, 10, 100} {
		for c := 1; c <= 64; c *= 2 {
			for load := 0.0; load <= 1.2; load += 0.05 {
				lambda := load * float64(c) * mu
				rho, p50, p99 := MMcWait(lambda, mu, c)
				stable := lambda < float64(c)*mu
				if rho < 0 || rho > 1 || math.IsNaN(p50) || math.IsNaN(p99) {
					t.Fatalf("μ %g c %d λ %g: (%g, %g, %g)", mu, c, lambda, rho, p50, p99)
				}
				if p50 < 0 || p99 < p50 {
					t.Fatalf("μ %g c %d λ %g: p50 %g, p99 %g not ordered", mu, c, lambda, p50, p99)
				}
				if stable == math.IsInf(p99, 1) {
					t.Fatalf("μ %g c %d λ %g: stable %v but p99 %g", mu, c, lambda, stable, p99)
				}
				if stable {
					_, _, more := MMcWait(lambda, mu, c+1)
					if more > p99 {
						t.Fatalf("μ %g c %d λ %g: p99 %g with one more server > %g", mu, c, lambda, more, p99)
					}
				}
			}
		}
	}
}

// The kernel runs inside sweeps over millions of points; none of it may allocate.
func TestKernelDoesNotAllocate(t *testing.T) {
	var sink float64
	allocs := testing.AllocsPerRun(10, func() {
		_, p50, p99 := MMcWait(400, 1, 500)
		tc, tm, _, in := Roofline(1e12, 1e9, 1e12, 1e9)
		a, f := ExpectedPagedKVTokens(2048, 8192, 16)
		b, g := PagedKVCacheBytes(32, 8, 128, 2050, 1, 16, 2)
		sink += p50 + p99 + tc + tm + in + a + f + b + g +
			ActivationBytes(32, 1024, 8, 4096, 32, 2, RecomputeNone) +
			HierarchicalAllReduce(8e9, 4, 8, 300e9, 25e9, NVLinkLatencyS, InfiniBandNDRLatencyS) +
			NodeMTBF(8, 5e4, 8, 1.5e5, 2, 1e5) + PrefillFLOPs(8e9, 2048, 32, 4096, true)
	})
	if allocs != 0 {
		t.Errorf("kernel functions allocate %g times per call", allocs)
	}
	_ = sink
}

// TestMMcMeanWait: the M/M/c mean wait by hand. M/M/1 at λ 50, μ 100: ρ/(μ − λ) = 0.5/50 =
// 10 ms. M/M/2 at λ 1, μ 1 (a = 1, ρ = 0.5): Erlang C = (a²/2!)/(1 − ρ) / (1 + a +
// (a²/2!)/(1 − ρ)) = 1/3, decaying at c·μ·(1 − ρ) = 1, so 1/3 s. Unstable: +Inf; idle: 0.
func TestMMcMeanWait(t *testing.T) {
	for _, c := range []struct {
		lambda, mu float64
		c          int
		want       float64
	}{{50, 100, 1, 0.01}, {1, 1, 2, 1.0 / 3}, {0, 1, 4, 0}} {
		if got := MMcMeanWait(c.lambda, c.mu, c.c); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("MMcMeanWait(%v, %v, %d) = %v, want %v", c.lambda, c.mu, c.c, got, c.want)
		}
	}
	if got := MMcMeanWait(100, 100, 1); !math.IsInf(got, 1) {
		t.Errorf("λ = μ: %v, want +Inf", got)
	}
}
