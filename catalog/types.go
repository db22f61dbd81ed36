// Package catalog holds mlsysim's data about real hardware, workloads, grid regions,
// datacenters, network fabrics and clusters, each value with its unit and source.
//
// The data lives in embedded YAML files (see docs/CATALOG.md); this package loads,
// validates and indexes it. It computes no physics. Quantities are SI floats and the
// unit is spelled in the field name where it is not obvious (Bytes, BytesPerS, W, S, USD).
package catalog

import (
	"slices"
	"strings"
)

// Source is where a value comes from.
type Source struct {
	Kind     string `yaml:"kind" json:"kind"`
	Ref      string `yaml:"ref" json:"ref"`
	URL      string `yaml:"url,omitempty" json:"url,omitempty"`
	Verified string `yaml:"verified,omitempty" json:"verified,omitempty"`
	ID       string `yaml:"id,omitempty" json:"id,omitempty"`
}

// Correction records a value we changed relative to the MLSys·im registry, and why.
type Correction struct {
	Field    string `yaml:"field" json:"field"`
	Upstream any    `yaml:"upstream" json:"upstream"`
	Value    any    `yaml:"value" json:"value"`
	Reason   string `yaml:"reason" json:"reason"`
	Source   Source `yaml:"source" json:"source"`
}

// Upstream names the MLSys·im registry file an entry was transcribed from.
type Upstream struct {
	File   string `yaml:"file" json:"file"`
	Commit string `yaml:"commit,omitempty" json:"commit,omitempty"`
}

// Provenance is shared by every catalog entry.
type Provenance struct {
	Source       Source            `json:"source"`
	FieldSources map[string]Source `json:"field_sources,omitempty"`
	Corrections  []Correction      `json:"corrections,omitempty"`
	Notes        string            `json:"notes,omitempty"`
	Upstream     *Upstream         `json:"upstream,omitempty"`
	// File is where the entry was read ("catalog/data/hardware/cloud.yaml:12" or a user path).
	File string `json:"file"`
}

// Direction says how a link's bandwidth figure is quoted (physics.md §1.4).
type Direction string

const (
	PerDirection       Direction = "per_direction"
	BidirectionalTotal Direction = "bidirectional_total"
)

// Link is a host or accelerator-to-accelerator interconnect.
type Link struct {
	Name      string    `json:"name"`
	BytesPerS float64   `json:"bytes_per_s"`
	Direction Direction `json:"direction"`
	LatencyS  float64   `json:"latency_s,omitempty"` // 0 = not stated
	// BusBytesPerS is the bus bandwidth a collective library measurably reaches per
	// direction over the link (NCCL's busBw for a ring collective); 0 = not measured.
	BusBytesPerS float64 `json:"bus_bytes_per_s,omitempty"`
	// NVLS: the link is a port into an NVSwitch that reduces in the switch (NVLink
	// SHARP) for an accelerator with multicast, so NCCL can run its NVLS all-reduce
	// inside a node (docs/PHYSICS.md §35, "NVLink SHARP"); false = rings only.
	NVLS bool `json:"nvls,omitempty"`
}

// AchievedBusBytesPerS is what a collective moves per direction over the link:
// the measured bus bandwidth where the catalog has one, else the nominal rate.
func (l *Link) AchievedBusBytesPerS() float64 {
	if l.BusBytesPerS > 0 {
		return l.BusBytesPerS
	}
	return l.PerDirectionBytesPerS()
}

// PerDirectionBytesPerS is the rate one direction of the link carries: half a
// bidirectional total, the whole figure otherwise.
func (l *Link) PerDirectionBytesPerS() float64 {
	if l.Direction == BidirectionalTotal {
		return l.BytesPerS / 2
	}
	return l.BytesPerS
}

// AddedUpstreamNone is a correction's upstream value for a field the MLSys·im registry
// entry did not have at all (a link we added with its source).
const AddedUpstreamNone = "none"

// SeedLinks are the host and scale-up links as the MLSys·im registry had them (the
// links of SeedView): a link whose correction records upstream "none" was added here
// with its source (issue #15: accelerators whose tensor-parallel traffic silently
// crossed a 64 GB/s fallback), and a corrected scale_up.bandwidth is the registry's;
// the seed profile, which reproduces the registry's answers, does not see either.
func (h *Hardware) SeedLinks() (host, scaleUp *Link) {
	v := h.SeedView()
	return v.HostLink, v.ScaleUp
}

