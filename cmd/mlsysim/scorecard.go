package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/kernel"
)

// scorecard renders one node-study row the way the seed's 3-lens evaluation does,
// plus a plain-words explanation of what bounds the step and what would help.
type scorecard struct {
	scenario string
	row      map[string]any
	reason   string
	// measuredEff is the accelerator's measured matmul efficiency at the row's precision
	// (0: none in the catalog). A layered calibrated step prices its matmuls at it, not at
	// the efficiency column, so the header names the rate that was used.
	measuredEff float64
	// fp8Eff is the measured FP8 matmul efficiency, the rate of the linear GEMMs of a
	// training step with an fp8_recipe (docs/PHYSICS.md §35, "FP8 mixed precision").
	fp8Eff float64
	// sustainedEff and sustainedFP8Eff are the matmul efficiencies at the power limit
	// (catalog gemm_sustained_efficiency, 0: none), which a transformer's training step
	// runs its GEMMs at where the catalog has them (docs/PHYSICS.md §35, "Sustained
	// matmul rate"); a CNN's step keeps the measured burst.
	sustainedEff, sustainedFP8Eff float64
	// transformer and layeredCNN decide which memory flags are advised: recomputation
	// shrinks only a transformer's stored activations (a calibrated CNN's step
	// recomputes none, and other models count none), and LoRA has no attention to
	// adapt in a calibrated CNN; eval refuses those flags there.
	transformer, layeredCNN bool
	// inferredFFN is the MLP width the calibrated training step inferred from the
	// parameter count where the catalog entry states no intermediate_dim (0: stated).
	// inferredPerExpert: that width is each expert's (a MoE).
	inferredFFN       float64
	inferredPerExpert bool
}

// newScorecard renders row; why is its infeasible_reason in words (app.infeasibleWhy).
func newScorecard(scenario string, row map[string]any, why string) *scorecard {
	return &scorecard{scenario: scenario, row: row, reason: why}
}

// tooLong says the row is infeasible because its sequence exceeds the model's context
// window, not because it does not fit in memory.
func (s *scorecard) tooLong() bool { return s.row["infeasible_reason"] == "exceeds_context" }

func (s *scorecard) f(k string) float64 {
	switch v := s.row[k].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return math.NaN()
}

func (s *scorecard) str(k string) string { return fmt.Sprint(s.row[k]) }

func (s *scorecard) feasible() bool { return s.row["feasible"] == true }

