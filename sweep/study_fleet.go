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
	flMax := func(name, def string, min, max float64, doc string) Param {
		p := fl(name, def, min, doc)
		p.Max = max
		return p
	}
	in := func(name, def string, min float64, doc string) Param {
		return Param{Name: name, Kind: KindInt, Default: def, Min: min, Doc: doc}
	}
	register(&Study{
		Name: "fleet",
		Doc:  "distributed training step, memory, energy, carbon and TCO of a model on a cluster (physics.md §7.2, §7.1, §8.1, §8.2)",
		Params: append([]Param{
			modelParam,
			{Name: "cluster", Kind: KindCluster, Doc: "catalog cluster key (mlsysim zoo clusters): node type, node count, fabric"},
			in("nodes", "0", 0, "node count; 0 keeps the cluster's"),
			{Name: "fabric", Kind: KindFabric, Default: DefaultFabric, Doc: "catalog fabric key; default keeps the cluster's"},
			precisionParam,
			fp8RecipeParam,
			fp8ParamsParam,
			stepEffParam,
			in("batch_size", "1", 1, "global batch in samples (sequences)"),
			{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Unit: "tokens", Doc: "sequence length in tokens"},
			in("tp", "1", 1, "tensor-parallel degree"),
			in("pp", "1", 1, "pipeline-parallel degree"),
			epParam,
			etpParam,
			in("microbatches", "1", 1, "pipeline microbatches per step"),
			in("virtual_stages", "1", 1, "interleaved pipeline stages per device"),
			{Name: "pipeline_schedule", Kind: KindEnum, Default: "1f1b", Enum: []string{"1f1b", "dualpipe"},
				Doc: "calibrated: 1f1b (interleaved with virtual_stages > 1; Narayanan et al. 2021) or dualpipe (DeepSeek-V3's bidirectional schedule, report §3.2.1: two chunks and twice a stage's parameters per rank, pp + 1 microbatches of activations, the all-to-alls and pipeline sends beside the computation on 20 SMs, bubble (pp/2 − 1)(F&B + B − 3W); needs an even pp, no virtual stages and an even number of microbatches of at least 2·pp, else infeasible, dualpipe_needs_even_pp_and_microbatches)"},
			{Name: "moe_dispatcher", Kind: KindEnum, Default: "alltoall", Enum: []string{"alltoall", "deepep"},
				Doc: "calibrated, with ep > 1: alltoall (Megatron-Core's all-to-all token dispatcher: every routed copy of a token crosses the network on its own) or deepep (DeepEP's kernels, Megatron-Core's flex dispatcher with moe_enable_deepep, DeepSeek-V3's own: a token crosses to each node holding one of its experts once, over the NIC, and is forwarded over NVLink to the GPUs there; the model's routing_groups bound the nodes; docs/PHYSICS.md §35)"},
			{Name: "moe_a2a_overlap", Kind: KindBool, Default: "false", Doc: "calibrated, with ep > 1 and pipeline_schedule 1f1b: Megatron-Core's combined 1F1B (EP A2A overlap, --overlap-moe-expert-parallel-comm; Megatron-Bridge's moe_a2a_overlap): a microbatch's dispatch and combine all-to-alls run beside an adjacent microbatch's computation in the steady state, on DeepEP's 20 SMs; the bubble keeps them exposed"},
			{Name: "zero_stage", Kind: KindInt, Default: "0", Min: 0, Max: 3, Doc: "ZeRO stage 0–3"},
			dpShardParam,
			in("gradient_accumulation_steps", "1", 1, "microbatches accumulated per optimizer step"),
			{Name: "activation_recomputation", Kind: KindBool, Default: "false", Doc: "recompute activations (+1 forward; full checkpointing in the memory model); under calibrated the same as activation_checkpointing full"},
			{Name: "activation_checkpointing", Kind: KindEnum, Default: "selective", Enum: []string{"selective", "full", "none", "linear_outputs", "deepseek_v3"},
				Doc: "calibrated: what the backward recomputes — selective (the attention core, Korthikanti et al. 2022), full (each layer from its input), none, linear_outputs (keeps the linear layers' and the attention's outputs and recomputes the norms and the MLP activation: Llama 1 §2.4), or deepseek_v3 (every RMSNorm and the MLA up-projections, DeepSeek-V3 report §3.2.3, and an MoE layer's SwiGLU output from its inputs, cached in FP8 under an FP8 recipe, §3.3.3)"},
			{Name: "sequence_parallel", Kind: KindBool, Default: "true", Doc: "calibrated: split norms, dropout and residuals over the tp ranks along the sequence (Korthikanti et al. 2022); no effect at tp 1"},
			{Name: "cp", Kind: KindInt, Default: "1", Min: 1, Max: 4096, Doc: "calibrated: context-parallel degree (ring attention over the sequence); seq_len must be a multiple of 2·cp (two of 2·cp chunks a rank, else infeasible, seq_len_does_not_divide_by_cp); at most 4096, beyond any published run"},
			{Name: "cp_attention", Kind: KindEnum, Default: "ring", Enum: []string{"ring", "allgather"},
				Doc: "calibrated: how context parallelism brings K and V to each rank — ring (passed around beside the attention, Liu et al. 2023) or allgather (gathered before it and the gradients reduce-scattered after it, exposed: the Llama 3 paper §3.3.2); no effect at cp 1"},
			transformerExecutionParam,
			{Name: "flash_attention", Kind: KindBool, Default: "true", Doc: "calibrated: fused attention (no s² tensor in memory, causal blocks skipped, no dropout); false is the unfused attention with dropout of Megatron-LM 2021–22"},
			attentionKernelParam,
			{Name: "fp32_gradients", Kind: KindBool, Default: "true", Doc: "calibrated: accumulate and reduce gradients in FP32 (Megatron-LM main_grad); false keeps them in the training precision"},
			{Name: "optimizer_state_precision", Kind: KindEnum, Default: "fp32", Enum: []string{"fp32", "bf16"},
				Doc: "calibrated: the precision of Adam's first and second moments — fp32 (12 bytes of optimizer state per parameter with the FP32 master copy) or bf16 (8 bytes, and 8 fewer bytes per parameter in the optimizer's pass: DeepSeek-V3 report §3.3.3; master weights and gradients stay FP32)"},
			{Name: "lora", Kind: KindBool, Default: "false", Doc: "LoRA fine-tuning (rank 16 adapters on Q, K, V, O; calibrated: frozen base weights have no weight gradients, optimizer and gradient traffic cover the adapters only)"},
			{Name: "overlap", Kind: KindBool, Default: "false", Doc: "overlap the DP collectives with compute (calibrated: the gradients' reduction behind the last backward, under ZeRO-2 each other microbatch's beside the next microbatch's compute; a ZeRO-1/2 weight all-gather behind the first forward; ZeRO-3's per-layer gathers one layer ahead and reduce-scatters behind the compute, exposed without it, as PyTorch FSDP always overlaps)"},
			{Name: "overlap_efficiency", Kind: KindFloat, Default: "0.85", Min: 0, Max: 1, Doc: "share of the DP all-reduce hidden when overlapped (seed; the calibrated step hides what the backward's length covers)"},
			flMax("congestion", "1", 1, MaxMultiplier, "multiplier on collective times (≥ 1; calibrated: link bandwidth ÷ c and per-step latency × c, NCCL launch latency unchanged)"),
			flMax("straggler", "1", 1, MaxMultiplier, "multiplier on the step for the slowest rank (≥ 1)"),
			moeImbalanceParam,
			{Name: "region", Kind: KindRegion, Default: "US_Avg", Doc: "grid region (mlsysim zoo regions): carbon intensity, PUE, water"},
			{Name: "pue_override", Kind: KindFloat, Default: "0", Min: 0, Gap: true, Least: 1, Max: MaxPUE, Doc: "power usage effectiveness, facility over IT energy (≥ 1); 0 uses the region's"},
			{Name: "carbon_intensity_g_per_kwh", Kind: KindFloat, Default: "-1", Min: -1, Gap: true, Least: 0, Max: MaxCarbonGPerKWh, Unit: "gCO2e/kWh", Doc: "grid carbon intensity; -1 uses the region's"},
			{Name: "wue_l_per_kwh", Kind: KindFloat, Default: "-1", Min: -1, Gap: true, Least: 0, Max: MaxLitresPerKWh, Unit: "L/kWh", Doc: "water usage effectiveness; -1 uses the region's"},
			{Name: "power_per_accelerator_w", Kind: KindFloat, Default: "0", Min: 0, Max: MaxWatts, Unit: "W", Doc: "average IT power per accelerator; 0 uses TDP · (0.3 + 0.7 · utilisation)"},
			{Name: "rental_usd_per_accelerator_hour", Kind: KindFloat, Default: "0", Min: 0, Max: MaxUSDPerHour, Unit: "USD/h", Doc: "rental price per accelerator-hour (covers hardware, power and facility); 0 prices the fleet by capex and opex"},
			{Name: "energy_utilization", Kind: KindFloat, Default: "-1", Min: -1, Gap: true, Least: 0, Max: 1,
				Doc: "utilisation that sets power between 30 % and 100 % of TDP; -1 uses the fleet's hfu (mfu without recomputation; the seed's placement optimizer passes the plan's efficiency)"},
			{Name: "duration_days", Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: MaxDays, Unit: "d", Doc: "days the fleet runs (energy, carbon, cost)"},
			{Name: "electricity_usd_per_kwh", Kind: KindFloat, Default: "0.12", Min: 0, Max: MaxUSDPerKWh, Unit: "USD/kWh", Doc: "electricity price (seed: cloud baseline 0.12)"},
			{Name: "unit_cost_usd", Kind: KindFloat, Default: "0", Min: 0, Max: MaxUSD, Unit: "USD", Doc: "price per accelerator; 0 uses the catalog's (0 when it states none)"},
			{Name: "amortization_years", Kind: KindFloat, Default: "3", Min: MinYears, Max: MaxDays / 365.25, Unit: "y", Doc: "CapEx amortisation period"},
			flMax("infrastructure_multiplier", "1", 0, MaxMultiplier, "CapEx multiplier for servers, network and facility"),
			{Name: "carbon_tax_usd_per_t", Kind: KindFloat, Default: "0", Min: 0, Max: MaxCarbonUSDPerT, Unit: "USD/tCO2e", Doc: "carbon price added to the objective"},
			{Name: "budget_usd", Kind: KindFloat, Default: "0", Min: 0, Max: MaxUSD, Unit: "USD", Doc: "largest TCO for duration_days (wall 17); 0 sets none"},
			{Name: "carbon_budget_kg", Kind: KindFloat, Default: "0", Min: 0, Max: MaxKG, Unit: "kg", Doc: "largest operational carbon for duration_days (wall 18); 0 sets none"},
		}, goodputParams...),
		Columns: []Column{
			{Name: "total_accelerators", Doc: "nodes × accelerators per node"},
			{Name: "hardware", Type: Enum, LabelsFrom: fleetAccelerators, Doc: "the cluster's accelerator"},
			{Name: "dp", Doc: "data-parallel degree: accelerators / (tp·pp·ep) (seed); accelerators / (tp·cp·pp), ep within it (calibrated)"},
			{Name: "local_batch", Doc: "per-replica batch: max(1, batch // dp) (seed); batch / dp (calibrated)"},
			{Name: "microbatch_size", Doc: "sequences per microbatch: batch / (dp · microbatches · accumulation) (calibrated; the seed's local batch)"},
			{Name: "tokens_per_step", Unit: "tokens", Doc: "batch × seq_len"},
			{Name: "tokens_per_s", Unit: "1/s", Doc: "tokens per step / step time"},
			{Name: "node_latency_ms", Unit: "ms", Doc: "seed: per-accelerator step from the single-node roofline (whole model, local batch); calibrated: the busy time of the slowest stage (GEMMs, attention, elementwise) without exposed communication or bubble"},
			{Name: "node_offload", Type: Bool, Doc: "that node step did not fit and was priced on the host-link offload path"},
			{Name: "dp_comm_ms", Unit: "ms", Doc: "gradient all-reduce (after congestion and accumulation); calibrated: the exposed data-parallel and ZeRO collectives (with dp_shard: inside the shard group, and the all-reduce of its gradient shards across the groups)"},
			{Name: "tp_comm_ms", Unit: "ms", Doc: "tensor-parallel activation all-reduces, 4 per layer"},
			{Name: "ep_comm_ms", Unit: "ms", Doc: "expert-parallel all-to-all"},
			{Name: "cp_comm_ms", Unit: "ms", Doc: "calibrated: exposed context-parallel ring traffic (0 under seed)"},
			{Name: "pp_comm_ms", Unit: "ms", Doc: "calibrated: pipeline point-to-point sends (0 under seed)"},
			{Name: "comm_ms", Unit: "ms", Doc: "seed: dp + tp + ep communication (no overlap discount); calibrated: the exposed dp, tp, ep, cp and pp communication"},
			{Name: "bubble_ms", Unit: "ms", Doc: "pipeline bubble: seed node step × bubble fraction; calibrated (pp − 1)/V × the last stage's microbatch time; under DualPipe the idle time of the rank that finishes last in its simulated schedule"},
			{Name: "bubble_fraction", Doc: "seed (pp − 1)/(V·M + pp − 1); calibrated bubble / step"},
			{Name: "optimizer_ms", Unit: "ms", Doc: "calibrated: the optimizer step's pass over the (ZeRO-sharded) state in memory (0 under seed)"},
			{Name: "layer_forward_ms", Unit: "ms", Doc: "calibrated: one transformer layer's forward for one microbatch on one accelerator, exposed TP/CP/EP communication included (0 under seed, which has no per-layer model)"},
			{Name: "layer_backward_ms", Unit: "ms", Doc: "calibrated: one layer's backward for one microbatch, with its recomputation and exposed communication (0 under seed)"},
			{Name: "step_latency_ms", Unit: "ms", Doc: "training step time"},
			{Name: "scaling_efficiency", Doc: "node step / fleet step"},
			{Name: "fleet_throughput_per_s", Unit: "1/s", Doc: "samples per second across the fleet: calibrated batch_size / step; seed N · node throughput · scaling efficiency = N · local_batch / step (physics.md §7.2), which counts every rank's local batch: tp · pp · ep × batch_size / step where dp divides the batch (tokens_per_s is batch_size · seq_len / step in both)"},
			{Name: "node_mfu", Doc: "MFU of the node step"},
			{Name: "mfu", Doc: "model FLOPs utilisation: seed node MFU × scaling efficiency; calibrated model_flops / (step · accelerators · peak), under an FP8 recipe the linear GEMMs' FLOPs counted at the FP8 peak (docs/PHYSICS.md §35, \"FP8 mixed precision\"); model FLOPs count all s² attention scores, so with causal attention at long context it can exceed 1 (hfu cannot)"},
			{Name: "hfu", Doc: "hardware FLOPs utilisation: hardware_flops / (step · accelerators · peak), the FP8 GEMMs' at the FP8 peak as in mfu (seed: node HFU × scaling efficiency)"},
			{Name: "model_flops_per_step", Unit: "FLOP", Doc: "model FLOPs of a step, the MFU numerator (Korthikanti et al. 2022 Eq. 7 convention, after Chowdhery et al.): 3 × forward GEMM FLOPs with full s² attention and the output layer, no recomputation; with LoRA the work the step does: 2 × the frozen weights' forward (no weight gradients), 3 × attention and the adapters (docs/PHYSICS.md §35)"},
			{Name: "model_flops_6p_per_step", Unit: "FLOP", Doc: "the 6·P·tokens convention (P: active parameters, embeddings included; no attention term)"},
			{Name: "hardware_flops_per_step", Unit: "FLOP", Doc: "the FLOPs the step executes, the HFU numerator: model FLOPs plus recomputation (selective: unfused attention scores; full: a forward pass of the layers; seed: 4/3 of the model FLOPs with activation_recomputation, one more forward of everything, as its hfu = 4/3 · mfu), with fused (flash) attention its causal half of the s² scores and a backward of 2.5× its forward (FlashAttention-2 §4.1) instead of the full count, so it can fall below model_flops_per_step (docs/PHYSICS.md §35, \"FLOP conventions\")"},
			{Name: "weights_gb", Unit: "GB", Doc: "weights per accelerator (sharded over tp·pp, experts also over ep, and over dp by ZeRO-3, or over dp_shard with hybrid sharding; calibrated with pp > 1: the first stage's, its layers and the input embedding)"},
			{Name: "gradients_gb", Unit: "GB", Doc: "gradients per accelerator (FP32 under calibrated with fp32_gradients)"},
			{Name: "optimizer_state_gb", Unit: "GB", Doc: "optimizer state per accelerator (Adam: FP32 master and two moments)"},
			{Name: "activations_gb", Unit: "GB", Doc: "activations held by the first pipeline stage (calibrated: Korthikanti et al. 2022 per tensor, with TP/SP, recomputation, each routed expert's MLP (top-k), in-flight microbatches and interleaving)"},
			{Name: "buffers_gb", Unit: "GB", Doc: "gradient bucket and pipeline boundary buffers"},
			{Name: "memory_per_accelerator_gb", Unit: "GB", Doc: "training memory of this split per accelerator: weights + gradients + optimizer state + activations + buffers"},
			{Name: "memory_capacity_gb", Unit: "GB", Doc: "accelerator memory"},
			{Name: "memory_utilization", Doc: "memory per accelerator / capacity"},
			{Name: "pue", Doc: "power usage effectiveness used"},
			{Name: "grid_carbon_g_per_kwh", Unit: "gCO2e/kWh", Doc: "grid carbon intensity used (the region's or carbon_intensity_g_per_kwh)"},
			{Name: "it_energy_kwh", Unit: "kWh", Doc: "accelerator energy over duration_days (power 30–100 % of TDP by hfu, the FLOPs the hardware executes, recomputation included; or by energy_utilization)"},
			{Name: "energy_kwh", Unit: "kWh", Doc: "facility energy: IT × PUE"},
			{Name: "carbon_kg", Unit: "kg", Doc: "operational CO2e: energy × grid carbon intensity"},
			{Name: "water_l", Unit: "L", Doc: "water: energy × WUE"},
			{Name: "capex_usd", Unit: "USD", Doc: "CapEx amortised over the period"},
			{Name: "energy_cost_usd", Unit: "USD", Doc: "electricity for the period"},
			{Name: "maintenance_usd", Unit: "USD", Doc: "5 % of CapEx per year, for the period"},
			{Name: "tco_usd", Unit: "USD", Doc: "capex + energy + maintenance, or the rental price × accelerator-hours"},
			{Name: "carbon_tax_usd", Unit: "USD", Doc: "carbon tax × tCO2e"},
			{Name: "objective_usd", Unit: "USD", Doc: "TCO + carbon tax (placement objective)"},
			{Name: "job_failures_per_day", Unit: "1/d", Doc: "calibrated: failures the job expects a day, nodes × node_failures_per_1000_node_days / 1000 (0 under seed)"},
			{Name: "checkpoint_gb", Unit: "GB", Doc: "calibrated: one checkpoint, parameters × 14 bytes (16-bit weights, FP32 master, two FP32 Adam moments; 10 with BF16 moments) (0 under seed)"},
			{Name: "checkpoint_write_s", Unit: "s", Doc: "calibrated: the blocking write of one checkpoint, checkpoint_gb / (nodes × checkpoint_write_gb_per_s_per_node) (0 under seed)"},
			{Name: "checkpoint_interval_used_min", Unit: "min", Doc: "calibrated: the interval used, checkpoint_interval_min or Young's √(2·write·MTBF) (0 under seed, and when the job never fails and none is given)"},
			{Name: "goodput", Doc: "calibrated: share of the job's elapsed time that trains, 1 − write/interval − (interval/2 + restart) × failures per unit time, the rates of a run many intervals long (the study has no run length; the reliability study prices a job of given length) (Young 1974, Daly 2006; docs/PHYSICS.md §18.1); elapsed time = steady-state time / goodput; a point with goodput 0 never finishes and is infeasible (no_goodput); 1 under seed, whose fleet study has no reliability term"},
			wallSlack(1, "compute", "1 − node compute time / step"),
			wallPass(2, "memory", "the split's training memory fits per accelerator"),
			wallSlack(2, "memory", "1 − memory per accelerator / capacity"),
			wallPass(14, "communication", "the split divides: tp·pp·ep divides the accelerators (calibrated: tp·cp·pp, and layers, heads, ep, batch and seq_len divide too)"),
			wallSlack(14, "communication", "1 − (communication + bubble) / step, i.e. the scaling efficiency"),
			wallPass(17, "capital", "TCO within budget_usd (always, without a budget)"),
			wallSlack(17, "capital", "1 − TCO / budget_usd (1 without a budget)"),
			wallPass(18, "sustainability", "carbon within carbon_budget_kg (always, without a budget)"),
			wallSlack(18, "sustainability", "1 − carbon / carbon_budget_kg (1 without a budget)"),
			colBindingWall,
			colFeasible, colReason,
		},
		// Tokens per second, not the step: a grid that sweeps batch_size or seq_len compares
		// steps of different work, and the shortest step was the smallest batch's (batch 64
		// at 546 ms, 240k tokens/s, "best" over batch 1024 at 4.3 s and 489k tokens/s).
		// Where the batch and sequence are fixed the two rank alike.
		Objective: Objective{Column: "tokens_per_s"},
		check: func(p *Plan) error {
			for _, m := range p.Models {
				if !m.Family.IsTransformer() {
					return modelError{fmt.Errorf("the fleet study needs a transformer, but %s is not one (family %s)", m.Key, m.Family)}
				}
			}
			return nil
		},
		checkProfile: func(p *Plan) error { return checkTrainingProfile(p, true) },
		newEval:      newFleetEval,
	})
}