// MIGProfile is one Multi-Instance GPU partition.
type MIGProfile struct {
	Name        string  `json:"name"`
	MemoryBytes float64 `json:"memory_bytes"`
	SMs         int     `json:"sms"`
	Use         string  `json:"use"`
}

// Hardware is one accelerator (or, with AcceleratorCount > 1, one packaged system).
type Hardware struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Tier        string `json:"tier"`
	ReleaseYear int    `json:"release_year"`

	PeakFLOPS float64            `json:"peak_flops"` // FLOP/s, dense FP16/BF16 tensor (TOPS for NPUs)
	Rates     map[string]float64 `json:"rates,omitempty"`
	// UnsupportedPrecisions are the run precisions the vendor's documentation shows the
	// device has no arithmetic for (the V100's and T4's tensor cores run fp16, not bf16
	// or tf32), each sourced in field_sources.unsupported_precisions; a run in one is
	// refused (sweep.PrecisionPath) where PeakFor would price it at another format's rate.
	UnsupportedPrecisions []string `json:"unsupported_precisions,omitempty"`
	SMCount               int      `json:"sm_count,omitempty"`
	ClockHz               float64  `json:"clock_hz,omitempty"`

	MemCapacityBytes          float64 `json:"mem_capacity_bytes"`
	MemBandwidthBytesPerS     float64 `json:"mem_bandwidth_bytes_per_s"`
	SRAMCapacityBytes         float64 `json:"sram_capacity_bytes,omitempty"`
	SRAMBandwidthBytesPerS    float64 `json:"sram_bandwidth_bytes_per_s,omitempty"`
	FlashCapacityBytes        float64 `json:"flash_capacity_bytes,omitempty"`
	FlashBandwidthBytesPerS   float64 `json:"flash_bandwidth_bytes_per_s,omitempty"`
	L2CacheBytes              float64 `json:"l2_cache_bytes,omitempty"`
	RegisterFilePerSMBytes    float64 `json:"register_file_per_sm_bytes,omitempty"`
	SharedMemoryPerSMBytes    float64 `json:"shared_memory_per_sm_bytes,omitempty"`
	StorageCapacityBytes      float64 `json:"storage_capacity_bytes,omitempty"`
	StorageBandwidthBytesPerS float64 `json:"storage_bandwidth_bytes_per_s,omitempty"`
	// AchievableBandwidthBytesPerS is the HBM bandwidth a streaming microbenchmark
	// (BabelStream Triad) measures; 0 when no measurement is catalogued.
	AchievableBandwidthBytesPerS float64 `json:"achievable_bandwidth_bytes_per_s,omitempty"`
	// L2BandwidthBytesPerS is the rate all SMs together load from the L2 cache, measured by
	// a microbenchmark whose data set fits the cache (RRZE gpu-benches' gpu-l2-cache); 0
	// when none is catalogued. It bounds a kernel whose tiles reload their operands from
	// L2 (docs/PHYSICS.md §33, "The fused MoE kernel's default tiles").
	L2BandwidthBytesPerS float64 `json:"l2_bandwidth_bytes_per_s,omitempty"`
	// GEMMEfficiency is the measured fraction of the peak a large dense matmul reaches,
	// per precision key (the maximum achievable matmul FLOPS of a published microbenchmark).
	GEMMEfficiency map[string]float64 `json:"gemm_efficiency,omitempty"`
	// AttentionEfficiency is the measured fraction of the peak a fused attention kernel
	// (FlashAttention) reaches, per precision key; without it the training step runs the
	// attention at the large-matmul rate.
	AttentionEfficiency map[string]float64 `json:"attention_efficiency,omitempty"`
	// GEMMSustainedEfficiency is the measured fraction of the peak a large dense matmul
	// holds once the board sits at its power limit and the clock has settled (MSMF, as
	// against GEMMEfficiency's short burst at the boost clock, MAMF), per precision key;
	// the calibrated training step runs its GEMMs at it where the entry states one.
	GEMMSustainedEfficiency map[string]float64 `json:"gemm_sustained_efficiency,omitempty"`
	// AttentionEfficiencyFlash1 is the measured fraction of the peak FlashAttention-1's
	// fused attention, forward and backward, reaches per precision key: the kernel of
	// training stacks before FlashAttention-2 (July 2023), among them xformers'
	// memory_efficient_attention, whose causal head-dimension-128 backward was
	// FlashAttention-1's (docs/PHYSICS.md §35, "Attention kernel"). A calibrated training
	// step with attention_kernel flash1 runs its attention at it.
	AttentionEfficiencyFlash1 map[string]float64 `json:"attention_efficiency_flash1,omitempty"`

	HostLink *Link `json:"host_link,omitempty"`
	ScaleUp  *Link `json:"scale_up,omitempty"`

	TDPW             float64 `json:"tdp_w,omitempty"`
	TDPMinW          float64 `json:"tdp_min_w,omitempty"`
	TDPMaxW          float64 `json:"tdp_max_w,omitempty"`
	BatteryJ         float64 `json:"battery_j,omitempty"`
	UnitCostUSD      float64 `json:"unit_cost_usd,omitempty"`
	UnitCostMaxUSD   float64 `json:"unit_cost_max_usd,omitempty"`
	AcceleratorCount int     `json:"accelerator_count,omitempty"`
	EmbodiedCarbonKg float64 `json:"embodied_carbon_kg,omitempty"`
	DispatchTaxS     float64 `json:"dispatch_tax_s"`

	MIG []MIGProfile `json:"mig_profiles,omitempty"`
	Provenance
}

