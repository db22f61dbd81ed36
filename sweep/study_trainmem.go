package sweep

import (
	"fmt"

	"github.com/mlsysim/mlsysim/kernel"
)

var optimizerBytes = map[string]float64{
	"adam": kernel.OptimizerBytesAdam, "adamw": kernel.OptimizerBytesAdam, "sgd": kernel.OptimizerBytesSGD, "none": 0,
}

// The train-memory study: per-accelerator training memory (kernel.TrainingMemory).
func init() {
	optimizers := []string{"adam", "adamw", "sgd", "none"}
	strategies := []string{"selective", "full", "none"}
	register(&Study{
		Name:      "train-memory",
		Doc:       "training memory per accelerator: weights, gradients, optimizer, activations, buffers (physics.md §7.1)",
		Objective: Objective{Column: "total_memory_gb", Minimize: true},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, fp8RecipeParam, fp8ParamsParam, batchParam, seqParam,
			{Name: "optimizer", Kind: KindEnum, Default: "adam", Enum: optimizers, Doc: "optimizer (adam/adamw 12 B, sgd 4 B per trainable parameter)"},
			{Name: "activation_checkpointing", Kind: KindEnum, Default: "selective", Enum: strategies,
				Doc: "activation recomputation: selective, full or none (Korthikanti et al. 2023)"},
			{Name: "tp", Kind: KindInt, Default: "1", Min: 1, Doc: "tensor-parallel degree; calibrated: it divides the attention heads, and it divides a grouped-query model's K/V heads or is a multiple of them (each K/V head then replicated on tp/kv ranks, its weights and activations in each copy; else infeasible, tp_does_not_divide_heads)"},
			{Name: "pp", Kind: KindInt, Default: "1", Min: 1, Doc: "pipeline-parallel degree; calibrated: pp · virtual_stages stages each hold a layer (else infeasible, layers_do_not_fill_the_stages)"},
			{Name: "dp", Kind: KindInt, Default: "1", Min: 1, Doc: "data-parallel degree"},
			epParam,
			etpParam,
			moeImbalanceParam,
			{Name: "zero_stage", Kind: KindInt, Default: "0", Min: 0, Max: 3, Doc: "ZeRO stage 0–3"},
			dpShardParam,
			{Name: "gradient_accumulation_steps", Kind: KindInt, Default: "1", Min: 1, Doc: "microbatches accumulated per step"},
			{Name: "trainable_fraction", Kind: KindFloat, Default: "1", Min: 0, Max: 1, Doc: "share of parameters trained"},
			{Name: "communication_buffer_fraction", Kind: KindFloat, Default: "0.05", Min: 0, Max: 1, Doc: "gradient bucket as a share of gradients"},
			{Name: "sequence_parallel", Kind: KindBool, Default: "false", Doc: "calibrated: split norm, dropout and residual activations over tp too (Korthikanti et al. 2022)"},
			{Name: "microbatches", Kind: KindInt, Default: "1", Min: 1, Max: 1 << 20, Doc: "calibrated: microbatches in flight per pipeline flush; each rank's batch splits into this many (times gradient_accumulation_steps), and the first stage holds min(pp, that) (Korthikanti et al. 2022 §4.2.3); at most 2^20, each at least one sequence, beyond any published batch"},
			{Name: "virtual_stages", Kind: KindInt, Default: "1", Min: 1, Max: 1024, Doc: "calibrated: interleaved stages per device, scaling the first stage's activations by 1 + (pp − 1)/(pp · v); at most 1024, each stage at least one layer"},
			{Name: "cp", Kind: KindInt, Default: "1", Min: 1, Max: 4096, Doc: "calibrated: context-parallel degree beside tp · pp · dp (the fleet study's cp): each rank holds seq_len/cp of a sequence's activations, and ZeRO shards over dp · cp; seq_len a multiple of 2·cp (else infeasible, seq_len_does_not_divide_by_cp)"},
			{Name: "flash_attention", Kind: KindBool, Default: "false", Doc: "calibrated: fused attention, which stores no s² scores nor dropout masks (the fleet study's flash_attention, whose default is true); false, this study's default, is the unfused attention of the ZeRO and Korthikanti et al. accountings it reproduces"},
			{Name: "fp32_gradients", Kind: KindBool, Default: "false", Doc: "calibrated: gradients in FP32 (Megatron-LM main_grad; the fleet study's fp32_gradients, whose default is true); false, this study's default, keeps them in the training precision as ZeRO's 2 + 2 + 12 bytes per parameter do"},
		},
		Columns: []Column{
			{Name: "weights_gb", Unit: "GB", Doc: "weights per accelerator (calibrated with pp > 1: the first stage's, its layers and the input embedding)"},
			{Name: "gradients_gb", Unit: "GB", Doc: "gradients per accelerator"},
			{Name: "optimizer_state_gb", Unit: "GB", Doc: "optimizer state per accelerator"},
			{Name: "activations_gb", Unit: "GB", Doc: "stored activations of one pipeline stage (calibrated: of the first stage, per tensor with TP/SP, each routed expert's MLP (top-k) and its in-flight microbatches)"},
			{Name: "communication_buffers_gb", Unit: "GB", Doc: "gradient bucket + pipeline boundary buffers"},
			{Name: "total_memory_gb", Unit: "GB", Doc: "sum of the above"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory (decimal GB)"},
			{Name: "memory_utilization", Doc: "total / capacity"},
			{Name: "microbatch", Doc: "local microbatch: batch / (dp · microbatches · accumulation) (calibrated, which refuses a batch that does not divide, batch_does_not_divide_into_microbatches); seed: ceil(batch / (dp · accumulation)), at least 1"},
			wallPass(2, "memory", "the memory verdict alone: total ≤ capacity (slack ≥ 0), whether or not the row is feasible, as in the node and fleet studies; a split, precision or shard group the study refuses is infeasible_reason (binding_wall 14 Communication for a split), not this column"),
			wallSlack(2, "memory", "1 − total / capacity"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if !m.Family.IsTransformer() {
					return fmt.Errorf("training memory needs a transformer, but %s is not one (family %s)", m.Key, m.Family)
				}
			}
			return nil
		},
		checkProfile: func(p *Plan) error { return checkTrainingProfile(p, true) },
		newEval: func(p *Plan) evaluator {
			return &trainMemEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), calibrated: p.Calibrated()}
		},
	})
}

