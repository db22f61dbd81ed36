package kernel

// DistributedTime is the ideal time in seconds to run ops FLOP on n devices of
// flops FLOP/s each at efficiency eff (physics.md §3.9, dTime):
//
//	t = ops / (n·flops·eff)
//
// Preconditions: n ≥ 1, flops > 0, eff in (0, 1].
func DistributedTime(ops, n, flops, eff float64) float64 {
	return ops / (n * flops * eff)
}

// Amdahl is the speedup of a workload whose fraction p is sped up s times
// (physics.md §3.9):
//
//	S = 1 / ((1−p) + p/s)
//
// Preconditions: p in [0, 1], s > 0.
func Amdahl(p, s float64) float64 {
	return 1 / ((1 - p) + p/s)
}

// StrongScaling is the speedup on n devices when each added device costs a
// fraction fComm of a step in communication (physics.md §3.9):
//
//	S = n / (1 + (n−1)·f_comm)
func StrongScaling(n, fComm float64) float64 {
	return n / (1 + (n-1)*fComm)
}

// EffectiveFLOPS is the delivered FLOP/s of a peak rate after model FLOPs
// utilisation, scaling efficiency and goodput (physics.md §3.9):
//
//	F_eff = F·MFU·η_scale·goodput
func EffectiveFLOPS(peak, mfu, scaleEff, goodput float64) float64 {
	return peak * mfu * scaleEff * goodput
}

// TrainingFLOPs is the FLOP count of training a model of params parameters on
// tokens tokens, forward plus backward (physics.md §3.10): C = 6·P·D.
func TrainingFLOPs(params, tokens float64) float64 {
	return 6 * params * tokens
}

// DecodeFLOPs is the FLOP count of generating tokens tokens, weights only
// (attention over the KV cache excluded; physics.md §3.10): 2·P·tokens.
func DecodeFLOPs(params, tokens float64) float64 {
	return 2 * params * tokens
}

// PrefillFLOPs is the FLOP count of a prefill of seq tokens (physics.md §3.10,
// Profile B/C):
//
//	2·P·S + attn,  attn = (2 if causal else 4)·L·h·S²
//
// Passing 0 for layers or hidden omits the attention term, as the reference
// does when they are not given.
func PrefillFLOPs(params, seq, layers, hidden float64, causal bool) float64 {
	attn := 4.0
	if causal {
		attn = 2
	}
	return 2*params*seq + attn*layers*hidden*seq*seq
}

// NetworkLatencyS is the round-trip time in seconds over km kilometres of fibre
// at 200 000 km/s (physics.md §3.12): t = 2·km / 200 000.
func NetworkLatencyS(km float64) float64 {
	const fibreKmPerS = 200_000
	return 2 * km / fibreKmPerS
}

// MonthlyEgressUSD is the cost of sending bytesPerS bytes/s for a 30-day month
// at usdPerGB per decimal GB (physics.md §3.11):
//
//	USD = bytesPerS · 2 592 000 s / 1e9 · usdPerGB
func MonthlyEgressUSD(bytesPerS, usdPerGB float64) float64 {
	const (
		monthS = 30 * 24 * 3600
		gb     = 1e9
	)
	return bytesPerS * monthS / gb * usdPerGB
}

// FleetTCOUSD is the purchase plus electricity cost of n units costing unitCost
// USD and drawing powerW watts each for years years (physics.md §3.11):
//
//	USD = unitCost·n + powerW/1000·n·(years·8766 h)·usdPerKWh
//
// A year is the pint year of 365.25 days (8766 h), as the reference uses.
func FleetTCOUSD(unitCost, powerW, n, years, usdPerKWh float64) float64 {
	const hoursPerYear = 365.25 * 24
	return unitCost*n + powerW/1000*n*years*hoursPerYear*usdPerKWh
}