// AchievableBandwidth is the measured streaming bandwidth, or the datasheet peak when the
// catalog has no measurement (the seed's assumption, docs/CATALOG.md).
func (h *Hardware) AchievableBandwidth() float64 {
	if h.AchievableBandwidthBytesPerS > 0 {
		return h.AchievableBandwidthBytesPerS
	}
	return h.MemBandwidthBytesPerS
}

// gemmAliases: precisions that run on the same tensor-core path share a measurement.
var gemmAliases = map[string][]string{
	"fp16": {"bf16"}, "bf16": {"fp16"}, "int8": {"fp8"}, "fp8": {"int8"}, "fp4": {"int4", "fp8"}, "int4": {"fp4", "int8", "fp8"},
}

// GEMMEfficiencyFor is the measured large-matmul efficiency for a precision: the entry
// for that key, else for a precision on the same tensor-core path (fp16/bf16,
// fp8/int8, fp4/int4); ok is false when the catalog has no measurement for it.
func (h *Hardware) GEMMEfficiencyFor(precision string) (eff float64, ok bool) {
	return efficiencyFor(h.GEMMEfficiency, precision)
}

// MeasuredMatmul is the large-matmul rate the catalog has measured at a precision:
// rate = the measured efficiency (GEMMEfficiencyFor) × the peak at that precision
// (PeakFor), in FLOP/s; ok is false, and rate and eff 0, where it has no
// measurement (or no peak). It is the one test of whether the calibrated profile
// prices a layered step's GEMMs (a CNN's convolutions, a transformer's training
// step: docs/PHYSICS.md §35–36) at a measured rate rather than efficiency × peak,
// and so reads no efficiency: the grids' gather, the plans' and eval's refusals of
// an efficiency that changes nothing and the scorecard all ask it.
func (h *Hardware) MeasuredMatmul(precision string) (rate, eff float64, ok bool) {
	e, measured := h.GEMMEfficiencyFor(precision)
	peak, _ := h.PeakFor(precision)
	if !measured || !(peak > 0) {
		return 0, 0, false
	}
	return e * peak, e, true
}

// SustainedMatmul is the large-matmul rate the catalog has measured at a precision once
// the accelerator is power-saturated (GEMMSustainedEfficiency × PeakFor, FLOP/s); ok is
// false, and rate 0, where it has no such measurement: a training step then runs at the
// burst rate (MeasuredMatmul). Aliases as GEMMEfficiencyFor.
func (h *Hardware) SustainedMatmul(precision string) (rate float64, ok bool) {
	e, measured := efficiencyFor(h.GEMMSustainedEfficiency, precision)
	peak, _ := h.PeakFor(precision)
	if !measured || !(peak > 0) {
		return 0, false
	}
	return e * peak, true
}

// AttentionEfficiencyFor is the measured fused-attention efficiency for a precision,
// looked up as GEMMEfficiencyFor looks up the matmul's.
func (h *Hardware) AttentionEfficiencyFor(precision string) (eff float64, ok bool) {
	return efficiencyFor(h.AttentionEfficiency, precision)
}

// AttentionEfficiencyFlash1For is FlashAttention-1's measured efficiency for a
// precision, looked up as AttentionEfficiencyFor looks up FlashAttention-2's.
func (h *Hardware) AttentionEfficiencyFlash1For(precision string) (eff float64, ok bool) {
	return efficiencyFor(h.AttentionEfficiencyFlash1, precision)
}

