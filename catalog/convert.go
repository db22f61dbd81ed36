package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/suggest"
)

// converter turns raw YAML entries into typed ones, keeping the first error with
// its file and line.
type converter struct {
	file string
	line int
	key_ string
	err  error
}

func (cv *converter) fail(field, msg string) {
	if cv.err != nil {
		return
	}
	where := fmt.Sprintf("%s:%d", cv.file, cv.line)
	if cv.key_ != "" {
		cv.err = fmt.Errorf("%s: entry %s: %s: %s", where, cv.key_, field, msg)
	} else {
		cv.err = fmt.Errorf("%s: %s: %s", where, field, msg)
	}
}

func (cv *converter) key(k string) string {
	cv.key_ = k
	if err := checkKey(k); err != nil {
		cv.fail("key", err.Error())
	}
	return k
}

// q parses an optional quantity; absent gives 0.
func (cv *converter) q(v *qty, d Dimension, field string) float64 {
	if v == nil {
		return 0
	}
	f, err := ParseQuantity(v.s, d)
	if err != nil {
		if cv.err == nil {
			cv.err = fmt.Errorf("%s:%d: entry %s: %s: %v", cv.file, v.line, cv.key_, field, err)
		}
		return 0
	}
	if f < 0 && cv.err == nil {
		cv.err = fmt.Errorf("%s:%d: entry %s: %s: must not be negative", cv.file, v.line, cv.key_, field)
	}
	return f
}

// req parses a required positive quantity.
func (cv *converter) req(v *qty, d Dimension, field string) float64 {
	if v == nil {
		cv.fail(field, fmt.Sprintf("missing (want a %s such as %s)", d, example(d)))
		return 0
	}
	f := cv.q(v, d, field)
	if f <= 0 && cv.err == nil {
		cv.err = fmt.Errorf("%s:%d: entry %s: %s: must be > 0", cv.file, v.line, cv.key_, field)
	}
	return f
}

func (cv *converter) need(n num, field string) float64 {
	if !n.set {
		cv.fail(field, "missing")
	}
	return n.v
}

func example(d Dimension) string {
	switch d {
	case Bytes:
		return `"80 GiB"`
	case BytesPerSecond:
		return `"3.35 TB/s"`
	case FLOPsPerSecond:
		return `"989 TFLOP/s"`
	case FLOPs:
		return `"16.06 GFLOP"`
	case Watts:
		return `"700 W"`
	case Seconds:
		return `"0.01 ms"`
	}
	return `"<number> <unit>"`
}

// SourceKinds are the kinds of source a catalog value may cite (docs/CATALOG.md,
// "Sources"). A misspelt kind (datashet) passed for a citation of no kind.
var SourceKinds = []string{"datasheet", "literature", "microbenchmark", "estimate", "derived", "convention",
	"illustrative", "industry_report", "measurement", "code", "documentation"}

func (cv *converter) sourceKind(field, kind string) {
	if !slices.Contains(SourceKinds, kind) {
		cv.fail(field, fmt.Sprintf("%q is not a kind of source%s; kinds: %s", kind, suggest.Hint(kind, SourceKinds), strings.Join(SourceKinds, ", ")))
	}
}

// provenance checks an entry's sources; entry is the raw entry they belong
// to, whose fields field_sources must name.
func (cv *converter) provenance(r *rawProvenance, entry any) Provenance {
	p := Provenance{FieldSources: r.FieldSources, Corrections: r.Corrections, Notes: r.Notes,
		Upstream: r.Upstream, File: fmt.Sprintf("%s:%d", cv.file, cv.line)}
	if r.Source == nil || r.Source.Kind == "" || r.Source.Ref == "" {
		cv.fail("source", "every entry needs a source with kind and ref (see docs/CATALOG.md)")
	} else {
		p.Source = *r.Source
		cv.sourceKind("source.kind", r.Source.Kind)
	}
	for _, f := range slices.Sorted(maps.Keys(r.FieldSources)) {
		if r.FieldSources[f].Ref == "" {
			cv.fail("field_sources."+f, "needs a ref")
		}
		cv.sourceKind("field_sources."+f+".kind", r.FieldSources[f].Kind)
		// A misspelt path (memory.capacty) sourced nothing, and the number
		// it was meant for went without its source, silently.
		if !isFieldPath(entry, f) {
			paths, _ := fieldPaths(entry)
			cv.fail("field_sources."+f, "names no field of the entry"+suggest.Hint(f, paths)+"; give the field's path as written in the entry, e.g. memory.bandwidth")
		}
	}
	for _, c := range r.Corrections {
		if c.Field == "" || c.Reason == "" || c.Source.Ref == "" {
			cv.fail("corrections", "each correction needs field, reason and source.ref")
		}
	}
	return p
}