// fleetCluster holds a cluster's resolved attributes.
type fleetCluster struct {
	hwCode                    int
	nodes, perNode            float64
	intraBW                   float64
	fabricBW, fabricLat, over float64
	// The calibrated step's links: measured bus bandwidths (else nominal) and NCCL's
	// per-step latency inside a node; fabricBus already divides by the oversubscription.
	intraBus, intraHop, fabricBus float64
	// nicShare is the NICs per accelerator, at most 1 (a node's nics_per_node over its
	// accelerators; 1 where the node does not say): with fewer NICs than accelerators
	// the ranks of a node share them (docs/PHYSICS.md §35).
	nicShare float64
	// nvls: the node's accelerators share an NVSwitch that reduces in the switch
	// (catalog.Node.NVLS), so NCCL may all-reduce inside a node with NVLS (calibrated).
	nvls bool
}

// interBus is the scale-out rate per accelerator the calibrated collectives run at:
// the fabric's per-NIC bus rate (the override's where a fabric is chosen) times the
// node's NICs per accelerator.
func (c *fleetCluster) interBus(override *fleetCluster) float64 {
	bus := c.fabricBus
	if override.fabricBW > 0 {
		bus = override.fabricBus
	}
	return bus * c.nicShare
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
	fabrics    []fleetCluster // per fabric code: fabricBW, fabricLat, over, fabricBus (zero for "default")
	grids      [][3]float64   // per region code: carbon g/kWh, PUE, WUE
	unitCost   []float64      // per hardware code
	embodied   []float64

	// The step (node, distributed or calibrated, and the split's memory) runs once per
	// group of points that differ only in fleetOperationsParams; operations reads its
	// results through groups.Of.
	groups  *pointGroups
	firsts  Batch
	hwCodes []float64 // per group: hardware code
	acc     []float64 // per point: accelerators

	node  kernel.NodeIn
	nodeO kernel.NodeOut
	dist  kernel.DistIn
	distO kernel.DistOut
	step  kernel.StepIn
	stepO kernel.StepOut
	mem   kernel.TrainMemIn
	memO  kernel.TrainMemOut
	sus   kernel.SustainIn
	susO  kernel.SustainOut
	econ  kernel.EconIn
	econO kernel.EconOut
	r     fleetStep

	// memRecompute is memInputs' own recomputation column: the calibrated path then
	// points mem.Recompute at the step's (activation_checkpointing), and writing the
	// next batch's seed rule through that alias replaced the step's choice, so from a
	// worker's second batch on memory counted selective for none and full alike.
	memRecompute []kernel.Recompute
}