func status(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// json is the seed's flat key layout (interface.md §1.5.1) plus our extras.
func (s *scorecard) json() orderedObject {
	ok := s.feasible()
	eff, fp8 := s.usedEfficiency()
	obj := orderedObject{
		{"scenario", s.scenario},
		{"f_status", status(ok)}, {"p_status", status(ok)}, {"m_status", "SKIPPED"},
		{"f_memory_used_gb", s.f("memory_footprint_gb")},
		{"f_memory_capacity_gb", s.f("memory_capacity_gb")},
		{"f_memory_utilization", s.f("memory_utilization")},
		{"f_activation_memory_gb", s.f("activation_memory_gb")},
		{"f_activation_memory", s.str("activation_memory")},
		{"p_latency", s.f("latency_ms")},
		{"p_throughput", s.f("throughput_per_s")},
		{"p_tokens_per_step", s.f("tokens_per_step")},
		{"p_tokens_per_s", s.f("tokens_per_s")},
		{"p_mfu", s.f("mfu")},
		{"p_hfu", s.f("hfu")},
		{"p_bottleneck", s.str("bottleneck")},
		{"p_latency_compute", s.f("latency_compute_ms")},
		{"p_latency_memory", s.f("latency_memory_ms")},
		{"p_latency_overhead", s.f("latency_overhead_ms")},
		{"p_arithmetic_intensity", s.f("arithmetic_intensity_flop_per_byte")},
		{"p_energy_j", s.energyJ()},
		{"p_overhead_dominated", s.row["overhead_dominated"]},
		{"binding_wall", s.str("binding_wall")},
		{"model", s.str("model")}, {"hardware", s.str("hardware")}, {"precision", s.str("precision")},
		{"batch_size", s.row["batch_size"]}, {"efficiency", eff}, {"training", s.row["training"]},
		{"profile", s.row["profile"]}, {"infeasible_reason", s.row["infeasible_reason"]},
	}
	if fp8 > 0 {
		obj = append(obj, kv{"efficiency_fp8", fp8})
	}
	return obj
}

func (s *scorecard) render(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, s.json())
	case "markdown":
		fmt.Fprintf(w, "## MLSys·im scorecard: %s\n\n", s.scenario)
		fmt.Fprintf(w, "| lens | status | summary |\n|---|---|---|\n")
		for _, l := range s.lenses() {
			fmt.Fprintf(w, "| %s | %s | %s |\n", l[0], l[1], l[2])
		}
		if note := s.memoryNote(); note != "" {
			fmt.Fprintf(w, "\n%s\n", note)
		}
		if note := s.shapeNote(); note != "" {
			fmt.Fprintf(w, "\n%s\n", note)
		}
		fmt.Fprintf(w, "\n| metric | value |\n|---|---|\n")
		for _, m := range s.metrics() {
			fmt.Fprintf(w, "| %s | %s |\n", m[0], m[1])
		}
		fmt.Fprintf(w, "\n**Why.** %s\n\n**What would help.**\n", s.why())
		for _, h := range s.help() {
			fmt.Fprintf(w, "- %s\n", h)
		}
		return nil
	}
	mode := "inference"
	if s.row["training"] == true {
		mode = "training"
	}
	fmt.Fprintf(w, "MLSys·im scorecard — %s\n", s.scenario)
	fmt.Fprintf(w, "%s, %s, batch %v, %s\n\n", mode, s.str("precision"), s.row["batch_size"], s.rate())
	for _, l := range s.lenses() {
		fmt.Fprintf(w, "  %-12s %-8s %s\n", l[0], l[1], l[2])
	}
	if note := s.memoryNote(); note != "" {
		fmt.Fprintf(w, "  %-12s %-8s %s\n", "", "", note)
	}
	if note := s.shapeNote(); note != "" {
		fmt.Fprintf(w, "  %-12s %-8s %s\n", "", "", note)
	}
	fmt.Fprintln(w)
	for _, m := range s.metrics() {
		fmt.Fprintf(w, "  %-22s %s\n", m[0], m[1])
	}
	fmt.Fprintf(w, "\nBinding wall: %s (mlsysim walls for the taxonomy)\nWhy: %s\n\nWhat would help:\n", wallText(s.row["binding_wall"]), s.why())
	for _, h := range s.help() {
		fmt.Fprintf(w, "  • %s\n", h)
	}
	return nil
}

// wallText is a binding_wall for text: a point refused before any wall (a sequence past the
// context, a format the accelerator has no rate for; sweep/binding.go) names none.
func wallText(wall any) string {
	if wall == nil || wall == "" {
		return "none (refused before any wall)"
	}
	return fmt.Sprint(wall)
}

func (s *scorecard) lenses() [][3]string {
	used, capGB := s.f("memory_footprint_gb"), s.f("memory_capacity_gb")
	feas := fmt.Sprintf("%s of %s memory used (%s)", fmtGB(used), fmtGB(capGB), fmtPct(s.f("memory_utilization")))
	perf := fmt.Sprintf("%s-bound: %s per step, %s/s", s.str("bottleneck"), fmtMs(s.f("latency_ms")), fmtCount(s.f("throughput_per_s")))
	switch {
	case s.tooLong():
		feas = s.reason
		perf += " (infeasible: priced as if the model took the sequence)"
	case !s.feasible():
		feas = fmt.Sprintf("needs %s but has %s: out of memory", fmtGB(used), fmtGB(capGB))
		if s.transformerLayered() {
			perf += " (infeasible: priced as if it fitted)"
		} else {
			perf += " (infeasible: priced on the host-link offload path)"
		}
	}
	return [][3]string{
		{"Feasibility", status(s.feasible()), feas},
		{"Performance", status(s.feasible()), perf},
		{"Macro", "SKIPPED", "no ops config (cost, carbon and water need a fleet plan)"},
	}
}

// shapeNote says when a calibrated transformer step runs on an MLP width inferred from
// the parameter count rather than one the catalog states (sweep.InferredMLPWidth).
func (s *scorecard) shapeNote() string {
	if s.inferredFFN <= 0 || !s.transformerLayered() {
		return ""
	}
	return fmt.Sprintf("note: %s's entry states no intermediate_dim, so the layers' MLP is inferred from its parameter count (plain, %.0f wide%s), not a published shape", s.str("model"), s.inferredFFN, map[bool]string{true: " per expert", false: ""}[s.inferredPerExpert])
}

