package sweep

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
)

// EffectNotes names the grid spec's parameters that change nothing at any point of the
// plan: the grid's side of PlanFile.CheckEffect (docs/PLAN.md, "Keys that change
// nothing") and of serve's refused flags. A grid is a cross product, so a parameter
// read at some points and not at others is fine; one read at none makes every row
// look as if it answered a question the spec asked. Such a parameter is noted with its
// spec line, not refused: grids that sweep it on purpose (benchmarks of the
// evaluator's reuse) still run. The cases:
//   - efficiency in the calibrated fleet study when every model is a transformer and
//     every accelerator has a measured matmul rate at every precision: the training
//     step runs its GEMMs at that rate (docs/PHYSICS.md §35), as a plan's
//     hardware.efficiency;
//   - spec_tokens and spec_acceptance in a serving study whose draft_model is none at
//     every point (serve refuses --spec-* without --draft-model);
//   - engine and step_overhead_ms in a serving study under the seed profile, whose
//     step has no engine terms (serve refuses --engine and --step-overhead-ms there), and
//     ep above 1 there, whose step has no expert parallelism (serve refuses --ep);
//   - prefill_tp in a serve-deploy grid that is aggregated at every point, and in a
//     serve-sim grid whose prefill_instances is 0 at every point;
//   - under the seed profile, the calibrated parameters it never reads (seedUnread);
//   - sparsity and sparsity_type in a compression grid whose method is never pruning,
//     and target_bitwidth in one whose method is never quantization; flash_attention
//     in an efficiency grid whose workload_type is never attention;
//   - output_tokens in a serve grid whose qps is 0 at every point (serve refuses
//     --output-tokens without --qps);
//   - optimizer_state_precision, pipeline_schedule, moe_a2a_overlap and moe_dispatcher in
//     the fleet study under the seed profile (FP32 Adam state, no optimizer pass, the 1F1B
//     bubble only, every all-to-all exposed, every routed copy sent on its own);
//   - dp_shard in the fleet and train-memory studies under the seed profile (no hybrid
//     sharding there) or when zero_stage is 0 at every point (nothing is sharded);
//   - transformer_execution in the fleet and node studies under the seed profile, whose
//     step has no per-layer elementwise work to run fused or eager (a plan and eval
//     refuse it there), and in a calibrated node grid with no transformer that has a
//     layer shape;
//   - attention_kernel in the fleet study under the seed profile (no attention core in
//     its step) or when flash_attention is false at every point (no fused kernel runs);
//   - overlap_efficiency in the calibrated fleet study when every model is a
//     transformer: the calibrated step hides the DP collectives behind as much of the
//     backward as they overlap (docs/PHYSICS.md §35), not a fixed share;
//   - etp in the fleet and train-memory studies under the seed profile (no expert
//     tensor parallelism), and moe_imbalance, cp, flash_attention and fp32_gradients in
//     the train-memory study under it (its own formula counts none of them);
//   - in the node study, the training-only parameters when training is false at every
//     point, dp_size when zero_stage is 0 at every point (it only divides ZeRO's
//     shards), and activation_recomputation under calibrated when every model is a
//     CNN that lists its convolutions (its step recomputes none, §36–37): eval refuses
//     the same flags (lora there too: a CNN has no attention to adapt); seq_len when
//     no model is a transformer.
func (p *Plan) EffectNotes() []string {
	if p.Spec == nil {
		return nil
	}
	var notes []string
	note := func(name, why string) {
		if line := p.Spec.line(name); line > 0 {
			notes = append(notes, fmt.Sprintf("%s:%d: %s changes nothing at any point of this grid: %s", p.Spec.File, line, name, why))
		}
	}
	if why := p.unreadEfficiency(); why != "" {
		note("efficiency", why)
	}
	// A rental price (power and facility included) replaces capex and energy
	// (kernel.Economics, kernel.AcceleratorHourUSD): where every point rents,
	// the price of electricity and of buying the hardware is never read.
	rental := map[string]string{"fleet": "rental_usd_per_accelerator_hour"}[p.Study.Name]
	if p.valuesOf("accelerator_hour_usd") != nil {
		rental = "accelerator_hour_usd"
	}
	if v := p.valuesOf(rental); rental != "" && v != nil && !slices.Contains(v.Nums, 0) {
		unread := []string{"electricity_usd_per_kwh", "unit_cost_usd", "amortization_years"}
		if rental == "accelerator_hour_usd" {
			// A serving study reads the region for its electricity price alone
			// (no carbon or water columns); a fleet's region sets carbon too.
			unread = append(unread, "region")
		}
		for _, name := range unread {
			note(name, rental+" is above 0 at every point, and a rental price covers the hardware, its power and the facility (no capex or energy cost is added); drop it, or add "+rental+": 0 to price owned accelerators")
		}
	}
	if p.Study.Name == "fleet" && p.Calibrated() && p.allTransformers() {
		note("overlap_efficiency", "under the calibrated profile the fleet's transformer training step hides the data-parallel collectives behind the backward they overlap (docs/PHYSICS.md §35), not a fixed share; set overlap true/false instead, or use --profile seed")
	}
	if p.Study.Name == "fleet" {
		switch f := p.labels("flash_attention"); {
		case !p.Calibrated():
			note("attention_kernel", "the seed profile's training step has no attention core to run at a kernel's rate (docs/PHYSICS.md §35); use --profile calibrated or drop it")
		case len(f) == 1 && f[0] == "false":
			note("attention_kernel", "flash_attention is false at every point, and only a fused attention kernel has a kernel's rate; add flash_attention true or drop it")
		}
	}
	if p.Study.Name == "fleet" && !p.Calibrated() {
		note("optimizer_state_precision", "the seed profile's training memory keeps FP32 Adam state and its step has no optimizer pass (docs/PHYSICS.md §35); use --profile calibrated or drop it")
		note("pipeline_schedule", "the seed profile's step prices the 1F1B bubble only (docs/PHYSICS.md §35 prices DualPipe); use --profile calibrated or drop it")
		note("moe_a2a_overlap", "the seed profile's step exposes every all-to-all (docs/PHYSICS.md §35 prices combined 1F1B); use --profile calibrated or drop it")
		note("moe_dispatcher", "the seed profile's step sends every routed copy of a token on its own (docs/PHYSICS.md §35 prices DeepEP's per-node dispatch); use --profile calibrated or drop it")
	}
	if (p.Study.Name == "fleet" || p.Study.Name == "reliability") && !p.Calibrated() {
		for _, name := range goodputParamNames {
			note(name, "the seed profile has no whole-run goodput term (docs/PHYSICS.md §18.1 is the calibrated profile's; the seed's reliability study prices its own §18 model); use --profile calibrated or drop it")
		}
	}
	if p.Study.Name == "reliability" && !p.Calibrated() {
		note("optimizer_state_precision", "the seed profile's checkpoint counts bytes by optimizer (docs/PHYSICS.md §19); use --profile calibrated or drop it")
	}
	if p.Study.Name == "reliability" && p.Calibrated() {
		for _, name := range []string{"checkpoint_time_s", "recovery_time_s", "checkpoint_interval_hours", "writers", "filesystem_limit_gb_per_s"} {
			note(name, "under the calibrated profile the reliability study prices the fleet study's whole-run goodput (docs/PHYSICS.md §18.1: a failure costs restart_min and half an interval, a checkpoint writes at checkpoint_write_gb_per_s_per_node a node every checkpoint_interval_min); use those, or --profile seed")
		}
	}
	if (p.Study.Name == "fleet" || p.Study.Name == "train-memory") && !p.Calibrated() {
		note("etp", "the seed profile has no expert tensor parallelism (experts shard as the rest of the model does; docs/PHYSICS.md §35 prices etp); use --profile calibrated or drop it")
	}
	if p.Study.Name == "train-memory" && !p.Calibrated() {
		note("moe_imbalance", "the seed profile's training memory counts no routed experts' intermediates, which the busiest rank's share would scale (docs/PHYSICS.md §35); use --profile calibrated or drop it")
		for _, name := range []string{"cp", "flash_attention", "fp32_gradients"} {
			note(name, "the seed profile's training memory counts its activations and gradients by its own formula (physics.md §7.1), with no context parallelism, attention kernel or gradient precision of its own (docs/PHYSICS.md §35 counts them); use --profile calibrated or drop it")
		}
	}
	if !p.Calibrated() {
		for _, name := range seedUnread[p.Study.Name] {
			note(name, "a term of the calibrated profile (its description says so: mlsysim sweep --columns "+p.Study.Name+"), which the seed profile reads at no point; use --profile calibrated or drop it")
		}
	}
	if (p.Study.Name == "fleet" || p.Study.Name == "node") && !p.Calibrated() {
		note("transformer_execution", "the seed profile's training step has no per-layer elementwise work to run fused or eager (docs/PHYSICS.md §35); use --profile calibrated or drop it")
	}
	if p.Study.Name == "fleet" || p.Study.Name == "train-memory" {
		switch z := p.labels("zero_stage"); {
		case !p.Calibrated():
			note("dp_shard", "the seed profile has no hybrid sharding (ZeRO shards over every data-parallel rank); use --profile calibrated or drop it")
		case len(z) == 1 && z[0] == "0":
			note("dp_shard", "zero_stage is 0 at every point, and dp_shard only says over how many data-parallel ranks ZeRO shards; add a zero_stage 1–3 or drop it")
		}
	}
	if p.Study.Name == "node" {
		if !slices.Contains(p.valuesOf("training").Nums, 1) {
			for _, name := range nodeTrainingParams {
				note(name, "training is false at every point and only a training step reads it; add training: [true] or drop it")
			}
		} else {
			if z := p.labels("zero_stage"); len(z) == 1 && z[0] == "0" {
				note("dp_size", "zero_stage is 0 at every point, and on one accelerator dp_size only divides ZeRO's shards (no all-reduce is priced); add a zero_stage 1–3, or sweep the fleet study for data parallelism")
			}
			if p.Calibrated() && !slices.ContainsFunc(p.Models, func(m *catalog.Model) bool { return m.Family.IsTransformer() && m.HiddenDim > 0 }) {
				note("transformer_execution", "no model here is a transformer with a layer shape (hidden size), and only such a model's layered training step runs its elementwise work fused or eager (eval refuses --transformer-execution for the others); drop it")
			}
			if !slices.ContainsFunc(p.Models, func(m *catalog.Model) bool { return m.Family.IsTransformer() }) {
				note("seq_len", "no model here is a transformer, and only a transformer's training step has a sequence length (eval refuses --seq-len for the others); drop it")
			}
			if p.Calibrated() && p.allLayeredCNNs() {
				note("activation_recomputation", "under the calibrated profile every model here is a CNN whose step stores every feature map and recomputes none (docs/PHYSICS.md §36–37); drop it, or use --profile seed")
				note("lora", "every model here is a CNN, without the attention projections LoRA adapts: under the calibrated profile it trains in full (docs/PHYSICS.md §37); drop it, or use --profile seed")
			}
		}
	}
	if p.Study.Name == "compression" {
		methods := p.labels("method")
		if !slices.Contains(methods, "pruning") {
			for _, name := range []string{"sparsity", "sparsity_type"} {
				note(name, "method is never pruning, and only pruning reads it (kernel.Compression); add method pruning or drop it")
			}
		}
		if !slices.Contains(methods, "quantization") {
			note("target_bitwidth", "method is never quantization, and only quantization reads it (kernel.Compression); add method quantization or drop it")
		}
	}
	if p.Study.Name == "efficiency" && !slices.Contains(p.labels("workload_type"), "attention") {
		note("flash_attention", "workload_type is never attention, and only an attention kernel runs as FlashAttention (kernel.Efficiency); add workload_type attention or drop it")
	}
	if modes := p.labels("mode"); len(modes) == 1 && modes[0] == "aggregated" {
		note("prefill_tp", "mode is aggregated at every point, and only disaggregated prefill instances read it; add mode disaggregated or drop it")
	}
	if pi := p.valuesOf("prefill_instances"); pi != nil && !slices.ContainsFunc(pi.Nums, func(v float64) bool { return v > 0 }) {
		note("prefill_tp", "prefill_instances is 0 at every point (colocated: each replica prefills its own prompts), and only disaggregated prefill instances read it (serve refuses --prefill-tp without --prefill-instances); add prefill_instances 1 or more, or drop it")
	}
	if p.Study.Name == "serve" {
		if q := p.valuesOf("qps").Nums; !slices.ContainsFunc(q, func(v float64) bool { return v > 0 }) {
			note("output_tokens", "qps is 0 at every point, and only a replica under a request rate reads it; add a qps above 0 or drop it")
		}
	}
	if drafts := p.labels("draft_model"); drafts != nil {
		if len(drafts) == 1 && drafts[0] == "none" {
			for _, name := range []string{"spec_tokens", "spec_acceptance"} {
				note(name, "draft_model is none at every point and only speculative decoding reads it; add a draft_model (mtp or a model key) or drop it")
			}
		}
		if !p.Calibrated() {
			for _, name := range []string{"engine", "step_overhead_ms"} {
				note(name, "the seed profile's serving step has no engine terms (kernels, all-reduce latency, step overhead, memory budget are the calibrated step's); use --profile calibrated or drop it")
			}
			if eps := p.valuesOf("ep"); eps != nil && slices.ContainsFunc(eps.Nums, func(v float64) bool { return v > 1 }) {
				note("ep", "the seed profile's serving step has no expert parallelism (no all-to-all, every expert priced as at ep 1; only the split rules read it); use --profile calibrated or drop it")
			}
		}
	}
	return notes
}