// fleetStep is one batch's training step under either profile, in the terms the
// output columns, walls and operations lens read (times in seconds).
type fleetStep struct {
	valid                                   []bool
	reason                                  []uint8 // why a split is invalid (reasonSplit, reasonLayers, …)
	dp, localBatch, micro                   []float64
	node, compute, memory                   []float64 // busy time and, for the binding wall, its compute and memory parts
	dpComm, tpComm, epComm, cpComm, ppComm  []float64
	comm, bubble, bubbleFraction, optimizer []float64
	step, efficiency, throughput            []float64
	nodeMFU, mfu, hfu                       []float64
	modelFLOPs, sixP, hwFLOPs               []float64
	layerFwd, layerBwd                      []float64
	offload                                 []bool
	// The whole-run reliability term (calibrated; goodput 1 under seed), per group.
	failsPerDay, ckGB, ckWrite, ckMin, goodput []float64
}

// resizeSeed gives the seed path the columns it computes itself; the rest alias the
// kernels' outputs.
func (r *fleetStep) resizeSeed(n int) {
	for _, p := range []*[]float64{&r.cpComm, &r.ppComm, &r.optimizer, &r.mfu, &r.hfu, &r.modelFLOPs, &r.sixP, &r.hwFLOPs,
		&r.layerFwd, &r.layerBwd} {
		*p = grow(*p, n)
	}
	r.reason = grow(r.reason, n)
	r.offload = grow(r.offload, n)
}

