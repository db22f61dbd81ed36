package sweep

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// The fleet study: a training step of one model on a cluster with a TP×PP×DP×EP
// split (kernel.Distributed on top of kernel.SingleNode), the per-accelerator
// memory of that split (kernel.TrainingMemory), and the operations lens for a run
// of duration_days in a region (kernel.Sustainability, kernel.Economics).
func init() {
	fl := func(name, def string, min float64, doc string) Param {
		return Param{Name: name, Kind: KindFloat, Default: def, Min: min, Doc: doc}
	}
	in := func(name, def string, min float64, doc string) Param {
		return Param{Name: name, Kind: KindInt, Default: def, Min: min, Doc: doc}
	}
	register(&Study{
		Name: "fleet",
		Doc:  "distributed training step, memory, energy, carbon and TCO of a model on a cluster (physics.md §7.2, §7.1, §8.1, §8.2)",
		Params: []Param{
			modelParam,
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters): node type, node count, fabric"},
			in("nodes", "0", 0, "node count; 0 keeps the cluster's"),
			{Name: "fabric", Kind: KindFabric, Default: DefaultFabric, Doc: "catalog fabric key; default keeps the cluster's"},
			precisionParam,
			effParam,
			in("batch_size", "1", 1, "global batch in samples (sequences)"),
			{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Unit: "tokens", Doc: "sequence length in tokens"},
			in("tp", "1", 1, "tensor-parallel degree"),
			in("pp", "1", 1, "pipeline-parallel degree"),
			in("ep", "1", 1, "expert-parallel degree"),
			in("microbatches", "1", 1, "pipeline microbatches per step"),
			in("virtual_stages", "1", 1, "interleaved pipeline stages per device"),
			{Name: "zero_stage", Kind: KindInt, Default: "0", Min: 0, Max: 3, Doc: "ZeRO stage 0–3"},
			in("gradient_accumulation_steps", "1", 1, "microbatches accumulated per optimizer step"),
			{Name: "activation_recomputation", Kind: KindBool, Default: "false", Doc: "recompute activations (+1 forward; full checkpointing in the memory model)"},
			{Name: "lora", Kind: KindBool, Default: "false", Doc: "LoRA fine-tuning"},
			{Name: "overlap", Kind: KindBool, Default: "false", Doc: "overlap the DP all-reduce with compute"},
			{Name: "overlap_efficiency", Kind: KindFloat, Default: "0.85", Min: 0, Max: 1, Doc: "share of the DP all-reduce hidden when overlapped"},
			fl("congestion", "1", 1, "multiplier on collective times (≥ 1)"),
			fl("straggler", "1", 1, "multiplier on the step for the slowest rank (≥ 1)"),
			fl("moe_imbalance", "1", 1, "MoE routing imbalance γ on expert-parallel traffic (≥ 1)"),
			{Name: "region", Kind: KindRegion, Default: "US_Avg", Doc: "grid region (mlsysim zoo regions): carbon intensity, PUE, water"},
			fl("pue_override", "0", 0, "power usage effectiveness; 0 uses the region's"),
			{Name: "energy_utilization", Kind: KindFloat, Default: "-1", Min: -1, Max: 1,
				Doc: "utilisation that sets power between 30 % and 100 % of TDP; -1 uses the fleet's MFU (the seed's placement optimizer passes the plan's efficiency)"},
			{Name: "duration_days", Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: MaxDays, Unit: "d", Doc: "days the fleet runs (energy, carbon, cost)"},
			{Name: "electricity_usd_per_kwh", Kind: KindFloat, Default: "0.12", Min: 0, Unit: "USD/kWh", Doc: "electricity price (seed: cloud baseline 0.12)"},
			{Name: "unit_cost_usd", Kind: KindFloat, Default: "0", Min: 0, Unit: "USD", Doc: "price per accelerator; 0 uses the catalog's (0 when it states none)"},
			{Name: "amortization_years", Kind: KindFloat, Default: "3", Min: 0, MinOpen: true, Max: MaxDays / 365.25, Unit: "y", Doc: "CapEx amortisation period"},
			fl("infrastructure_multiplier", "1", 0, "CapEx multiplier for servers, network and facility"),
			{Name: "carbon_tax_usd_per_t", Kind: KindFloat, Default: "0", Min: 0, Unit: "USD/tCO2e", Doc: "carbon price added to the objective"},
			{Name: "budget_usd", Kind: KindFloat, Default: "0", Min: 0, Unit: "USD", Doc: "largest TCO for duration_days (wall 17); 0 sets none"},
			{Name: "carbon_budget_kg", Kind: KindFloat, Default: "0", Min: 0, Unit: "kg", Doc: "largest operational carbon for duration_days (wall 18); 0 sets none"},
		},
		Columns: []Column{
			{Name: "total_accelerators", Doc: "nodes × accelerators per node"},
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "dp", Doc: "data-parallel degree: accelerators / (tp·pp·ep)"},
			{Name: "local_batch", Doc: "per-replica batch max(1, batch // dp)"},
			{Name: "node_latency_ms", Unit: "ms", Doc: "per-accelerator step from the single-node roofline (seed Profile B: whole model, local batch)"},
			{Name: "node_offload", Type: Bool, Doc: "that node step did not fit and was priced on the host-link offload path"},
			{Name: "dp_comm_ms", Unit: "ms", Doc: "gradient all-reduce (after congestion and accumulation)"},
			{Name: "tp_comm_ms", Unit: "ms", Doc: "tensor-parallel activation all-reduces, 4 per layer"},
			{Name: "ep_comm_ms", Unit: "ms", Doc: "expert-parallel all-to-all"},
			{Name: "comm_ms", Unit: "ms", Doc: "dp + tp + ep communication (no overlap discount)"},
			{Name: "bubble_ms", Unit: "ms", Doc: "pipeline bubble: node step × bubble fraction"},
			{Name: "bubble_fraction", Doc: "(pp − 1)/(V·M + pp − 1)"},
			{Name: "step_latency_ms", Unit: "ms", Doc: "training step time"},
			{Name: "scaling_efficiency", Doc: "node step / fleet step"},
			{Name: "fleet_throughput_per_s", Unit: "1/s", Doc: "samples per second across the fleet"},
			{Name: "node_mfu", Doc: "MFU of the node step"},
			{Name: "mfu", Doc: "node MFU × scaling efficiency"},
			{Name: "memory_per_accelerator_gb", Unit: "GB", Doc: "training memory of this split per accelerator (§7.1: sharded weights, grads, Adam, activations of min(pp, microbatches) microbatches in flight, buffers)"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory"},
			{Name: "memory_utilization", Doc: "memory per accelerator / capacity"},
			{Name: "pue", Doc: "power usage effectiveness used"},
			{Name: "it_energy_kwh", Unit: "kWh", Doc: "accelerator energy over duration_days (power 30–100 % of TDP by MFU)"},
			{Name: "energy_kwh", Unit: "kWh", Doc: "facility energy: IT × PUE"},
			{Name: "carbon_kg", Unit: "kg", Doc: "operational CO2e: energy × grid carbon intensity"},
			{Name: "water_l", Unit: "L", Doc: "water: energy × WUE"},
			{Name: "capex_usd", Unit: "USD", Doc: "CapEx amortised over the period"},
			{Name: "energy_cost_usd", Unit: "USD", Doc: "electricity for the period"},
			{Name: "maintenance_usd", Unit: "USD", Doc: "5 % of CapEx per year, for the period"},
			{Name: "tco_usd", Unit: "USD", Doc: "capex + energy + maintenance"},
			{Name: "carbon_tax_usd", Unit: "USD", Doc: "carbon tax × tCO2e"},
			{Name: "objective_usd", Unit: "USD", Doc: "TCO + carbon tax (placement objective)"},
			wallSlack(1, "compute", "1 − node compute time / step"),
			wallPass(2, "memory", "the split's training memory fits per accelerator"),
			wallSlack(2, "memory", "1 − memory per accelerator / capacity"),
			wallPass(14, "communication", "tp·pp·ep divides the accelerators"),
			wallSlack(14, "communication", "1 − (communication + bubble) / step, i.e. the scaling efficiency"),
			wallPass(17, "capital", "TCO within budget_usd (always, without a budget)"),
			wallSlack(17, "capital", "1 − TCO / budget_usd (1 without a budget)"),
			wallPass(18, "sustainability", "carbon within carbon_budget_kg (always, without a budget)"),
			wallSlack(18, "sustainability", "1 − carbon / carbon_budget_kg (1 without a budget)"),
			colBindingWall,
			colFeasible, colReason,
		},
		Objective: Objective{Column: "step_latency_ms", Minimize: true},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if !m.Family.IsTransformer() {
					return fmt.Errorf("the fleet study needs a transformer, but %s is not one (family %s)", m.Key, m.Family)
				}
			}
			return nil
		},
		newEval: newFleetEval,
	})
}

