package catalog

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"
)

// qty is a quantity string as written in a YAML file, with its line for errors.
type qty struct {
	s    string
	line int
}

func (q *qty) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a quantity such as \"80 GiB\"", n.Line)
	}
	q.s, q.line = n.Value, n.Line
	return nil
}

// num is a bare number (count or ratio) with its line.
type num struct {
	v    float64
	set  bool
	line int
}

func (x *num) UnmarshalYAML(n *yaml.Node) error {
	if err := NumberText(n.Value); err != nil && n.Style == 0 {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("line %d: want a finite number, got %s", n.Line, quoteShort(n.Value))
	}
	x.v, x.set, x.line = f, true, n.Line
	return nil
}

type rawProvenance struct {
	Source       *Source           `yaml:"source"`
	FieldSources map[string]Source `yaml:"field_sources"`
	Corrections  []Correction      `yaml:"corrections"`
	Notes        string            `yaml:"notes"`
	Upstream     *Upstream         `yaml:"upstream"`
}

type rawLink struct {
	Name         string    `yaml:"name"`
	Bandwidth    *qty      `yaml:"bandwidth"`
	Direction    Direction `yaml:"direction"`
	Latency      *qty      `yaml:"latency"`
	BusBandwidth *qty      `yaml:"bus_bandwidth"`
	NVLS         bool      `yaml:"nvls"`
}

type rawMIG struct {
	Name   string `yaml:"name"`
	Memory *qty   `yaml:"memory"`
	SMs    int    `yaml:"sms"`
	Use    string `yaml:"use"`
}

type rawHardware struct {
	Key         string          `yaml:"key"`
	Name        string          `yaml:"name"`
	ReleaseYear int             `yaml:"release_year"`
	Peak        *qty            `yaml:"peak"`
	Rates       map[string]*qty `yaml:"rates"`
	SMCount     int             `yaml:"sm_count"`
	ClockRate   *qty            `yaml:"clock_rate"`
	Memory      *struct {
		Capacity          *qty `yaml:"capacity"`
		Bandwidth         *qty `yaml:"bandwidth"`
		SRAMCapacity      *qty `yaml:"sram_capacity"`
		SRAMBandwidth     *qty `yaml:"sram_bandwidth"`
		FlashCapacity     *qty `yaml:"flash_capacity"`
		FlashBandwidth    *qty `yaml:"flash_bandwidth"`
		L2Cache           *qty `yaml:"l2_cache"`
		RegisterFilePerSM *qty `yaml:"register_file_per_sm"`
		SharedMemoryPerSM *qty `yaml:"shared_memory_per_sm"`
		AchievableBW      *qty `yaml:"achievable_bandwidth"`
		L2BW              *qty `yaml:"l2_bandwidth"`
	} `yaml:"memory"`
	Storage *struct {
		Capacity  *qty `yaml:"capacity"`
		Bandwidth *qty `yaml:"bandwidth"`
	} `yaml:"storage"`
	HostLink         *rawLink       `yaml:"host_link"`
	ScaleUp          *rawLink       `yaml:"scale_up"`
	TDP              *qty           `yaml:"tdp"`
	TDPMin           *qty           `yaml:"tdp_min"`
	TDPMax           *qty           `yaml:"tdp_max"`
	Battery          *qty           `yaml:"battery"`
	UnitCost         *qty           `yaml:"unit_cost"`
	UnitCostMax      *qty           `yaml:"unit_cost_max"`
	AcceleratorCount int            `yaml:"accelerator_count"`
	EmbodiedCarbon   *qty           `yaml:"embodied_carbon"`
	DispatchTax      *qty           `yaml:"dispatch_tax"`
	MIGProfiles      []rawMIG       `yaml:"mig_profiles"`
	GEMMEfficiency   map[string]num `yaml:"gemm_efficiency"`
	AttnEfficiency   map[string]num `yaml:"attention_efficiency"`
	GEMMSustained    map[string]num `yaml:"gemm_sustained_efficiency"`
	AttnFlash1       map[string]num `yaml:"attention_efficiency_flash1"`
	Unsupported      []string       `yaml:"unsupported_precisions"`
	rawProvenance    `yaml:",inline"`
}