func efficiencyFor(m map[string]float64, precision string) (eff float64, ok bool) {
	if e, found := m[precision]; found {
		return e, true
	}
	for _, a := range gemmAliases[precision] {
		if e, found := m[a]; found {
			return e, true
		}
	}
	return 0, false
}

// DefaultDispatchTaxS is the per-launch overhead of a device that states none
// (physics.md §2.2, HardwareNode.dispatch_tax default 0.01 ms).
const DefaultDispatchTaxS = 0.01e-3

// RateKeys are the precision keys a hardware `rates` map may hold.
var RateKeys = []string{"fp32", "tf32", "fp16", "bf16", "fp16_sparse", "fp8", "fp4", "fp4_sparse", "int8", "int4", "mxint4"}

// RunPrecisions are the precisions a run may name (kernel.Precisions, in its order):
// the keys unsupported_precisions may hold.
var RunPrecisions = []string{"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "fp4"}

// StatesRate reports whether the device's entry states a rate for precision (its
// `rates` map), as opposed to PeakFor's fallback to the default peak: fp4 and fp8
// have no path on a device without one (sweep.PrecisionPath).
func (h *Hardware) StatesRate(precision string) bool { return h.Rates[precision] > 0 }

// Unsupported reports whether the device's entry states that it has no arithmetic for
// precision (UnsupportedPrecisions).
func (h *Hardware) Unsupported(precision string) bool {
	return slices.Contains(h.UnsupportedPrecisions, strings.ToLower(precision))
}

// PeakFor is the peak rate the seed uses for a precision: the matching rate if the
// device states one, else the default peak (physics.md §1.2). ok is false when it
// fell back although the device lists other rates and the precision is not fp16/bf16.
func (h *Hardware) PeakFor(precision string) (flops float64, ok bool) {
	if r, found := h.Rates[precision]; found {
		return r, true
	}
	return h.PeakFLOPS, len(h.Rates) == 0 || precision == "fp16" || precision == "bf16"
}

// Family is the kind of workload; it decides how FLOPs and weights are counted.
type Family string

const (
	Transformer Family = "transformer"
	MoE         Family = "moe"
	CNN         Family = "cnn"
	SSM         Family = "ssm"
	Diffusion   Family = "diffusion"
	Embodied    Family = "embodied"
	Generic     Family = "generic"
)

// Families lists the valid Family values.
var Families = []Family{Transformer, MoE, CNN, SSM, Diffusion, Embodied, Generic}

// IsTransformer reports whether serving and transformer memory models apply.
func (f Family) IsTransformer() bool { return f == Transformer || f == MoE }

// TrainingRun is a published training run of the model.
type TrainingRun struct {
	Accelerators int     `json:"accelerators,omitempty"`
	Days         float64 `json:"days,omitempty"`
	EnergyJ      float64 `json:"energy_j,omitempty"`
	GPUDays      float64 `json:"gpu_days,omitempty"`
	Hardware     string  `json:"hardware,omitempty"`
}

// Model is one workload.
type Model struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Category     string `json:"category"`
	Family       Family `json:"family"`
	Architecture string `json:"architecture"`

	Parameters            float64 `json:"parameters,omitempty"`
	ActiveParameters      float64 `json:"active_parameters,omitempty"`
	Layers                int     `json:"layers,omitempty"`
	HiddenDim             int     `json:"hidden_dim,omitempty"`
	Heads                 int     `json:"heads,omitempty"`
	KVHeads               int     `json:"kv_heads,omitempty"`
	IntermediateDim       int     `json:"intermediate_dim,omitempty"`
	VocabSize             int     `json:"vocab_size,omitempty"`
	KVLoraRank            int     `json:"kv_lora_rank,omitempty"`
	QKRopeHeadDim         int     `json:"qk_rope_head_dim,omitempty"`
	Experts               int     `json:"experts,omitempty"`
	ActiveExpertsPerToken int     `json:"active_experts_per_token,omitempty"`
	// DeepSeek-style layer structure (0 = absent; docs/PHYSICS.md §35, "DeepSeek-V3's
	// layers"): latent attention's query rank and head widths, the first DenseLayers
	// layers dense with an MLP DenseIntermediateDim wide, and each MoE layer's
	// SharedExperts beside the routed experts, ExpertIntermediateDim wide each.
	QLoraRank             int `json:"q_lora_rank,omitempty"`
	QKNopeHeadDim         int `json:"qk_nope_head_dim,omitempty"`
	VHeadDim              int `json:"v_head_dim,omitempty"`
	DenseLayers           int `json:"dense_layers,omitempty"`
	DenseIntermediateDim  int `json:"dense_intermediate_dim,omitempty"`
	ExpertIntermediateDim int `json:"expert_intermediate_dim,omitempty"`
	SharedExperts         int `json:"shared_experts,omitempty"`
	// Group-limited (node-limited) routing: the routed experts split into RoutingGroups
	// groups of consecutive experts, a token's experts chosen within its RoutingGroupTopK
	// best groups (config.json n_group, topk_group; DeepSeek-V3 report §2.1.2). 0 = none.
	// The calibrated training step prices DeepEP's per-node dispatch with them
	// (docs/PHYSICS.md §35, "DeepEP dispatch and node-limited routing").
	RoutingGroups    int `json:"routing_groups,omitempty"`
	RoutingGroupTopK int `json:"routing_group_topk,omitempty"`

	InferenceFLOPs    float64 `json:"inference_flops,omitempty"`
	InferenceFLOPsPer string  `json:"inference_flops_per,omitempty"`
	ReferenceSeqLen   int     `json:"reference_seq_len,omitempty"`
	// ContextTokens is the longest sequence (prompt + generated) the model was built
	// for: max_position_embeddings of its config.json or its card; 0 = unknown, unchecked.
	ContextTokens int `json:"context_tokens,omitempty"`
	// MTPLayers is the multi-token-prediction modules the model ships
	// (num_nextn_predict_layers of its config.json); 0 = none, so it has no mtp draft.
	MTPLayers int `json:"mtp_layers,omitempty"`
	// SlidingWindow is the attention window, in tokens, of the SlidingWindowLayers layers
	// that attend only the latest SlidingWindow tokens (sliding_window of the config.json;
	// Mistral 7B v0.1: 4096 on all 32 layers); 0 = every layer attends the whole context.
	SlidingWindow        int          `json:"sliding_window,omitempty"`
	SlidingWindowLayers  int          `json:"sliding_window_layers,omitempty"`
	InferenceEnergyJ     float64      `json:"inference_energy_j,omitempty"`
	TrainingFLOPs        float64      `json:"training_flops,omitempty"`
	TrainingTokens       float64      `json:"training_tokens,omitempty"`
	TrainingRun          *TrainingRun `json:"training_run,omitempty"`
	TrainingDatasetBytes float64      `json:"training_dataset_bytes,omitempty"`
	ModelSizeBytes       float64      `json:"model_size_bytes,omitempty"`
	EmbeddingEntries     float64      `json:"embedding_entries,omitempty"`
	ParameterRange       []float64    `json:"parameter_range,omitempty"`
	StateSize            int          `json:"state_size,omitempty"`
	DenoisingSteps       int          `json:"denoising_steps,omitempty"`
	ResolutionPx         int          `json:"resolution_px,omitempty"`
	ActionChunkHorizon   int          `json:"action_chunk_horizon,omitempty"`
	ActionDim            int          `json:"action_dim,omitempty"`
	// ConvLayers lists a CNN's convolutions in order (docs/CATALOG.md): the calibrated
	// node study prices each one and the elementwise layers after it (docs/PHYSICS.md §36).
	ConvLayers []ConvLayer `json:"conv_layers,omitempty"`
	Provenance
}