// memoryNote says when the footprint leaves the activations out, so that a memory PASS
// reads as the lower bound it is (the activation_memory column, docs/PHYSICS.md §37).
func (s *scorecard) memoryNote() string {
	switch s.str("activation_memory") {
	case "no_layer_list":
		return fmt.Sprintf("note: activations not counted (no activation model for %s: transformers and CNNs that list their convolutions have one): the footprint is weights and training state only, a lower bound", s.str("model"))
	case "seed_profile":
		return "note: activations not counted (the seed profile counts none for a CNN; --profile calibrated counts its feature maps): a lower bound"
	case "inference_kv_cache":
		return "note: activations and KV cache not counted (weights only; mlsysim serve models the KV cache): a lower bound"
	}
	return ""
}

// energyJ is p_energy_j: null where the text says the energy is unknown (no TDP), so
// JSON does not report as 0 J what the text calls unknown.
func (s *scorecard) energyJ() any {
	if s.energyUnknown() {
		return nil
	}
	return s.f("energy_j")
}

func (s *scorecard) energyUnknown() bool { return s.f("energy_j") == 0 && s.f("latency_ms") > 0 }

// energy renders energy_j. The node study writes 0 J when the catalog states no TDP
// (the seed's rule, physics.md §5.1 step 13): a step that takes time cannot take no energy,
// so the scorecard says the energy is unknown rather than print 0 J.
func (s *scorecard) energy() string {
	if s.energyUnknown() {
		return fmt.Sprintf("unknown: %s states no TDP (the energy_j column holds 0; JSON p_energy_j is null)", s.str("hardware"))
	}
	return fmt.Sprintf("%.4g J per step", s.f("energy_j"))
}