type rawModel struct {
	Key                   string `yaml:"key"`
	Name                  string `yaml:"name"`
	Family                Family `yaml:"family"`
	Architecture          string `yaml:"architecture"`
	Parameters            num    `yaml:"parameters"`
	ActiveParameters      num    `yaml:"active_parameters"`
	Layers                int    `yaml:"layers"`
	HiddenDim             int    `yaml:"hidden_dim"`
	Heads                 int    `yaml:"heads"`
	KVHeads               int    `yaml:"kv_heads"`
	IntermediateDim       int    `yaml:"intermediate_dim"`
	VocabSize             int    `yaml:"vocab_size"`
	KVLoraRank            int    `yaml:"kv_lora_rank"`
	QKRopeHeadDim         int    `yaml:"qk_rope_head_dim"`
	Experts               int    `yaml:"experts"`
	ActiveExpertsPerToken int    `yaml:"active_experts_per_token"`
	QLoraRank             int    `yaml:"q_lora_rank"`
	QKNopeHeadDim         int    `yaml:"qk_nope_head_dim"`
	VHeadDim              int    `yaml:"v_head_dim"`
	DenseLayers           int    `yaml:"dense_layers"`
	DenseIntermediateDim  int    `yaml:"dense_intermediate_dim"`
	ExpertIntermediateDim int    `yaml:"expert_intermediate_dim"`
	SharedExperts         int    `yaml:"shared_experts"`
	RoutingGroups         int    `yaml:"routing_groups"`
	RoutingGroupTopK      int    `yaml:"routing_group_topk"`
	InferenceFLOPs        *qty   `yaml:"inference_flops"`
	InferenceFLOPsPer     string `yaml:"inference_flops_per"`
	ReferenceSeqLen       int    `yaml:"reference_seq_len"`
	ContextTokens         *int   `yaml:"context_tokens"`
	MTPLayers             int    `yaml:"mtp_layers"`
	SlidingWindow         int    `yaml:"sliding_window"`
	SlidingWindowLayers   int    `yaml:"sliding_window_layers"`
	InferenceEnergy       *qty   `yaml:"inference_energy"`
	TrainingFLOPs         *qty   `yaml:"training_flops"`
	TrainingTokens        num    `yaml:"training_tokens"`
	TrainingRun           *struct {
		Accelerators int     `yaml:"accelerators"`
		Days         float64 `yaml:"days"`
		Energy       *qty    `yaml:"energy"`
		GPUDays      float64 `yaml:"gpu_days"`
		Hardware     string  `yaml:"hardware"`
	} `yaml:"training_run"`
	TrainingDatasetSize *qty      `yaml:"training_dataset_size"`
	ModelSize           *qty      `yaml:"model_size"`
	EmbeddingEntries    num       `yaml:"embedding_entries"`
	ParameterRange      []float64 `yaml:"parameter_range"`
	StateSize           int       `yaml:"state_size"`
	DenoisingSteps      int       `yaml:"denoising_steps"`
	ResolutionPx        int       `yaml:"resolution_px"`
	ActionChunkHorizon  int       `yaml:"action_chunk_horizon"`
	ActionDim           int       `yaml:"action_dim"`
	ConvLayers          []rawConv `yaml:"conv_layers"`
	rawProvenance       `yaml:",inline"`
}

type rawConv struct {
	Kernel   int    `yaml:"k"`
	In       int    `yaml:"in"`
	Out      int    `yaml:"out"`
	Size     int    `yaml:"size"`
	Stride   int    `yaml:"stride"`
	Count    int    `yaml:"n"`
	After    string `yaml:"after"`
	Pool     int    `yaml:"pool"`
	Groups   int    `yaml:"g"`
	Shortcut bool   `yaml:"shortcut"`
}

type rawGrid struct {
	Key             string  `yaml:"key"`
	Name            string  `yaml:"name"`
	CarbonIntensity *qty    `yaml:"carbon_intensity"`
	PUE             num     `yaml:"pue"`
	WUE             *qty    `yaml:"wue"`
	PrimarySource   string  `yaml:"primary_source"`
	RenewablePct    float64 `yaml:"renewable_pct"`
	Lat             float64 `yaml:"lat"`
	Lon             float64 `yaml:"lon"`
	rawProvenance   `yaml:",inline"`
}

type rawDatacenter struct {
	Key           string `yaml:"key"`
	Name          string `yaml:"name"`
	Grid          string `yaml:"grid"`
	PUEOverride   num    `yaml:"pue_override"`
	rawProvenance `yaml:",inline"`
}