func newFleetEval(p *Plan) evaluator {
	e := &fleetEval{st: p.Study, m: newModelTable(p.Models), calibrated: p.Calibrated(),
		groups: newPointGroups(p, fleetOperationsParams...)}
	var hws []*catalog.Hardware
	hws, e.clusters, e.fabrics = clusterTables(p)
	for _, h := range hws {
		e.unitCost = append(e.unitCost, h.UnitCostUSD)
		e.embodied = append(e.embodied, h.EmbodiedCarbonKg)
	}
	e.h = newHWTable(hws, !p.Calibrated())
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
		intraBus, intraHop := intra, kernel.NCCLHopPCIeS
		hostLink, scaleUp := h.HostLink, h.ScaleUp
		if !p.Calibrated() {
			hostLink, scaleUp = h.SeedLinks() // the registry's links (newHWTable)
		}
		if scaleUp != nil {
			intraHop = kernel.NCCLHopNVLinkS
			if intra == scaleUp.PerDirectionBytesPerS() {
				intraBus = scaleUp.AchievedBusBytesPerS() // the node runs on the accelerator's own link
			}
		}
		if intra == 0 {
			// No scale-up link: accelerators in a node talk over the host link, else the fabric.
			intra = f.BytesPerS
			if hostLink != nil {
				intra = hostLink.PerDirectionBytesPerS()
			}
			intraBus = intra
		}
		nicShare := 1.0
		if n.NICsPerNode > 0 && n.NICsPerNode < n.AcceleratorsPerNode {
			nicShare = float64(n.NICsPerNode) / float64(n.AcceleratorsPerNode)
		}
		clusters = append(clusters, fleetCluster{hwCode: indexOf(keys, n.Accelerator), nodes: float64(c.Nodes),
			perNode: float64(n.AcceleratorsPerNode), intraBW: intra, fabricBW: f.BytesPerS, fabricLat: f.LatencyS, over: f.Oversubscription,
			intraBus: intraBus, intraHop: intraHop, fabricBus: f.AchievedBusBytesPerS(), nicShare: nicShare,
			nvls: p.Calibrated() && n.NVLS(h)})
	}
	for _, f := range p.Fabrics {
		fc := fleetCluster{}
		if f != nil {
			fc.fabricBW, fc.fabricLat, fc.over, fc.fabricBus = f.BytesPerS, f.LatencyS, f.Oversubscription, f.AchievedBusBytesPerS()
		}
		fabrics = append(fabrics, fc)
	}
	return hws, clusters, fabrics
}

// fleetOperationsParams are the parameters only the operations lens reads (energy,
// carbon, water, cost and the budget walls); the training step and its memory never do.
var fleetOperationsParams = []string{"region", "pue_override", "carbon_intensity_g_per_kwh", "wue_l_per_kwh",
	"power_per_accelerator_w", "rental_usd_per_accelerator_hour", "energy_utilization", "duration_days",
	"electricity_usd_per_kwh", "unit_cost_usd", "amortization_years", "infrastructure_multiplier",
	"carbon_tax_usd_per_t", "budget_usd", "carbon_budget_kg"}

func (e *fleetEval) eval(b *Batch, o *Outputs) {
	e.groups.assign(b)
	e.trainingStep(cols{e.st, e.groups.firsts(b, &e.firsts)})
	e.operations(cols{e.st, b}, o, e.groups.Of)
}