// fleetCluster holds a cluster's resolved attributes.
type fleetCluster struct {
	hwCode                    int
	nodes, perNode            float64
	intraBW                   float64
	fabricBW, fabricLat, over float64
}

// fleetAccelerators lists the accelerator keys of the plan's clusters, in
// cluster order without repeats: the labels of the hardware output column.
func fleetAccelerators(p *Plan) []string {
	var keys []string
	for _, c := range p.Clusters {
		n, _ := p.Catalog.NodeByKey(c.Node)
		if indexOf(keys, n.Accelerator) < 0 {
			keys = append(keys, n.Accelerator)
		}
	}
	return keys
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

type fleetEval struct {
	st         *Study
	calibrated bool
	m          *modelTable
	h          *hwTable
	clusters   []fleetCluster
	fabrics    []fleetCluster // per fabric code: fabricBW, fabricLat, over (zero for "default")
	grids      [][3]float64   // per region code: carbon g/kWh, PUE, WUE
	unitCost   []float64      // per hardware code
	embodied   []float64

	node  kernel.NodeIn
	nodeO kernel.NodeOut
	dist  kernel.DistIn
	distO kernel.DistOut
	mem   kernel.TrainMemIn
	memO  kernel.TrainMemOut
	sus   kernel.SustainIn
	susO  kernel.SustainOut
	econ  kernel.EconIn
	econO kernel.EconOut
}

func newFleetEval(p *Plan) evaluator {
	e := &fleetEval{st: p.Study, m: newModelTable(p.Models), calibrated: p.Calibrated()}
	var hws []*catalog.Hardware
	hws, e.clusters, e.fabrics = clusterTables(p)
	for _, h := range hws {
		e.unitCost = append(e.unitCost, h.UnitCostUSD)
		e.embodied = append(e.embodied, h.EmbodiedCarbonKg)
	}
	e.h = newHWTable(hws)
	for _, g := range p.Grids {
		e.grids = append(e.grids, [3]float64{g.CarbonGPerKWh, g.PUE, g.WUELPerKWh})
	}
	return e
}

// clusterTables resolves a plan's clusters and fabric overrides: the clusters'
// accelerators (by hardware code, in fleetAccelerators order), per cluster code
// its sizes and links, and per fabric code the override's links (zero for "default").
func clusterTables(p *Plan) (hws []*catalog.Hardware, clusters, fabrics []fleetCluster) {
	keys := fleetAccelerators(p)
	for _, k := range keys {
		h, _ := p.Catalog.HardwareByKey(k)
		hws = append(hws, h)
	}
	for _, c := range p.Clusters {
		n, _ := p.Catalog.NodeByKey(c.Node)
		f, _ := p.Catalog.FabricByKey(c.Fabric)
		h := hws[indexOf(keys, n.Accelerator)]
		intra := n.IntraNodeBytesPerS
		if intra == 0 {
			// No scale-up link: accelerators in a node talk over the host link, else the fabric.
			intra = f.BytesPerS
			if h.HostLink != nil {
				intra = h.HostLink.PerDirectionBytesPerS()
			}
		}
		clusters = append(clusters, fleetCluster{hwCode: indexOf(keys, n.Accelerator), nodes: float64(c.Nodes),
			perNode: float64(n.AcceleratorsPerNode), intraBW: intra, fabricBW: f.BytesPerS, fabricLat: f.LatencyS, over: f.Oversubscription})
	}
	for _, f := range p.Fabrics {
		fc := fleetCluster{}
		if f != nil {
			fc.fabricBW, fc.fabricLat, fc.over = f.BytesPerS, f.LatencyS, f.Oversubscription
		}
		fabrics = append(fabrics, fc)
	}
	return hws, clusters, fabrics
}

func (e *fleetEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, cc, fc, rc := c.get("model"), c.get("cluster"), c.get("fabric"), c.get("region")
	prec := c.get("precision")
	nodesIn, tp, pp, ep := c.get("nodes"), c.get("tp"), c.get("pp"), c.get("ep")
	batch := c.get("batch_size")

	d := &e.dist
	for _, s := range []*[]float64{&d.Accelerators, &d.PerNode, &d.IntraBW, &d.FabricBW, &d.FabricLatency, &d.Oversubscription,
		&d.WeightBytes, &d.ExpertsPerToken} {
		*s = grow(*s, n)
	}
	nd := &e.node
	nd.Bytes = bytesOf(nd.Bytes, prec)
	for _, s := range []*[]float64{&nd.Ops, &nd.WeightBytes, &nd.PeakFLOPS, &nd.Batch, &nd.DPSize, &nd.MemCapacity,
		&nd.MemBandwidth, &nd.SRAMCapacity, &nd.SRAMBandwidth, &nd.FlashBandwidth, &nd.HostBandwidth, &nd.DispatchTax, &nd.TDP} {
		*s = grow(*s, n)
	}
	nd.IsTransformer = grow(nd.IsTransformer, n)
	nd.Training = grow(nd.Training, n)
	codes := grow(e.econ.UnitCostUSD, n) // scratch: hardware code per point
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		h := cl.hwCode
		codes[k] = float64(h)
		nodes := cl.nodes
		if nodesIn[k] > 0 {
			nodes = nodesIn[k]
		}
		d.Accelerators[k] = nodes * cl.perNode
		d.PerNode[k] = cl.perNode
		d.IntraBW[k] = cl.intraBW
		d.FabricBW[k], d.FabricLatency[k], d.Oversubscription[k] = cl.fabricBW, cl.fabricLat, cl.over
		if f := &e.fabrics[int(fc[k])]; f.fabricBW > 0 {
			d.FabricBW[k], d.FabricLatency[k], d.Oversubscription[k] = f.fabricBW, f.fabricLat, f.over
		}
		m := int(mc[k])
		f := e.m.family[m]
		nd.Ops[k] = kernel.WorkloadOps(f, e.m.inferenceFLOPs[m], e.m.params[m], e.m.active[m], e.m.steps[m])
		nd.WeightBytes[k] = kernel.WeightBytes(f, e.m.params[m], e.m.modelSize[m], nd.Bytes[k])
		d.WeightBytes[k] = nd.WeightBytes[k]
		d.ExpertsPerToken[k] = e.m.expertsPerToken[m]
		nd.IsTransformer[k] = true
		nd.Training[k] = true
		dp, ok := kernel.DataParallel(d.Accelerators[k], tp[k], pp[k], ep[k])
		if !ok {
			dp = 1
		}
		nd.DPSize[k] = dp
		nd.Batch[k] = kernel.LocalBatch(batch[k], dp)
		nd.PeakFLOPS[k] = e.h.peakFor(float64(h), prec[k])
		nd.MemCapacity[k] = e.h.capacity[h]
		nd.MemBandwidth[k] = e.h.bandwidth[h]
		nd.SRAMCapacity[k] = e.h.sramCap[h]
		nd.SRAMBandwidth[k] = e.h.sramBW[h]
		nd.FlashBandwidth[k] = e.h.flashBW[h]
		nd.HostBandwidth[k] = e.h.hostBW[h]
		nd.DispatchTax[k] = e.h.dispatch[h]
		nd.TDP[k] = e.h.tdp[h]
	}
	nd.Params = gatherF(nd.Params, mc, e.m.params)
	nd.Layers = gatherF(nd.Layers, mc, e.m.layers)
	nd.Hidden = gatherF(nd.Hidden, mc, e.m.hidden)
	nd.Heads = gatherF(nd.Heads, mc, e.m.heads)
	nd.Recompute = boolsOf(nd.Recompute, c.get("activation_recomputation"))
	nd.LoRA = boolsOf(nd.LoRA, c.get("lora"))
	nd.ZeROStage = c.get("zero_stage")
	nd.SeqLen = c.get("seq_len")
	nd.Efficiency = c.get("efficiency")
	kernel.SingleNode(&e.nodeO, nd)
	if e.calibrated {
		e.replicaStep(tp, pp, ep)
	}
	d.ProfileC = e.calibrated

	d.NodeLatency, d.NodeThroughput = e.nodeO.Latency, e.nodeO.Throughput
	d.Layers, d.Hidden, d.Bytes = nd.Layers, nd.Hidden, nd.Bytes
	d.Batch, d.SeqLen = batch, nd.SeqLen
	d.TP, d.PP, d.EP = tp, pp, ep
	d.Microbatches, d.VirtualStages = c.get("microbatches"), c.get("virtual_stages")
	d.GradAccum = c.get("gradient_accumulation_steps")
	d.Congestion, d.Straggler, d.Imbalance = c.get("congestion"), c.get("straggler"), c.get("moe_imbalance")
	d.OverlapEfficiency = c.get("overlap_efficiency")
	d.Overlap = boolsOf(d.Overlap, c.get("overlap"))
	d.LoRA = nd.LoRA
	kernel.Distributed(&e.distO, d)

	// Per-accelerator memory of the split (§7.1): full checkpointing when recomputing, else selective.
	mm := &e.mem
	mm.Params, mm.Layers, mm.Hidden, mm.Bytes = nd.Params, nd.Layers, nd.Hidden, nd.Bytes
	mm.Heads = grow(mm.Heads, n)
	mm.OptimizerBytes = grow(mm.OptimizerBytes, n)
	mm.Recompute = grow(mm.Recompute, n)
	mm.DP = grow(mm.DP, n)
	mm.TrainableFraction = grow(mm.TrainableFraction, n)
	mm.CommBufferFraction = grow(mm.CommBufferFraction, n)
	for k := 0; k < n; k++ {
		mm.Heads[k] = nd.Heads[k]
		if mm.Heads[k] == 0 {
			mm.Heads[k] = kernel.DefaultHeads
		}
		mm.OptimizerBytes[k] = kernel.OptimizerBytesAdam
		mm.Recompute[k] = kernel.RecomputeSelective
		if nd.Recompute[k] {
			mm.Recompute[k] = kernel.RecomputeFull
		}
		mm.DP[k] = nd.DPSize[k]
		mm.TrainableFraction[k] = 1
		if nd.LoRA[k] {
			// Adapters on Q, K, V, O: 2·r·h·4L trainable parameters (physics.md §2.1).
			mm.TrainableFraction[k] = math.Min(2*kernel.LoRARank*nd.Hidden[k]*4*nd.Layers[k]/nd.Params[k], 1)
		}
		mm.CommBufferFraction[k] = kernel.DefaultCommBufferFraction
	}
	// A pipeline splits the local batch into microbatches and a 1F1B stage holds
	// min(pp, microbatches) of them in flight (the seed's Profile C composition).
	mm.GradAccum = grow(mm.GradAccum, n)
	for k := 0; k < n; k++ {
		mm.GradAccum[k] = d.GradAccum[k] * d.Microbatches[k]
	}
	mm.Batch, mm.SeqLen, mm.TP, mm.PP, mm.EP = batch, nd.SeqLen, tp, pp, ep
	mm.ZeROStage = nd.ZeROStage
	mm.MemCapacity = nd.MemCapacity
	kernel.TrainingMemory(&e.memO, mm)
	for k := 0; k < n; k++ {
		if inflight := math.Min(pp[k], d.Microbatches[k]); inflight > 1 {
			extra := e.memO.Activations[k] * (inflight - 1)
			e.memO.Activations[k] += extra
			e.memO.Total[k] += extra
			e.memO.Utilization[k] = e.memO.Total[k] / nd.MemCapacity[k]
			e.memO.Feasible[k] = e.memO.Total[k] <= nd.MemCapacity[k]
		}
	}

	// Operations: power follows the fleet's MFU (node MFU × scaling efficiency).
	su := &e.sus
	su.Accelerators, su.Days = d.Accelerators, c.get("duration_days")
	for _, s := range []*[]float64{&su.TDP, &su.Utilization, &su.PUE, &su.CarbonGPerKWh, &su.WUE, &su.EmbodiedKg} {
		*s = grow(*s, n)
	}
	pueIn, utilIn := c.get("pue_override"), c.get("energy_utilization")
	for k := 0; k < n; k++ {
		g := e.grids[int(rc[k])]
		su.TDP[k] = nd.TDP[k]
		su.Utilization[k] = e.nodeO.HFU[k] * e.distO.ScalingEfficiency[k]
		if utilIn[k] >= 0 {
			su.Utilization[k] = utilIn[k]
		}
		su.CarbonGPerKWh[k], su.PUE[k], su.WUE[k] = g[0], g[1], g[2]
		if pueIn[k] > 0 {
			su.PUE[k] = pueIn[k]
		}
		su.EmbodiedKg[k] = 0 // the seed counts no embodied carbon by default
	}
	kernel.Sustainability(&e.susO, su)

	ec := &e.econ
	unitIn := c.get("unit_cost_usd")
	for k := 0; k < n; k++ {
		h := int(codes[k])
		if unitIn[k] == 0 {
			codes[k] = e.unitCost[h]
		} else {
			codes[k] = unitIn[k]
		}
	}
	ec.UnitCostUSD = codes
	ec.Accelerators, ec.Days = d.Accelerators, su.Days
	ec.InfraMultiplier, ec.AmortizationYears = c.get("infrastructure_multiplier"), c.get("amortization_years")
	ec.EnergyKWh, ec.CarbonKg = e.susO.EnergyKWh, e.susO.CarbonKg
	ec.PriceUSDPerKWh, ec.CarbonTaxUSDPerT = c.get("electricity_usd_per_kwh"), c.get("carbon_tax_usd_per_t")
	kernel.Economics(&e.econO, ec)

	w := outs{e.st, o}
	dO, mO := &e.distO, &e.memO
	copy(w.f("total_accelerators"), d.Accelerators)
	copy(w.f("dp"), dO.DP)
	copy(w.f("local_batch"), dO.LocalBatch)
	scaleInto(w.f("node_latency_ms"), e.nodeO.Latency, 1e3)
	scaleInto(w.f("dp_comm_ms"), dO.DPComm, 1e3)
	scaleInto(w.f("tp_comm_ms"), dO.TPComm, 1e3)
	scaleInto(w.f("ep_comm_ms"), dO.EPComm, 1e3)
	scaleInto(w.f("comm_ms"), dO.Comm, 1e3)
	scaleInto(w.f("bubble_ms"), dO.Bubble, 1e3)
	copy(w.f("bubble_fraction"), dO.BubbleFraction)
	scaleInto(w.f("step_latency_ms"), dO.Step, 1e3)
	copy(w.f("scaling_efficiency"), dO.ScalingEfficiency)
	copy(w.f("fleet_throughput_per_s"), dO.Throughput)
	copy(w.f("node_mfu"), e.nodeO.MFU)
	scaleInto(w.f("memory_per_accelerator_gb"), mO.Total, 1e-9)
	scaleInto(w.f("memory_capacity_gb"), nd.MemCapacity, 1e-9)
	copy(w.f("memory_utilization"), mO.Utilization)
	copy(w.f("pue"), su.PUE)
	copy(w.f("it_energy_kwh"), e.susO.ITEnergyKWh)
	copy(w.f("energy_kwh"), e.susO.EnergyKWh)
	copy(w.f("carbon_kg"), e.susO.CarbonKg)
	copy(w.f("water_l"), e.susO.WaterL)
	copy(w.f("capex_usd"), e.econO.CapexUSD)
	copy(w.f("energy_cost_usd"), e.econO.EnergyCostUSD)
	copy(w.f("maintenance_usd"), e.econO.MaintenanceUSD)
	copy(w.f("tco_usd"), e.econO.TCOUSD)
	copy(w.f("carbon_tax_usd"), e.econO.CarbonTaxUSD)
	copy(w.f("objective_usd"), e.econO.ObjectiveUSD)
	mfu, hwOut, off := w.f("mfu"), w.c("hardware"), w.b("node_offload")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	wc, wmp, wms, wcp, wcs, binding := w.f("wall_1_compute_slack"), w.b("wall_2_memory_pass"), w.f("wall_2_memory_slack"),
		w.b("wall_14_communication_pass"), w.f("wall_14_communication_slack"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		step := dO.Step[k]
		wmp[k], wcp[k] = mO.Feasible[k], dO.Valid[k]
		wms[k] = 1 - mO.Total[k]/nd.MemCapacity[k]
		wc[k], wcs[k] = 0, 0
		if dO.Valid[k] {
			wc[k] = 1 - e.nodeO.ComputeTime[k]/step
			wcs[k] = dO.ScalingEfficiency[k]
		}
		// Binding: a violated wall, else the largest share of the step.
		comm := step - e.nodeO.Latency[k]
		switch {
		case !dO.Valid[k]:
			binding[k] = wallCommunication
		case !mO.Feasible[k]:
			binding[k] = wallMemory
		case comm > e.nodeO.ComputeTime[k] && comm > e.nodeO.MemoryTime[k]:
			binding[k] = wallCommunication
		case e.nodeO.MemoryTime[k] > e.nodeO.ComputeTime[k]:
			binding[k] = wallMemory
		default:
			binding[k] = wallCompute
		}
		mfu[k] = e.nodeO.MFU[k] * dO.ScalingEfficiency[k]
		hwOut[k] = uint8(e.clusters[int(cc[k])].hwCode)
		off[k] = !e.nodeO.Feasible[k]
		switch {
		case !dO.Valid[k]:
			feas[k], reason[k] = false, reasonSplit
		case !mO.Feasible[k]:
			feas[k], reason[k] = false, reasonOOM
		default:
			feas[k], reason[k] = true, reasonNone
		}
	}
	e.budgetWalls(c, w)
}