// ConvLayer is Count identical convolutions of a CNN: a Kernel×Kernel filter from In to
// Out channels whose square output feature map has side Size (its input side is
// Size·Stride), followed by the elementwise layers After names and, where Pool is set,
// a max pool whose square output has side Pool. Groups (0 or 1: none) splits the
// channels into independent convolutions (Groups = In = Out: depthwise). Shortcut marks
// a projection shortcut, whose output only feeds the residual add. A fully connected
// layer is a 1×1 convolution of size 1.
type ConvLayer struct {
	Kernel   int    `json:"k"`
	In       int    `json:"in"`
	Out      int    `json:"out"`
	Size     int    `json:"size"`
	Stride   int    `json:"stride"`
	Count    int    `json:"n"`
	After    string `json:"after"`
	Pool     int    `json:"pool,omitempty"`
	Groups   int    `json:"g,omitempty"`
	Shortcut bool   `json:"shortcut,omitempty"`
}

// ConvAfter are the elementwise layers that may follow a convolution: nothing (the
// logits), a ReLU alone (AlexNet), or batch norm, then optionally a residual add, then
// optionally a ReLU (ReLU6 counts as a ReLU: the same passes, in place).
var ConvAfter = []string{"none", "relu", "bn", "bn_relu", "bn_add", "bn_add_relu"}

