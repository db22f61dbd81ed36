package sweep

import (
	"fmt"
	"math"
	"slices"

	"github.com/mlsysim/mlsysim/kernel"
)

// The reliability study: failures during a training job on a catalog cluster and the cost
// of the checkpoints that bound the work a failure loses. Under seed, the seed's models
// (kernel.FleetReliability: component lifetimes, a stated checkpoint and recovery time;
// kernel.Checkpoint: the model gives the checkpoint size, the cluster's accelerator the
// storage bandwidth per writer). Under calibrated, the fleet study's whole-run term
// (kernel.TrainingGoodput through goodputOf, with the same parameters: node failures per
// node-day, restart, work redone, blocking writes at a per-node bandwidth), so the two
// studies give one job the same goodput, failure rate and interval.
func init() {
	register(&Study{
		Name:      "reliability",
		Doc:       "failures of a training job on a cluster and the checkpoints that bound them: MTBF, failure probability, Young interval, goodput, checkpoint size and write time (calibrated: the fleet study's whole-run goodput, docs/PHYSICS.md §18.1; seed: component lifetimes and the seed's checkpoint model, §18–19)",
		Objective: Objective{Column: "goodput"},
		Params: append([]Param{
			modelParam,
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters): node type (accelerators, NICs, PSUs) and node count"},
			{Name: "nodes", Kind: KindInt, Default: "0", Min: 0, Doc: "node count; 0 keeps the cluster's"},
			{Name: "job_duration_hours", Kind: KindFloat, Min: 0, MinOpen: true, Max: 24 * MaxDays, Unit: "h", Doc: "wall-clock length of the training job"},
			{Name: "checkpoint_time_s", Kind: KindFloat, Default: "60", Min: 0, Max: MaxSeconds, Unit: "s",
				Doc: "seed: time to write one checkpoint, δ in Young's interval; 0 uses the checkpoint model's write time for this model"},
			{Name: "recovery_time_s", Kind: KindFloat, Default: "300", Min: 0, Max: MaxSeconds, Unit: "s", Doc: "seed: time lost per failure (restart and reload)"},
			{Name: "optimizer", Kind: KindEnum, Default: "adam", Enum: []string{"adam", "adamw", "sgd"},
				Doc: "checkpoint bytes per parameter — seed: 14 for adam, 4 otherwise (adamw too, the seed's rule); calibrated: adam and adamw keep mixed-precision Adam's 14 (10 with bf16 moments), sgd is refused"},
			{Name: "checkpoint_interval_hours", Kind: KindFloat, Default: "4", Min: 0, Max: MaxDays * 24, Unit: "h",
				Doc: "seed: time between checkpoints for the write penalty; 0 uses Young's optimum √(2·δ·MTBF_fleet)"},
			{Name: "writers", Kind: KindInt, Default: "1", Min: 1, Doc: "seed: parallel checkpoint writers"},
			{Name: "filesystem_limit_gb_per_s", Kind: KindFloat, Default: "500", Min: MinGBPerSecond, Max: MaxGBPerSecond, Unit: "GB/s", Doc: "seed: aggregate bandwidth the file system accepts"},
			{Name: "optimizer_state_precision", Kind: KindEnum, Default: "fp32", Enum: []string{"fp32", "bf16"},
				Doc: "calibrated: the precision of Adam's two moments in the checkpoint, as the fleet study's — fp32 (14 bytes a parameter with 16-bit weights and the FP32 master copy) or bf16 (10)"},
		}, goodputParams...),
		Columns: []Column{
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "total_accelerators", Doc: "nodes × accelerators per node"},
			{Name: "node_mtbf_h", Unit: "h", Doc: "seed: node MTBF from its GPUs (50 000 h), NICs (150 000 h) and PSUs (100 000 h) in series; calibrated: 24,000 / node_failures_per_1000_node_days (0, none, when the job never fails: this, fleet_mtbf_h and optimal_checkpoint_interval_s)"},
			{Name: "fleet_mtbf_h", Unit: "h", Doc: "the job's MTBF: node MTBF / nodes (independent failures; calibrated: 24 / the fleet study's job_failures_per_day)"},
			{Name: "failure_probability", Doc: "P(at least one failure during the job) = 1 − e^(−T/MTBF_fleet)"},
			{Name: "expected_failures", Doc: "job duration / fleet MTBF"},
			{Name: "optimal_checkpoint_interval_s", Unit: "s", Doc: "Young's interval √(2·δ·MTBF_fleet)"},
			{Name: "goodput", Doc: "useful share of wall-clock time — seed: max(0, 1 − δ/τ − recovery/MTBF_fleet); calibrated: the fleet study's goodput for a job of job_duration_hours, max(0, 1 − n·δ/T − (L + restart)/MTBF_fleet) with n = ⌊T/τ⌋ writes and L = (n·τ²/2 + r²/2)/T the work a failure redoes, r = T − n·τ (τ/2 when T ≫ τ, T/2 when τ > T; docs/PHYSICS.md §18.1)"},
			{Name: "checkpoint_gb", Unit: "GB", Doc: "checkpoint size: parameters × bytes per parameter"},
			{Name: "checkpoint_write_s", Unit: "s", Doc: "seed: size / min(storage bandwidth × writers, file-system limit); calibrated: the blocking write, size / (nodes × checkpoint_write_gb_per_s_per_node)"},
			{Name: "storage_gb_per_s", Unit: "GB/s", Doc: "seed: storage bandwidth per writer (the accelerator's, 1 GB/s when it states none; the seed's max_bandwidth_required); calibrated: the job's write bandwidth, nodes × checkpoint_write_gb_per_s_per_node"},
			{Name: "checkpoint_time_used_s", Unit: "s", Doc: "δ the reliability model used — seed: checkpoint_time_s, or the write time when that is 0; calibrated: the write time"},
			{Name: "checkpoint_interval_s", Unit: "s", Doc: "interval used — seed: checkpoint_interval_hours, or Young's interval when that is 0; calibrated: checkpoint_interval_min, or Young's interval when that is 0"},
			{Name: "checkpoint_penalty", Doc: "share of the time spent writing checkpoints — seed: write time / interval; calibrated: ⌊T/τ⌋ writes over the job, ⌊T/τ⌋·δ/T (δ/τ when the interval divides the job, 0 when it is longer)"},
			{Name: "storage_bound", Type: Bool, Doc: "a checkpoint takes longer than 60 s to write"},
			wallPass(15, "fragility", "failures and checkpoints leave useful time (goodput > 0)"),
			wallSlack(15, "fragility", "goodput: 1 − the share lost to checkpoints and recovery"),
			wallPass(19, "checkpoint", "the writes leave time to train: checkpoint_penalty < 1 (a checkpoint is written within its interval)"),
			wallSlack(19, "checkpoint", "1 − checkpoint_penalty"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if m.Parameters <= 0 {
					return fmt.Errorf("the reliability study sizes checkpoints from the parameter count, but %s states none", m.Key)
				}
			}
			return nil
		},
		checkProfile: func(p *Plan) error {
			if !p.Calibrated() {
				return nil
			}
			if slices.Contains(p.labels("optimizer"), "sgd") {
				return fmt.Errorf("axis optimizer: sgd under the calibrated profile: the reliability study checkpoints mixed-precision Adam's state, as the fleet study does (docs/PHYSICS.md §18.1), and has no sourced size for SGD's; use optimizer adam or adamw, or --profile seed")
			}
			return nil
		},
		newEval: newReliabilityEval,
	})
}

