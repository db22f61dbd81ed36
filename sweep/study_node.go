package sweep

import (
	"fmt"
	"math"
	"slices"

	"github.com/mlsysim/mlsysim/kernel"
)

// The node study: one workload on one accelerator (kernel.SingleNode).
func init() {
	register(&Study{
		Name:      "node",
		Doc:       "roofline of one model on one accelerator, inference or training (physics.md §5.1)",
		Objective: Objective{Column: "throughput_per_s"},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, fp8RecipeParam, fp8ParamsParam, stepEffParam, batchParam,
			{Name: "training", Kind: KindBool, Default: "false", Doc: "training step (3× forward FLOPs) instead of inference"},
			{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Unit: "tokens", Doc: "sequence length: transformer training memory, and under calibrated the tokens of each training sequence"},
			{Name: "activation_recomputation", Kind: KindBool, Default: "false", Doc: "recompute activations in the backward pass (+1 forward)"},
			{Name: "zero_stage", Kind: KindInt, Default: "0", Min: 0, Max: 3, Doc: "ZeRO stage 0–3 for training memory (calibrated transformer training: also the optimizer pass, over this rank's shard)"},
			{Name: "dp_size", Kind: KindInt, Default: "1", Min: 1, Doc: "data-parallel ranks ZeRO shards over"},
			{Name: "lora", Kind: KindBool, Default: "false", Doc: "LoRA fine-tuning (rank 16 adapters on Q, K, V, O; calibrated: frozen base weights have no weight gradients, optimizer and gradient traffic cover the adapters only)"},
			transformerExecutionParam,
			{Name: "cnn_execution", Kind: KindEnum, Default: "eager", Enum: []string{"eager", "fused_bn_act", "graph"},
				Doc: "calibrated, CNNs that list their convolutions: eager (each batch norm, ReLU and residual add its own pass, layer after layer: PyTorch), fused_bn_act (batch-norm statistics in the convolution, the next convolution applying batch norm and ReLU as it loads its input, one scale-bias-add-ReLU pass at a residual add: NVIDIA's MXNet MLPerf ResNet-50) or graph (an inference engine such as TensorRT: batch norm folded, ReLU and add in the convolution epilogue, the graph's roofline)"},
		},
		Columns: []Column{
			{Name: "latency_ms", Unit: "ms", Doc: "time per step: max(compute, memory) + overhead (calibrated CNN: the layers' times in sequence, or the graph's roofline, docs/PHYSICS.md §36; calibrated transformer training: compute + memory, the fleet study's step on one accelerator, §35)"},
			{Name: "latency_compute_ms", Unit: "ms", Doc: "FLOPs / (peak · efficiency); calibrated CNN with listed convolutions: the convolutions' FLOP times (docs/PHYSICS.md §36); calibrated transformer training: the layers' busy time (GEMMs at the measured matmul rate, attention, elementwise passes; §35)"},
			{Name: "latency_memory_ms", Unit: "ms", Doc: "weights · (1 + 0.1 · batch) / effective bandwidth; calibrated CNN with listed convolutions: the convolutions' and elementwise layers' feature-map traffic, and in training the optimizer's pass over the model states (docs/PHYSICS.md §36); calibrated transformer training: the optimizer's pass over its state (§35)"},
			{Name: "latency_overhead_ms", Unit: "ms", Doc: "dispatch tax + per-layer framework tax (calibrated CNN inference under cnn_execution graph: a fixed cost per fused kernel instead)"},
			{Name: "throughput_per_s", Unit: "1/s", Doc: "samples (sequences, images, or tokens of a decode step) per second"},
			{Name: "tokens_per_step", Unit: "tokens", Doc: "tokens a step processes: batch × seq_len for transformer training under calibrated, else one per sample"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "tokens per step / step time"},
			{Name: "bottleneck", Type: Enum, Labels: []string{"Compute", "Memory"}, Doc: "roofline ceiling that bounds the step"},
			{Name: "arithmetic_intensity_flop_per_byte", Unit: "FLOP/byte", Doc: "FLOPs per byte moved"},
			{Name: "mfu", Doc: "model FLOPs utilisation of the precision's peak (calibrated training: with LoRA the model FLOPs are those the step does, and under an FP8 recipe the linear GEMMs' FLOPs are counted at the FP8 peak, docs/PHYSICS.md §35; a transformer's model FLOPs count all s² attention scores, so at long context it can exceed 1)"},
			{Name: "hfu", Doc: "hardware FLOPs utilisation: the FLOPs executed (counts recomputation; calibrated training: fused attention's causal half of the scores), at most 1"},
			{Name: "energy_j", Unit: "J", Doc: "energy per step: TDP · (0.3 + 0.7 · HFU) · latency; 0 when the catalog states no TDP for the accelerator (the seed's rule): unknown, not free"},
			{Name: "memory_footprint_gb", Unit: "GB", Doc: "memory the run needs resident (decimal GB): weights, and for training gradients and optimizer state, plus activation_memory_gb"},
			{Name: "activation_memory_gb", Unit: "GB", Doc: "activations in the footprint: transformer training (Korthikanti et al.); calibrated, a CNN that lists its convolutions: the feature maps a training step stores, or the live peak of an inference pass (docs/PHYSICS.md §37); 0 where activation_memory is not counted"},
			{Name: "activation_memory", Type: Enum, Labels: activationMemoryLabels,
				Doc: "whether the footprint counts activations: counted; or not, so the memory wall is a lower bound — no_layer_list (a non-transformer the catalog gives no convolutions for), seed_profile (the seed counts none for a CNN; calibrated does), inference_kv_cache (transformer inference here is weights only: `serve` models the KV cache)"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory (decimal GB)"},
			{Name: "memory_utilization", Doc: "footprint / capacity"},
			{Name: "peak_flops_tflops", Unit: "TFLOP/s", Doc: "peak at the precision"},
			{Name: "effective_bandwidth_gb_per_s", Unit: "GB/s", Doc: "bandwidth the memory time used (HBM, SRAM, flash or offload link)"},
			{Name: "offload_spill_gb", Unit: "GB", Doc: "bytes beyond capacity streamed over the host link (0 when it fits)"},
			{Name: "overhead_dominated", Type: Bool, Doc: "fixed overhead exceeds compute and memory time"},
			{Name: "cnn_layered", Type: Bool, Doc: "calibrated: the CNN's convolutions and elementwise layers were priced layer by layer (docs/PHYSICS.md §36); false: the whole-model roofline"},
			{Name: "transformer_layered", Type: Bool, Doc: "calibrated transformer training: the step is the fleet study's on one accelerator — each layer's GEMMs, attention and elementwise passes, then the optimizer (docs/PHYSICS.md §35); latency_compute_ms holds the layers, latency_memory_ms the optimizer, the footprint the calibrated per-tensor memory; false: the whole-model roofline"},
			wallSlack(1, "compute", "1 − compute time / step"),
			wallPass(2, "memory", "the footprint fits in accelerator memory"),
			wallSlack(2, "memory", "1 − footprint / capacity"),
			wallSlack(3, "software", "1 − fixed overhead (dispatch, layer tax) / step"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: trainingOnlyAxes,
		checkProfile: func(p *Plan) error {
			return checkTrainingProfile(p, slices.Contains(p.valuesOf("training").Nums, 1))
		},
		newEval: func(p *Plan) evaluator {
			return inChunks(&nodeEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), calibrated: p.Calibrated()})
		},
	})
}