// budgetWalls writes walls 17 (TCO against budget_usd) and 18 (carbon against
// carbon_budget_kg); a point over a set budget is infeasible and its budget binds,
// after an invalid split and memory.
func (e *fleetEval) budgetWalls(c cols, w outs) {
	budget, carbonBudget := c.get("budget_usd"), c.get("carbon_budget_kg")
	p17, s17, p18, s18 := w.b("wall_17_capital_pass"), w.f("wall_17_capital_slack"),
		w.b("wall_18_sustainability_pass"), w.f("wall_18_sustainability_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := range budget {
		p17[k], s17[k] = budgetSlack(e.econO.TCOUSD[k], budget[k])
		p18[k], s18[k] = budgetSlack(e.susO.CarbonKg[k], carbonBudget[k])
		if !feas[k] {
			continue
		}
		switch {
		case !p17[k]:
			feas[k], reason[k], binding[k] = false, reasonOverBudget, wallCapital
		case !p18[k]:
			feas[k], reason[k], binding[k] = false, reasonOverCarbon, wallSustainability
		}
	}
}

// budgetSlack is a budget wall: used ≤ limit and 1 − used/limit, or a pass and 1
// when the limit is 0 (none).
func budgetSlack(used, limit float64) (bool, float64) {
	if limit == 0 {
		return true, 1
	}
	return used <= limit, 1 - used/limit
}