// MaxConvDim bounds a convolution's kernel side, channels, feature-map side, stride and
// repeat count: no published CNN layer comes near 2^16 in any of them.
const MaxConvDim = 1 << 16

// Grid is an electricity grid region.
type Grid struct {
	Key           string  `json:"key"`
	Name          string  `json:"name"`
	CarbonGPerKWh float64 `json:"carbon_g_per_kwh"`
	PUE           float64 `json:"pue"`
	WUELPerKWh    float64 `json:"wue_l_per_kwh"`
	PrimarySource string  `json:"primary_source,omitempty"`
	RenewablePct  float64 `json:"renewable_pct,omitempty"`
	Lat           float64 `json:"lat,omitempty"`
	Lon           float64 `json:"lon,omitempty"`
	Provenance
}

// Datacenter sits on a grid and may override its PUE.
type Datacenter struct {
	Key         string  `json:"key"`
	Name        string  `json:"name"`
	Grid        string  `json:"grid"`
	PUEOverride float64 `json:"pue_override,omitempty"`
	Provenance
}

// Cooling is a facility cooling tier.
type Cooling struct {
	Key        string  `json:"key"`
	Name       string  `json:"name"`
	PUE        float64 `json:"pue"`
	WUELPerKWh float64 `json:"wue_l_per_kwh"`
	Provenance
}

// Price is a sourced scalar price or anchor; Unit says what Value means (e.g. "USD/kWh").
type Price struct {
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Provenance
}

// Fabric is a scale-out network.
type Fabric struct {
	Key              string  `json:"key"`
	Name             string  `json:"name"`
	BytesPerS        float64 `json:"bytes_per_s"` // per accelerator NIC, per direction
	LatencyS         float64 `json:"latency_s"`
	Topology         string  `json:"topology"`
	Oversubscription float64 `json:"oversubscription"`
	// BusBytesPerS is the bus bandwidth NCCL-style collectives measurably reach per
	// NIC (0 = not measured; the nominal rate is used).
	BusBytesPerS float64 `json:"bus_bytes_per_s,omitempty"`
	Provenance
}

// AchievedBusBytesPerS is the per-NIC rate a collective reaches: the measured bus
// bandwidth where catalogued, else the nominal rate; either is divided by the
// oversubscription of the fabric's upper tiers.
func (f *Fabric) AchievedBusBytesPerS() float64 {
	bw := f.BytesPerS
	if f.BusBytesPerS > 0 {
		bw = f.BusBytesPerS
	}
	return bw / f.Oversubscription
}

// Rename records a catalog key that was renamed or split, so that the old key
// gets a clear error naming its replacement instead of "unknown".
type Rename struct {
	Kind   string `json:"kind"` // "hardware", "model", …
	Key    string `json:"key"`  // the old key
	Now    string `json:"now"`  // what to write instead
	Reason string `json:"reason"`
	File   string `json:"file"`
}