type nodeEval struct {
	st         *Study
	m          *modelTable
	h          *hwTable
	calibrated bool
	in         kernel.NodeIn
	out        kernel.NodeOut

	// The calibrated transformer training rows of a batch (rows) and their step on one
	// accelerator, gathered compactly (trainingStep).
	rows  []int
	steps [][2]int // (row k, step row j) for every training row: rows[j] or a row k repeats (sameInputs)
	step  kernel.StepIn
	stepO kernel.StepOut
	mem   kernel.TrainMemIn
	memO  kernel.TrainMemOut
}

func (e *nodeEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	in := &e.in
	in.Bytes = bytesOf(in.Bytes, prec)
	in.Ops = grow(in.Ops, n)
	in.WeightBytes = grow(in.WeightBytes, n)
	in.PeakFLOPS = grow(in.PeakFLOPS, n)
	in.IsTransformer = grow(in.IsTransformer, n)
	training, seq, batch := c.get("training"), c.get("seq_len"), c.get("batch_size")
	w := outs{e.st, o}
	tokens := w.f("tokens_per_step")
	for k := 0; k < n; k++ {
		m := int(mc[k])
		f := e.m.family[m]
		in.Ops[k] = kernel.WorkloadOps(f, e.m.inferenceFLOPs[m], e.m.params[m], e.m.active[m], e.m.steps[m])
		tokens[k] = batch[k]
		if e.calibrated && training[k] != 0 && e.m.isTransformer[m] {
			// A training sample is a whole sequence: S tokens of FLOPs per token plus the
			// causal-free attention over S (the seed counted one token per sequence).
			in.Ops[k] = kernel.ForwardFLOPs(in.Ops[k]/2, e.m.attnCoef[m], seq[k], seq[k], 1)
			tokens[k] *= seq[k]
		}
		in.WeightBytes[k] = kernel.WeightBytes(f, e.m.params[m], e.m.modelSize[m], in.Bytes[k])
		in.PeakFLOPS[k] = e.h.peakFor(hc[k], prec[k])
		in.IsTransformer[k] = e.m.isTransformer[m]
	}
	in.Params = gatherF(in.Params, mc, e.m.params)
	in.Layers = gatherF(in.Layers, mc, e.m.layers)
	in.Hidden = gatherF(in.Hidden, mc, e.m.hidden)
	in.Heads = gatherF(in.Heads, mc, e.m.heads)
	in.MemCapacity = gatherF(in.MemCapacity, hc, e.h.capacity)
	in.MemBandwidth = gatherF(in.MemBandwidth, hc, e.h.bandwidth)
	in.SRAMCapacity = gatherF(in.SRAMCapacity, hc, e.h.sramCap)
	in.SRAMBandwidth = gatherF(in.SRAMBandwidth, hc, e.h.sramBW)
	in.FlashBandwidth = gatherF(in.FlashBandwidth, hc, e.h.flashBW)
	in.HostBandwidth = gatherF(in.HostBandwidth, hc, e.h.hostBW)
	in.DispatchTax = gatherF(in.DispatchTax, hc, e.h.dispatch)
	in.TDP = gatherF(in.TDP, hc, e.h.tdp)
	in.Training = boolsOf(in.Training, c.get("training"))
	in.Recompute = boolsOf(in.Recompute, c.get("activation_recomputation"))
	in.LoRA = boolsOf(in.LoRA, c.get("lora"))
	in.ZeROStage = c.get("zero_stage")
	in.DPSize = c.get("dp_size")
	in.SeqLen = c.get("seq_len")
	in.Batch = c.get("batch_size")
	in.Efficiency = c.get("efficiency")
	in.Calibrated = e.calibrated
	if e.calibrated {
		gatherCNN(in, e.m, e.h, mc, hc, prec, c.get("cnn_execution"))
	}

	kernel.SingleNode(&e.out, in)
	e.rows = e.rows[:0]
	if e.calibrated {
		e.trainingStep(c)
	}

	out := &e.out
	scaleInto(w.f("latency_ms"), out.Latency, 1e3)
	scaleInto(w.f("latency_compute_ms"), out.ComputeTime, 1e3)
	scaleInto(w.f("latency_memory_ms"), out.MemoryTime, 1e3)
	scaleInto(w.f("latency_overhead_ms"), out.OverheadTime, 1e3)
	copy(w.f("throughput_per_s"), out.Throughput)
	divInto(w.f("tokens_per_s"), tokens, out.Latency)
	copy(w.f("arithmetic_intensity_flop_per_byte"), out.Intensity)
	copy(w.f("mfu"), out.MFU)
	copy(w.f("hfu"), out.HFU)
	copy(w.f("energy_j"), out.Energy)
	scaleInto(w.f("memory_footprint_gb"), out.Footprint, 1e-9)
	scaleInto(w.f("activation_memory_gb"), out.Activations, 1e-9)
	actMem := w.c("activation_memory")
	for k := 0; k < n; k++ {
		actMem[k] = e.activationMemory(int(mc[k]), in.Training[k], out.ActivationsKnown[k])
	}
	scaleInto(w.f("memory_capacity_gb"), in.MemCapacity, 1e-9)
	divInto(w.f("memory_utilization"), out.Footprint, in.MemCapacity)
	scaleInto(w.f("peak_flops_tflops"), in.PeakFLOPS, 1e-12)
	scaleInto(w.f("effective_bandwidth_gb_per_s"), out.EffectiveBandwidth, 1e-9)
	scaleInto(w.f("offload_spill_gb"), out.SpillBytes, 1e-9)
	copy(w.b("overhead_dominated"), out.OverheadDominated)
	copy(w.b("cnn_layered"), out.Layered)
	tl := w.b("transformer_layered")
	clear(tl)
	for _, kj := range e.steps {
		tl[kj[0]] = true
	}
	feas := w.b("feasible")
	copy(feas, out.Feasible)
	oneMinusRatio(w.f("wall_1_compute_slack"), out.ComputeTime, out.Latency)
	copy(w.b("wall_2_memory_pass"), out.Feasible)
	oneMinusRatio(w.f("wall_2_memory_slack"), out.Footprint, in.MemCapacity)
	oneMinusRatio(w.f("wall_3_software_slack"), out.OverheadTime, out.Latency)
	bn, reason, binding := w.c("bottleneck"), w.c("infeasible_reason"), w.c("binding_wall")
	fp8 := c.get("fp8_recipe")
	for k := 0; k < n; k++ {
		bn[k] = uint8(out.Bottleneck[k])
		reason[k] = reasonNone
		switch {
		case !out.Feasible[k]:
			reason[k], binding[k] = reasonOOM, wallMemory
		case out.OverheadDominated[k]:
			binding[k] = wallSoftware
		case out.MemoryTime[k] > out.ComputeTime[k]:
			binding[k] = wallMemory
		default:
			binding[k] = wallCompute
		}
		if e.calibrated && in.Training[k] && e.m.exceedsContext(int(mc[k]), in.SeqLen[k]) {
			// Sequences longer than the model's context window (the seed has no such check).
			feas[k], reason[k] = false, reasonContext
		}
		// fp4 is ours, not the seed's: both profiles refuse it where eval does, and a
		// training step in a format the device has no rate for, priced at a rate it lacks
		// (TrainingPrecisionPath). FP8 mixed precision is a term of the calibrated
		// transformer training step only (checkFP8Recipe refuses it under seed), on an
		// accelerator with an FP8 rate.
		fp8Refused := fp8[k] != float64(kernel.FP8None) && in.Training[k] && (!in.IsTransformer[k] || e.h.fp8Unsupported(fp8[k], int(hc[k])))
		if e.h.precisionUnsupported(prec[k], int(hc[k])) || in.Training[k] && e.h.trainUnsupported(prec[k], int(hc[k])) || fp8Refused {
			feas[k], reason[k] = false, reasonUnsupported
		}
		// Under calibrated no step trains in an integer format (IntegerTraining).
		if e.calibrated && in.Training[k] && integerFormat(prec[k]) {
			feas[k], reason[k] = false, reasonNotTrained
		}
	}
}