type relCluster struct {
	hwCode                      int
	nodes, gpus, nics, psus, bw float64
}

type reliabilityEval struct {
	st         *Study
	calibrated bool
	params     []float64 // per model code
	clusters   []relCluster
	rel        kernel.FleetRelIn
	relO       kernel.FleetRelOut
	ck         kernel.CheckpointIn
	ckO        kernel.CheckpointOut
}

func newReliabilityEval(p *Plan) evaluator {
	e := &reliabilityEval{st: p.Study, calibrated: p.Calibrated()}
	for _, m := range p.Models {
		e.params = append(e.params, m.Parameters)
	}
	keys := fleetAccelerators(p)
	for _, c := range p.Clusters {
		n, _ := p.Catalog.NodeByKey(c.Node)
		h, _ := p.Catalog.HardwareByKey(n.Accelerator)
		e.clusters = append(e.clusters, relCluster{hwCode: indexOf(keys, n.Accelerator), nodes: float64(c.Nodes),
			gpus: float64(n.AcceleratorsPerNode), nics: float64(n.NICsPerNode), psus: float64(n.PSUsPerNode),
			bw: h.StorageBandwidthBytesPerS})
	}
	return e
}

func (e *reliabilityEval) eval(b *Batch, o *Outputs) {
	if e.calibrated {
		e.evalCalibrated(b, o)
		return
	}
	c := cols{e.st, b}
	n := b.N
	mc, cc, nodesIn := c.get("model"), c.get("cluster"), c.get("nodes")
	opt := c.get("optimizer")
	optP, _, _ := e.st.Param("optimizer")

	ck := &e.ck
	ck.Params = gatherF(ck.Params, mc, e.params)
	ck.BytesPerParam = grow(ck.BytesPerParam, n)
	ck.StorageBandwidth = grow(ck.StorageBandwidth, n)
	ck.FilesystemLimit = grow(ck.FilesystemLimit, n)
	ck.Interval = grow(ck.Interval, n)
	ck.Writers = c.get("writers")
	scaleInto(ck.FilesystemLimit, c.get("filesystem_limit_gb_per_s"), 1e9)
	scaleInto(ck.Interval, c.get("checkpoint_interval_hours"), 3600)
	r := &e.rel
	for _, s := range []*[]float64{&r.Nodes, &r.GPUsPerNode, &r.NICsPerNode, &r.PSUsPerNode, &r.JobDuration, &r.CheckpointTime} {
		*s = grow(*s, n)
	}
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		ck.BytesPerParam[k] = kernel.CheckpointBytesPerParamFor(optP.Enum[int(opt[k])])
		ck.StorageBandwidth[k] = cl.bw
		r.Nodes[k] = cl.nodes
		if nodesIn[k] > 0 {
			r.Nodes[k] = nodesIn[k]
		}
		r.GPUsPerNode[k], r.NICsPerNode[k], r.PSUsPerNode[k] = cl.gpus, cl.nics, cl.psus
	}
	// First the write time (the penalty is redone below once the interval is known).
	kernel.Checkpoint(&e.ckO, ck)

	delta := c.get("checkpoint_time_s")
	scaleInto(r.JobDuration, c.get("job_duration_hours"), 3600)
	for k := 0; k < n; k++ {
		r.CheckpointTime[k] = delta[k]
		if delta[k] == 0 {
			r.CheckpointTime[k] = e.ckO.WriteTime[k]
		}
	}
	r.RecoveryTime = c.get("recovery_time_s")
	kernel.FleetReliability(&e.relO, r)

	for k := 0; k < n; k++ {
		if ck.Interval[k] == 0 {
			ck.Interval[k] = e.relO.CheckpointInterval[k]
		}
	}
	kernel.Checkpoint(&e.ckO, ck)

	rel, cko := &e.relO, &e.ckO
	w := outs{e.st, o}
	scaleInto(w.f("node_mtbf_h"), rel.NodeMTBF, 1.0/3600)
	scaleInto(w.f("fleet_mtbf_h"), rel.FleetMTBF, 1.0/3600)
	copy(w.f("failure_probability"), rel.FailureProbability)
	copy(w.f("expected_failures"), rel.ExpectedFailures)
	copy(w.f("optimal_checkpoint_interval_s"), rel.CheckpointInterval)
	copy(w.f("goodput"), rel.Goodput)
	scaleInto(w.f("checkpoint_gb"), cko.Size, 1e-9)
	copy(w.f("checkpoint_write_s"), cko.WriteTime)
	scaleInto(w.f("storage_gb_per_s"), cko.BandwidthRequired, 1e-9)
	copy(w.f("checkpoint_time_used_s"), r.CheckpointTime)
	copy(w.f("checkpoint_interval_s"), ck.Interval)
	copy(w.f("checkpoint_penalty"), cko.MFUPenalty)
	copy(w.b("storage_bound"), cko.StorageBound)
	e.walls(w, cc, r.Nodes, rel.Goodput, cko.MFUPenalty)
}