// Engine is an LLM serving engine as the serving physics sees it (docs/PHYSICS.md §33):
// the kernels its transformer layers launch, the latency of its tensor-parallel
// all-reduce inside a node, and the time per forward step the accelerator waits for it.
type Engine struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// NonMatmulKernels: kernels a dense transformer layer launches besides its four
	// weight matmuls (normalisation, rotary, KV-cache write, attention, activation).
	NonMatmulKernels int `json:"non_matmul_kernels"`
	// MoEKernels: further kernels of a mixture-of-experts layer (router and routing).
	MoEKernels int `json:"moe_kernels"`
	// AllReduceS is a small-message all-reduce over the scale-up link at 2 ranks (the
	// engine's one-shot kernel); AllReducePerRankS is added for each further rank.
	AllReduceS        float64 `json:"allreduce_latency_s"`
	AllReducePerRankS float64 `json:"allreduce_latency_per_rank_s"`
	// NCCLAllReduce: the engine calls NCCL's all-reduce (allreduce: nccl), priced by
	// NCCL's own ring-protocol model (kernel.NCCLAllReduce) rather than a measured latency.
	NCCLAllReduce bool `json:"nccl_allreduce"`
	// AllReduceMaxBytes is the largest message the engine's own all-reduce kernel takes
	// in a group of more than 2 ranks, AllReduceMaxBytesTwoRanks in a group of 2 (its
	// workspace); a larger message goes to NCCL's all-reduce (kernel.NCCLAllReduce).
	// 0: no limit.
	AllReduceMaxBytes         float64 `json:"allreduce_max_message_bytes,omitempty"`
	AllReduceMaxBytesTwoRanks float64 `json:"allreduce_max_message_two_ranks_bytes,omitempty"`
	// StepOverheadS is the engine's time per forward step that the accelerator waits for.
	StepOverheadS float64 `json:"step_overhead_s"`
	// MemoryFraction is the share of an accelerator's memory the engine lets weights
	// and KV cache use by default: of all of it (vLLM's gpu_memory_utilization, SGLang's
	// mem_fraction_static), or, when MemoryOfFree, of what the weights leave, for the
	// KV cache alone (TensorRT-LLM's free_gpu_memory_fraction).
	MemoryFraction float64 `json:"memory_fraction"`
	MemoryOfFree   bool    `json:"memory_fraction_of_free"`
	// FP8Attention: with FP8 weights and an FP8 KV cache the engine runs the attention
	// core's matmuls at 8 bits too (TensorRT-LLM's FP8 context FMHA); otherwise (a 16-bit
	// cache, or no FP8 attention) they run on the 16-bit activations at the 16-bit rate.
	FP8Attention bool `json:"fp8_attention"`
	// KVAutoCheckpoint: under its default KV cache dtype ("auto") the engine stores the
	// cache in the checkpoint's own KV scheme when the checkpoint's quantisation config
	// names one (kv_cache_auto: checkpoint — an FP8 checkpoint's FP8 cache), rather than
	// in the model's 16-bit dtype whatever the checkpoint says (kv_cache_auto: model_dtype).
	KVAutoCheckpoint bool `json:"kv_cache_auto_checkpoint"`
	// MoEDenseExperts: the engine splits a mixture-of-experts layer's experts whole over
	// the tensor-parallel ranks and runs every token through each of a rank's experts,
	// masking the result by its routing weight (vLLM's Mixtral of December 2023, pull
	// request #2090), instead of routing each token to its top-k experts sharded over the
	// ranks. Optional (false); when true, field_sources.moe_dense_experts says where.
	MoEDenseExperts bool `json:"moe_dense_experts,omitempty"`
	// PrefillTokens is the most prompt tokens the engine's scheduler puts in one prefill
	// pass when prompts run whole (not chunked): its default per-iteration token budget
	// (vLLM's max_num_batched_tokens, SGLang's chunked_prefill_size, TensorRT-LLM's
	// max_num_tokens). With PrefillTokensContext the budget is the model's context window
	// (vLLM's max_model_len), at least PrefillTokens; with PrefillWholeBatch the engine
	// prefills every prompt of its batch together (static batching), and PrefillTokens is 0.
	PrefillTokens        int  `json:"prefill_tokens,omitempty"`
	PrefillTokensContext bool `json:"prefill_tokens_context,omitempty"`
	PrefillWholeBatch    bool `json:"prefill_whole_batch,omitempty"`
	// HostStep is the engine's measured host time per step (host_step; docs/PHYSICS.md
	// §33, "The V0 engine's host time per step"), which the calibrated serving physics adds
	// to StepOverheadS at each step's sequences and tensor-parallel degree. nil = none:
	// the engine overlaps its host work with the accelerator, or no table is known.
	HostStep *HostStep `json:"host_step,omitempty"`
	// FusedMoEDefaultTiles: the engine's mixture-of-experts layer is vLLM's Triton
	// fused_moe of 2024, which multiplies a shape it ships no tuned configuration for on
	// get_default_config's tiles (kernel.FusedMoETileM and the rest; docs/PHYSICS.md §33,
	// "The fused MoE kernel's default tiles"); FusedMoETuned lists the shapes it ships a
	// configuration for. Optional (false); when true, field_sources.fused_moe_default_tiles
	// and field_sources.fused_moe_tuned say where.
	FusedMoEDefaultTiles bool            `json:"fused_moe_default_tiles,omitempty"`
	FusedMoETuned        []FusedMoEShape `json:"fused_moe_tuned,omitempty"`
	Provenance
}

// FusedMoEShape is one tuned configuration file of vLLM's fused_moe
// (configs/E=<experts>,N=<width>,device_name=<accelerator>.json): the accelerator as a
// catalog hardware key, the layer's experts and one expert's MLP width on one
// tensor-parallel rank.
type FusedMoEShape struct {
	Hardware string `json:"hardware" yaml:"hardware"`
	Experts  int    `json:"experts" yaml:"experts"`
	Width    int    `json:"width" yaml:"width"`
}