// trainingStep prices the batch's calibrated transformer training rows as the fleet
// study's step on one accelerator (kernel.TrainingStep, kernel.TrainingMemory's
// calibrated count: docs/PHYSICS.md §35) and writes them over SingleNode's roofline
// (kernel.NodeTrainingStep), so that eval --training and a one-accelerator fleet point
// agree. The layout is the fleet's defaults on one accelerator: one microbatch of the
// whole batch, selective recomputation (full with activation_recomputation),
// FlashAttention, FP32 gradients, and the layer's elementwise work fused, eager or gpt-neox as
// transformer_execution says (the fleet study's parameter). dp_size and zero_stage shard the memory, as under the
// seed, and under ZeRO ≥ 1 the optimizer's pass covers this rank's shard; the step prices
// no data-parallel collectives: they need a fabric (the fleet study).
func (e *nodeEval) trainingStep(c cols) {
	in := &e.in
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	// A row whose inputs equal the previous training row's but for efficiency, on an
	// accelerator with a measured matmul rate at the precision (which the step then reads
	// instead, stepShape), takes that row's step: a grid sweeping efficiency prices each
	// training step once, not once per value (BENCHMARKS.md, node-10m).
	_, eff, _ := c.st.Param("efficiency")
	e.steps = e.steps[:0]
	for k := range in.Training {
		if !in.Training[k] || !in.IsTransformer[k] || in.Hidden[k] <= 0 {
			continue
		}
		j := len(e.rows) - 1
		if j < 0 || e.h.matmulFor(hc[k], prec[k]) == 0 || !sameInputs(c.b.In, eff, e.rows[j], k) {
			e.rows = append(e.rows, k)
			j++
		}
		e.steps = append(e.steps, [2]int{k, j})
	}
	n := len(e.rows)
	if n == 0 {
		return
	}
	st, mm := &e.step, &e.mem
	for _, s := range []*[]float64{&st.Layers, &st.Hidden, &st.Heads, &st.KVHeads, &st.FFN, &st.Vocab, &st.Experts, &st.TopK,
		&st.Params, &st.ExpertParams, &st.SeqLen, &st.Batch, &st.Microbatches, &st.GradAccum, &st.Accelerators, &st.PerNode,
		&st.TP, &st.PP, &st.CP, &st.EP, &st.VirtualStages, &st.ZeROStage, &st.DPShard, &mm.DPShard, &st.Bytes, &st.PeakFLOPS, &st.MatmulRate,
		&st.AttentionRate, &st.SMs, &st.MemBW, &st.IntraBus, &st.InterBus, &st.IntraHop, &st.InterHop, &st.FP8Rate,
		&st.Congestion, &st.Straggler, &st.Imbalance, &mm.Batch, &mm.DP, &mm.OptimizerBytes, &mm.TrainableFraction, &mm.CommBufferFraction, &mm.InFlight, &mm.MemCapacity} {
		*s = grow(*s, n)
	}
	for _, s := range []*[]bool{&st.Gated, &st.SeqParallel, &st.FlashAttention, &st.OverlapDP, &st.FP32Grads, &st.LoRA, &st.CPAllGather, &st.Eager, &st.NeoX, &st.FP8Params} {
		*s = grow(*s, n)
	}
	st.Recompute = grow(st.Recompute, n)
	st.FP8 = grow(st.FP8, n)
	fp8, fp8Params, exec := c.get("fp8_recipe"), c.get("fp8_params"), c.get("transformer_execution")
	for j, k := range e.rows {
		m, h := int(mc[k]), int(hc[k])
		st.FP8[j], st.FP8Params[j] = kernel.FP8Recipe(fp8[k]), fp8Params[k] == 1
		stepShape(st, j, e.m, m, e.h, h, prec[k], in.PeakFLOPS[k]*in.Efficiency[k])
		st.Layers[j], st.Hidden[j], st.Heads[j], st.Params[j] = in.Layers[k], in.Hidden[k], in.Heads[k], in.Params[k]
		st.SeqLen[j], st.Batch[j], st.Bytes[j], st.PeakFLOPS[j] = in.SeqLen[k], in.Batch[k], in.Bytes[k], in.PeakFLOPS[k]
		st.Microbatches[j], st.GradAccum[j], st.Accelerators[j], st.PerNode[j] = 1, 1, 1, 1
		st.TP[j], st.PP[j], st.CP[j], st.EP[j], st.VirtualStages[j] = 1, 1, 1, 1, 1
		st.ZeROStage[j], st.LoRA[j] = in.ZeROStage[k], in.LoRA[k]
		st.DPShard[j], mm.DPShard[j] = 0, 0 // ZeRO shards over all dp_size ranks
		// One accelerator has no collectives; the links are never read.
		st.IntraBus[j], st.InterBus[j], st.IntraHop[j], st.InterHop[j] = 0, 0, 0, 0
		st.Congestion[j], st.Straggler[j], st.Imbalance[j] = 1, 1, 1
		st.SeqParallel[j], st.FlashAttention[j], st.OverlapDP[j], st.FP32Grads[j], st.CPAllGather[j] = true, true, false, true, false
		st.Eager[j], st.NeoX[j] = exec[k] == execEager, exec[k] == execNeoX
		st.Recompute[j] = kernel.RecomputeSelective
		if in.Recompute[k] {
			st.Recompute[j] = kernel.RecomputeFull
		}

		// The memory of this rank of a dp_size-way job: its own batch, ZeRO shards.
		mm.DP[j] = in.DPSize[k]
		mm.Batch[j] = in.Batch[k] * in.DPSize[k]
		mm.OptimizerBytes[j] = kernel.OptimizerBytesAdam
		mm.TrainableFraction[j] = 1
		if in.LoRA[k] {
			// Adapters on Q, K, V, O: 2·r·h·4L trainable parameters (physics.md §2.1).
			mm.TrainableFraction[j] = math.Min(kernel.LoRAParams(in.Layers[k], in.Hidden[k])/in.Params[k], 1)
		}
		mm.CommBufferFraction[j] = kernel.DefaultCommBufferFraction
		mm.InFlight[j] = 1
		mm.MemCapacity[j] = in.MemCapacity[k]
	}
	st.Heads = headsOrDefault(st.Heads, st.Heads)
	kernel.TrainingStep(&e.stepO, st)

	mm.Calibrated = true
	mm.Params, mm.Layers, mm.Hidden, mm.Heads, mm.Bytes = st.Params, st.Layers, st.Hidden, st.Heads, st.Bytes
	mm.Recompute, mm.SeqLen, mm.ZeROStage = st.Recompute, st.SeqLen, st.ZeROStage
	mm.TP, mm.PP, mm.EP, mm.CP, mm.VirtualStages, mm.GradAccum = st.TP, st.PP, st.EP, st.CP, st.VirtualStages, st.GradAccum
	mm.KVHeads, mm.FFN, mm.Vocab, mm.ExpertParams = st.KVHeads, st.FFN, st.Vocab, st.ExpertParams
	mm.Gated, mm.SeqParallel, mm.Flash, mm.FP32Grads, mm.FP8, mm.FP8Params = st.Gated, st.SeqParallel, st.FlashAttention, st.FP32Grads, st.FP8, st.FP8Params
	mm.Arch, mm.TopK = st.Arch, st.TopK
	kernel.TrainingMemory(&e.memO, mm)

	for _, kj := range e.steps {
		k, j := kj[0], kj[1]
		shards := 1.0
		if in.ZeROStage[k] >= 1 {
			shards = in.DPSize[k]
		}
		kernel.NodeTrainingStep(&e.out, k, &e.stepO, &e.memO, j, shards, in.MemCapacity[k], st.MemBW[j], in.TDP[k])
	}
}