// walls writes the cluster's accelerator and count and walls 15 (goodput > 0) and 19 (a
// checkpoint written within its interval), with feasibility and the binding wall. The
// seed's goodput leaves the write penalty out, so a point failing both is refused for its
// goodput, as the seed did; the calibrated goodput counts the writes (goodput ≤ 1 − δ/τ),
// so a checkpoint longer than its interval also leaves no goodput and is named as the cause.
func (e *reliabilityEval) walls(w outs, cc, nodes, goodput, penalty []float64) {
	copy(w.f("wall_15_fragility_slack"), goodput)
	hw, total := w.c("hardware"), w.f("total_accelerators")
	p15, p19, s19 := w.b("wall_15_fragility_pass"), w.b("wall_19_checkpoint_pass"), w.f("wall_19_checkpoint_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := range goodput {
		cl := &e.clusters[int(cc[k])]
		hw[k] = uint8(cl.hwCode)
		total[k] = nodes[k] * cl.gpus
		p15[k] = goodput[k] > 0
		p19[k] = penalty[k] < 1
		s19[k] = 1 - penalty[k]
		switch {
		case !p15[k] && (p19[k] || !e.calibrated):
			feas[k], reason[k], binding[k] = false, reasonNoGoodput, wallFragility
		case !p19[k]:
			feas[k], reason[k], binding[k] = false, reasonCheckpointLong, wallCheckpoint
		default:
			feas[k], reason[k] = true, reasonNone
			// The larger loss binds: time lost to failures and checkpoints, or writing them.
			binding[k] = wallFragility
			if penalty[k] > 1-goodput[k] {
				binding[k] = wallCheckpoint
			}
		}
	}
}