func (s *scorecard) metrics() [][2]string {
	fEff := s.f("peak_flops_tflops") * s.f("efficiency")
	bw := s.f("effective_bandwidth_gb_per_s")
	ridge := fEff * 1e12 / (bw * 1e9)
	m := [][2]string{
		{"step latency", fmt.Sprintf("%s = max(compute, memory) + overhead", fmtMs(s.f("latency_ms")))},
		{"  compute", fmt.Sprintf("%s at %.4g TFLOP/s effective (%.4g peak × %.2f)", fmtMs(s.f("latency_compute_ms")), fEff, s.f("peak_flops_tflops"), s.f("efficiency"))},
		{"  memory", fmt.Sprintf("%s at %s", fmtMs(s.f("latency_memory_ms")), fmtBandwidth(bw*1e9))},
		{"  overhead", fmt.Sprintf("%s (dispatch + per-layer framework tax)", fmtMs(s.f("latency_overhead_ms")))},
		{"throughput", fmt.Sprintf("%.4g per second", s.f("throughput_per_s"))},
		{"tokens", fmt.Sprintf("%s per step, %s per second", groupDigits(s.f("tokens_per_step")), fmtTokenRate(s.f("tokens_per_s")))},
		{"arithmetic intensity", fmt.Sprintf("%.4g FLOP/byte (ridge point %.4g)", s.f("arithmetic_intensity_flop_per_byte"), ridge)},
		{"MFU / HFU", s.utilisation()},
		{"energy", s.energy()},
	}
	if act := s.f("activation_memory_gb"); act > 0 {
		what := "live feature maps at the peak of the pass"
		if s.row["training"] == true {
			what = "stored for the backward pass"
		}
		m = append(m, [2]string{"activations", fmt.Sprintf("%s of the %s footprint, %s", fmtGB(act), fmtGB(s.f("memory_footprint_gb")), what)})
	}
	if s.row["cnn_layered"] == true {
		// The calibrated CNN step (docs/PHYSICS.md §36) is not one roofline over the model.
		exec := s.str("cnn_execution")
		m[0][1] = fmt.Sprintf("%s = each layer's roofline in turn + elementwise passes + overhead (%s)", fmtMs(s.f("latency_ms")), exec)
		if exec == "graph" {
			m[0][1] = fmt.Sprintf("%s = max(compute, memory) over the fused graph + overhead", fmtMs(s.f("latency_ms")))
			if s.row["training"] != true {
				m[3][1] = fmt.Sprintf("%s (dispatch + a fixed cost per fused kernel)", fmtMs(s.f("latency_overhead_ms")))
			}
		}
		m[1][1] = fmt.Sprintf("%s of convolution FLOPs at the measured matmul rate (else efficiency × peak), per layer with wave quantisation", fmtMs(s.f("latency_compute_ms")))
		m[2][1] = fmt.Sprintf("%s of feature-map traffic (convolutions and elementwise layers) at %s", fmtMs(s.f("latency_memory_ms")), fmtBandwidth(bw*1e9))
		if s.row["training"] == true {
			m[0][1] = strings.Replace(m[0][1], " + overhead", " + the optimizer's pass + overhead", 1)
			m[2][1] = fmt.Sprintf("%s of feature-map traffic (convolutions and elementwise layers) and the optimizer's pass over the model states, at %s", fmtMs(s.f("latency_memory_ms")), fmtBandwidth(bw*1e9))
		}
		m = slices.Delete(m, 6, 7) // a ridge point of η × peak does not describe per-layer rates
	}
	if s.transformerLayered() {
		// The calibrated transformer step (docs/PHYSICS.md §35) is the fleet study's on one accelerator.
		m[0][1] = fmt.Sprintf("%s = the layers' forward and backward + the optimizer step (the fleet study's step on one accelerator)", fmtMs(s.f("latency_ms")))
		elementwise := "elementwise passes"
		switch s.row["transformer_execution"] {
		case "eager":
			elementwise = "elementwise ops one kernel each (eager PyTorch: FP32 norms and rotary, a fixed cost per kernel)"
		case "gpt-neox":
			elementwise = "GPT-NeoX's elementwise ops and copies one kernel each (LayerNorm, bias adds, partial rotary, the Flash Attention layout, a fixed cost per kernel)"
		}
		m[1][1] = fmt.Sprintf("%s in the layers: GEMMs at the measured matmul rate (else efficiency × peak), fused attention, %s at %s", fmtMs(s.f("latency_compute_ms")), elementwise, fmtBandwidth(bw*1e9))
		m[2][1] = fmt.Sprintf("%s for the optimizer's pass over the training state it holds (under ZeRO its shard) at %s", fmtMs(s.f("latency_memory_ms")), fmtBandwidth(bw*1e9))
		m = slices.Delete(m, 3, 4) // no framework tax beside the step's kernels
		m = slices.Delete(m, 5, 6) // a ridge point of η × peak does not describe per-GEMM rates
		if spill := s.f("offload_spill_gb"); spill > 0 {
			m = append(m, [2]string{"over capacity", fmt.Sprintf("%.1f GB more than the accelerator holds (the step is not priced over the host link)", spill)})
		}
		return m
	}
	if spill := s.f("offload_spill_gb"); spill > 0 {
		m = append(m, [2]string{"offloaded", fmt.Sprintf("%.1f GB streamed over the host link", spill)})
	}
	return m
}

// utilisation renders MFU and HFU. MFU's numerator counts all s² attention scores (the
// published convention: PaLM App. B, Megatron-LM Eq. 3), which a causal step does not
// execute, so at long context it can pass 100 %; the line says so rather than print an
// impossible-looking share bare. HFU counts what the step executes (docs/PHYSICS.md §35,
// "FLOP conventions").
func (s *scorecard) utilisation() string {
	line := fmt.Sprintf("%s / %s", fmtPct(s.f("mfu")), fmtPct(s.f("hfu")))
	if s.f("mfu") > 1 {
		line += " (MFU counts all s² attention scores, the published convention; the causal step executes about half of them, so MFU passes 100 %; HFU counts the FLOPs executed)"
	}
	return line
}

// transformerLayered reports a calibrated transformer training step (the node study's
// transformer_layered column).
func (s *scorecard) transformerLayered() bool { return s.row["transformer_layered"] == true }

// smallerFormat suggests the widest narrower weight format whose weights fit beside the
// activations, for inference only: a mixed-precision training step keeps FP32 gradients
// and Adam state whatever the format, so a narrower one does not make it fit.
func (s *scorecard) smallerFormat(used, capGB, act float64) string {
	p, err := kernel.ParsePrecision(s.str("precision"))
	if err != nil || s.row["training"] == true {
		return ""
	}
	weights := used - act
	for _, f := range []kernel.Precision{kernel.INT8, kernel.INT4} {
		if w := weights * f.Bytes() / p.Bytes(); f.Bytes() < p.Bytes() && w+act <= capGB {
			return fmt.Sprintf("a smaller format: %s weights take %.3g GB instead of %.3g GB and fit (-p %s)", f, w, weights, f)
		}
	}
	return ""
}