// sameInputs says points kp and k of a batch have equal input columns, all but column
// skip; every column is compared, so a parameter added to the study is never merged over.
func sameInputs(in [][]float64, skip, kp, k int) bool {
	for i, col := range in {
		if i != skip && col[k] != col[kp] {
			return false
		}
	}
	return true
}

// nodeTrainingParams are the node study's parameters only a training step reads.
var nodeTrainingParams = []string{"seq_len", "activation_recomputation", "zero_stage", "dp_size", "lora", "fp8_recipe", "fp8_params", "transformer_execution"}

// trainingOnlyAxes refuses several values of a parameter only a training step reads when
// no point of the grid trains: every value would give the same row (eval refuses the
// same flags without --training).
func trainingOnlyAxes(p *Plan) error {
	if slices.Contains(p.valuesOf("training").Nums, 1) {
		return nil
	}
	for _, name := range nodeTrainingParams {
		if v := p.valuesOf(name); v.Len() > 1 {
			return fmt.Errorf("axis %s: the node study reads it only in a training step, and no point trains (training is false), so its %d values would give the same rows; add training: true, or give %s one value", name, v.Len(), name)
		}
	}
	return nil
}

// activationMemoryLabels are the values of the node study's activation_memory column.
var activationMemoryLabels = []string{"counted", "no_layer_list", "seed_profile", "inference_kv_cache"}

