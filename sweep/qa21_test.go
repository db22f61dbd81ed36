package sweep

import (
	"slices"
	"testing"
)

// TestFleetMemoryFollowsCheckpointingInEveryBatch: the fleet evaluator reused for a
// second batch priced memory at selective recomputation whatever activation_checkpointing
// said (memInputs wrote its seed rule through mem.Recompute, which the calibrated path
// had pointed at the step's column), so `mlsysim sweep` gave different activations_gb —
// and feasibility — with one worker than with two: 8,464 of 41,472 rows of a fleet grid,
// 58 of them feasible with two workers and out_of_memory with one. Each point evaluated
// alone by one reused evaluator must match the batch evaluated whole by a fresh one.
func TestFleetMemoryFollowsCheckpointingInEveryBatch(t *testing.T) {
	src := "version: 1\nstudy: fleet\nprofile: calibrated\nfixed:\n  cluster: Training_512_H100\n  nodes: 2\n" +
		"  batch_size: 16\n  seq_len: 4096\n  tp: 8\naxes:\n  model: [Llama3_8B, Mixtral_8x7B]\n" +
		"  activation_checkpointing: [none, full, selective, linear_outputs]\n"
	p := mustPlan(t, src)
	_, all, _ := wholeAndAlone(t, p)
	// The batch itself: full recomputation keeps less than none.
	act := all.F64[slices.IndexFunc(p.Study.Columns, func(c Column) bool { return c.Name == "activations_gb" })]
	if !(act[1] < act[0]) {
		t.Errorf("Llama3_8B activations: full %v GB, none %v GB; want full < none", act[1], act[0])
	}
}
