package sweep

import "fmt"

// Physical maxima of integer parameters (docs/GRID.md "Limits"). Values travel as
// float64, which holds every integer only up to 2^53, and are written as int64;
// a bound far below both, checked when a value is resolved (before any
// conversion to an integer), means no input can wrap. Each is generous on
// purpose: it refuses typos such as 1e30, never a real system.
const (
	// MaxCount bounds counts of things a step is made of: samples per batch,
	// accelerators, ranks, nodes, replicas, microbatches, writers. 2^24 is ~80×
	// the largest GPU clusters announced (≈ 200,000 GPUs, 2024) and ~8,000× Llama
	// 3 405B's global batch of 2,048 sequences (Llama 3 paper, §3.4).
	MaxCount = 1 << 24
	// MaxTokens bounds token counts (sequence and context lengths, chunks,
	// request lengths). 2^27 = 134,217,728 is above the longest context
	// announced, 100M tokens (Magic LTM-2-mini, 2024).
	MaxTokens = 1 << 27
	// MaxDays bounds durations in days (a fleet's run, a job, a training run):
	// a century, longer than any machine is operated.
	MaxDays = 36525
	// MaxQPS bounds a request rate at one replica (serve's qps), requests/s: 10^7 is
	// ~10^4× what one 8-GPU server completes in MLPerf Inference's server scenarios
	// (v4.0: 70 Llama 2 70B requests/s on 8 H100s), as serve-deploy's fleet rate.
	MaxQPS = 1e7
)

// maxExact is 2^53: float64 holds every integer up to it and none is lost below.
const maxExact = 1 << 53

// boundInts gives every integer parameter a maximum: MaxCount unless the study
// states a smaller one (zero_stage: 3) or MaxTokens for token counts, so a
// parameter a study adds later is bounded without further work.
func boundInts(st *Study) {
	for i := range st.Params {
		p := &st.Params[i]
		if p.Kind != KindInt {
			continue
		}
		if p.Max == 0 {
			p.Max = MaxCount
			if p.Unit == "tokens" {
				p.Max = MaxTokens
			}
		}
		if p.Max > maxExact {
			panic(fmt.Sprintf("sweep: study %s: %s has a maximum %g above 2^53", st.Name, p.Name, p.Max))
		}
	}
}

