package sweep

import "github.com/mlsysim/mlsysim/kernel"

// The orchestration study: jobs queueing for a shared cluster, each holding it for
// a fixed time (kernel.Orchestration, M/D/1, wall 16). The seed's model does not
// use the cluster's size; the cluster names the fleet the jobs share.
func init() {
	register(&Study{
		Name:      "orchestration",
		Doc:       "jobs queueing for a shared cluster (M/D/1): utilisation, mean wait and queue length (physics.md §7.9)",
		Objective: Objective{Column: "avg_wait_days", Minimize: true},
		Params: []Param{
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters) the jobs share"},
			{Name: "arrival_rate_jobs_per_day", Kind: KindFloat, Min: 0, Max: MaxJobsPerDay, Unit: "1/d", Doc: "jobs submitted per day λ (Poisson)"},
			{Name: "avg_job_duration_days", Kind: KindFloat, Min: 0, MinOpen: true, Max: MaxDays, Unit: "d", Doc: "days each job holds the cluster D (deterministic)"},
		},
		Columns: []Column{
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "total_accelerators", Doc: "nodes × accelerators per node (not used by the queue)"},
			{Name: "cluster_utilization", Doc: "ρ = λ·D"},
			{Name: "avg_wait_days", Unit: "d", Doc: "mean time in queue ρ·D / (2(1 − ρ)) (+Inf when unstable)"},
			{Name: "avg_queue_length", Doc: "mean jobs waiting ρ² / (2(1 − ρ)) (+Inf when unstable)"},
			{Name: "stable", Type: Bool, Doc: "the queue keeps up: ρ < 1"},
			wallPass(16, "multi_tenant", "the queue is stable: ρ < 1"),
			wallSlack(16, "multi_tenant", "1 − ρ"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: newOrchestrationEval,
	})
}

type orchCluster struct {
	hwCode       int
	accelerators float64
}

type orchestrationEval struct {
	st       *Study
	clusters []orchCluster
	in       kernel.OrchIn
	out      kernel.OrchOut
}

func newOrchestrationEval(p *Plan) evaluator {
	e := &orchestrationEval{st: p.Study}
	keys := fleetAccelerators(p)
	for _, c := range p.Clusters {
		n, _ := p.Catalog.NodeByKey(c.Node)
		e.clusters = append(e.clusters, orchCluster{hwCode: indexOf(keys, n.Accelerator), accelerators: float64(c.Nodes * n.AcceleratorsPerNode)})
	}
	return e
}

func (e *orchestrationEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	cc := c.get("cluster")
	in := &e.in
	in.ArrivalRate = grow(in.ArrivalRate, n)
	in.JobDuration = grow(in.JobDuration, n)
	scaleInto(in.ArrivalRate, c.get("arrival_rate_jobs_per_day"), 1.0/86400)
	scaleInto(in.JobDuration, c.get("avg_job_duration_days"), 86400)
	kernel.Orchestration(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("cluster_utilization"), out.Utilization)
	scaleInto(w.f("avg_wait_days"), out.Wait, 1.0/86400)
	copy(w.f("avg_queue_length"), out.QueueLength)
	copy(w.b("stable"), out.Stable)
	copy(w.b("wall_16_multi_tenant_pass"), out.Stable)
	hw, total, slack := w.c("hardware"), w.f("total_accelerators"), w.f("wall_16_multi_tenant_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		hw[k], total[k] = uint8(cl.hwCode), cl.accelerators
		slack[k] = 1 - out.Utilization[k]
		feas[k], reason[k], binding[k] = out.Stable[k], reasonNone, wallMultiTenant
		if !out.Stable[k] {
			reason[k] = reasonUnstable
		}
	}
}
