package sweep

import "github.com/mlsysim/mlsysim/kernel"

// The calibrated whole-run reliability term (kernel.TrainingGoodput, docs/PHYSICS.md §18.1)
// is read by two studies: the fleet study (a run's elapsed time = steady-state time /
// goodput) and the reliability study under calibrated. Both declare the same parameters
// (goodputParams) and price a point through goodputOf, so the two answer "what share of
// this job's time do failures and checkpoints take?" alike (TestReliabilityMatchesFleet).
var goodputParams = []Param{
	{Name: "node_failures_per_1000_node_days", Kind: KindFloat, Default: "6.5", Min: 0, Max: 1e6, Unit: "1/(1000 node-days)",
		Doc: "calibrated: failures a node causes the job per 1,000 node-days (Kokolis et al. 2024, Meta's RSC-1 of 8-GPU A100 nodes: 6.5); 0: the job never fails (docs/PHYSICS.md §18.1)"},
	{Name: "restart_min", Kind: KindFloat, Default: "5", Min: 0, Max: 1440 * MaxDays, Unit: "min",
		Doc: "calibrated: time a failure costs before training resumes, besides the work redone (Kokolis et al. 2024: 5–20 min, 5 where their expected ETTR meets measured jobs)"},
	{Name: "checkpoint_write_gb_per_s_per_node", Kind: KindFloat, Default: "0.234375", Min: 1e-3, Max: 1e6, Unit: "GB/s",
		Doc: "calibrated: a node's share of the write bandwidth to shared storage, for the blocking checkpoint write (NVIDIA DGX SuperPOD RA, DGX H100, Table 6, \"Good\": 30 GB/s per 128 nodes)"},
	{Name: "checkpoint_interval_min", Kind: KindFloat, Default: "0", Min: 0, Max: 1440 * MaxDays, Unit: "min",
		Doc: "calibrated: time between checkpoints; 0 uses Young's optimum √(2·write time·job MTBF)"},
}

// goodputParamNames are goodputParams' names, for the notes on a grid that sets them where
// nothing reads them.
var goodputParamNames = func() []string {
	var out []string
	for _, p := range goodputParams {
		out = append(out, p.Name)
	}
	return out
}()

// goodputOf prices one job: nodes and parameters, its Adam moments in BF16 or not
// (optimizer_state_precision), goodputParams' values in their units (failures per 1,000
// node-days, minutes, GB/s a node) and the job's useful work in seconds (0: unknown, the
// steady-state rates of a run that never ends). It returns the checkpoint's bytes and the
// outcome.
func goodputOf(nodes, params float64, bf16Moments bool, failuresPer1000NodeDays, restartMin, writeGBPerSPerNode, intervalMin, workS float64) (bytes float64, g kernel.GoodputOut) {
	perParam := kernel.CheckpointBytesPerParamMixedAdam
	if bf16Moments {
		perParam = kernel.CheckpointBytesPerParamMixedAdamBF16Moments
	}
	bytes = params * perParam
	return bytes, kernel.TrainingGoodput(kernel.GoodputIn{Nodes: nodes, FailuresPerNodeS: failuresPer1000NodeDays / 1000 / 86400,
		CheckpointBytes: bytes, WriteBytesPerSNode: writeGBPerSPerNode * 1e9, RestartS: restartMin * 60, IntervalS: intervalMin * 60, WorkS: workS})
}
