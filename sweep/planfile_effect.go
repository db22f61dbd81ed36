package sweep

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// CheckEffect refuses a plan key that cannot change the scorecard of the study the
// plan lands in, under profile (docs/PLAN.md, "Keys that change nothing"): a key the
// evaluation never reads would make the scorecard look as if it answered the
// question the key asked. Run after Resolve and CheckSplit. The seed's own format
// carries workload.seq_len on one accelerator (the seed ignored it there too), so
// the seed profile accepts it with a note through warn; everything else is an error
// naming the plan line, why the key does nothing, and what would use it.
func (pf *PlanFile) CheckEffect(cat *catalog.Catalog, profile string, warn func(string)) error {
	return pf.checkEffect(cat, profile, warn, effectReads{efficiency: true, split: true})
}

// effectReads says what of a fleet plan the command's answer reads beyond eval's rules.
type effectReads struct {
	efficiency bool // hardware.efficiency only as the step reads it (placement prices power at it too)
	split      bool // the plan's own split, not a searched one
}

func (pf *PlanFile) checkEffect(cat *catalog.Catalog, profile string, warn func(string), reads effectReads) error {
	calibrated := profile != "seed"
	if pf.Ops != nil && pf.Ops.MTBFHours != nil {
		return pf.errf("ops.mtbf_hours", "ops.mtbf_hours is not used by any lens yet (no reliability lens on a plan); remove it — a grid on study: reliability models failures and checkpoints (docs/GRID.md)")
	}
	if pf.study == "node" {
		return pf.nodeEffect(cat, calibrated, warn)
	}
	if pf.study != "fleet" {
		return nil
	}
	if o := pf.Ops; o != nil && o.Rental != nil && *o.Rental > 0 && o.Electricity != nil {
		// kernel.Economics: a rental price covers the hardware, its power and the
		// facility, so no energy cost is added (the TCO came out the same at any price).
		return pf.errf("ops.electricity_usd_per_kwh", "ops.electricity_usd_per_kwh changes nothing beside ops.rental_usd_per_accelerator_hour: the rental price includes power (TCO = price · accelerators · 24 h · days, energy cost 0); drop one of the two")
	}
	if reads.efficiency {
		if err := pf.efficiencyEffect(cat, calibrated, true, "the fleet's GEMMs"); err != nil {
			return err
		}
	}
	hw := &pf.Hardware
	switch {
	case hw.IntraNodeBW != "" && pf.perNode == 1:
		return pf.errf("hardware.intra_node_bw", "hardware.intra_node_bw changes nothing: each node holds one accelerator (accelerators_per_node 1), so every collective crosses the fabric; set accelerators_per_node, or drop intra_node_bw")
	case hw.FabricBandwidth != "" && pf.total == pf.perNode:
		return pf.errf("hardware.fabric_bandwidth", "hardware.fabric_bandwidth changes nothing: all %d accelerators sit in one node, so no traffic crosses the fabric; drop it, or split them over nodes (node_count, accelerators_per_node)", pf.total)
	}
	par := pf.Parallelism
	if par == nil {
		par = &planParallel{}
	}
	tp, pp, ep, cp := or(par.TP, 1), or(par.PP, 1), or(par.EP, 1), or(par.CP, 1)
	dp := pf.total / (tp * pp * ep)
	if calibrated {
		dp = pf.total / (tp * pp * cp)
	} else if reads.split {
		if err := pf.seedLinks(tp, dp, ep); err != nil {
			return err
		}
	}
	if !calibrated {
		for _, k := range []struct {
			set bool
			key string
		}{{par.CP != nil, "cp"}, {par.CPAttention != "", "cp_attention"}, {par.TransformerExecution != "", "transformer_execution"}, {par.AttentionKernel != "", "attention_kernel"}, {par.ActivationCheckpointing != "", "activation_checkpointing"}, {par.SequenceParallel != nil, "sequence_parallel"},
			{par.FlashAttention != nil, "flash_attention"}, {par.FP32Gradients != nil, "fp32_gradients"}, {par.DPShard != nil, "dp_shard"}, {par.OptimizerStatePrecision != "", "optimizer_state_precision"}, {par.PipelineSchedule != "", "pipeline_schedule"}, {par.MoEA2AOverlap != nil, "moe_a2a_overlap"}, {par.MoEDispatcher != "", "moe_dispatcher"}} {
			if k.set {
				return pf.errf("parallelism."+k.key, "parallelism.%s changes nothing under the seed profile: it is a term of the calibrated training step, which the seed's has not; drop it, or use --profile calibrated", k.key)
			}
		}
	}
	if calibrated && par.AttentionKernel != "" {
		if err := pf.attentionKernelEffect(cat, par); err != nil {
			return err
		}
	}
	if calibrated && par.Recompute != nil && *par.Recompute && par.ActivationCheckpointing != "" && par.ActivationCheckpointing != "full" {
		return pf.errf("parallelism.activation_checkpointing", "activation_checkpointing %s is overridden by activation_recomputation: true (full recomputation under calibrated); keep one of the two", par.ActivationCheckpointing)
	}
	if par.MoEImbalance != nil && ep == 1 {
		// Both profiles scale only expert-parallel traffic and the busiest EP rank's
		// routed tokens by it (kernel.Distributed, TrainingStep, TrainingMemory).
		return pf.errf("parallelism.moe_imbalance", "moe_imbalance changes nothing at ep 1: it is the busiest expert-parallel rank's routed tokens over the mean; set ep > 1 or drop it")
	}
	if !reads.split {
		return nil // searched splits: each is checked as a point of the sweep
	}
	// The ranks that hold the same weights: under calibrated the cp ranks of a
	// context-parallel group do too, so gradients reduce and ZeRO shards over dp·cp
	// (Megatron-Core's intra_dp_cp_group; docs/PHYSICS.md §35): at dp 1 with cp > 1
	// zero_stage and overlap change the step and the memory.
	replicas, at := dp, "dp 1"
	if calibrated && cp > 1 {
		replicas, at = dp*cp, "dp · cp 1"
	}
	switch {
	case or(par.VirtualStages, 1) > 1 && pp == 1:
		return pf.errf("parallelism.virtual_stages", "virtual_stages %d changes nothing without a pipeline (pp 1): interleaving splits each pipeline stage; set pp > 1 or drop it", *par.VirtualStages)
	case or(par.ZeroStage, 0) > 0 && replicas == 1:
		return pf.errf("parallelism.zero_stage", "zero_stage %d changes nothing at %s: ZeRO shards over the data-parallel ranks and there is one; drop it, or leave accelerators for data parallelism", *par.ZeroStage, at)
	case par.Overlap != nil && *par.Overlap && replicas == 1:
		return pf.errf("parallelism.overlap", "overlap changes nothing at %s: there is no data-parallel collective to hide; drop it", at)
	case calibrated && par.SequenceParallel != nil && *par.SequenceParallel && tp == 1:
		return pf.errf("parallelism.sequence_parallel", "sequence_parallel changes nothing at tp 1: it splits the norms and residuals over the tensor-parallel ranks; set tp > 1 or drop it")
	case calibrated && par.DPShard != nil && or(par.ZeroStage, 0) == 0:
		return pf.errf("parallelism.dp_shard", "dp_shard %d changes nothing at zero_stage 0: it says over how many data-parallel ranks ZeRO shards the state, and nothing is sharded; set zero_stage 1–3 or drop it", *par.DPShard)
	case calibrated && par.CPAttention != "" && cp == 1:
		return pf.errf("parallelism.cp_attention", "cp_attention %s changes nothing at cp 1: it says how the context-parallel ranks exchange K and V, and there is one; set cp > 1 or drop it", par.CPAttention)
	}
	return nil
}