// trainingStep gathers the model's, cluster's and accelerator's attributes and prices the
// training step and its memory, one row per group.
func (e *fleetEval) trainingStep(c cols) {
	n := c.b.N
	mc, cc, fc := c.get("model"), c.get("cluster"), c.get("fabric")
	prec := c.get("precision")
	nodesIn := c.get("nodes")

	// Per point: the cluster's size and links, the accelerator's attributes.
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
	e.hwCodes = grow(e.hwCodes, n)
	codes := e.hwCodes
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

	if e.calibrated {
		e.stepCalibrated(c, codes)
		// A valid split of sequences longer than the model's context window still trains
		// nothing the model can take; the seed has no such check.
		for k, s := range nd.SeqLen {
			if e.r.reason[k] == reasonNone && e.m.exceedsContext(int(mc[k]), s) {
				e.r.reason[k] = reasonContext
			}
		}
	} else {
		e.r.resizeSeed(n)
		e.stepSeed(c)
	}
	// fp4 is ours, not the seed's, and a step in a format the accelerator has no rate for
	// is priced at a rate it lacks (TrainingPrecisionPath): both profiles refuse them
	// where eval and plans do; FP8 GEMMs need an FP8 rate.
	// Under calibrated no step trains in an integer format (IntegerTraining).
	fp8, kern, flash := c.get("fp8_recipe"), c.get("attention_kernel"), c.get("flash_attention")
	for k, p := range c.get("precision") {
		switch {
		case e.r.reason[k] != reasonNone:
		case e.calibrated && integerFormat(p):
			e.r.reason[k] = reasonNotTrained
		case e.h.precisionUnsupported(p, int(codes[k])) || e.h.trainUnsupported(p, int(codes[k])) || e.h.fp8Unsupported(fp8[k], int(codes[k])):
			e.r.reason[k] = reasonUnsupported
		case e.calibrated && e.h.flash1Unsupported(kern[k], flash[k], p, int(codes[k])):
			// FlashAttention-1 where the catalog measures no rate for it: a rate it lacks.
			e.r.reason[k] = reasonUnsupported
		}
	}
	e.reliability(c)
}

// stepSeed is the seed's Profile B step: the whole model on one accelerator at the
// local batch (kernel.SingleNode), then kernel.Distributed, and the split's memory
// (kernel.TrainingMemory) with min(pp, microbatches) microbatches in flight.
func (e *fleetEval) stepSeed(c cols) {
	n := c.b.N
	nd, d, r := &e.node, &e.dist, &e.r
	tp, pp := c.get("tp"), c.get("pp")
	ep, _, imbalance := moeLayout(c)
	batch := c.get("batch_size")
	for k := 0; k < n; k++ {
		dp, ok := kernel.DataParallel(d.Accelerators[k], tp[k], pp[k], ep[k])
		if !ok {
			dp = 1
		}
		nd.DPSize[k] = dp
		nd.Batch[k] = kernel.LocalBatch(batch[k], dp)
	}
	kernel.SingleNode(&e.nodeO, nd)

	d.NodeLatency, d.NodeThroughput = e.nodeO.Latency, e.nodeO.Throughput
	d.Layers, d.Hidden, d.Bytes = nd.Layers, nd.Hidden, nd.Bytes
	d.Batch, d.SeqLen = batch, nd.SeqLen
	d.TP, d.PP, d.EP = tp, pp, ep
	d.Microbatches, d.VirtualStages = c.get("microbatches"), c.get("virtual_stages")
	d.GradAccum = c.get("gradient_accumulation_steps")
	d.Congestion, d.Straggler, d.Imbalance = c.get("congestion"), c.get("straggler"), imbalance
	d.OverlapEfficiency = c.get("overlap_efficiency")
	d.Overlap = boolsOf(d.Overlap, c.get("overlap"))
	d.LoRA = nd.LoRA
	kernel.Distributed(&e.distO, d)

	// Per-accelerator memory of the split (§7.1): full checkpointing when recomputing, else selective.
	mm := e.memInputs(c)
	mm.Calibrated = false
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

	// The step's columns are the kernels'; the seed has no cp, pp or optimizer terms and
	// counts FLOPs its own way, so the conventions of the calibrated step are added.
	dO, no := &e.distO, &e.nodeO
	r.valid, r.dp, r.localBatch, r.micro = dO.Valid, dO.DP, dO.LocalBatch, dO.LocalBatch
	r.node, r.compute, r.memory = no.Latency, no.ComputeTime, no.MemoryTime
	r.dpComm, r.tpComm, r.epComm, r.comm = dO.DPComm, dO.TPComm, dO.EPComm, dO.Comm
	r.bubble, r.bubbleFraction = dO.Bubble, dO.BubbleFraction
	r.step, r.efficiency, r.throughput, r.nodeMFU = dO.Step, dO.ScalingEfficiency, dO.Throughput, no.MFU
	clear(r.cpComm)
	clear(r.ppComm)
	clear(r.optimizer)
	clear(r.layerFwd) // the seed has no per-layer model
	clear(r.layerBwd)
	seq, mc := nd.SeqLen, c.get("model")
	for k := 0; k < n; k++ {
		r.reason[k] = reasonNone
		switch {
		case !dO.Valid[k]:
			r.reason[k] = reasonSplit
		case d.Microbatches[k] > dO.LocalBatch[k]:
			// More microbatches than the replica has samples: the seed's bubble would be
			// priced over microbatches that cannot exist (optimize parallelism ranked
			// tp 1 · pp 2 · dp 128 with 16 microbatches of a local batch of 8), and eval
			// refuses such a plan (PlanFile.checkSplit); the calibrated step refuses any
			// batch that does not divide into dp × microbatches.
			r.reason[k] = reasonBatchDivide
		}
		r.mfu[k] = no.MFU[k] * dO.ScalingEfficiency[k]
		r.hfu[k] = no.HFU[k] * dO.ScalingEfficiency[k]
		r.offload[k] = !no.Feasible[k]
		m := int(mc[k])
		tokens := batch[k] * seq[k]
		layer := e.m.trainLayerFLOPs[m] + 4*seq[k]*nd.Hidden[k]
		r.modelFLOPs[k] = 3 * tokens * (nd.Layers[k]*layer + e.m.trainLogitFLOPs[m])
		r.hwFLOPs[k] = r.modelFLOPs[k]
		if nd.Recompute[k] {
			// The seed's recomputation reruns one forward of everything the step counts,
			// 4 passes for 3 (physics.md §5.1 item 12, Profile C: hfu = 4/3 · mfu), so its
			// hardware FLOPs are 4/3 of the model FLOPs, the output layer's included, as
			// its hfu and mfu columns say. The calibrated step's full recomputation reruns
			// the layers only (docs/PHYSICS.md §35, "FLOP conventions"); counting the
			// seed's that way put hardware_flops / model_flops at 1.31 beside hfu / mfu
			// at 4/3 in one row.
			r.hwFLOPs[k] = r.modelFLOPs[k] * 4 / 3
		}
		r.sixP[k] = 6 * e.m.trainActive[m] * tokens
	}
}

// memInputs fills the training-memory inputs both profiles share.
func (e *fleetEval) memInputs(c cols) *kernel.TrainMemIn {
	n := c.b.N
	nd, mm := &e.node, &e.mem
	mm.Params, mm.Layers, mm.Hidden, mm.Bytes = nd.Params, nd.Layers, nd.Hidden, nd.Bytes
	mm.Heads = grow(mm.Heads, n)
	mm.OptimizerBytes = grow(mm.OptimizerBytes, n)
	e.memRecompute = grow(e.memRecompute, n)
	mm.Recompute = e.memRecompute
	mm.DP = grow(mm.DP, n)
	mm.TrainableFraction = grow(mm.TrainableFraction, n)
	mm.CommBufferFraction = grow(mm.CommBufferFraction, n)
	mm.GradAccum = grow(mm.GradAccum, n)
	ga, micro := c.get("gradient_accumulation_steps"), c.get("microbatches")
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
			mm.TrainableFraction[k] = math.Min(kernel.LoRAParams(nd.Layers[k], nd.Hidden[k])/nd.Params[k], 1)
		}
		mm.CommBufferFraction[k] = kernel.DefaultCommBufferFraction
		// A pipeline splits the local batch into microbatches (the seed's Profile C composition).
		mm.GradAccum[k] = ga[k] * micro[k]
	}
	mm.Batch, mm.SeqLen, mm.TP, mm.PP, mm.EP = c.get("batch_size"), nd.SeqLen, c.get("tp"), c.get("pp"), c.get("ep")
	mm.ZeROStage = nd.ZeROStage
	mm.MemCapacity = nd.MemCapacity
	return mm
}

