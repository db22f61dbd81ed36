package kernel

// TailLatency is the request latency of c replicas behind one queue (physics.md §6.5,
// TailLatencyModel; Wall 7): an M/M/c queue whose wait quantiles are scaled by
// Kingman's correction for a service time with coefficient of variation cv:
//
//	μ = 1/service (0 if service ≤ 0)
//	(ρ, w50, w99) = MMcWait(λ, μ, c)                      (+Inf waits when λ ≥ c·μ)
//	k = (cv² + 1)/2;  w50, w99 ×= k                       (k = 1 for exponential service)
//	p50 = w50 + service;  p99 = w99 + service            (wait quantile + mean service)
//	stable = ρ < 1
//	SLO = 5 · service
//	headroom = 1 if unstable, else w99/SLO (0 if SLO = 0), never below 0
//
// Adding the mean service time to a wait quantile is the seed's approximation (§14
// item 19). An unstable queue reports ρ = 1 and +Inf latencies.
func TailLatency(out *TailOut, in *TailIn) {
	n := len(in.ArrivalRate)
	out.resize(n)
	for i := 0; i < n; i++ {
		t := tailLatency(in.ArrivalRate[i], in.ServiceTime[i], int(in.Replicas[i]), in.ServiceCV[i])
		out.P50[i] = t.p50
		out.P99[i] = t.p99
		out.Utilization[i] = t.rho
		out.SLOHeadroom[i] = t.headroom
		out.Stable[i] = t.stable
	}
}

// SLOServiceMultiple is the tail-latency SLO as a multiple of the service time (physics.md §10).
const SLOServiceMultiple = 5

type tailPoint struct {
	rho, p50, p99, headroom float64
	stable                  bool
}

// tailLatency evaluates one TailLatency point; ServingCapacity calls it per replica count.
func tailLatency(lambda, service float64, c int, cv float64) tailPoint {
	mu := 0.0
	if service > 0 {
		mu = 1 / service
	}
	rho, w50, w99 := MMcWait(lambda, mu, c)
	if cv != 1 {
		k := (cv*cv + 1) / 2
		w50 *= k
		w99 *= k
	}
	stable := rho < 1
	headroom := 1.0
	if stable {
		headroom = 0
		if slo := SLOServiceMultiple * service; slo > 0 {
			headroom = max(0, w99/slo)
		}
	}
	return tailPoint{rho: rho, p50: w50 + service, p99: w99 + service, headroom: headroom, stable: stable}
}

// TailIn holds the input columns of TailLatency.
type TailIn struct {
	ArrivalRate []float64 // requests/s (λ)
	ServiceTime []float64 // mean service time per request, s
	Replicas    []float64 // servers c (below 1 counts as 1)
	ServiceCV   []float64 // coefficient of variation of the service time (1 = exponential)
}

// TailOut holds the output columns of TailLatency; latencies in seconds.
type TailOut struct {
	P50, P99    []float64 // wait quantile + mean service; +Inf when unstable
	Utilization []float64 // ρ (1 when unstable)
	SLOHeadroom []float64 // p99 wait / (5 · service); 1 when unstable
	Stable      []bool
}

func (o *TailOut) resize(n int) {
	for _, p := range []*[]float64{&o.P50, &o.P99, &o.Utilization, &o.SLOHeadroom} {
		*p = grow(*p, n)
	}
	o.Stable = grow(o.Stable, n)
}
