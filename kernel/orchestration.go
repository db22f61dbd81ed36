package kernel

import "math"

// Orchestration is the queue of jobs waiting for a cluster, as an M/D/1 queue
// (physics.md §7.9, OrchestrationModel; Wall 16): Poisson arrivals at rate λ, each job
// holding the whole cluster for a fixed duration D (μ = 1/D):
//
//	ρ  = λ·D
//	Wq = ρ / (2μ(1 − ρ)) = ρ·D / (2(1 − ρ))     (Pollaczek–Khinchine, deterministic service)
//	Lq = ρ² / (2(1 − ρ))
//	ρ ≥ 1 → unstable: Wq = Lq = +Inf
//
// The cluster size is not used. D = 0 gives ρ = 0 and no wait (the seed divides by zero).
func Orchestration(out *OrchOut, in *OrchIn) {
	n := len(in.ArrivalRate)
	out.resize(n)
	for i := 0; i < n; i++ {
		d := in.JobDuration[i]
		rho := in.ArrivalRate[i] * d
		wait, queue := math.Inf(1), math.Inf(1)
		if rho < 1 {
			wait = rho * d / (2 * (1 - rho))
			queue = rho * rho / (2 * (1 - rho))
		}
		out.Utilization[i] = rho
		out.Wait[i] = wait
		out.QueueLength[i] = queue
		out.Stable[i] = rho < 1
	}
}

// OrchIn holds the input columns of Orchestration.
type OrchIn struct {
	ArrivalRate []float64 // jobs/s
	JobDuration []float64 // s
}

// OrchOut holds the output columns of Orchestration.
type OrchOut struct {
	Utilization []float64 // ρ
	Wait        []float64 // mean time in queue, s
	QueueLength []float64 // mean jobs waiting
	Stable      []bool
}

func (o *OrchOut) resize(n int) {
	for _, p := range []*[]float64{&o.Utilization, &o.Wait, &o.QueueLength} {
		*p = grow(*p, n)
	}
	o.Stable = grow(o.Stable, n)
}