// stepCalibrated is the calibrated profile's step: kernel.TrainingStep on the split,
// with the measured matmul rate where the catalog has one (else efficiency × peak),
// and kernel.TrainingMemory's calibrated per-tensor count (docs/PHYSICS.md §35).
func (e *fleetEval) stepCalibrated(c cols, codes []float64) {
	n := c.b.N
	nd, st, r := &e.node, &e.step, &e.r
	mc, cc, fc, prec := c.get("model"), c.get("cluster"), c.get("fabric"), c.get("precision")
	for _, s := range []*[]float64{&st.KVHeads, &st.FFN, &st.Vocab, &st.Experts, &st.TopK, &st.ExpertParams, &st.MatmulRate, &st.AttentionRate,
		&st.SMs, &st.MemBW, &st.IntraBus, &st.InterBus, &st.IntraHop, &st.InterHop, &st.FP8Rate} {
		*s = grow(*s, n)
	}
	st.NVLS = grow(st.NVLS, n)
	st.FP8 = fp8Recipes(st.FP8, c.get("fp8_recipe"))
	st.FP8Params = boolsOf(st.FP8Params, c.get("fp8_params"))
	st.Gated = grow(st.Gated, n)
	st.Recompute = grow(st.Recompute, n)
	ckpt, kern := c.get("activation_checkpointing"), c.get("attention_kernel")
	st.RoutingGroups, st.RoutingGroupTopK = grow(st.RoutingGroups, n), grow(st.RoutingGroupTopK, n)
	for k := 0; k < n; k++ {
		m, h := int(mc[k]), int(codes[k])
		cl := &e.clusters[int(cc[k])]
		stepShape(st, k, e.m, m, e.h, h, prec[k], nd.PeakFLOPS[k]*nd.Efficiency[k])
		st.RoutingGroups[k], st.RoutingGroupTopK[k] = e.m.routingGroups[m], e.m.routingGroupTopK[m]
		if a := e.h.attentionFlash1For(float64(h), prec[k]); kern[k] == attnFlash1 && a > 0 {
			// FlashAttention-1's measured rate (docs/PHYSICS.md §35, "Attention kernel");
			// without one the row is unsupported_by_hardware (flash1Unsupported) and
			// priced at FlashAttention-2's, never at a rate of 0.
			st.AttentionRate[k] = a
		}
		st.IntraBus[k], st.IntraHop[k] = cl.intraBus, cl.intraHop
		st.NVLS[k] = cl.nvls
		st.InterBus[k], st.InterHop[k] = cl.interBus(&e.fabrics[int(fc[k])]), kernel.NCCLHopNetS
		// Enum order selective, full, none, linear_outputs, deepseek_v3 matches kernel.Recompute's.
		st.Recompute[k] = kernel.Recompute(ckpt[k])
		if nd.Recompute[k] {
			st.Recompute[k] = kernel.RecomputeFull
		}
	}
	st.Layers, st.Hidden, st.Params = nd.Layers, nd.Hidden, nd.Params
	st.Heads = headsOrDefault(st.Heads, nd.Heads)
	st.SeqLen, st.Batch = nd.SeqLen, c.get("batch_size")
	st.Microbatches, st.GradAccum = c.get("microbatches"), c.get("gradient_accumulation_steps")
	st.Accelerators, st.PerNode = e.dist.Accelerators, e.dist.PerNode
	st.TP, st.PP, st.CP, st.VirtualStages = c.get("tp"), c.get("pp"), c.get("cp"), c.get("virtual_stages")
	st.EP, st.ETP, st.Imbalance = moeLayout(c)
	st.ZeROStage, st.DPShard = nd.ZeROStage, c.get("dp_shard")
	st.SeqParallel = boolsOf(st.SeqParallel, c.get("sequence_parallel"))
	st.FlashAttention = boolsOf(st.FlashAttention, c.get("flash_attention"))
	st.OverlapDP = boolsOf(st.OverlapDP, c.get("overlap"))
	st.FP32Grads = boolsOf(st.FP32Grads, c.get("fp32_gradients"))
	st.A2AOverlap = boolsOf(st.A2AOverlap, c.get("moe_a2a_overlap"))
	// Enum order alltoall, deepep: code 1 dispatches with DeepEP.
	st.DeepEP = boolsOf(st.DeepEP, c.get("moe_dispatcher"))
	// Enum order 1f1b, dualpipe: code 1 runs DualPipe.
	st.DualPipe = boolsOf(st.DualPipe, c.get("pipeline_schedule"))
	// Enum order fp32, bf16: code 1 keeps Adam's moments in BF16.
	st.BF16Moments = boolsOf(st.BF16Moments, c.get("optimizer_state_precision"))
	// Enum order ring, allgather: code 1 gathers.
	st.CPAllGather = boolsOf(st.CPAllGather, c.get("cp_attention"))
	// Enum order fused, eager, gpt-neox.
	st.Eager = codeIs(st.Eager, c.get("transformer_execution"), execEager)
	st.NeoX = codeIs(st.NeoX, c.get("transformer_execution"), execNeoX)
	st.LoRA = nd.LoRA
	st.Bytes, st.PeakFLOPS = nd.Bytes, nd.PeakFLOPS
	st.Congestion, st.Straggler = c.get("congestion"), c.get("straggler")
	kernel.TrainingStep(&e.stepO, st)

	mm := e.memInputs(c)
	so := &e.stepO
	for k := 0; k < n; k++ {
		mm.DP[k] = math.Max(1, so.DP[k])
	}
	mm.Calibrated = true
	for k := 0; k < n; k++ {
		if st.BF16Moments[k] {
			mm.OptimizerBytes[k] = kernel.OptimizerBytesAdamBF16Moments
		}
	}
	mm.KVHeads, mm.FFN, mm.Vocab, mm.ExpertParams = st.KVHeads, st.FFN, st.Vocab, st.ExpertParams
	mm.CP, mm.VirtualStages, mm.DPShard = st.CP, st.VirtualStages, st.DPShard
	mm.ETP = st.ETP
	mm.InFlight = grow(mm.InFlight, n)
	for k := 0; k < n; k++ {
		mm.InFlight[k] = st.Microbatches[k] * st.GradAccum[k]
	}
	mm.Gated, mm.SeqParallel, mm.Flash, mm.FP32Grads = st.Gated, st.SeqParallel, st.FlashAttention, st.FP32Grads
	mm.Recompute, mm.FP8, mm.FP8Params = st.Recompute, st.FP8, st.FP8Params
	mm.Arch, mm.TopK, mm.DualPipe, mm.Imbalance = st.Arch, st.TopK, st.DualPipe, st.Imbalance
	kernel.TrainingMemory(&e.memO, mm)

	// The step's columns are the kernel's; only the reason codes and the (absent)
	// memory-bound part need their own.
	r.valid, r.dp, r.localBatch, r.micro = so.Valid, so.DP, so.LocalBatch, so.MicroBatch
	r.node, r.compute = so.Compute, so.Compute
	r.dpComm, r.tpComm, r.epComm, r.cpComm, r.ppComm, r.comm = so.DPComm, so.TPComm, so.EPComm, so.CPComm, so.PPComm, so.Comm
	r.bubble, r.bubbleFraction, r.optimizer = so.Bubble, so.BubbleFraction, so.Optimizer
	r.layerFwd, r.layerBwd = so.LayerFwd, so.LayerBwd
	r.step, r.throughput, r.efficiency = so.Step, so.SamplesPS, so.Efficiency
	r.mfu, r.hfu, r.nodeMFU = so.MFU, so.HFU, so.ComputeMFU
	r.modelFLOPs, r.hwFLOPs, r.sixP = so.ModelFLOPs, so.HWFLOPs, so.SixPFLOPs
	r.reason = grow(r.reason, n)
	r.memory = grow(r.memory, n)
	r.offload = grow(r.offload, n)
	clear(r.memory)
	clear(r.offload)
	for k := 0; k < n; k++ {
		r.reason[k] = stepReasons[so.Reason[k]]
	}
}