// rate names what prices the matmuls: a layered calibrated step (a CNN's convolutions, a
// transformer's training step) runs them at the accelerator's measured rate where the
// catalog has one; everything else at the efficiency column × peak.
func (s *scorecard) rate() string {
	layered := s.transformerLayered() || s.row["cnn_layered"] == true
	eff, fp8 := s.usedEfficiency()
	held := ""
	if s.transformerLayered() && s.sustainedEff > 0 {
		held = " held at the power limit"
	}
	if s.fp8Recipe() {
		r, _ := s.row["fp8_recipe"].(string)
		if s.row["fp8_params"] == true {
			r += " scaling, FP8 primary weights" // --fp8-params: no 16-bit copy of the linear weights
		} else {
			r += " scaling"
		}
		return fmt.Sprintf("linear matmuls in FP8 (%s) at the measured %.2f of the fp8 peak, the rest at %.2f of the %s peak%s", r, fp8, eff, s.str("precision"), held)
	}
	if s.transformerLayered() && held != "" {
		return fmt.Sprintf("matmuls at the measured %.2f of peak%s", eff, held)
	}
	if layered && s.measuredEff > 0 {
		return fmt.Sprintf("matmuls at the measured %.2f of peak", eff)
	}
	return fmt.Sprintf("efficiency %.2f", eff)
}

// fp8Recipe reports whether a layered training step ran its linear GEMMs in FP8.
func (s *scorecard) fp8Recipe() bool {
	r, _ := s.row["fp8_recipe"].(string)
	return s.transformerLayered() && r != "" && r != "none"
}

// usedEfficiency is the fraction of peak the step's matmuls ran at, as the header (rate)
// names it: a layered calibrated step's measured rate (a transformer's training step at
// the rate held at the power limit where the catalog has one), else the efficiency column.
// fp8 is the linear GEMMs' rate under an FP8 recipe (0 without one). The JSON reports these,
// not the --efficiency a layered step never read (it printed 0.5 beside "matmuls at the
// measured 0.72 of peak").
func (s *scorecard) usedEfficiency() (eff, fp8 float64) {
	eff = s.f("efficiency")
	layered := s.transformerLayered() || s.row["cnn_layered"] == true
	if layered && s.measuredEff > 0 {
		eff = s.measuredEff
	}
	if s.transformerLayered() && s.sustainedEff > 0 {
		eff = s.sustainedEff
	}
	if s.fp8Recipe() {
		fp8 = s.fp8Eff
		if s.sustainedFP8Eff > 0 {
			fp8 = s.sustainedFP8Eff
		}
	}
	return eff, fp8
}