func (cv *converter) link(r *rawLink, field string) *Link {
	if r == nil {
		return nil
	}
	l := &Link{Name: r.Name, BytesPerS: cv.req(r.Bandwidth, BytesPerSecond, field+".bandwidth"),
		Direction: r.Direction, LatencyS: cv.q(r.Latency, Seconds, field+".latency"),
		BusBytesPerS: cv.q(r.BusBandwidth, BytesPerSecond, field+".bus_bandwidth"), NVLS: r.NVLS}
	if r.NVLS && field != "scale_up" {
		cv.fail(field+".nvls", "only a scale_up link can reduce in its switch (NVLink SHARP); set it there")
	}
	switch l.Direction {
	case "":
		// Read as per direction, a datasheet's bidirectional NVLink total
		// (900 GB/s on an H100) doubled every collective's bandwidth term
		// without a word; every link the catalog ships states it.
		cv.fail(field+".direction", "missing: say whether bandwidth is per_direction (Ethernet, PCIe, InfiniBand figures) or bidirectional_total (NVLink and ICI datasheet figures); collectives use the rate per direction")
	case PerDirection, BidirectionalTotal:
	default:
		cv.fail(field+".direction", fmt.Sprintf("%q is not per_direction or bidirectional_total", r.Direction))
	}
	if l.BusBytesPerS > l.PerDirectionBytesPerS() {
		cv.fail(field+".bus_bandwidth", fmt.Sprintf("%.4g GB/s exceeds the link's %.4g GB/s per direction; a measured bus bandwidth is at most the line rate",
			l.BusBytesPerS/1e9, l.PerDirectionBytesPerS()/1e9))
	}
	return l
}

func (cv *converter) hardware(r *rawHardware, tier string) *Hardware {
	h := &Hardware{Key: cv.key(r.Key), Name: r.Name, Tier: tier, ReleaseYear: r.ReleaseYear,
		PeakFLOPS: cv.req(r.Peak, FLOPsPerSecond, "peak"), SMCount: r.SMCount,
		ClockHz:  cv.q(r.ClockRate, Hertz, "clock_rate"),
		HostLink: cv.link(r.HostLink, "host_link"), ScaleUp: cv.link(r.ScaleUp, "scale_up"),
		TDPW: cv.q(r.TDP, Watts, "tdp"), TDPMinW: cv.q(r.TDPMin, Watts, "tdp_min"), TDPMaxW: cv.q(r.TDPMax, Watts, "tdp_max"),
		BatteryJ: cv.q(r.Battery, Joules, "battery"), UnitCostUSD: cv.q(r.UnitCost, USD, "unit_cost"),
		UnitCostMaxUSD: cv.q(r.UnitCostMax, USD, "unit_cost_max"), AcceleratorCount: r.AcceleratorCount,
		EmbodiedCarbonKg: cv.q(r.EmbodiedCarbon, Kilograms, "embodied_carbon"),
		DispatchTaxS:     DefaultDispatchTaxS,
	}
	if r.DispatchTax != nil {
		h.DispatchTaxS = cv.q(r.DispatchTax, Seconds, "dispatch_tax")
	}
	if len(r.Rates) > 0 {
		h.Rates = make(map[string]float64, len(r.Rates))
		for k, v := range r.Rates {
			cv.rateKey("rates", k)
			h.Rates[k] = cv.req(v, FLOPsPerSecond, "rates."+k)
		}
	}
	if r.Memory == nil {
		cv.fail("memory", "missing (capacity and bandwidth are required)")
	} else {
		m := r.Memory
		h.MemCapacityBytes = cv.req(m.Capacity, Bytes, "memory.capacity")
		h.MemBandwidthBytesPerS = cv.req(m.Bandwidth, BytesPerSecond, "memory.bandwidth")
		h.SRAMCapacityBytes = cv.q(m.SRAMCapacity, Bytes, "memory.sram_capacity")
		h.SRAMBandwidthBytesPerS = cv.q(m.SRAMBandwidth, BytesPerSecond, "memory.sram_bandwidth")
		h.FlashCapacityBytes = cv.q(m.FlashCapacity, Bytes, "memory.flash_capacity")
		h.FlashBandwidthBytesPerS = cv.q(m.FlashBandwidth, BytesPerSecond, "memory.flash_bandwidth")
		h.L2CacheBytes = cv.q(m.L2Cache, Bytes, "memory.l2_cache")
		h.RegisterFilePerSMBytes = cv.q(m.RegisterFilePerSM, Bytes, "memory.register_file_per_sm")
		h.SharedMemoryPerSMBytes = cv.q(m.SharedMemoryPerSM, Bytes, "memory.shared_memory_per_sm")
		h.AchievableBandwidthBytesPerS = cv.q(m.AchievableBW, BytesPerSecond, "memory.achievable_bandwidth")
		if h.AchievableBandwidthBytesPerS > h.MemBandwidthBytesPerS {
			cv.fail("memory.achievable_bandwidth", "a measured bandwidth cannot exceed the peak memory.bandwidth")
		}
		h.L2BandwidthBytesPerS = cv.q(m.L2BW, BytesPerSecond, "memory.l2_bandwidth")
		if m.L2BW != nil && h.L2BandwidthBytesPerS <= h.MemBandwidthBytesPerS {
			cv.fail("memory.l2_bandwidth", "an L2 cache's bandwidth is above the memory.bandwidth it caches; is it in TB/s?")
		}
	}
	h.GEMMEfficiency = cv.efficiencies(r.GEMMEfficiency, "gemm_efficiency")
	h.AttentionEfficiency = cv.efficiencies(r.AttnEfficiency, "attention_efficiency")
	h.GEMMSustainedEfficiency = cv.efficiencies(r.GEMMSustained, "gemm_sustained_efficiency")
	h.AttentionEfficiencyFlash1 = cv.efficiencies(r.AttnFlash1, "attention_efficiency_flash1")
	for k, v := range h.GEMMSustainedEfficiency {
		if e, ok := h.GEMMEfficiency[k]; !ok || v > e {
			cv.fail("gemm_sustained_efficiency."+k, fmt.Sprintf("%g: a sustained matmul rate needs the burst one beside it (gemm_efficiency.%s) and cannot exceed it", v, k))
		}
	}
	if r.Storage != nil {
		h.StorageCapacityBytes = cv.q(r.Storage.Capacity, Bytes, "storage.capacity")
		h.StorageBandwidthBytesPerS = cv.q(r.Storage.Bandwidth, BytesPerSecond, "storage.bandwidth")
	}
	for _, m := range r.MIGProfiles {
		h.MIG = append(h.MIG, MIGProfile{Name: m.Name, MemoryBytes: cv.q(m.Memory, Bytes, "mig_profiles.memory"), SMs: m.SMs, Use: m.Use})
	}
	h.Provenance = cv.provenance(&r.rawProvenance, r)
	h.UnsupportedPrecisions = cv.unsupported(r, h)
	if err := seedCorrection(h); err != nil {
		cv.fail("corrections", err.Error())
	}
	return h
}