type trainMemEval struct {
	st         *Study
	m          *modelTable
	h          *hwTable
	calibrated bool
	in         kernel.TrainMemIn
	out        kernel.TrainMemOut
	split      []float64 // calibrated: microbatches · accumulation per point
}

func (e *trainMemEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc := c.get("model"), c.get("hardware")
	in := &e.in
	in.Params = gatherF(in.Params, mc, e.m.params)
	in.Layers = gatherF(in.Layers, mc, e.m.layers)
	in.Hidden = gatherF(in.Hidden, mc, e.m.hidden)
	in.Heads = gatherF(in.Heads, mc, e.m.heads)
	prec := c.get("precision")
	in.Bytes = bytesOf(in.Bytes, prec)
	in.MemCapacity = gatherF(in.MemCapacity, hc, e.h.capacity)
	opt, strat := c.get("optimizer"), c.get("activation_checkpointing")
	optP, _, _ := e.st.Param("optimizer")
	in.OptimizerBytes = grow(in.OptimizerBytes, n)
	in.Recompute = grow(in.Recompute, n)
	for k := 0; k < n; k++ {
		in.OptimizerBytes[k] = optimizerBytes[optP.Enum[int(opt[k])]]
		// Enum order selective, full, none matches kernel.Recompute's.
		in.Recompute[k] = kernel.Recompute(strat[k])
		if in.Heads[k] == 0 {
			in.Heads[k] = kernel.DefaultHeads
		}
	}
	in.Batch, in.SeqLen = c.get("batch_size"), c.get("seq_len")
	in.TP, in.PP, in.DP = c.get("tp"), c.get("pp"), c.get("dp")
	in.EP, in.ETP, in.Imbalance = moeLayout(c)
	in.ZeROStage, in.GradAccum = c.get("zero_stage"), c.get("gradient_accumulation_steps")
	in.TrainableFraction = c.get("trainable_fraction")
	in.CommBufferFraction = c.get("communication_buffer_fraction")
	in.Calibrated = e.calibrated
	if e.calibrated {
		// Gradients in the training precision and unfused attention: the accounting of
		// the sources this study reproduces (ZeRO's 2 + 2 + 12 bytes per parameter).
		in.KVHeads = gatherF(in.KVHeads, mc, e.m.kvHeads)
		in.Vocab = gatherF(in.Vocab, mc, e.m.vocab)
		// The fleet and node studies' shape (trainShape): a structured model's layers
		// and expert width, and every MoE model's routed experts per token, each of
		// which keeps its MLP intermediates (kernel.archActivations).
		in.TopK = gatherF(in.TopK, mc, e.m.expertsPerToken)
		in.FFN, in.ExpertParams = grow(in.FFN, n), grow(in.ExpertParams, n)
		in.Arch = grow(in.Arch, n)
		in.Gated = grow(in.Gated, n)
		// The fleet study's attention, gradient precision and context parallelism, with
		// this study's defaults (unfused, gradients in the training precision, cp 1).
		in.Flash = boolsOf(in.Flash, c.get("flash_attention"))
		in.FP32Grads = boolsOf(in.FP32Grads, c.get("fp32_gradients"))
		in.CP = c.get("cp")
		// FP8 GEMMs keep FP8 weight copies and save their inputs in FP8 (fp8training.go).
		in.FP8 = fp8Recipes(in.FP8, c.get("fp8_recipe"))
		// FP8 primary weights: the linear weights' FP8 copies with no b-byte one, as the
		// fleet study counts them (kernel.TrainMemIn.FP8Params).
		in.FP8Params = boolsOf(in.FP8Params, c.get("fp8_params"))
		for k := 0; k < n; k++ {
			in.FFN[k], in.Gated[k], in.ExpertParams[k], in.Arch[k] = e.m.trainShape(int(mc[k]))
			if e.h.fp8Unsupported(float64(in.FP8[k]), int(hc[k])) {
				in.FP8[k] = kernel.FP8None // unsupported_by_hardware below, counted without FP8 as the fleet study does
			}
		}
		in.SeqParallel = boolsOf(in.SeqParallel, c.get("sequence_parallel"))
		in.VirtualStages = c.get("virtual_stages")
		in.DPShard = c.get("dp_shard")
		// As in the fleet study: the pipeline's microbatches split each rank's batch
		// (batch / (dp · microbatches · accumulation) sequences each), and the first
		// stage holds min(pp, microbatches · accumulation) of them.
		ga, micro := c.get("gradient_accumulation_steps"), c.get("microbatches")
		e.split = grow(e.split, n)
		for k := 0; k < n; k++ {
			e.split[k] = ga[k] * micro[k]
		}
		in.GradAccum, in.InFlight = e.split, e.split
	}

	kernel.TrainingMemory(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("weights_gb"), out.Weights, 1e-9)
	scaleInto(w.f("gradients_gb"), out.Gradients, 1e-9)
	scaleInto(w.f("optimizer_state_gb"), out.Optimizer, 1e-9)
	scaleInto(w.f("activations_gb"), out.Activations, 1e-9)
	scaleInto(w.f("communication_buffers_gb"), out.Buffers, 1e-9)
	scaleInto(w.f("total_memory_gb"), out.Total, 1e-9)
	scaleInto(w.f("memory_capacity_gb"), in.MemCapacity, 1e-9)
	copy(w.f("memory_utilization"), out.Utilization)
	copy(w.f("microbatch"), out.Microbatch)
	copy(w.b("feasible"), out.Feasible)
	copy(w.b("wall_2_memory_pass"), out.Feasible)
	oneMinusRatio(w.f("wall_2_memory_slack"), out.Total, in.MemCapacity)
	reason, binding := w.c("infeasible_reason"), w.c("binding_wall")
	feas := w.b("feasible")
	fp8 := c.get("fp8_recipe")
	for k := 0; k < n; k++ {
		reason[k], binding[k] = reasonNone, wallNone
		split := reasonNone
		if e.calibrated {
			// The layers the fleet's step checks the split with: a structured model's MTP
			// modules take interleaved slots (kernel.SplitLayers).
			layers, experts := in.Layers[k], e.m.experts[int(mc[k])]
			if a := in.Arch[k]; a != nil {
				layers = kernel.SplitLayers(layers, in.PP[k], in.VirtualStages[k], a)
			}
			split = layoutFits(in.TP[k], in.PP[k], in.DP[k], in.CP[k], in.EP[k], in.VirtualStages[k], layers, in.Heads[k], in.KVHeads[k],
				experts, in.Batch[k], e.split[k], in.SeqLen[k])
			if split == reasonNone {
				split = expertSplit(in.TP[k], in.ETP[k], experts, in.SeqParallel[k])
			}
		}
		switch {
		case e.calibrated && integerFormat(prec[k]):
			// No training stack keeps its state in an integer format (IntegerTraining).
			feas[k] = false
			reason[k], binding[k] = reasonNotTrained, wallNone
		case e.h.trainUnsupported(prec[k], int(hc[k])) || e.calibrated && e.h.fp8Unsupported(fp8[k], int(hc[k])):
			// A format the accelerator states no rate for trains nowhere on it
			// (TrainingPrecisionPath), as in the node and fleet studies; both profiles. FP8
			// GEMMs need a measured FP8 matmul rate (calibrated; the seed refuses fp8_recipe).
			feas[k] = false
			reason[k], binding[k] = reasonUnsupported, wallNone
		case split != reasonNone:
			// A tp that splits a head (or a K/V head), or stages without a layer, hold no state the memory
			// model could count (8 heads of 32 on tp 3; pp 64 over 32 layers halved each
			// stage's weights below one layer); calibrated EP is carved out of the
			// data-parallel ranks, so expert state shards over dp/ep, which a dp that ep
			// does not divide would turn into a multiplier; and a batch that does not
			// divide into dp · microbatches · accumulation leaves some rank a fraction of
			// a sequence (batch 4 over dp 8 was counted as one sequence on each of 8
			// ranks). The fleet study refuses each with the same reason. The memory wall
			// keeps its own verdict on what was counted (wall_2_memory_pass: false here
			// for a split that fit read as "does not fit", beside a positive slack).
			feas[k] = false
			reason[k], binding[k] = split, wallCommunication
		case e.calibrated && !shardWithinDP(in.DPShard[k], in.DP[k], in.EP[k], in.ZeROStage[k]):
			feas[k] = false
			reason[k], binding[k] = reasonShard, wallCommunication
		case e.calibrated && e.m.exceedsContext(int(mc[k]), in.SeqLen[k]):
			// Sequences longer than the model's context window train nothing it can take,
			// as the fleet and node studies refuse them (the seed has no such check); the
			// memory wall keeps its verdict on what was counted.
			feas[k], reason[k] = false, reasonContext
			if !out.Feasible[k] {
				binding[k] = wallMemory
			}
		case !out.Feasible[k]:
			reason[k], binding[k] = reasonOOM, wallMemory
		}
	}
}

// layoutFits is kernel.StepSplit's verdict on a split of tp · cp · pp · dp accelerators (the
// fleet study's rules: tp divides the attention heads and a grouped-query model's K/V
// heads, pp · virtual_stages stages each get
// a layer, interleaved chunks equal, ep divides dp and the experts, dp · microbatches
// (split, times the accumulation steps) divides the batch), as an infeasible_reason code.
func layoutFits(tp, pp, dp, cp, ep, v, layers, heads, kvHeads, experts, batch, split, seq float64) uint8 {
	_, _, why := kernel.StepSplit(tp*pp*cp*dp, tp, pp, cp, ep, v, layers, heads, kvHeads, experts, batch, split, 1, seq)
	return stepReasons[why]
}

// shardWithinDP reports a valid hybrid shard group (kernel.ShardGroup's rule, the fleet
// study's): 0, or one that divides dp and that ep divides, or any at ZeRO 0.
func shardWithinDP(shard, dp, ep, zero float64) bool {
	_, why := kernel.ShardGroup(dp, ep, shard, zero)
	return why == kernel.StepValid
}