// FusedMoETunedFor reports whether the engine ships a tuned fused_moe configuration for
// the shape (hardware key, experts, per-rank expert width).
func (e *Engine) FusedMoETunedFor(hardware string, experts, width int) bool {
	for _, s := range e.FusedMoETuned {
		if s.Hardware == hardware && s.Experts == experts && s.Width == width {
			return true
		}
	}
	return false
}

// HostStep is an engine's host time per forward step measured on a grid: Batches
// (sequences per step, ascending) × TPs (tensor-parallel degrees, ascending), seconds,
// InProcessS[j][i] at TPs[j] and Batches[i] — the engine's own loop: scheduling, input
// preparation, sampling and output processing — and ControlPlaneS the same for the
// remote calls that drive its workers (nil when the engine has none on its step's path).
type HostStep struct {
	Batches       []float64   `json:"batches"`
	TPs           []float64   `json:"tps"`
	InProcessS    [][]float64 `json:"in_process_s"`
	ControlPlaneS [][]float64 `json:"control_plane_s,omitempty"`
}

// Total is the host time per step the table charges, s: in-process plus control plane,
// per grid point (a fresh slice of rows).
func (h *HostStep) Total() [][]float64 {
	t := make([][]float64, len(h.InProcessS))
	for j, row := range h.InProcessS {
		t[j] = append([]float64(nil), row...)
		if j < len(h.ControlPlaneS) {
			for i := range t[j] {
				t[j][i] += h.ControlPlaneS[j][i]
			}
		}
	}
	return t
}

// MaxHostStepS bounds one grid value of an engine's host time per step: a second is no
// serving engine's loop between two passes.
const MaxHostStepS = 1.0

// EngineFields are the engine attributes each entry sources in field_sources.
var EngineFields = []string{"non_matmul_kernels", "moe_kernels", "allreduce_latency", "step_overhead", "memory_fraction", "fp8_attention", "kv_cache_auto", "prefill_token_budget"}

// Node is a server of identical accelerators.
type Node struct {
	Key                 string  `json:"key"`
	Name                string  `json:"name"`
	Accelerator         string  `json:"accelerator"`
	AcceleratorsPerNode int     `json:"accelerators_per_node"`
	IntraNodeBytesPerS  float64 `json:"intra_node_bytes_per_s"`
	NICsPerNode         int     `json:"nics_per_node"`
	PSUsPerNode         int     `json:"psus_per_node"`
	HostMemoryBytes     float64 `json:"host_memory_bytes,omitempty"`
	// NoNVLS: the node's accelerators are not on an NVSwitch that reduces in the switch
	// (a 4-GPU HGX board wires its GPUs to each other directly), although their
	// scale-up link says nvls; its collectives run NCCL's rings (`nvls: false`).
	NoNVLS bool `json:"no_nvls,omitempty"`
	Provenance
}

// NVLS reports whether NCCL can run its NVLS all-reduce among the node's accelerators
// (h is the node's accelerator): their scale-up link reduces in the switch, the node
// runs on that link, and the node does not say otherwise.
func (n *Node) NVLS(h *Hardware) bool {
	return h != nil && h.ScaleUp != nil && h.ScaleUp.NVLS && !n.NoNVLS &&
		n.IntraNodeBytesPerS == h.ScaleUp.PerDirectionBytesPerS()
}

// Cluster is a fleet of nodes on one fabric.
type Cluster struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	Node       string `json:"node"`
	Nodes      int    `json:"nodes"`
	Fabric     string `json:"fabric"`
	Region     string `json:"region,omitempty"`
	Datacenter string `json:"datacenter,omitempty"`
	Provenance
}

// Wall is one of the 22 walls that bound ML system performance (physics.md §11).
type Wall struct {
	Number     int    `yaml:"number" json:"number"`
	Name       string `yaml:"name" json:"name"`
	Domain     string `yaml:"domain" json:"domain"`
	Resolver   string `yaml:"resolver" json:"resolver"`
	Constraint string `yaml:"constraint" json:"constraint"`
	Equation   string `yaml:"equation" json:"equation"`
	DecidedBy  string `yaml:"decided_by" json:"decided_by"`
	Source     Source `yaml:"source" json:"source"`
}

// WallDomains are the six domains of the wall taxonomy.
var WallDomains = []string{"node", "data", "algorithm", "fleet", "operations", "analysis"}
