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
