package sweep

import "github.com/mlsysim/mlsysim/kernel"

// The mixture-of-experts layout of a training step, declared once for every training
// surface that takes one: the fleet study (and through it a fleet plan's parallelism and
// optimize parallelism) and the train-memory study. A parameter added here reaches both,
// so the same layout cannot count different memory on two surfaces (train-memory had no
// etp: Mixtral at tp 2 with whole experts was counted at etp = tp there).
var (
	epParam = Param{Name: "ep", Kind: KindInt, Default: "1", Min: 1,
		Doc: "expert-parallel degree; seed: a factor beside dp (dp = accelerators/(tp·pp·ep) in the fleet study; the train-memory study shards the whole model over tp·pp·ep); calibrated: carved out of dp, so it divides dp and the experts (else infeasible, ep_does_not_divide_dp_or_experts)"}
	etpParam = Param{Name: "etp", Kind: KindInt, Default: "0", Min: 0,
		Doc: "calibrated, MoE models: expert tensor-parallel degree (Megatron-Core's expert_tensor_parallel_size): a routed expert's weights split over etp ranks, the tokens a rank receives gathered over them; 0 = tp (Megatron's default); 1 keeps experts whole (MoE parallel folding), the EP group then etp·ep consecutive ranks; it divides tp, and MoE at tp > 1 needs sequence_parallel (else infeasible, etp_does_not_divide_tp_or_moe_without_sp; docs/PHYSICS.md §35)"}
	moeImbalanceParam = Param{Name: "moe_imbalance", Kind: KindFloat, Default: "1", Min: 1, Max: MaxMultiplier,
		Doc: "MoE routing imbalance γ on expert-parallel traffic (≥ 1; calibrated, with ep > 1: the busiest rank's expert GEMMs, all-to-all and, in activations_gb, its routed tokens' MLP intermediates; the train-memory study reads the activations only)"}
)

// moeLayout is the MoE layout's columns: ep, etp and moe_imbalance.
func moeLayout(c cols) (ep, etp, imbalance []float64) {
	return c.get("ep"), c.get("etp"), c.get("moe_imbalance")
}

// expertSplit is kernel.ExpertTPSplit's verdict on point k's expert tensor-parallel
// degree (0 = tp), as an infeasible_reason code: the rule the fleet study's step applies.
func expertSplit(tp, etp, experts float64, sp bool) uint8 {
	if etp == 0 {
		etp = tp
	}
	return stepReasons[kernel.ExpertTPSplit(tp, etp, experts, sp)]
}