// Floors and ceilings of decimal parameters (docs/GRID.md "Limits"). A decimal with
// no ceiling took 1e308, and a positive one with no floor took a subnormal such as
// 1e-310, whose reciprocal is +Inf: the run either stopped with a raw point dump or,
// where nothing overflowed, printed a step of 1.6e298 s with exit 0. Each bound is
// argued from the quantity, generous on purpose (it refuses typos and nonsense, never
// a real system), and keeps every product and quotient of the models finite.
const (
	// MinEfficiency is the smallest share of a device's peak accepted. One scalar
	// lane's fused multiply-add per clock is above it on every catalog device at its
	// dense 16-bit peak (H100 SXM: 989 TFLOP/s at a 1.83 GHz boost clock is
	// 5.4e5 FLOP per clock, so 2 FLOP is 3.7e-6 of it).
	MinEfficiency = 1e-6
	// MinQPS is the smallest positive request rate: one request in 32 million
	// years, far below any replica's (where every request already meets an empty
	// server, TestServeSimTinyRate), and far enough above the smallest float64 that
	// the mean gap between requests, 1/qps = 1e15 s, times a replica's power or
	// price stays finite. Below it serve's energy per token was +Inf (--qps 1e-310)
	// and the serve simulation never finished (5e-324).
	MinQPS = 1e-15
	// MinYears is the shortest amortisation period: 0.001 years, 8.8 hours.
	MinYears = 1e-3
	// MaxUSD bounds a sum of money (a budget, an accelerator's price): ~10× the
	// world's yearly GDP (~1.05e14 USD in 2023, World Bank).
	MaxUSD = 1e15
	// MaxUSDPerHour bounds a rental price per accelerator-hour (serving's
	// accelerator_hour_usd already had it): ~4,000× an H100's on-demand ~2.5 USD/h.
	MaxUSDPerHour = 1e4
	// MaxUSDPerKWh bounds an electricity price: ~40× the dearest retail power in
	// Europe (~0.25 USD/kWh households, 2023), as serving's price had it.
	MaxUSDPerKWh = 10
	// MaxMultiplier bounds a slowdown or imbalance factor ≥ 1 (congestion,
	// straggler, moe_imbalance; a service time's coefficient of variation): a step
	// 1,000× slower than the model's. moe_imbalance cannot pass experts / top-k
	// anyway (256 / 8 = 32 for DeepSeek-V3).
	MaxMultiplier = 1e3
	// MaxMS bounds a time in milliseconds a request or step may take or be given
	// (a latency target or budget, a step): 10^7 ms is 2.8 hours, as serve-deploy's
	// and serve-sim's targets had it.
	MaxMS = 1e7
	// MinMS is the shortest time in milliseconds: a nanosecond, about two clocks
	// of any catalog device.
	MinMS = 1e-6
	// MaxSeconds bounds a duration in seconds (a checkpoint's write, a recovery):
	// MaxDays, a century.
	MaxSeconds = MaxDays * 86400
	// MaxGBPerSecond bounds a bandwidth in GB/s (storage, a file system, host CPUs'
	// preprocessing): 10^6 GB/s = 1 PB/s, ~100× the largest parallel file systems
	// (Frontier's Orion: ~10 TB/s, OLCF 2023).
	MaxGBPerSecond = 1e6
	// MinGBPerSecond is the slowest positive bandwidth: one byte per second.
	MinGBPerSecond = 1e-9
	// MaxGB bounds a size in GB or MB (a sample, a size limit): 10^6, a petabyte
	// in GB and a terabyte per sample in MB.
	MaxGB = 1e6
	// MaxFLOP bounds a training budget: 10^32 FLOP, ~2.6 million times Llama 3
	// 405B's 3.8e25 (Llama 3 paper, §3.1).
	MaxFLOP = 1e32
	// MaxParams bounds a parameter count: 10^15, ~600× Switch-C's 1.6e12 (Fedus et
	// al. 2021), the largest published dense-or-sparse model.
	MaxParams = 1e15
	// MaxAcceleratorDays bounds accelerator-days: MaxCount accelerators for MaxDays.
	MaxAcceleratorDays = float64(MaxCount) * MaxDays
	// MaxWatts bounds one accelerator's power: 10^5 W, ~4× a Cerebras CS-3 system
	// (a whole wafer, ~23 kW).
	MaxWatts = 1e5
	// MaxPUE bounds a power usage effectiveness: 10, ~6× the industry's average
	// (1.58, Uptime Institute 2023). PUE is facility over IT energy, so at least 1
	// (The Green Grid, White Paper #49).
	MaxPUE = 10
	// MaxCarbonGPerKWh bounds a grid's carbon intensity: 10^4 g/kWh, ~10× lignite
	// generation (~1,100 g/kWh, IPCC AR5 WG3 Annex III).
	MaxCarbonGPerKWh = 1e4
	// MaxLitresPerKWh bounds a water usage effectiveness: 100 L/kWh, ~50× the
	// evaporative cooling of the thirstiest sites (~2 L/kWh).
	MaxLitresPerKWh = 100
	// MaxCarbonUSDPerT bounds a carbon price: 10^5 USD/t, ~1,000× the EU ETS price
	// (~90 EUR/t, 2023).
	MaxCarbonUSDPerT = 1e5
	// MaxKG bounds a mass of CO2e: 10^15 kg, ~27 years of the world's emissions
	// (~37 Gt in 2023).
	MaxKG = 1e15
	// MaxJobsPerDay bounds a cluster's job arrivals: 10^9 a day, ~11,600 a second.
	MaxJobsPerDay = 1e9
	// MaxPercent bounds a percentage change (sensitivity's perturbation): 1,000 %.
	MaxPercent = 1e3
	// MinPercent is the smallest perturbation: 0.001 %, 1e-5 relative, which a
	// float64 difference still resolves to ~11 digits (a 1e-30 % step gave 0/0).
	MinPercent = 1e-3
)

// MaxDPEpsilon bounds a differential-privacy budget ε: 100, ~5× the whole budget of
// the US 2020 Census's released tables (ε = 19.61, US Census Bureau 2021), past
// which the guarantee bounds nothing (e^100 ≈ 2.7e43).
const MaxDPEpsilon = 100