type rawCooling struct {
	Key           string `yaml:"key"`
	Name          string `yaml:"name"`
	PUE           num    `yaml:"pue"`
	WUE           *qty   `yaml:"wue"`
	rawProvenance `yaml:",inline"`
}

type rawPrice struct {
	Key           string `yaml:"key"`
	Name          string `yaml:"name"`
	Value         num    `yaml:"value"`
	Unit          string `yaml:"unit"`
	rawProvenance `yaml:",inline"`
}

type rawFabric struct {
	Key              string `yaml:"key"`
	Name             string `yaml:"name"`
	Bandwidth        *qty   `yaml:"bandwidth"`
	Latency          *qty   `yaml:"latency"`
	Topology         string `yaml:"topology"`
	Oversubscription num    `yaml:"oversubscription"`
	BusBandwidth     *qty   `yaml:"bus_bandwidth"`
	rawProvenance    `yaml:",inline"`
}

type rawEngine struct {
	Key              string       `yaml:"key"`
	Name             string       `yaml:"name"`
	NonMatmulKernels *int         `yaml:"non_matmul_kernels"`
	MoEKernels       *int         `yaml:"moe_kernels"`
	AllReduceKind    string       `yaml:"allreduce"`
	AllReduce        *qty         `yaml:"allreduce_latency"`
	AllReducePerRank *qty         `yaml:"allreduce_latency_per_rank"`
	AllReduceMax     *qty         `yaml:"allreduce_max_message"`
	AllReduceMaxTwo  *qty         `yaml:"allreduce_max_message_two_ranks"`
	StepOverhead     *qty         `yaml:"step_overhead"`
	MemoryFraction   *float64     `yaml:"memory_fraction"`
	MemoryFractionOf string       `yaml:"memory_fraction_of"`
	FP8Attention     *bool        `yaml:"fp8_attention"`
	KVCacheAuto      string       `yaml:"kv_cache_auto"`
	MoEDenseExperts  bool         `yaml:"moe_dense_experts"`
	PrefillBudget    string       `yaml:"prefill_token_budget"`
	PrefillBudgetMin *int         `yaml:"prefill_token_budget_min"`
	HostStep         *rawHostStep `yaml:"host_step"`
	FusedMoEDefault  bool         `yaml:"fused_moe_default_tiles"`
	FusedMoETuned    moeShapes    `yaml:"fused_moe_tuned"`
	rawProvenance    `yaml:",inline"`
}

// moeShapes is an engine's fused_moe_tuned list.
type moeShapes = []FusedMoEShape

// rawHostStep is an engine's measured host time per step (host_step): a grid of
// sequences per step × tensor-parallel degree, in milliseconds, the in-process part and,
// where the engine drives its workers by remote calls, the calls' part.
type rawHostStep struct {
	Batch          []float64   `yaml:"batch"`
	TP             []float64   `yaml:"tp"`
	InProcessMS    [][]float64 `yaml:"in_process_ms"`
	ControlPlaneMS [][]float64 `yaml:"control_plane_ms"`
}

type rawNode struct {
	Key                 string `yaml:"key"`
	Name                string `yaml:"name"`
	Accelerator         string `yaml:"accelerator"`
	AcceleratorsPerNode int    `yaml:"accelerators_per_node"`
	IntraNodeBandwidth  *qty   `yaml:"intra_node_bandwidth"`
	NICsPerNode         int    `yaml:"nics_per_node"`
	PSUsPerNode         int    `yaml:"psus_per_node"`
	HostMemory          *qty   `yaml:"host_memory"`
	NVLS                *bool  `yaml:"nvls"`
	rawProvenance       `yaml:",inline"`
}

type rawCluster struct {
	Key           string `yaml:"key"`
	Name          string `yaml:"name"`
	Node          string `yaml:"node"`
	Nodes         int    `yaml:"nodes"`
	Fabric        string `yaml:"fabric"`
	Region        string `yaml:"region"`
	Datacenter    string `yaml:"datacenter"`
	rawProvenance `yaml:",inline"`
}

type rawRename struct {
	Kind   string `yaml:"kind"`
	Key    string `yaml:"key"`
	Now    string `yaml:"now"`
	Reason string `yaml:"reason"`
}