// unsupported checks unsupported_precisions: run precisions, each once, none the entry
// states a rate or a measured efficiency for, and the list sourced in
// field_sources.unsupported_precisions (a claim that a device cannot run a format is
// the vendor's to make, as its rates are).
func (cv *converter) unsupported(r *rawHardware, h *Hardware) []string {
	if len(r.Unsupported) == 0 {
		return nil
	}
	var out []string
	for _, p := range r.Unsupported {
		k := strings.ToLower(strings.TrimSpace(p))
		switch {
		case !slices.Contains(RunPrecisions, k):
			cv.fail("unsupported_precisions", fmt.Sprintf("%q is not a precision; use one of %s", p, strings.Join(RunPrecisions, ", ")))
		case slices.Contains(out, k):
			cv.fail("unsupported_precisions", fmt.Sprintf("%s is listed twice", k))
		case h.Rates[k] > 0 || h.GEMMEfficiency[k] > 0:
			cv.fail("unsupported_precisions", fmt.Sprintf("%s is listed unsupported, but the entry states a rate or a measured efficiency for it", k))
		}
		out = append(out, k)
	}
	if r.FieldSources["unsupported_precisions"].Ref == "" {
		cv.fail("field_sources", "unsupported_precisions needs its own source (the vendor's documentation of the formats the device computes in)")
	}
	return out
}

// efficiencies checks a map of measured fractions of peak per precision key
// (gemm_efficiency, attention_efficiency, attention_efficiency_flash1); nil when the
// entry states none.
func (cv *converter) efficiencies(r map[string]num, field string) map[string]float64 {
	if len(r) == 0 {
		return nil
	}
	m := make(map[string]float64, len(r))
	for k, v := range r {
		if !slices.Contains(RateKeys, k) {
			cv.fail(field+"."+k, fmt.Sprintf("unknown precision key; use one of %s", strings.Join(RateKeys, ", ")))
		}
		if !(v.v > 0 && v.v <= 1) {
			cv.fail(field+"."+k, fmt.Sprintf("%g is not a fraction of peak in (0, 1]", v.v))
		}
		m[k] = v.v
	}
	return m
}