// stepShape fills row k of the calibrated step's model and accelerator inputs from
// model code m and hardware code h: the layer's shape, the measured matmul rate at the
// precision (else fallback, efficiency × peak) and attention rate (else the matmul
// rate), SMs and the measured HBM rate. The fleet and node studies share it, so that
// one accelerator is priced alike in both.
func stepShape(st *kernel.StepIn, k int, mt *modelTable, m int, ht *hwTable, h int, prec, fallback float64) {
	st.KVHeads[k], st.Vocab[k] = mt.kvHeads[m], mt.vocab[m]
	st.Experts[k], st.TopK[k] = mt.experts[m], mt.expertsPerToken[m]
	if len(st.Arch) != len(st.FFN) {
		st.Arch = grow(st.Arch, len(st.FFN))
	}
	st.FFN[k], st.Gated[k], st.ExpertParams[k], st.Arch[k] = mt.trainShape(m)
	// A training step keeps the accelerator at its power limit: its GEMMs run at the
	// sustained rate where the catalog measures one (trainMatmulFor).
	st.MatmulRate[k] = ht.trainMatmulFor(float64(h), prec)
	if st.MatmulRate[k] == 0 {
		st.MatmulRate[k] = fallback
	}
	st.AttentionRate[k] = ht.attentionFor(float64(h), prec)
	if st.AttentionRate[k] == 0 {
		st.AttentionRate[k] = st.MatmulRate[k]
	}
	st.SMs[k], st.MemBW[k] = ht.sms[h], ht.achievable[h]
	st.FP8Rate[k] = ht.trainMatmulFor(float64(h), float64(kernel.FP8))
	// The FP8 peak: what MFU and HFU count the FP8 GEMMs' FLOPs at (kernel.StepIn.FP8Peak).
	if len(st.FP8Peak) != len(st.FFN) {
		st.FP8Peak = grow(st.FP8Peak, len(st.FFN))
	}
	st.FP8Peak[k] = ht.peakFor(float64(h), float64(kernel.FP8))
	if st.FP8Rate[k] == 0 {
		// No FP8 rate: the row is unsupported_by_hardware (fp8Unsupported) and priced
		// without FP8, never at a rate of 0.
		st.FP8[k] = kernel.FP8None
	}
}

// fp8Recipes converts the fp8_recipe column (codes in kernel.FP8Recipe order).
func fp8Recipes(dst []kernel.FP8Recipe, codes []float64) []kernel.FP8Recipe {
	dst = grow(dst, len(codes))
	for k, c := range codes {
		dst[k] = kernel.FP8Recipe(c)
	}
	return dst
}

// headsOrDefault returns heads with a model's unstated (0) head count as kernel.DefaultHeads.
func headsOrDefault(dst, heads []float64) []float64 {
	dst = grow(dst, len(heads))
	for k, a := range heads {
		dst[k] = a
		if a == 0 {
			dst[k] = kernel.DefaultHeads
		}
	}
	return dst
}