// seedUnread are, per study, the calibrated profile's parameters the seed profile's
// evaluation never reads that no other note covers (checked by sweeping each under seed:
// every row the same): the fleet's activation_checkpointing (the seed reads
// activation_recomputation), sequence parallelism, context parallelism and its attention,
// fused attention and FP32 gradients; train-memory's sequence parallelism and pipeline
// microbatches and interleaving; the node study's CNN execution; the batching study's token
// budget, finite benchmark and CUDA-graph padding.
var seedUnread = map[string][]string{
	"fleet":        {"activation_checkpointing", "sequence_parallel", "cp", "cp_attention", "flash_attention", "fp32_gradients"},
	"train-memory": {"sequence_parallel", "microbatches", "virtual_stages"},
	"node":         {"cnn_execution"},
	"batching":     {"max_num_tokens", "requests", "cuda_graph_padding"},
}

// line is the spec line that sets a parameter, 0 when the spec leaves it at its default.
func (s *Spec) line(name string) int {
	for _, group := range [][]specAxis{s.Fixed, s.Axes} {
		for _, a := range group {
			if a.name == name {
				return a.line
			}
		}
	}
	return 0
}

// labels are a parameter's values as text, nil when the study has no such parameter.
func (p *Plan) labels(name string) []string {
	for _, v := range p.Values {
		if v.Param.Name == name {
			out := []string{}
			for i := range v.Nums {
				out = append(out, v.text(i))
			}
			return out
		}
	}
	return nil
}

