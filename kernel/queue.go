package kernel

import "math"

// MMcWait returns the utilisation and the median and 99th-percentile queueing
// WAIT (seconds; service time not included) of an M/M/c queue with arrival
// rate lambda (1/s), per-server service rate mu (1/s) and c servers
// (physics.md §3.8):
//
//	c = max(1, c)
//	λ ≥ c·μ or μ = 0 → unstable: (ρ = 1, +Inf, +Inf)
//	ρ = λ/(c·μ),  a = c·ρ
//	Erlang C in log space, so a^c/c! cannot overflow for hundreds of servers:
//	  ℓ_last = c·ln a − lnΓ(c+1) − ln(1−ρ)
//	  ℓ_i    = i·ln a − lnΓ(i+1),  i = 0 … c−1
//	  m      = max(ℓ_0 … ℓ_{c−1}, ℓ_last)
//	  P_wait = e^(ℓ_last−m) / (Σ e^(ℓ_i−m) + e^(ℓ_last−m))
//	  (a non-finite P_wait falls back to ρ; then clamped to [0, 1])
//	rate = c·μ·(1−ρ)
//	p50 = 0 if P_wait < 0.5,  else max(0, −ln(0.5/P_wait)/rate)
//	p99 = 0 if P_wait < 0.01, else max(0, −ln(0.01/P_wait)/rate)
//
// An idle queue (a = 0) never waits: (0, 0, 0). Preconditions: lambda ≥ 0, mu ≥ 0.
func MMcWait(lambda, mu float64, c int) (rho, p50, p99 float64) {
	rho, pWait, rate := erlangC(lambda, mu, c)
	switch {
	case rho >= 1:
		return 1, math.Inf(1), math.Inf(1)
	case pWait == 0:
		return rho, 0, 0
	}
	if pWait >= 0.5 {
		p50 = math.Max(0, -math.Log(0.5/pWait)/rate)
	}
	if pWait >= 0.01 {
		p99 = math.Max(0, -math.Log(0.01/pWait)/rate)
	}
	return rho, p50, p99
}

// MMcMeanWait is the mean queueing wait (seconds) of the M/M/c queue MMcWait describes:
// the wait is 0 with probability 1 − P_wait and exponential at rate c·μ·(1 − ρ) beyond,
// so E[W] = P_wait / (c·μ·(1 − ρ)) (Erlang's C formula; Kleinrock, Queueing Systems
// Vol. 1, 1975, §3.5); +Inf when λ ≥ c·μ or μ = 0, 0 for an idle queue.
func MMcMeanWait(lambda, mu float64, c int) float64 {
	rho, pWait, rate := erlangC(lambda, mu, c)
	switch {
	case rho >= 1:
		return math.Inf(1)
	case pWait == 0:
		return 0
	}
	return pWait / rate
}

// erlangC is MMcWait's P_wait and the rate c·μ·(1 − ρ) its wait decays at; ρ = 1 for an
// unstable queue, P_wait = 0 for an idle one.
func erlangC(lambda, mu float64, c int) (rho, pWait, rate float64) {
	c = max(1, c)
	fc := float64(c)
	if lambda >= fc*mu || mu == 0 {
		return 1, 1, 0
	}
	rho = lambda / (fc * mu)
	a := fc * rho
	if a == 0 {
		return rho, 0, 0
	}

	lnA := math.Log(a)
	lgC1, _ := math.Lgamma(fc + 1)
	logLast := fc*lnA - lgC1 - math.Log(1-rho)
	m := logLast
	for i := range c {
		lg, _ := math.Lgamma(float64(i) + 1)
		m = math.Max(m, float64(i)*lnA-lg)
	}
	var sum float64
	for i := range c {
		lg, _ := math.Lgamma(float64(i) + 1)
		sum += math.Exp(float64(i)*lnA - lg - m)
	}
	last := math.Exp(logLast - m)
	pWait = last / (sum + last)
	if math.IsNaN(pWait) || math.IsInf(pWait, 0) {
		pWait = rho
	}
	pWait = math.Min(1, math.Max(0, pWait))
	return rho, pWait, fc * mu * (1 - rho)
}