// operations writes the step's columns and the operations lens: power follows the
// fleet's hardware utilisation, then carbon, water and TCO, walls and feasibility.
// The step's results are per group: point k reads row of[k].
func (e *fleetEval) operations(c cols, o *Outputs, of []int32) {
	n := c.b.N
	nd, d, r := &e.node, &e.dist, &e.r
	rc, cc := c.get("region"), c.get("cluster")
	e.acc = grow(e.acc, n)
	spread(e.acc, d.Accelerators, of)
	su := &e.sus
	su.Accelerators, su.Days = e.acc, c.get("duration_days")
	for _, s := range []*[]float64{&su.TDP, &su.Utilization, &su.PUE, &su.CarbonGPerKWh, &su.WUE, &su.EmbodiedKg} {
		*s = grow(*s, n)
	}
	pueIn, utilIn := c.get("pue_override"), c.get("energy_utilization")
	carbonIn, wueIn := c.get("carbon_intensity_g_per_kwh"), c.get("wue_l_per_kwh")
	for k := 0; k < n; k++ {
		g, j := e.grids[int(rc[k])], of[k]
		su.TDP[k] = nd.TDP[j]
		su.Utilization[k] = r.hfu[j]
		if utilIn[k] >= 0 {
			su.Utilization[k] = utilIn[k]
		}
		su.CarbonGPerKWh[k], su.PUE[k], su.WUE[k] = g[0], g[1], g[2]
		if pueIn[k] > 0 {
			su.PUE[k] = pueIn[k]
		}
		if carbonIn[k] >= 0 {
			su.CarbonGPerKWh[k] = carbonIn[k]
		}
		if wueIn[k] >= 0 {
			su.WUE[k] = wueIn[k]
		}
		su.EmbodiedKg[k] = 0 // the seed counts no embodied carbon by default
	}
	su.PowerPerAccelerator = c.get("power_per_accelerator_w")
	kernel.Sustainability(&e.susO, su)

	ec := &e.econ
	unitIn := c.get("unit_cost_usd")
	ec.UnitCostUSD = grow(ec.UnitCostUSD, n)
	for k := 0; k < n; k++ {
		ec.UnitCostUSD[k] = unitIn[k]
		if unitIn[k] == 0 {
			ec.UnitCostUSD[k] = e.unitCost[e.clusters[int(cc[k])].hwCode]
		}
	}
	ec.Accelerators, ec.Days = e.acc, su.Days
	ec.InfraMultiplier, ec.AmortizationYears = c.get("infrastructure_multiplier"), c.get("amortization_years")
	ec.EnergyKWh, ec.CarbonKg = e.susO.EnergyKWh, e.susO.CarbonKg
	ec.PriceUSDPerKWh, ec.CarbonTaxUSDPerT = c.get("electricity_usd_per_kwh"), c.get("carbon_tax_usd_per_t")
	ec.RentalUSDPerHour = c.get("rental_usd_per_accelerator_hour")
	kernel.Economics(&e.econO, ec)

	w := outs{e.st, o}
	mO := &e.memO
	copy(w.f("total_accelerators"), e.acc)
	spread(w.f("dp"), r.dp, of)
	spread(w.f("local_batch"), r.localBatch, of)
	spread(w.f("microbatch_size"), r.micro, of)
	spreadScaled(w.f("node_latency_ms"), r.node, of, 1e3)
	spreadScaled(w.f("dp_comm_ms"), r.dpComm, of, 1e3)
	spreadScaled(w.f("tp_comm_ms"), r.tpComm, of, 1e3)
	spreadScaled(w.f("ep_comm_ms"), r.epComm, of, 1e3)
	spreadScaled(w.f("cp_comm_ms"), r.cpComm, of, 1e3)
	spreadScaled(w.f("pp_comm_ms"), r.ppComm, of, 1e3)
	spreadScaled(w.f("comm_ms"), r.comm, of, 1e3)
	spreadScaled(w.f("bubble_ms"), r.bubble, of, 1e3)
	spread(w.f("bubble_fraction"), r.bubbleFraction, of)
	spreadScaled(w.f("optimizer_ms"), r.optimizer, of, 1e3)
	spreadScaled(w.f("layer_forward_ms"), r.layerFwd, of, 1e3)
	spreadScaled(w.f("layer_backward_ms"), r.layerBwd, of, 1e3)
	spreadScaled(w.f("step_latency_ms"), r.step, of, 1e3)
	spread(w.f("scaling_efficiency"), r.efficiency, of)
	spread(w.f("fleet_throughput_per_s"), r.throughput, of)
	spread(w.f("node_mfu"), r.nodeMFU, of)
	spread(w.f("mfu"), r.mfu, of)
	spread(w.f("hfu"), r.hfu, of)
	spread(w.f("model_flops_per_step"), r.modelFLOPs, of)
	spread(w.f("model_flops_6p_per_step"), r.sixP, of)
	spread(w.f("hardware_flops_per_step"), r.hwFLOPs, of)
	spreadScaled(w.f("weights_gb"), mO.Weights, of, 1e-9)
	spreadScaled(w.f("gradients_gb"), mO.Gradients, of, 1e-9)
	spreadScaled(w.f("optimizer_state_gb"), mO.Optimizer, of, 1e-9)
	spreadScaled(w.f("activations_gb"), mO.Activations, of, 1e-9)
	spreadScaled(w.f("buffers_gb"), mO.Buffers, of, 1e-9)
	spreadScaled(w.f("memory_per_accelerator_gb"), mO.Total, of, 1e-9)
	spreadScaled(w.f("memory_capacity_gb"), nd.MemCapacity, of, 1e-9)
	spread(w.f("memory_utilization"), mO.Utilization, of)
	copy(w.f("pue"), su.PUE)
	copy(w.f("grid_carbon_g_per_kwh"), su.CarbonGPerKWh)
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
	batch, seq := c.get("batch_size"), nd.SeqLen
	tokens, tokensPS := w.f("tokens_per_step"), w.f("tokens_per_s")
	hwOut, off := w.c("hardware"), w.b("node_offload")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	wc, wmp, wms, wcp, wcs, binding := w.f("wall_1_compute_slack"), w.b("wall_2_memory_pass"), w.f("wall_2_memory_slack"),
		w.b("wall_14_communication_pass"), w.f("wall_14_communication_slack"), w.c("binding_wall")
	pp, vs := c.get("pp"), c.get("virtual_stages")
	for k := 0; k < n; k++ {
		j := of[k]
		step := r.step[j]
		// Interleaving splits pipeline stages: at pp 1 there are none, and the step
		// would be pp 1's under another name (a plan refuses it, PlanFile.CheckEffect).
		noPipe := vs[k] > 1 && pp[k] == 1
		tokens[k] = batch[k] * seq[j]
		tokensPS[k] = 0
		if step > 0 {
			tokensPS[k] = tokens[k] / step
		}
		wmp[k], wcp[k] = mO.Feasible[j], r.valid[j] && !noPipe
		wms[k] = 1 - mO.Total[j]/nd.MemCapacity[j]
		wc[k], wcs[k] = 0, 0
		if r.valid[j] {
			wc[k] = 1 - r.compute[j]/step
			wcs[k] = r.efficiency[j]
		}
		// Binding: a violated wall, else the largest share of the step.
		comm := step - r.node[j]
		switch {
		case !r.valid[j], noPipe:
			binding[k] = wallCommunication
		case !mO.Feasible[j]:
			binding[k] = wallMemory
		case comm > r.compute[j] && comm > r.memory[j]:
			binding[k] = wallCommunication
		case r.memory[j] > r.compute[j]:
			binding[k] = wallMemory
		default:
			binding[k] = wallCompute
		}
		hwOut[k] = uint8(e.clusters[int(cc[k])].hwCode)
		off[k] = r.offload[j]
		switch {
		case !r.valid[j], r.reason[j] != reasonNone:
			feas[k], reason[k] = false, r.reason[j]
		case noPipe:
			feas[k], reason[k] = false, reasonNoPipeline
		case !mO.Feasible[j]:
			feas[k], reason[k] = false, reasonOOM
		default:
			feas[k], reason[k] = true, reasonNone
		}
	}
	if e.calibrated {
		spread(w.f("job_failures_per_day"), r.failsPerDay, of)
		spread(w.f("checkpoint_gb"), r.ckGB, of)
		spread(w.f("checkpoint_write_s"), r.ckWrite, of)
		spread(w.f("checkpoint_interval_used_min"), r.ckMin, of)
		spread(w.f("goodput"), r.goodput, of)
		// A job whose failures and checkpoints leave it no useful time never finishes:
		// its whole run (tokens / throughput / goodput) has no length. The reliability
		// study refuses the same job (wall 15, no_goodput); so does the fleet, which
		// priced it as a feasible step with goodput 0 (1M H100s: Llama-3 8B, 131,072
		// DGX nodes fail 852 times a day, every 101 s).
		g := w.f("goodput")
		for k := 0; k < n; k++ {
			if feas[k] && !(g[k] > 0) {
				feas[k], reason[k], binding[k] = false, reasonNoGoodput, wallFragility
			}
		}
	} else { // the seed has no reliability term in its fleet study
		clear(w.f("job_failures_per_day"))
		clear(w.f("checkpoint_gb"))
		clear(w.f("checkpoint_write_s"))
		clear(w.f("checkpoint_interval_used_min"))
		for k, g := 0, w.f("goodput"); k < n; k++ {
			g[k] = 1
		}
	}
	e.budgetWalls(c, w)
}

// reliability prices, once per group, the calibrated whole-run goodput of each point's
// job (kernel.TrainingGoodput: node failures, restarts, work redone and blocking
// checkpoint writes); under seed, whose fleet study has no reliability term, goodput is 1.
// Its inputs are the group's (nodes, model) and its own parameters, which the step does
// not read but which are grouped on, so a grid varying only region or prices prices it
// once per step.
func (e *fleetEval) reliability(c cols) {
	if !e.calibrated {
		return // operations writes the seed's goodput of 1
	}
	n, r := c.b.N, &e.r
	for _, p := range []*[]float64{&r.failsPerDay, &r.ckGB, &r.ckWrite, &r.ckMin, &r.goodput} {
		*p = grow(*p, n)
	}
	d := &e.dist
	mc, osp := c.get("model"), c.get("optimizer_state_precision")
	rf, restart := c.get("node_failures_per_1000_node_days"), c.get("restart_min")
	bw, interval := c.get("checkpoint_write_gb_per_s_per_node"), c.get("checkpoint_interval_min")
	for k := 0; k < n; k++ {
		nodes := d.Accelerators[k] / d.PerNode[k]
		// The study has no run length (duration_days prices energy and cost, and a case's
		// tokens stay in its predict expression): the steady-state rates, work 0.
		bytes, g := goodputOf(nodes, e.m.params[int(mc[k])], osp[k] == 1 /* bf16 moments */, rf[k], restart[k], bw[k], interval[k], 0)
		r.failsPerDay[k] = nodes * rf[k] / 1000
		r.ckGB[k], r.ckWrite[k], r.ckMin[k], r.goodput[k] = bytes*1e-9, g.WriteS, g.IntervalS/60, g.Goodput
	}
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