// unreadEfficiency says why no point of a calibrated fleet grid reads efficiency, or "".
func (p *Plan) unreadEfficiency() string {
	if p.Study.Name != "fleet" || !p.Calibrated() || !p.allTransformers() {
		return ""
	}
	precisions := p.labels("precision")
	var accels []string
	for _, cl := range p.Clusters {
		n, err := p.Catalog.NodeByKey(cl.Node)
		if err != nil {
			return ""
		}
		h, err := p.Catalog.HardwareByKey(n.Accelerator)
		if err != nil {
			return ""
		}
		for _, prec := range precisions {
			if _, _, measured := h.MeasuredMatmul(prec); !measured {
				return ""
			}
		}
		if !slices.Contains(accels, h.Key) {
			accels = append(accels, h.Key)
		}
	}
	return fmt.Sprintf("under the calibrated profile the fleet's transformer training step runs its GEMMs at the measured matmul rate of %s at %s (docs/PHYSICS.md §35), not efficiency × peak, so its rows repeat one another; drop it, or use --profile seed",
		strings.Join(accels, ", "), strings.Join(precisions, ", "))
}

// allTransformers reports whether every model of the plan is a transformer, the
// models the calibrated fleet step prices.
func (p *Plan) allTransformers() bool {
	for _, m := range p.Models {
		if !m.Family.IsTransformer() {
			return false
		}
	}
	return true
}

// allLayeredCNNs reports whether every model of the plan lists its convolutions,
// the CNNs the calibrated node step prices layer by layer.
func (p *Plan) allLayeredCNNs() bool {
	for _, m := range p.Models {
		if len(m.ConvLayers) == 0 {
			return false
		}
	}
	return len(p.Models) > 0
}
