package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

// The reliability study: failures during a training job on a catalog cluster
// (kernel.FleetReliability) and the cost of the checkpoints that bound the work a
// failure loses (kernel.Checkpoint; the model gives the checkpoint size, the
// cluster's accelerator the storage bandwidth per writer).
func init() {
	register(&Study{
		Name:      "reliability",
		Doc:       "failures of a training job on a cluster and the checkpoints that bound them: MTBF, failure probability, Young interval, goodput, checkpoint size and write time (physics.md §7.6, §7.7)",
		Objective: Objective{Column: "goodput"},
		Params: []Param{
			modelParam,
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters): node type (accelerators, NICs, PSUs) and node count"},
			{Name: "nodes", Kind: KindInt, Default: "0", Min: 0, Doc: "node count; 0 keeps the cluster's"},
			{Name: "job_duration_hours", Kind: KindFloat, Min: 0, MinOpen: true, Max: 24 * MaxDays, Unit: "h", Doc: "wall-clock length of the training job"},
			{Name: "checkpoint_time_s", Kind: KindFloat, Default: "60", Min: 0, Max: MaxSeconds, Unit: "s",
				Doc: "time to write one checkpoint, δ in Young's interval; 0 uses the checkpoint model's write time for this model"},
			{Name: "recovery_time_s", Kind: KindFloat, Default: "300", Min: 0, Max: MaxSeconds, Unit: "s", Doc: "time lost per failure (restart and reload)"},
			{Name: "optimizer", Kind: KindEnum, Default: "adam", Enum: []string{"adam", "adamw", "sgd"},
				Doc: "checkpoint bytes per parameter: 14 for adam, 4 otherwise (adamw too, the seed's rule)"},
			{Name: "checkpoint_interval_hours", Kind: KindFloat, Default: "4", Min: 0, Max: MaxDays * 24, Unit: "h",
				Doc: "time between checkpoints for the write penalty; 0 uses Young's optimum √(2·δ·MTBF_fleet)"},
			{Name: "writers", Kind: KindInt, Default: "1", Min: 1, Doc: "parallel checkpoint writers"},
			{Name: "filesystem_limit_gb_per_s", Kind: KindFloat, Default: "500", Min: MinGBPerSecond, Max: MaxGBPerSecond, Unit: "GB/s", Doc: "aggregate bandwidth the file system accepts"},
		},
		Columns: []Column{
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "total_accelerators", Doc: "nodes × accelerators per node"},
			{Name: "node_mtbf_h", Unit: "h", Doc: "node MTBF from its GPUs (50 000 h), NICs (150 000 h) and PSUs (100 000 h) in series"},
			{Name: "fleet_mtbf_h", Unit: "h", Doc: "node MTBF / nodes (independent failures)"},
			{Name: "failure_probability", Doc: "P(at least one failure during the job) = 1 − e^(−T/MTBF_fleet)"},
			{Name: "expected_failures", Doc: "job duration / fleet MTBF"},
			{Name: "optimal_checkpoint_interval_s", Unit: "s", Doc: "Young's interval √(2·δ·MTBF_fleet)"},
			{Name: "goodput", Doc: "useful share of wall-clock time: max(0, 1 − δ/τ − recovery/MTBF_fleet)"},
			{Name: "checkpoint_gb", Unit: "GB", Doc: "checkpoint size: parameters × bytes per parameter"},
			{Name: "checkpoint_write_s", Unit: "s", Doc: "size / min(storage bandwidth × writers, file-system limit)"},
			{Name: "storage_gb_per_s", Unit: "GB/s", Doc: "storage bandwidth per writer (the accelerator's, 1 GB/s when it states none; the seed's max_bandwidth_required)"},
			{Name: "checkpoint_time_used_s", Unit: "s", Doc: "δ the reliability model used: checkpoint_time_s, or the write time when that is 0"},
			{Name: "checkpoint_interval_s", Unit: "s", Doc: "interval the penalty used: checkpoint_interval_hours, or Young's interval when that is 0"},
			{Name: "checkpoint_penalty", Doc: "write time / interval: share of the time spent writing checkpoints"},
			{Name: "storage_bound", Type: Bool, Doc: "a checkpoint takes longer than 60 s to write"},
			wallPass(15, "fragility", "failures and checkpoints leave useful time (goodput > 0)"),
			wallSlack(15, "fragility", "goodput: 1 − the share lost to checkpoints and recovery"),
			wallPass(19, "checkpoint", "a checkpoint is written within its interval"),
			wallSlack(19, "checkpoint", "1 − write time / interval"),
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
		newEval: newReliabilityEval,
	})
}

type relCluster struct {
	hwCode                      int
	nodes, gpus, nics, psus, bw float64
}

type reliabilityEval struct {
	st       *Study
	params   []float64 // per model code
	clusters []relCluster
	rel      kernel.FleetRelIn
	relO     kernel.FleetRelOut
	ck       kernel.CheckpointIn
	ckO      kernel.CheckpointOut
}

func newReliabilityEval(p *Plan) evaluator {
	e := &reliabilityEval{st: p.Study}
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
	copy(w.f("wall_15_fragility_slack"), rel.Goodput)
	hw, total := w.c("hardware"), w.f("total_accelerators")
	p15, p19, s19 := w.b("wall_15_fragility_pass"), w.b("wall_19_checkpoint_pass"), w.f("wall_19_checkpoint_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		hw[k] = uint8(cl.hwCode)
		total[k] = r.Nodes[k] * cl.gpus
		p15[k] = rel.Goodput[k] > 0
		p19[k] = cko.MFUPenalty[k] < 1
		s19[k] = 1 - cko.MFUPenalty[k]
		switch {
		case !p15[k]:
			feas[k], reason[k], binding[k] = false, reasonNoGoodput, wallFragility
		case !p19[k]:
			feas[k], reason[k], binding[k] = false, reasonCheckpointLong, wallCheckpoint
		default:
			feas[k], reason[k] = true, reasonNone
			// The larger loss binds: time lost to failures and checkpoints, or writing them.
			binding[k] = wallFragility
			if cko.MFUPenalty[k] > 1-rel.Goodput[k] {
				binding[k] = wallCheckpoint
			}
		}
	}
}