const (
	actCounted uint8 = iota
	actNoLayerList
	actSeedProfile
	actInferenceKV
)

// activationMemory says why a footprint does or does not count activations, so that a
// memory PASS that is only a lower bound says so (docs/PHYSICS.md §37).
func (e *nodeEval) activationMemory(m int, training, known bool) uint8 {
	switch {
	case known:
		return actCounted
	case e.m.isTransformer[m] && !training:
		return actInferenceKV
	case len(e.m.conv[m]) > 0 && !e.calibrated:
		return actSeedProfile
	}
	return actNoLayerList
}

// gatherCNN fills the calibrated CNN step's inputs of a node point (docs/PHYSICS.md §36,
// §37): each model's convolutions, the hardware's measured matmul rate at the precision,
// SM count and streaming bandwidth, and how the layers run.
func gatherCNN(in *kernel.NodeIn, m *modelTable, h *hwTable, mc, hc, prec, exec []float64) {
	n := len(mc)
	in.Conv = grow(in.Conv, n)
	in.MatmulRate = grow(in.MatmulRate, n)
	for k := 0; k < n; k++ {
		in.Conv[k] = m.conv[int(mc[k])]
		in.MatmulRate[k] = h.matmulFor(hc[k], prec[k])
	}
	in.CNNExec = exec
	in.SMs = gatherF(in.SMs, hc, h.sms)
	in.StreamBandwidth = gatherF(in.StreamBandwidth, hc, h.achievable)
}