func (s *scorecard) why() string {
	tc, tm, to := s.f("latency_compute_ms"), s.f("latency_memory_ms"), s.f("latency_overhead_ms")
	switch {
	case s.tooLong():
		return s.reason + "; the numbers price a step the model cannot run."
	case !s.feasible() && s.transformerLayered():
		return fmt.Sprintf("the run needs %.1f GB (weights, FP32 gradients, Adam state and the stored activations) but the accelerator holds %.1f GB; the step (%s) is priced as if it fitted.",
			s.f("memory_footprint_gb"), s.f("memory_capacity_gb"), fmtMs(s.f("latency_ms")))
	case s.transformerLayered():
		return fmt.Sprintf("the layers' GEMMs, attention and elementwise passes (%s) take %s of the step; the optimizer's pass over the training state takes %s.",
			fmtMs(tc), fmtPct(tc/s.f("latency_ms")), fmtMs(tm))
	case !s.feasible():
		return fmt.Sprintf("the run needs %.1f GB but the accelerator holds %.1f GB, so the rest streams over the host link at %s; that transfer (%s) sets the step time.",
			s.f("memory_footprint_gb"), s.f("memory_capacity_gb"), fmtBandwidth(s.f("effective_bandwidth_gb_per_s")*1e9), fmtMs(tm))
	case s.row["overhead_dominated"] == true:
		return fmt.Sprintf("fixed overhead (%s of dispatch and per-layer or per-kernel tax) is larger than both the math (%s) and the memory traffic (%s): the device mostly waits on software.",
			fmtMs(to), fmtMs(tc), fmtMs(tm))
	case s.row["cnn_layered"] == true && s.str("bottleneck") == "Memory":
		return fmt.Sprintf("the feature maps that the convolutions and the batch-norm, ReLU and residual layers read and write (%s) outweigh the convolutions' math (%s): bandwidth, not FLOP/s, sets the pace.",
			fmtMs(tm), fmtMs(tc))
	case s.str("bottleneck") == "Memory":
		// The whole-model roofline's traffic is the weights and 0.1 × the weights per
		// sample (kernel.ActivationTrafficFraction): at batch 256 the weights are 4 % of it,
		// and "streams the weights (127.5 ms)" gave them the whole time.
		return fmt.Sprintf("each step streams the weights and the modelled activation traffic (0.1 × the weights per sample, %s of it at batch %d) from memory (%s) while the math takes only %s: arithmetic intensity %.3g FLOP/byte is below the ridge point, so bandwidth, not FLOP/s, sets the pace.",
			fmtPct(activationShare(s.f("batch_size"))), int(s.f("batch_size")), fmtMs(tm), fmtMs(tc), s.f("arithmetic_intensity_flop_per_byte"))
	case s.row["cnn_layered"] == true:
		return fmt.Sprintf("the convolutions' math (%s, at the measured matmul rate, else efficiency × peak, and the share of the SMs their tiles fill) outlasts the feature-map traffic (%s).",
			fmtMs(tc), fmtMs(tm))
	default:
		return fmt.Sprintf("the math (%s) outlasts the memory traffic (%s): arithmetic intensity %.3g FLOP/byte is above the ridge point, so peak FLOP/s × efficiency sets the pace.",
			fmtMs(tc), fmtMs(tm), s.f("arithmetic_intensity_flop_per_byte"))
	}
}

// activationShare is the modelled activation traffic's share of a whole-model roofline's
// bytes at a batch: 0.1·b·W of W + 0.1·b·W (kernel.ActivationTrafficFraction).
func activationShare(batch float64) float64 {
	a := kernel.ActivationTrafficFraction * batch
	return a / (1 + a)
}

