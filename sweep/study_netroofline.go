package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

// The network-roofline study: data-parallel training of one sample per step as a
// roofline whose second ceiling is the fabric, not memory (kernel.NetworkRoofline,
// physics.md §5.2). The seed maps it to no wall; its binding wall here is
// 14 Communication when the network bounds the step, else 1 Compute.
func init() {
	register(&Study{
		Name: "network-roofline",
		Doc:  "fleet-scale roofline of data-parallel training: compute vs the fabric's bisection bandwidth (physics.md §5.2)",
		Params: []Param{
			modelParam,
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters)"},
			{Name: "nodes", Kind: KindInt, Default: "0", Min: 0, Doc: "node count; 0 keeps the cluster's"},
			{Name: "fabric", Kind: KindFabric, Default: DefaultFabric, Doc: "catalog fabric key; default keeps the cluster's"},
			precisionParam, effParam,
		},
		Columns: []Column{
			{Name: "total_accelerators", Doc: "nodes × accelerators per node"},
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "latency_ms", Unit: "ms", Doc: "max(compute, network) for one sample's step"},
			{Name: "compute_ms", Unit: "ms", Doc: "6·P / (fleet FLOP/s · efficiency)"},
			{Name: "network_ms", Unit: "ms", Doc: "2·P·b / bisection bandwidth"},
			{Name: "intensity_flop_per_byte", Unit: "FLOP/byte", Doc: "6·P / 2·P·b"},
			{Name: "ridge_flop_per_byte", Unit: "FLOP/byte", Doc: "fleet FLOP/s / bisection bandwidth"},
			{Name: "sync_gb", Unit: "GB", Doc: "bytes synchronised per step: 2·P·b"},
			{Name: "bisection_gb_per_s", Unit: "GB/s", Doc: "fabric bandwidth / oversubscription"},
			{Name: "mfu", Doc: "6·P / latency / fleet peak"},
			{Name: "throughput_per_s", Unit: "1/s", Doc: "samples per second: 1 / latency"},
			{Name: "bottleneck", Type: Enum, Labels: []string{"Compute", "Network"}, Doc: "the ceiling that bounds the step"},
			colBindingWall,
			colFeasible, colReason,
		},
		Objective: Objective{Column: "throughput_per_s"},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if m.Parameters <= 0 {
					return fmt.Errorf("the network roofline needs a parameter count, and %s has none", m.Key)
				}
			}
			return nil
		},
		newEval: func(p *Plan) evaluator {
			e := &netRoofEval{st: p.Study, m: newModelTable(p.Models)}
			hw, clusters, fabrics := clusterTables(p)
			e.h, e.clusters, e.fabrics = newHWTable(hw, !p.Calibrated()), clusters, fabrics
			return e
		},
	})
}

type netRoofEval struct {
	st                *Study
	m                 *modelTable
	h                 *hwTable
	clusters, fabrics []fleetCluster
	in                kernel.NetRoofIn
	out               kernel.NetRoofOut
}

func (e *netRoofEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	cc, fc, nodesIn, prec := c.get("cluster"), c.get("fabric"), c.get("nodes"), c.get("precision")
	in := &e.in
	in.Params = gatherF(in.Params, c.get("model"), e.m.params)
	in.Bytes = bytesOf(in.Bytes, prec)
	in.Efficiency = c.get("efficiency")
	for _, s := range []*[]float64{&in.PeakFLOPS, &in.Accelerators, &in.FabricBandwidth, &in.Oversubscription} {
		*s = grow(*s, n)
	}
	w := outs{e.st, o}
	hwOut := w.c("hardware")
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		nodes := cl.nodes
		if nodesIn[k] > 0 {
			nodes = nodesIn[k]
		}
		in.Accelerators[k] = nodes * cl.perNode
		in.PeakFLOPS[k] = e.h.peakFor(float64(cl.hwCode), prec[k])
		in.FabricBandwidth[k], in.Oversubscription[k] = cl.fabricBW, cl.over
		if f := &e.fabrics[int(fc[k])]; f.fabricBW > 0 {
			in.FabricBandwidth[k], in.Oversubscription[k] = f.fabricBW, f.over
		}
		hwOut[k] = uint8(cl.hwCode)
	}
	kernel.NetworkRoofline(&e.out, in)

	out := &e.out
	copy(w.f("total_accelerators"), in.Accelerators)
	scaleInto(w.f("latency_ms"), out.Latency, 1e3)
	scaleInto(w.f("compute_ms"), out.ComputeTime, 1e3)
	scaleInto(w.f("network_ms"), out.NetworkTime, 1e3)
	copy(w.f("intensity_flop_per_byte"), out.Intensity)
	copy(w.f("ridge_flop_per_byte"), out.Ridge)
	scaleInto(w.f("sync_gb"), out.SyncBytes, 1e-9)
	scaleInto(w.f("bisection_gb_per_s"), out.BisectionBandwidth, 1e-9)
	copy(w.f("mfu"), out.MFU)
	copy(w.f("throughput_per_s"), out.Throughput)
	bn, binding, feas, reason := w.c("bottleneck"), w.c("binding_wall"), w.b("feasible"), w.c("infeasible_reason")
	for k := 0; k < n; k++ {
		bn[k], binding[k] = 0, wallCompute
		if out.NetworkBound[k] {
			bn[k], binding[k] = 1, wallCommunication
		}
		feas[k], reason[k] = true, reasonNone
	}
}