// attentionKernelEffect refuses parallelism.attention_kernel where no fused kernel runs
// (flash_attention false) and FlashAttention-1 on an accelerator the catalog measures no
// rate for it on (a grid marks such a point unsupported_by_hardware; docs/PHYSICS.md §35,
// "Attention kernel").
func (pf *PlanFile) attentionKernelEffect(cat *catalog.Catalog, par *planParallel) error {
	if par.FlashAttention != nil && !*par.FlashAttention {
		return pf.errf("parallelism.attention_kernel", "attention_kernel %s changes nothing with flash_attention false: it names the fused attention kernel, and the unfused attention runs none; drop one of the two", par.AttentionKernel)
	}
	if par.AttentionKernel != "flash1" {
		return nil
	}
	h, err := cat.HardwareByKey(pf.accel)
	if err != nil {
		return nil // an unknown key is reported where it is resolved
	}
	prec := cmp.Or(pf.Hardware.Precision, "fp16")
	if _, ok := h.AttentionEfficiencyFlash1For(prec); ok {
		return nil
	}
	var with []string
	for _, c := range cat.Hardware {
		if _, ok := c.AttentionEfficiencyFlash1For(prec); ok {
			with = append(with, c.Key)
		}
	}
	return pf.errf("parallelism.attention_kernel", "attention_kernel flash1: %s has no measured FlashAttention-1 rate at %s (catalog attention_efficiency_flash1) to run the attention at; use an accelerator that has one (%s), or attention_kernel flash2", h.Key, prec, strings.Join(with, ", "))
}