// evalCalibrated prices each point's job with the fleet study's whole-run term
// (goodputOf → kernel.TrainingGoodput, docs/PHYSICS.md §18.1): the job's MTBF is
// 1/(nodes · r_f), δ the blocking write of mixed-precision Adam's state at the nodes'
// write bandwidth, τ checkpoint_interval_min or Young's; the job does job_duration_hours of
// work (first order: its wall-clock length), writes after each whole interval of it and a
// failure redoes the work since the last write besides the restart (half an interval when
// the job is many intervals long, half the job when the interval is longer than it).
// checkpoint_penalty is the share of time writing. The seed's component lifetimes, checkpoint_time_s,
// recovery_time_s, checkpoint_interval_hours, writers and file-system limit are not read.
func (e *reliabilityEval) evalCalibrated(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, cc, nodesIn, osp := c.get("model"), c.get("cluster"), c.get("nodes"), c.get("optimizer_state_precision")
	rf, restart := c.get("node_failures_per_1000_node_days"), c.get("restart_min")
	bw, interval := c.get("checkpoint_write_gb_per_s_per_node"), c.get("checkpoint_interval_min")
	hours := c.get("job_duration_hours")
	r := &e.rel
	r.Nodes = grow(r.Nodes, n)
	w := outs{e.st, o}
	nodeH, fleetH, pFail, expected := w.f("node_mtbf_h"), w.f("fleet_mtbf_h"), w.f("failure_probability"), w.f("expected_failures")
	young, gb, write, storage := w.f("optimal_checkpoint_interval_s"), w.f("checkpoint_gb"), w.f("checkpoint_write_s"), w.f("storage_gb_per_s")
	used, tau, pen, bound := w.f("checkpoint_time_used_s"), w.f("checkpoint_interval_s"), w.f("checkpoint_penalty"), w.b("storage_bound")
	goodput := w.f("goodput")
	for k := 0; k < n; k++ {
		nodes := e.clusters[int(cc[k])].nodes
		if nodesIn[k] > 0 {
			nodes = nodesIn[k]
		}
		r.Nodes[k] = nodes
		job := hours[k] * 3600
		bytes, g := goodputOf(nodes, e.params[int(mc[k])], osp[k] == 1 /* bf16 moments */, rf[k], restart[k], bw[k], interval[k], job)
		nodeH[k], fleetH[k] = 1000*24/rf[k], g.MTBF/3600
		pFail[k] = kernel.FailureProbability(job, g.MTBF)
		expected[k] = job / g.MTBF
		young[k] = kernel.YoungInterval(g.WriteS, g.MTBF)
		if math.IsInf(nodeH[k], 1) || math.IsInf(g.MTBF, 1) {
			// A job that never fails (r_f 0, or too small to count): no MTBF or Young
			// interval to report, written 0 ("none") as the fleet study's interval is.
			nodeH[k], fleetH[k], pFail[k], expected[k], young[k] = 0, 0, 0, 0, 0
		}
		gb[k], write[k], storage[k] = bytes*1e-9, g.WriteS, nodes*bw[k]
		used[k], tau[k] = g.WriteS, g.IntervalS
		pen[k] = g.WriteShare // 0 when no checkpoint is written (no interval, or one past the job)
		bound[k] = g.WriteS > kernel.StorageBottleneckS
		goodput[k] = g.Goodput
	}
	e.walls(w, cc, r.Nodes, goodput, pen)
}