// replicaStep replaces the seed's Profile B node step (the whole model on one
// accelerator, per-token FLOPs) with one model-parallel replica's compute time,
// the seed's Profile C (physics.md §7.2, pinned by its Training_512_H100 test):
//
//	t = mult · FLOP per token · S · lb / (F · η · tp · pp · ep),   mult = 3, or 4 with recomputation
//
// Memory feasibility stays with the split's training memory; MFU counts 3×.
func (e *fleetEval) replicaStep(tp, pp, ep []float64) {
	nd, o := &e.node, &e.nodeO
	for k := range o.Latency {
		mult := 3.0
		if nd.Recompute[k] {
			mult = 4
		}
		shards := tp[k] * pp[k] * ep[k]
		tokens := nd.SeqLen[k] * nd.Batch[k]
		work := nd.Ops[k] * tokens / shards
		t := mult * work / (nd.PeakFLOPS[k] * nd.Efficiency[k])
		o.Latency[k], o.ComputeTime[k], o.MemoryTime[k], o.OverheadTime[k] = t, t, 0, 0
		o.Throughput[k] = nd.Batch[k] / t
		o.MFU[k] = 3 * work / t / nd.PeakFLOPS[k]
		o.HFU[k] = mult * work / t / nd.PeakFLOPS[k]
		o.Feasible[k] = true // judged by the split's training memory instead
	}
}