// nodeEffect checks a one-accelerator plan: an inference step (kernel.SingleNode).
func (pf *PlanFile) nodeEffect(cat *catalog.Catalog, calibrated bool, warn func(string)) error {
	if pf.Workload.SeqLen != nil {
		why := "a one-accelerator plan is an inference step that streams the weights once and counts no KV cache, so workload.seq_len changes nothing"
		if !calibrated {
			warn(fmt.Sprintf("%s: %s (accepted and ignored under --profile seed, as the seed did; mlsysim serve models the sequence)", pf.where("workload.seq_len"), why))
		} else {
			return pf.errf("workload.seq_len", "%s; drop it (for a sequence use mlsysim serve %s %s --seq-len %d; --profile seed accepts and ignores it, as the seed did)",
				why, pf.Workload.Name, pf.accel, *pf.Workload.SeqLen)
		}
	}
	m, err := cat.ModelByKey(pf.Workload.Name)
	if err != nil || len(m.ConvLayers) == 0 {
		return nil // the model axis reports an unknown key; efficiency × peak times other models
	}
	return pf.efficiencyEffect(cat, calibrated, false, m.Key+"'s convolutions")
}

// efficiencyEffect refuses hardware.efficiency where the calibrated profile times the
// work at the accelerator's measured matmul rate (docs/PHYSICS.md §35, §36) instead of
// efficiency × peak; what names the work so timed.
// A training step (training) runs at the rate held at the power limit where the catalog
// has one (trainMatmulFor), so the message names that rate, not the burst's.
func (pf *PlanFile) efficiencyEffect(cat *catalog.Catalog, calibrated, training bool, what string) error {
	if !calibrated || pf.Hardware.Efficiency == nil {
		return nil
	}
	h, err := cat.HardwareByKey(pf.accel)
	if err != nil {
		return nil // hardware.name reports it
	}
	prec := strings.ToLower(strings.TrimSpace(pf.Hardware.Precision))
	if prec == "" {
		prec = kernel.FP16.String()
	}
	if _, e, measured := h.MeasuredMatmul(prec); measured {
		held := ""
		if rate, ok := h.SustainedMatmul(prec); training && ok {
			peak, _ := h.PeakFor(prec)
			e, held = rate/peak, " held at the power limit"
		}
		return pf.errf("hardware.efficiency", "hardware.efficiency changes nothing under the calibrated profile: %s run at %s's measured %s matmul rate%s (%.3g × peak, docs/PHYSICS.md §35–36), not efficiency × peak; drop it, or use --profile seed for the seed's efficiency × peak",
			what, h.Key, prec, held, e)
	}
	return nil
}

// seedLinks refuses a link bandwidth the seed profile's step never prices for this
// split: kernel.Distributed sends the data-parallel ring over the node's link when
// dp fits in a node (the seed's rule, kept bit for bit), tensor parallelism over the
// fabric only when tp spans nodes, and expert all-to-all always over the fabric.
func (pf *PlanFile) seedLinks(tp, dp, ep int) error {
	apn, hw := pf.perNode, &pf.Hardware
	fabric := dp > 1 && (apn <= 1 || dp > apn) || tp > apn || ep > 1
	intra := dp > 1 && apn > 1 || tp > 1 && tp <= apn
	switch {
	case hw.FabricBandwidth != "" && !fabric:
		return pf.errf("hardware.fabric_bandwidth", "hardware.fabric_bandwidth changes nothing under the seed profile for this split: dp %d and tp %d each fit in a node of %d, and the seed's step sends them over the node's link; drop it, or use --profile calibrated (which routes rings that cross nodes over the fabric)", dp, tp, apn)
	case hw.IntraNodeBW != "" && !intra:
		return pf.errf("hardware.intra_node_bw", "hardware.intra_node_bw changes nothing under the seed profile for this split (dp %d, tp %d, ep %d over nodes of %d): no collective of the seed's step runs inside a node; drop it", dp, tp, ep, apn)
	}
	return nil
}

