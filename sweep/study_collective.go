package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

// The collective study: one NCCL collective on a catalog cluster, priced as the
// calibrated training step prices its TP/CP/EP/DP collectives (kernel.GroupLink,
// kernel.CollectiveTime; docs/PHYSICS.md §35), reported as nccl-tests reports it
// (time, algorithm and bus bandwidth), so the fabric model meets published nccl-tests
// results directly. Ours, not the seed's. Under the calibrated profile an all-reduce
// inside one node whose NVSwitch reduces in the switch takes NCCL's NVLS where it is
// faster than the ring (kernel.RingOrNVLSAllReduce, docs/PHYSICS.md §35 "NVLink
// SHARP"); the seed profile prices the ring only.
func init() {
	register(&Study{
		Name: "collective",
		Doc:  "one NCCL collective on a catalog cluster, as nccl-tests reports it: time, algorithm (ring, or NVLS for a calibrated all-reduce on an NVSwitch node) and bus bandwidth (docs/PHYSICS.md §35)",
		Params: []Param{
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters): accelerators per node and their links"},
			{Name: "nodes", Kind: KindInt, Default: "0", Min: 0, Doc: "node count; 0 keeps the cluster's"},
			{Name: "fabric", Kind: KindFabric, Default: DefaultFabric, Doc: "catalog fabric key; default keeps the cluster's"},
			{Name: "collective", Kind: KindEnum, Default: "all_reduce", Enum: []string{"all_reduce", "all_gather", "reduce_scatter", "all_to_all"},
				Doc: "the operation (kernel.Collective's order)"},
			{Name: "message_bytes", Kind: KindFloat, Default: "1073741824", Min: 1, Max: 1 << 50, Unit: "bytes",
				Doc: "the whole buffer, as nccl-tests' size: the all-reduce's input, the all-gather's output, the reduce-scatter's input, one rank's all-to-all send; at most 2^50 (1 PiB)"},
			{Name: "ranks", Kind: KindInt, Default: "0", Min: 0, Doc: "ranks in the ring, consecutive on the nodes; 0 = every accelerator of the nodes"},
		},
		Columns: []Column{
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "ranks_total", Doc: "ranks in the ring"},
			{Name: "ranks_per_node", Doc: "ranks of the ring on one node"},
			{Name: "algorithm", Type: Enum, Labels: collectiveAlgorithms, Doc: "the algorithm priced: ring, or nvls (NVLink SHARP: calibrated, an all-reduce of more than two ranks inside one node whose scale-up link reduces in the switch, where it is faster than the ring)"},
			{Name: "time_us", Unit: "µs", Doc: "ring: NCCL base latency + steps · mean hop latency + steps/n · buffer / bus bandwidth; nvls: 23 µs + buffer / (5/6 · n/(n+1) · scale-up bus bandwidth)"},
			{Name: "algbw_gb_per_s", Unit: "GB/s", Doc: "buffer / time (nccl-tests algbw)"},
			{Name: "busbw_gb_per_s", Unit: "GB/s", Doc: "algbw × 2(n−1)/n (all-reduce) or (n−1)/n (nccl-tests busbw)"},
			{Name: "link_bus_gb_per_s", Unit: "GB/s", Doc: "the ring's bus rate: the scale-up link's inside a node, min(k·NIC, k/(k−1)·scale-up) across nodes with k ranks per node"},
			wallSlack(14, "communication", "busbw / link_bus_gb_per_s: the share of the time the ring moves data at the link's rate (1 − latency terms / time); above 1 under NVLS, which moves less per rank than a ring"),
			colBindingWall,
			colFeasible, colReason,
		},
		Objective: Objective{Column: "busbw_gb_per_s"},
		newEval: func(p *Plan) evaluator {
			_, clusters, fabrics := clusterTables(p)
			return &collectiveEval{st: p.Study, clusters: clusters, fabrics: fabrics}
		},
	})
}

// collectiveAlgorithms are the algorithm column's labels.
var collectiveAlgorithms = []string{"ring", "nvls"}

type collectiveEval struct {
	st                *Study
	clusters, fabrics []fleetCluster
}

func (e *collectiveEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	cc, fc, nodesIn, coll, size, ranksIn := c.get("cluster"), c.get("fabric"), c.get("nodes"), c.get("collective"), c.get("message_bytes"), c.get("ranks")
	w := outs{e.st, o}
	algo := w.c("algorithm")
	hw, total, perNode, tus, alg, bus, link := w.c("hardware"), w.f("ranks_total"), w.f("ranks_per_node"), w.f("time_us"),
		w.f("algbw_gb_per_s"), w.f("busbw_gb_per_s"), w.f("link_bus_gb_per_s")
	slack, binding, feas, reason := w.f("wall_14_communication_slack"), w.c("binding_wall"), w.b("feasible"), w.c("infeasible_reason")
	for k := 0; k < b.N; k++ {
		cl := &e.clusters[int(cc[k])]
		hw[k] = uint8(cl.hwCode)
		nodes := cl.nodes
		if nodesIn[k] > 0 {
			nodes = nodesIn[k]
		}
		accels := nodes * cl.perNode
		n := ranksIn[k]
		if n == 0 {
			n = accels
		}
		interBus := cl.interBus(&e.fabrics[int(fc[k])])
		total[k], perNode[k] = n, math.Min(n, cl.perNode)
		binding[k] = wallCommunication
		algo[k] = 0
		if n > accels {
			feas[k], reason[k] = false, reasonOverLimit
			tus[k], alg[k], bus[k], link[k], slack[k] = 0, 0, 0, 0, 0
			continue
		}
		feas[k], reason[k] = true, reasonNone
		op := kernel.Collective(coll[k])
		linkOf := kernel.GroupLink
		if op == kernel.CollAllToAll {
			// Every rank's off-node share leaves at its own NIC's rate (docs/PHYSICS.md §35,
			// "Expert parallelism"), not a ring's k NICs.
			linkOf = kernel.AllToAllLink
		}
		lb, hop := linkOf(1, n, cl.perNode, cl.intraBus, cl.intraHop, interBus, kernel.NCCLHopNetS)
		t := kernel.CollectiveTime(op, size[k], n, lb, hop)
		if op == kernel.CollAllReduce && n <= cl.perNode && kernel.NVLSEnabled(n, cl.nvls) {
			// NCCL's tuner takes the algorithm of least modelled time; NVLS, once chosen,
			// runs as its pipeline does (docs/PHYSICS.md §35, "NVLink SHARP").
			if kernel.NVLSAllReduce(size[k], n, lb) < t {
				t, algo[k] = kernel.NVLSAllReduceRun(size[k], n, lb), 1
			}
		}
		link[k] = lb * 1e-9
		tus[k], alg[k], bus[k], slack[k] = 0, 0, 0, 1
		if t > 0 {
			tus[k] = t * 1e6
			alg[k] = size[k] / t * 1e-9
			bus[k] = alg[k] * kernel.BusBandwidthFactor(op, n)
			slack[k] = bus[k] / link[k]
		}
	}
}