// SlotWait is the mean wait (seconds) for one of c slots of a server that holds each
// request for hold seconds, under Poisson arrivals at lambda requests/s (ours;
// docs/PHYSICS.md §34.3). The slots are the c servers of an M/D/c queue — every request of
// a point has the same prompt and output lengths, so the hold is deterministic — whose
// mean wait is taken from Erlang's C formula scaled for the service's variability by the
// Allen–Cunneen approximation for GI/G/c (A. O. Allen, Probability, Statistics, and
// Queueing Theory with Computer Science Applications, 2nd ed., Academic Press 1990;
// W. Whitt, "Approximations for the GI/G/m queue", Production and Operations Management
// 2(2), 1993):
//
//	W ≈ (c_a² + c_s²)/2 · W_{M/M/c},   c_a² = 1 (Poisson), c_s² = 0 (deterministic) → W_{M/M/c}/2
//	W_{M/M/c} = C(c, a)·hold / (c·(1 − ρ)),   a = λ·hold,  ρ = a/c
//
// C(c, a) comes from the Erlang B recursion in inverse form, x_0 = 1, x_k = 1 + (k/a)·x_{k−1},
// B = 1/x_c, C = B/(1 − ρ(1 − B)) = 1/(x_c(1 − ρ) + ρ) (Kleinrock, Queueing Systems Vol. 1,
// 1975, on M/M/m and M/M/m/m): c multiply-adds and no factorials, and an x_c that overflows to +Inf
// is a C of 0, as it should be (the queue is far from full). +Inf when a ≥ c (no steady
// state) or hold is +Inf, 0 when nothing arrives. c < 1 counts as one slot.
func SlotWait(lambda, hold float64, c int) float64 {
	c = max(1, c)
	a := lambda * hold
	fc := float64(c)
	switch {
	case a >= fc || math.IsInf(hold, 1) || math.IsNaN(a):
		return math.Inf(1)
	case a <= 0:
		return 0
	}
	rho := a / fc
	x := erlangBInverse(c, 1/a)
	erlangC := 1 / (x*(1-rho) + rho)
	return allenCunneenDeterministic * erlangC * hold / (fc * (1 - rho))
}

// allenCunneenDeterministic is the Allen–Cunneen factor (c_a² + c_s²)/2 for Poisson
// arrivals (c_a² = 1) and a deterministic hold (c_s² = 0).
const allenCunneenDeterministic = 0.5

// erlangBInverse is 1/B(c, a) for inv = 1/a by the recursion x_k = 1 + k·inv·x_{k−1},
// x_0 = 1, four steps at a time: x_{k+3} = (1 + b₄ + b₄b₃ + b₄b₃b₂) + b₄b₃b₂b₁·x_{k−1}
// with b_j = (k + j − 1)·inv, so the chain that waits on x is a quarter as long (SlotWait
// runs once or more per serve-deploy point, with c up to the batch).
func erlangBInverse(c int, inv float64) float64 {
	x, k := 1.0, 1
	for ; k+3 <= c; k += 4 {
		fk := float64(k)
		b1, b2, b3, b4 := fk*inv, (fk+1)*inv, (fk+2)*inv, (fk+3)*inv
		p43 := b4 * b3
		p432 := p43 * b2
		x = (1 + b4 + p43 + p432) + p432*b1*x
	}
	for ; k <= c; k++ {
		x = 1 + float64(k)*inv*x
	}
	return x
}

// ErlangC is the probability that an arrival to an M/M/c queue of offered load a = λ·S
// finds all c servers busy (Erlang's C formula, from the Erlang B recursion in inverse form
// as SlotWait computes it); 1 when a ≥ c, 0 when a ≤ 0.
func ErlangC(c int, a float64) float64 {
	c = max(1, c)
	fc := float64(c)
	switch {
	case a >= fc || math.IsNaN(a):
		return 1
	case a <= 0:
		return 0
	}
	rho := a / fc
	return 1 / (erlangBInverse(c, 1/a)*(1-rho) + rho)
}