// CheckOptimizerEffect is CheckEffect for a plan an optimizer reads (mlsysim optimize
// placement, parallelism or batching; docs/PLAN.md, "Keys that change nothing"). Each
// reads the plan its own way: a key its answer never reads is refused, naming the plan
// line, as eval refuses one; a key it replaces with its search or its flags, and the
// seed format's ops and constraints blocks where it ignores them, are noted through
// warn, as the plan's value is not what the answer used. Run after Resolve and CheckSplit.
func (pf *PlanFile) CheckOptimizerEffect(cat *catalog.Catalog, profile, optimizer string, warn func(string)) error {
	return pf.CheckOptimizerEffectKeeping(cat, profile, optimizer, nil, warn)
}

// CheckOptimizerEffectKeeping is CheckOptimizerEffect for a search told to keep some of
// the plan's parallelism keys (optimize parallelism --tp plan, --pp plan): those are
// read, so not noted as replaced.
func (pf *PlanFile) CheckOptimizerEffectKeeping(cat *catalog.Catalog, profile, optimizer string, kept []string, warn func(string)) error {
	note := func(key, format string, args ...any) {
		warn(fmt.Sprintf("%s: %s", pf.where(key), fmt.Sprintf(format, args...)))
	}
	// Blocks of the seed's plan format that the seed's optimizers accepted and ignored:
	// noted, not refused, so a plan shared with eval still runs.
	if pf.Constraints != nil {
		note("constraints", "constraints are not checked: only mlsysim eval checks a plan's assertions (the exit status here says nothing of them); eval the plan with the answer's values to gate on them")
	}
	ops, hw := pf.Ops, &pf.Hardware
	switch optimizer {
	case "placement":
		if ops != nil && ops.Region != "" {
			note("ops.region", "ops.region %s is not used: optimize placement ranks the regions of --regions", ops.Region)
		}
		if ops != nil && ops.CarbonTax != nil {
			note("ops.carbon_tax_usd_per_t", "ops.carbon_tax_usd_per_t is not used: optimize placement prices carbon at --carbon-tax")
		}
		// Under seed power is priced at the plan's efficiency (the seed's optimizer), so it
		// is read; under calibrated the fleet draws what its step does, as in eval, and the
		// efficiency is checked as the step reads it.
		return pf.checkEffect(cat, profile, warn, effectReads{split: true, efficiency: profile != "seed"})
	case "parallelism":
		if ops != nil {
			note("ops", "ops is not used: optimize parallelism ranks splits by step time, and ops prices and places a run (optimize placement and eval read it)")
		}
		if par := pf.Parallelism; par != nil {
			for _, k := range []struct {
				set  bool
				key  string
				what string
			}{{par.TP != nil, "tp", "tp"}, {par.PP != nil, "pp", "pp"}, {par.DP != "" && par.DP != "auto", "dp", "dp (it follows each split)"}} {
				if k.key == "dp" && slices.Contains(kept, "tp") && slices.Contains(kept, "pp") {
					continue
				}
				if k.set && !slices.Contains(kept, k.key) {
					note("parallelism."+k.key, "parallelism.%s is not used: optimize parallelism searches %s", k.key, k.what)
				}
			}
		}
		return pf.checkEffect(cat, profile, warn, effectReads{efficiency: true})
	case "batching":
		if ops != nil {
			note("ops", "ops is not used: optimize batching sizes a batch for latency, and ops prices and places a run (optimize placement and eval read it)")
		}
		if hw.FP8Params != nil {
			return pf.errf("hardware.fp8_params", "hardware.fp8_params changes nothing for optimize batching: it serves the model, and FP8 primary weights are a term of a training step; drop fp8_params")
		}
		if r := hw.FP8Recipe; r != "" && r != "none" {
			return pf.errf("hardware.fp8_recipe", "hardware.fp8_recipe changes nothing for optimize batching: it serves the model, and FP8 mixed precision is a term of a training step; for FP8 serving set hardware.precision fp8, or drop fp8_recipe")
		}
		for _, k := range []struct {
			set bool
			key string
		}{{hw.IntraNodeBW != "", "hardware.intra_node_bw"}, {hw.FabricBandwidth != "", "hardware.fabric_bandwidth"}} {
			if k.set {
				return pf.errf(k.key, "%s changes nothing for optimize batching: it serves the model on each accelerator alone (one replica per accelerator, no collective); drop it", k.key)
			}
		}
		if pf.Workload.BatchSize != nil {
			note("workload.batch_size", "workload.batch_size is not used: optimize batching searches batches 1 to --max-batch")
		}
	}
	return nil
}