func (s *scorecard) help() []string {
	var h []string
	prec := s.str("precision")
	batch := s.f("batch_size")
	switch {
	case s.tooLong():
		h = append(h, "a seq_len within the model's context window (-s), or a model with a longer one (mlsysim zoo models shows context_tokens)")
	case !s.feasible():
		used, capGB, act := s.f("memory_footprint_gb"), s.f("memory_capacity_gb"), s.f("activation_memory_gb")
		if act > used/2 {
			// The activations grow with the batch; the rest of the footprint does not.
			if fit := math.Floor((capGB - (used - act)) / (act / batch)); fit >= 1 {
				h = append(h, fmt.Sprintf("a smaller batch: the activations take %.3g GB (%.3g MB per sample), so -b %d fits", act, act/batch*1e3, int(fit)))
			}
			// Advice names only what the point does not already do (--activation-recomputation
			// was offered to a run that recomputed, and data parallelism to one sequence).
			if s.row["training"] == true && s.transformer && s.row["activation_recomputation"] != true {
				h = append(h, "recompute activations in the backward pass (--activation-recomputation)")
			}
			if batch > 1 {
				h = append(h, "an accelerator with more memory (mlsysim zoo hardware), or data parallelism over several, each with part of the batch")
			} else {
				h = append(h, "an accelerator with more memory (mlsysim zoo hardware), or the sequence split over several (context parallelism: the fleet study's cp)")
			}
			break
		}
		if hint := s.smallerFormat(used, capGB, act); hint != "" {
			h = append(h, hint)
		}
		if s.row["training"] == true {
			var flags []string
			if !(s.f("zero_stage") >= 3) {
				flags = append(flags, "--zero-stage 3 --dp-size N")
			} else {
				flags = append(flags, fmt.Sprintf("a --dp-size above %g (ZeRO-3's shards shrink with the ranks)", s.f("dp_size")))
			}
			if s.transformer && s.row["activation_recomputation"] != true {
				flags = append(flags, "--activation-recomputation")
			}
			if !s.layeredCNN && s.row["lora"] != true {
				flags = append(flags, "--lora")
			}
			last := len(flags) - 1
			if last > 0 {
				flags[last] = "or " + flags[last]
			}
			h = append(h, "shrink the training state: "+strings.Join(flags, ", "))
		}
		h = append(h, "an accelerator with more memory (mlsysim zoo hardware), or split the model over several (tensor/pipeline parallelism)")
	case s.transformerLayered():
		if tm := s.f("latency_memory_ms"); tm > 0.1*s.f("latency_ms") {
			// The optimizer's pass is per step; the layers' time grows with the batch.
			h = append(h, fmt.Sprintf("a larger batch (or gradient accumulation) amortises the optimizer's pass, %s of the step", fmtPct(tm/s.f("latency_ms"))))
		}
		if !s.fp8Recipe() && prec != "fp8" { // FP8 GEMMs already run at the highest rate a training step uses
			h = append(h, "a format with a higher peak rate where the device has one (fp8 is 2× fp16 on H100)")
		}
		h = append(h, "more accelerators: the fleet study splits the step over tp, pp, cp and dp")
	case s.row["overhead_dominated"] == true:
		h = append(h, fmt.Sprintf("a larger batch amortises the fixed overhead (try -b %d)", int(batch)*8))
		h = append(h, "fewer, fused kernels (CUDA graphs, compilation) shrink the per-layer tax")
	case s.row["cnn_layered"] == true && s.str("bottleneck") == "Memory":
		if s.str("cnn_execution") == "eager" {
			h = append(h, "fuse the elementwise layers (--cnn-execution fused_bn_act, or graph for an inference engine such as TensorRT): each unfused batch norm, ReLU and residual add is another pass over the feature maps")
		}
		h = append(h, "a larger batch gains little: feature-map traffic grows with the batch as fast as the math")
		if prec == "fp16" || prec == "bf16" || prec == "fp32" || prec == "tf32" {
			h = append(h, "fewer bytes per element: fp8/int8 halves the feature-map traffic of fp16 (-p fp8 or -p int8)")
		}
		h = append(h, "an accelerator with more memory bandwidth (HBM3e parts such as H200 or B200)")
	case s.str("bottleneck") == "Memory":
		// t_comp grows as a·B, t_mem as m0·(1 + 0.1·B): the step turns compute-bound at B* = m0/(a − 0.1·m0).
		a := s.f("latency_compute_ms") / batch
		m0 := s.f("latency_memory_ms") / (1 + 0.1*batch)
		// While memory-bound, throughput B/(m0·(1 + 0.1·B)) still rises with the batch, towards 10/m0.
		gain := 2 * (1 + 0.1*batch) / (1 + 0.2*batch)
		switch {
		case a > 0.1*m0:
			h = append(h, fmt.Sprintf("a larger batch: weights are read once per step, so batch ≈ %.0f would make the step compute-bound", math.Ceil(m0/(a-0.1*m0))))
		case gain >= 1.1:
			h = append(h, fmt.Sprintf("a larger batch raises throughput (×%.2f at -b %d) though the step stays memory-bound: the modelled activation traffic (0.1 × weights per sample) grows with it", gain, int(batch)*2))
		default:
			h = append(h, fmt.Sprintf("a larger batch gains little here (×%.2f at -b %d): the modelled activation traffic (0.1 × weights per sample) grows as fast as the math", gain, int(batch)*2))
		}
		if prec == "fp16" || prec == "bf16" || prec == "fp32" || prec == "tf32" {
			h = append(h, "fewer bytes per weight: fp8/int8 halves the traffic of fp16 (-p fp8 or -p int8)")
		}
		h = append(h, "an accelerator with more memory bandwidth (HBM3e parts such as H200 or B200)")
	default:
		h = append(h, "a format with a higher peak rate where the device has one (fp8 is 2× fp16 on H100)")
		if s.measuredEff > 0 && s.row["cnn_layered"] == true {
			// Priced at the measured matmul rate: -e is refused here (eval.go).
			if s.str("cnn_execution") != "graph" {
				h = append(h, "fused layers: --cnn-execution graph prices an inference engine such as TensorRT")
			}
			h = append(h, "a batch whose convolutions fill the SMs' last wave of tiles (docs/PHYSICS.md §36)")
		} else {
			h = append(h, "better kernels: efficiency (-e) is the achieved share of peak; 0.4–0.55 is typical for tuned training")
		}
		h = append(h, "more accelerators: the work divides across them (fleet studies)")
	}
	return h
}