// rateKey checks a precision key of a rates-like map; fp32_cuda was the
// registry's name for what precision fp32 means.
func (cv *converter) rateKey(field, k string) {
	switch {
	case k == "fp32_cuda":
		cv.fail(field+"."+k, "renamed: write fp32 (the CUDA-core FP32 rate is the rate precision fp32 runs at)")
	case !slices.Contains(RateKeys, k):
		cv.fail(field+"."+k, fmt.Sprintf("unknown precision key; use one of %s", strings.Join(RateKeys, ", ")))
	}
}

var flopsPer = []string{"token", "sequence", "input", "denoising_step"}

func (cv *converter) model(r *rawModel, category string) *Model {
	m := &Model{Key: cv.key(r.Key), Name: r.Name, Category: category, Family: r.Family, Architecture: r.Architecture,
		Parameters: r.Parameters.v, ActiveParameters: r.ActiveParameters.v,
		Layers: r.Layers, HiddenDim: r.HiddenDim, Heads: r.Heads, KVHeads: r.KVHeads,
		IntermediateDim: r.IntermediateDim, VocabSize: r.VocabSize, KVLoraRank: r.KVLoraRank, QKRopeHeadDim: r.QKRopeHeadDim,
		Experts: r.Experts, ActiveExpertsPerToken: r.ActiveExpertsPerToken,
		QLoraRank: r.QLoraRank, QKNopeHeadDim: r.QKNopeHeadDim, VHeadDim: r.VHeadDim, DenseLayers: r.DenseLayers,
		DenseIntermediateDim: r.DenseIntermediateDim, ExpertIntermediateDim: r.ExpertIntermediateDim, SharedExperts: r.SharedExperts,
		RoutingGroups: r.RoutingGroups, RoutingGroupTopK: r.RoutingGroupTopK,
		InferenceFLOPs: cv.q(r.InferenceFLOPs, FLOPs, "inference_flops"), InferenceFLOPsPer: r.InferenceFLOPsPer,
		ReferenceSeqLen: r.ReferenceSeqLen, InferenceEnergyJ: cv.q(r.InferenceEnergy, Joules, "inference_energy"),
		TrainingFLOPs: cv.q(r.TrainingFLOPs, FLOPs, "training_flops"), TrainingTokens: r.TrainingTokens.v,
		TrainingDatasetBytes: cv.q(r.TrainingDatasetSize, Bytes, "training_dataset_size"),
		ModelSizeBytes:       cv.q(r.ModelSize, Bytes, "model_size"), EmbeddingEntries: r.EmbeddingEntries.v,
		ParameterRange: r.ParameterRange, StateSize: r.StateSize, DenoisingSteps: r.DenoisingSteps,
		ResolutionPx: r.ResolutionPx, ActionChunkHorizon: r.ActionChunkHorizon, ActionDim: r.ActionDim, MTPLayers: r.MTPLayers,
		SlidingWindow: r.SlidingWindow, SlidingWindowLayers: r.SlidingWindowLayers,
	}
	if r.ContextTokens != nil {
		// Absent means unknown (no check); a written 0 would silently mean the same.
		if *r.ContextTokens <= 0 {
			cv.fail("context_tokens", fmt.Sprintf("must be a positive token count (max_position_embeddings), got %d; leave it out when unknown", *r.ContextTokens))
		}
		m.ContextTokens = *r.ContextTokens
	}
	for i, c := range r.ConvLayers {
		field := fmt.Sprintf("conv_layers[%d]", i)
		for _, d := range []struct {
			v    int
			name string
		}{{c.Kernel, "k"}, {c.In, "in"}, {c.Out, "out"}, {c.Size, "size"}, {c.Stride, "stride"}, {c.Count, "n"}} {
			if d.v < 1 || d.v > MaxConvDim {
				cv.fail(field+"."+d.name, fmt.Sprintf("%d is outside 1..%d", d.v, MaxConvDim))
			}
		}
		if !slices.Contains(ConvAfter, c.After) {
			cv.fail(field+".after", fmt.Sprintf("%q is not one of %s", c.After, strings.Join(ConvAfter, ", ")))
		}
		if c.Pool != 0 && (c.Pool < 1 || c.Pool >= c.Size) {
			cv.fail(field+".pool", fmt.Sprintf("%d is not a max pool's output side: at least 1 and below the layer's size %d (leave it out for no pool)", c.Pool, c.Size))
		}
		if c.Groups != 0 && (c.Groups < 1 || c.In%c.Groups != 0 || c.Out%c.Groups != 0) {
			cv.fail(field+".g", fmt.Sprintf("%d groups do not divide in %d and out %d (g: in for a depthwise convolution; leave it out for none)", c.Groups, c.In, c.Out))
		}
		if c.Shortcut && c.After != "bn" {
			cv.fail(field+".shortcut", fmt.Sprintf("a projection shortcut ends in batch norm alone (after: bn), not %q", c.After))
		}
		m.ConvLayers = append(m.ConvLayers, ConvLayer(c))
	}
	if len(m.ConvLayers) > 0 && m.Family != CNN {
		cv.fail("conv_layers", "only cnn models list convolutions")
	}
	if r.TrainingRun != nil {
		t := r.TrainingRun
		m.TrainingRun = &TrainingRun{Accelerators: t.Accelerators, Days: t.Days, EnergyJ: cv.q(t.Energy, Joules, "training_run.energy"),
			GPUDays: t.GPUDays, Hardware: t.Hardware}
	}
	if !slices.Contains(Families, m.Family) {
		cv.fail("family", fmt.Sprintf("%q is not one of %s", m.Family, joinFamilies()))
	}
	if m.InferenceFLOPsPer != "" && !slices.Contains(flopsPer, m.InferenceFLOPsPer) {
		cv.fail("inference_flops_per", fmt.Sprintf("%q is not one of %s", m.InferenceFLOPsPer, strings.Join(flopsPer, ", ")))
	}
	if m.Parameters == 0 && m.ModelSizeBytes == 0 && m.InferenceFLOPs == 0 {
		cv.fail("parameters", "a model needs parameters, model_size or inference_flops")
	}
	if m.Family.IsTransformer() && m.Layers == 0 {
		cv.fail("layers", "required for transformer and moe models")
	}
	if m.Family == CNN && m.InferenceFLOPs == 0 {
		cv.fail("inference_flops", "required for cnn models")
	}
	if m.Family == MoE && m.ActiveParameters == 0 {
		cv.fail("active_parameters", "required for moe models")
	}
	m.Provenance = cv.provenance(&r.rawProvenance, r)
	return m
}

