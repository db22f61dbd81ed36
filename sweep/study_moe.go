package sweep

import (
	"fmt"
	"math"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// The moe study: routing tokens to experts (kernel.MoERouting): effective experts
// and parameters under routing imbalance, the activations that cross devices, and
// their all-to-all on a catalog cluster's fabric.
func init() {
	register(&Study{
		Name:      "moe",
		Doc:       "mixture-of-experts routing: effective experts and parameters under imbalance, dispatch volume, all-to-all on a cluster's fabric (physics.md §7.3)",
		Objective: Objective{Column: "all_to_all_ms", Minimize: true},
		Params: []Param{
			modelParam, precisionParam, batchParam, seqParam,
			{Name: "ep", Kind: KindInt, Default: "1", Min: 1, Doc: "expert-parallel degree: devices the experts are spread over; calibrated: it divides the experts (else infeasible, ep_does_not_divide_experts)"},
			{Name: "moe_imbalance", Kind: KindFloat, Default: "1", Min: 1, Max: MaxMultiplier, Doc: "routing imbalance γ ≥ 1: the busiest expert gets γ times its share"},
			{Name: "cluster", Kind: KindCluster, Default: "Research_256",
				Doc: "catalog cluster whose fabric carries the all-to-all (bandwidth / oversubscription, latency) and whose accelerators bound ep"},
		},
		Columns: []Column{
			{Name: "experts", Doc: "the model's experts"},
			{Name: "effective_experts", Doc: "experts a token effectively occupies: min(experts, top-k · γ)"},
			{Name: "active_parameter_multiplier", Doc: "effective experts / top-k"},
			{Name: "effective_active_parameters", Doc: "active parameters × multiplier"},
			{Name: "token_payload_mb", Unit: "MB", Doc: "routed activations: batch · seq_len · hidden · bytes · top-k · multiplier (decimal MB)"},
			{Name: "token_dispatch_mb", Unit: "MB", Doc: "the share that leaves its device: payload · (ep − 1)/ep"},
			{Name: "all_to_all_ms", Unit: "ms", Doc: "all-to-all of the payload over ep ranks on the cluster's fabric (0 when ep = 1)"},
			{Name: "cluster_accelerators", Doc: "accelerators in the cluster"},
			wallPass(14, "communication", "ep ≤ experts and ep ≤ the cluster's accelerators; calibrated: ep also divides the experts"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if m.Family != catalog.MoE || m.Experts < 1 {
					return fmt.Errorf("the moe study needs a mixture-of-experts model (family moe, with experts), but %s is not one (family %s); catalog MoE models: %s",
						m.Key, m.Family, moeModelKeys(p.Catalog))
				}
			}
			return nil
		},
		newEval: newMoEEval,
	})
}

// moeModelKeys lists the catalog's mixture-of-experts models for error messages.
func moeModelKeys(cat *catalog.Catalog) string {
	var keys []string
	for _, m := range cat.Models {
		if m.Family == catalog.MoE && m.Experts >= 1 {
			keys = append(keys, m.Key)
		}
	}
	if len(keys) == 0 {
		return "a model file with family moe"
	}
	return strings.Join(keys, ", ")
}

type moeCluster struct {
	accelerators, bw, latency, over float64
}

type moeEval struct {
	st         *Study
	calibrated bool      // ep must divide the experts (docs/PHYSICS.md §31)
	experts    []float64 // per model code
	perToken   []float64
	active     []float64
	hidden     []float64
	clusters   []moeCluster
	in         kernel.MoEIn
	out        kernel.MoEOut
}

func newMoEEval(p *Plan) evaluator {
	e := &moeEval{st: p.Study, calibrated: p.Calibrated()}
	for _, m := range p.Models {
		e.experts = append(e.experts, float64(m.Experts))
		e.perToken = append(e.perToken, float64(m.ActiveExpertsPerToken))
		e.active = append(e.active, m.ActiveParameters)
		e.hidden = append(e.hidden, float64(m.HiddenDim))
	}
	for _, c := range p.Clusters {
		n, _ := p.Catalog.NodeByKey(c.Node)
		f, _ := p.Catalog.FabricByKey(c.Fabric)
		e.clusters = append(e.clusters, moeCluster{accelerators: float64(c.Nodes * n.AcceleratorsPerNode),
			bw: f.BytesPerS, latency: f.LatencyS, over: f.Oversubscription})
	}
	return e
}

func (e *moeEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, cc := c.get("model"), c.get("cluster")
	in := &e.in
	in.Experts = gatherF(in.Experts, mc, e.experts)
	in.ExpertsPerToken = gatherF(in.ExpertsPerToken, mc, e.perToken)
	in.ActiveParams = gatherF(in.ActiveParams, mc, e.active)
	in.Hidden = gatherF(in.Hidden, mc, e.hidden)
	in.Bytes = bytesOf(in.Bytes, c.get("precision"))
	in.Batch, in.SeqLen, in.EPSize, in.Imbalance = c.get("batch_size"), c.get("seq_len"), c.get("ep"), c.get("moe_imbalance")
	in.FabricBandwidth = grow(in.FabricBandwidth, n)
	in.FabricLatency = grow(in.FabricLatency, n)
	in.Oversubscription = grow(in.Oversubscription, n)
	for k := 0; k < n; k++ {
		cl := &e.clusters[int(cc[k])]
		in.FabricBandwidth[k], in.FabricLatency[k], in.Oversubscription[k] = cl.bw, cl.latency, cl.over
	}

	kernel.MoERouting(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("experts"), in.Experts)
	copy(w.f("effective_experts"), out.EffectiveExperts)
	copy(w.f("active_parameter_multiplier"), out.Multiplier)
	copy(w.f("effective_active_parameters"), out.EffectiveParams)
	scaleInto(w.f("token_payload_mb"), out.PayloadBytes, 1e-6)
	scaleInto(w.f("token_dispatch_mb"), out.DispatchBytes, 1e-6)
	a2a, accel := w.f("all_to_all_ms"), w.f("cluster_accelerators")
	pass, binding := w.b("wall_14_communication_pass"), w.c("binding_wall")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	for k := 0; k < n; k++ {
		// The kernel leaves the all-to-all uncomputed (NaN) for one rank: no traffic.
		a2a[k] = 0
		if in.EPSize[k] > 1 {
			a2a[k] = out.AllToAll[k] * 1e3
		}
		accel[k] = e.clusters[int(cc[k])].accelerators
		feas[k], reason[k] = true, reasonNone
		switch {
		case in.EPSize[k] > in.Experts[k]:
			feas[k], reason[k] = false, reasonEPExperts
		case in.EPSize[k] > accel[k]:
			feas[k], reason[k] = false, reasonEPCluster
		case e.calibrated && math.Mod(in.Experts[k], in.EPSize[k]) != 0:
			// Expert parallelism gives every rank the same number of whole experts:
			// Megatron-Core's BaseMoELayer asserts num_moe_experts %
			// expert_parallel_size == 0 (megatron/core/transformer/moe/moe_layer.py), so
			// 8 experts over 3 ranks is not a layout it runs and is not priced. The
			// serving studies refuse the same layout (ep_does_not_divide_experts).
			feas[k], reason[k] = false, reasonEPDivide
		}
		pass[k] = feas[k]
		binding[k] = wallNone
		if !feas[k] || in.EPSize[k] > 1 {
			binding[k] = wallCommunication
		}
	}
}
