package kernel

// PipelineBubble is the idle share of a whole pipeline-parallel step
// (physics.md §3.3) for P stages, M micro-batches and V virtual stages
// (interleaving) per device:
//
//	bubble = (P − 1) / (V·M + P − 1)
//
// A single stage has no bubble (P = 1 → 0). Preconditions (checked by the
// caller, as Profile B does): stages, microbatches, virtualStages ≥ 1, which
// keeps the result in [0, 1).
func PipelineBubble(stages, microbatches, virtualStages float64) float64 {
	return (stages - 1) / (virtualStages*microbatches + stages - 1)
}