func joinFamilies() string {
	s := make([]string, len(Families))
	for i, f := range Families {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

func (cv *converter) grid(r *rawGrid) *Grid {
	g := &Grid{Key: cv.key(r.Key), Name: r.Name, CarbonGPerKWh: cv.q(r.CarbonIntensity, GramsPerKWh, "carbon_intensity"),
		PUE: cv.need(r.PUE, "pue"), WUELPerKWh: cv.q(r.WUE, LitresPerKWh, "wue"), PrimarySource: r.PrimarySource,
		RenewablePct: r.RenewablePct, Lat: r.Lat, Lon: r.Lon}
	if r.CarbonIntensity == nil {
		cv.fail("carbon_intensity", "missing")
	}
	if g.PUE < 1 {
		cv.fail("pue", "must be ≥ 1")
	}
	g.Provenance = cv.provenance(&r.rawProvenance, r)
	return g
}

func (cv *converter) engine(r *rawEngine) *Engine {
	e := &Engine{Key: cv.key(r.Key), Name: r.Name, StepOverheadS: cv.q(r.StepOverhead, Seconds, "step_overhead")}
	switch r.AllReduceKind {
	case "":
		e.AllReduceS = cv.req(r.AllReduce, Seconds, "allreduce_latency")
		e.AllReducePerRankS = cv.q(r.AllReducePerRank, Seconds, "allreduce_latency_per_rank")
		if r.AllReduceMax != nil {
			e.AllReduceMaxBytes = cv.req(r.AllReduceMax, Bytes, "allreduce_max_message")
		}
		if r.AllReduceMaxTwo != nil {
			e.AllReduceMaxBytesTwoRanks = cv.req(r.AllReduceMaxTwo, Bytes, "allreduce_max_message_two_ranks")
		}
		if (r.AllReduceMax != nil || r.AllReduceMaxTwo != nil) && r.FieldSources["allreduce_max_message"].Ref == "" {
			cv.fail("field_sources", "allreduce_max_message needs its own source (the engine's code that sends larger messages to NCCL)")
		}
	case "nccl":
		// NCCL's own model prices the all-reduce; a latency beside it would change nothing.
		e.NCCLAllReduce = true
		if r.AllReduceMax != nil || r.AllReduceMaxTwo != nil {
			cv.fail("allreduce_max_message", "not used with allreduce: nccl (every message already goes to NCCL); remove it")
		}
		if r.AllReduce != nil || r.AllReducePerRank != nil {
			cv.fail("allreduce_latency", "not used with allreduce: nccl (NCCL's own ring-protocol model prices the all-reduce, docs/PHYSICS.md §33); remove it, or drop allreduce: nccl to give the engine's measured latency")
		}
	default:
		cv.fail("allreduce", fmt.Sprintf("%q: want nccl (the engine calls NCCL's all-reduce), or leave it out and give allreduce_latency (the engine's own measured kernel)", r.AllReduceKind))
	}
	e.MoEDenseExperts = r.MoEDenseExperts
	cv.fusedMoE(e, r)
	if r.MoEDenseExperts && r.FieldSources["moe_dense_experts"].Ref == "" {
		cv.fail("field_sources", "moe_dense_experts needs its own source (the engine's MoE layer code that runs every token through each local expert)")
	}
	if r.StepOverhead == nil {
		cv.fail("step_overhead", "missing (0 ms when the engine overlaps it, with the source that says so)")
	}
	for _, k := range []struct {
		v     *int
		dst   *int
		field string
	}{{r.NonMatmulKernels, &e.NonMatmulKernels, "non_matmul_kernels"}, {r.MoEKernels, &e.MoEKernels, "moe_kernels"}} {
		switch {
		case k.v == nil:
			cv.fail(k.field, "missing")
		case *k.v < 0 || *k.v > MaxEngineKernels:
			cv.fail(k.field, fmt.Sprintf("%d is outside 0..%d", *k.v, MaxEngineKernels))
		default:
			*k.dst = *k.v
		}
	}
	switch f := r.MemoryFraction; {
	case f == nil:
		cv.fail("memory_fraction", "missing (the share of memory the engine gives weights and KV cache by default, with its documentation as source)")
	case !(*f > 0 && *f <= 1):
		cv.fail("memory_fraction", fmt.Sprintf("%g is outside (0, 1]", *f))
	default:
		e.MemoryFraction = *f
	}
	switch r.MemoryFractionOf {
	case "total":
	case "free":
		e.MemoryOfFree = true
	default:
		cv.fail("memory_fraction_of", fmt.Sprintf("%q: want total (weights and KV cache share the fraction of all memory) or free (the KV cache gets the fraction of what the weights leave)", r.MemoryFractionOf))
	}
	if r.FP8Attention == nil {
		cv.fail("fp8_attention", "missing (true when the engine runs the attention core at 8 bits for 8-bit weights, false when at 16 bits; with its source)")
	} else {
		e.FP8Attention = *r.FP8Attention
	}
	switch r.KVCacheAuto {
	case "checkpoint":
		e.KVAutoCheckpoint = true
	case "model_dtype":
	case "":
		cv.fail("kv_cache_auto", "missing (checkpoint when the engine's default KV cache dtype follows the checkpoint's KV scheme, model_dtype when it is the model's 16-bit dtype; with its source)")
	default:
		cv.fail("kv_cache_auto", fmt.Sprintf("%q: want checkpoint (the default cache follows the checkpoint's KV scheme) or model_dtype (the model's 16-bit dtype)", r.KVCacheAuto))
	}
	cv.prefillBudget(e, r)
	if r.HostStep != nil {
		e.HostStep = cv.hostStep(r.HostStep)
		if r.FieldSources["host_step"].Ref == "" {
			cv.fail("field_sources", "host_step needs its own source (the measurement its table is read from, and which of its columns make each part)")
		}
	}
	e.Provenance = cv.provenance(&r.rawProvenance, r)
	for _, f := range EngineFields {
		if _, ok := r.FieldSources[f]; !ok {
			cv.fail("field_sources", fmt.Sprintf("%s needs its own source (every engine attribute is measured or read from the engine's code)", f))
		}
	}
	return e
}

// prefillBudget reads an engine's prefill_token_budget: context (the model's context
// window, at least prefill_token_budget_min), batch (every prompt of the batch in one
// pass) or a whole number of tokens.
func (cv *converter) prefillBudget(e *Engine, r *rawEngine) {
	const want = "want context (the model's context window, vLLM's max_model_len), batch (static batching: the whole batch's prompts in one pass) or a whole number of tokens from 1 to %d"
	b := strings.TrimSpace(r.PrefillBudget)
	switch b {
	case "":
		cv.fail("prefill_token_budget", "missing (the most prompt tokens the engine's scheduler prefills in one pass when prompts run whole, with its source)")
	case "context":
		e.PrefillTokensContext = true
	case "batch":
		e.PrefillWholeBatch = true
	default:
		v, err := strconv.Atoi(b)
		if err != nil || v < 1 || v > MaxPrefillTokens {
			cv.fail("prefill_token_budget", fmt.Sprintf("%q: "+want, b, MaxPrefillTokens))
			return
		}
		e.PrefillTokens = v
	}
	if r.PrefillBudgetMin != nil {
		switch v := *r.PrefillBudgetMin; {
		case !e.PrefillTokensContext:
			cv.fail("prefill_token_budget_min", "only with prefill_token_budget: context (a floor under the model's context window); remove it")
		case v < 1 || v > MaxPrefillTokens:
			cv.fail("prefill_token_budget_min", fmt.Sprintf("%d is outside 1..%d", v, MaxPrefillTokens))
		default:
			e.PrefillTokens = v
		}
	}
}

// hostStep reads an engine's host_step table: batch and tp ascending grids of whole
// numbers ≥ 1, and in_process_ms (and control_plane_ms, optional) one row per tp of one
// value per batch, each a time in milliseconds from 0 to MaxHostStepS.
// fusedMoE reads the engine's fused MoE kernel: whether it falls back to vLLM's default
// tiles, and the shapes it ships a tuned configuration for (each with a positive shape;
// its hardware key is checked against the catalog when the catalog is linked).
func (cv *converter) fusedMoE(e *Engine, r *rawEngine) {
	e.FusedMoEDefaultTiles = r.FusedMoEDefault
	if !r.FusedMoEDefault {
		if len(r.FusedMoETuned) > 0 {
			cv.fail("fused_moe_tuned", "given without fused_moe_default_tiles: true, so it changes nothing; set that (the engine falls back to vLLM's default tiles for other shapes) or remove the list")
		}
		return
	}
	for _, f := range []string{"fused_moe_default_tiles", "fused_moe_tuned"} {
		if r.FieldSources[f].Ref == "" {
			cv.fail("field_sources", f+" needs its own source (the engine's fused_moe code and its configs directory at the engine's commit)")
		}
	}
	for j, t := range r.FusedMoETuned {
		if t.Hardware == "" || t.Experts < 1 || t.Width < 1 {
			cv.fail(fmt.Sprintf("fused_moe_tuned[%d]", j), fmt.Sprintf("{hardware: %q, experts: %d, width: %d}: want a catalog hardware key, experts ≥ 1 and the per-rank expert width ≥ 1 (the E and N of E=…,N=…,device_name=….json)", t.Hardware, t.Experts, t.Width))
		}
	}
	e.FusedMoETuned = append([]FusedMoEShape(nil), r.FusedMoETuned...)
}

func (cv *converter) hostStep(r *rawHostStep) *HostStep {
	h := &HostStep{Batches: r.Batch, TPs: r.TP}
	grid := func(field string, g []float64, max float64) bool {
		if len(g) == 0 {
			cv.fail("host_step."+field, "missing (the grid the table was measured on)")
			return false
		}
		for i, v := range g {
			switch {
			case v < 1 || v > max || v != float64(int64(v)):
				cv.fail("host_step."+field, fmt.Sprintf("%g: want a whole number from 1 to %g", v, max))
				return false
			case i > 0 && v <= g[i-1]:
				cv.fail("host_step."+field, fmt.Sprintf("%g after %g: want the grid in ascending order", v, g[i-1]))
				return false
			}
		}
		return true
	}
	if !grid("batch", r.Batch, 1<<20) || !grid("tp", r.TP, 1<<16) {
		return nil
	}
	table := func(field string, rows [][]float64) [][]float64 {
		if len(rows) != len(r.TP) {
			cv.fail("host_step."+field, fmt.Sprintf("%d rows: want one per tp (%d)", len(rows), len(r.TP)))
			return nil
		}
		out := make([][]float64, len(rows))
		for j, row := range rows {
			if len(row) != len(r.Batch) {
				cv.fail("host_step."+field, fmt.Sprintf("row %d (tp %g) has %d values: want one per batch (%d)", j+1, r.TP[j], len(row), len(r.Batch)))
				return nil
			}
			out[j] = make([]float64, len(row))
			for i, v := range row {
				if !(v >= 0 && v*1e-3 <= MaxHostStepS) {
					cv.fail("host_step."+field, fmt.Sprintf("%g ms at tp %g, batch %g: want a time from 0 to %g ms", v, r.TP[j], r.Batch[i], MaxHostStepS*1e3))
					return nil
				}
				out[j][i] = v * 1e-3
			}
		}
		return out
	}
	if r.InProcessMS == nil {
		cv.fail("host_step.in_process_ms", "missing (the engine's own loop per step: one row per tp of one value per batch, ms)")
		return nil
	}
	h.InProcessS = table("in_process_ms", r.InProcessMS)
	if r.ControlPlaneMS != nil {
		h.ControlPlaneS = table("control_plane_ms", r.ControlPlaneMS)
	}
	return h
}

// MaxPrefillTokens bounds an engine's prefill token budget (2^27 tokens, the longest
// sequence a grid takes).
const MaxPrefillTokens = 1 << 27

// MaxEngineKernels bounds an engine's kernels per layer: a layer of more than 64
// separate kernels is not a serving engine's.
const MaxEngineKernels = 64

func (cv *converter) fabric(r *rawFabric) *Fabric {
	f := &Fabric{Key: cv.key(r.Key), Name: r.Name, BytesPerS: cv.req(r.Bandwidth, BytesPerSecond, "bandwidth"),
		LatencyS: cv.q(r.Latency, Seconds, "latency"), Topology: r.Topology, Oversubscription: r.Oversubscription.v,
		BusBytesPerS: cv.q(r.BusBandwidth, BytesPerSecond, "bus_bandwidth")}
	if f.BusBytesPerS > f.BytesPerS {
		cv.fail("bus_bandwidth", "exceeds bandwidth; a measured bus bandwidth is at most the line rate")
	}
	if f.Topology == "" {
		f.Topology = "fat-tree"
	}
	if !r.Oversubscription.set {
		f.Oversubscription = 1
	} else if f.Oversubscription < 1 {
		cv.fail("oversubscription", "must be ≥ 1")
	}
	f.Provenance = cv.provenance(&r.rawProvenance, r)
	return f
}

func (cv *converter) datacenter(r *rawDatacenter) *Datacenter {
	return &Datacenter{Key: cv.key(r.Key), Name: r.Name, Grid: r.Grid, PUEOverride: r.PUEOverride.v,
		Provenance: cv.provenance(&r.rawProvenance, r)}
}

func (cv *converter) cooling(r *rawCooling) *Cooling {
	return &Cooling{Key: cv.key(r.Key), Name: r.Name, PUE: cv.need(r.PUE, "pue"),
		WUELPerKWh: cv.q(r.WUE, LitresPerKWh, "wue"), Provenance: cv.provenance(&r.rawProvenance, r)}
}

func (cv *converter) price(r *rawPrice) *Price {
	key := cv.key(r.Key)
	if r.Unit == "" {
		cv.fail("unit", "missing")
	}
	return &Price{Key: key, Name: r.Name, Value: cv.need(r.Value, "value"), Unit: r.Unit,
		Provenance: cv.provenance(&r.rawProvenance, r)}
}

func (cv *converter) node(r *rawNode) *Node {
	key := cv.key(r.Key)
	if r.NVLS != nil && *r.NVLS {
		// Only the accelerator's link can say a switch reduces; a node can only say its
		// board has no such switch.
		cv.fail("nvls", "true is the accelerator's scale_up.nvls; a node can only set nvls: false (its accelerators are not on an NVSwitch)")
	}
	return &Node{NoNVLS: r.NVLS != nil, Key: key, Name: r.Name, Accelerator: r.Accelerator,
		AcceleratorsPerNode: max(r.AcceleratorsPerNode, 1),
		IntraNodeBytesPerS:  cv.q(r.IntraNodeBandwidth, BytesPerSecond, "intra_node_bandwidth"),
		NICsPerNode:         max(r.NICsPerNode, 1), PSUsPerNode: cmpOr(r.PSUsPerNode, 2),
		HostMemoryBytes: cv.q(r.HostMemory, Bytes, "host_memory"), Provenance: cv.provenance(&r.rawProvenance, r)}
}

func (cv *converter) cluster(r *rawCluster) *Cluster {
	key := cv.key(r.Key)
	if r.Nodes < 1 {
		cv.fail("nodes", "must be ≥ 1")
	}
	return &Cluster{Key: key, Name: r.Name, Node: r.Node, Nodes: r.Nodes, Fabric: r.Fabric, Region: r.Region,
		Datacenter: r.Datacenter, Provenance: cv.provenance(&r.rawProvenance, r)}
}

func (cv *converter) rename(r *rawRename) *Rename {
	if r.Kind == "" || r.Key == "" || r.Now == "" || r.Reason == "" {
		cv.fail("renamed", "each entry needs kind, key, now and reason")
	}
	return &Rename{Kind: r.Kind, Key: r.Key, Now: r.Now, Reason: r.Reason, File: fmt.Sprintf("%s:%d", cv.file, cv.line)}
}
