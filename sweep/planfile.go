package sweep

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
	"github.com/mlsysim/mlsysim/suggest"
)

// PlanFile is a declarative scenario (docs/PLAN.md): the seed's mlsys.yaml with
// our additions (a catalog cluster, parallelism, region-aware ops). It evaluates
// as a one-point sweep of the node study (one accelerator) or the fleet study.
type PlanFile struct {
	File        string          `yaml:"-"` // set by ParsePlanFile; not a plan key
	Version     string          `yaml:"version"`
	Name        string          `yaml:"name"`
	Workload    planWorkload    `yaml:"workload"`
	Hardware    planHardware    `yaml:"hardware"`
	Parallelism *planParallel   `yaml:"parallelism"`
	Ops         *planOps        `yaml:"ops"`
	Constraints *planConstraint `yaml:"constraints"`

	lines map[string]int // "hardware.accelerators" → line, for errors
	total int            // accelerators, set by Resolve for CheckSplit
	// Set by Resolve for CheckEffect: the study, the accelerator key and the
	// accelerators per node of a fleet.
	study, accel string
	perNode      int
}

type planWorkload struct {
	Name      string `yaml:"name"`
	BatchSize *int   `yaml:"batch_size"`
	SeqLen    *int   `yaml:"seq_len"`
}

type planHardware struct {
	Name                string   `yaml:"name"`
	Cluster             string   `yaml:"cluster"`
	Accelerators        *int     `yaml:"accelerators"`
	Nodes               *int     `yaml:"nodes"` // the seed README's name for the total accelerator count
	NodeCount           *int     `yaml:"node_count"`
	AcceleratorsPerNode *int     `yaml:"accelerators_per_node"`
	IntraNodeBW         string   `yaml:"intra_node_bw"`
	FabricBandwidth     string   `yaml:"fabric_bandwidth"`
	Precision           string   `yaml:"precision"`
	FP8Recipe           string   `yaml:"fp8_recipe"`
	FP8Params           *bool    `yaml:"fp8_params"`
	Efficiency          *float64 `yaml:"efficiency"`
}

type planParallel struct {
	TP                      *int     `yaml:"tp"`
	PP                      *int     `yaml:"pp"`
	DP                      string   `yaml:"dp"` // "auto" or a number that must match
	EP                      *int     `yaml:"ep"`
	ETP                     *int     `yaml:"etp"`           // expert tensor parallelism; unset: tp
	MoEImbalance            *float64 `yaml:"moe_imbalance"` // the study's moe_imbalance; unset: 1
	CP                      *int     `yaml:"cp"`
	CPAttention             string   `yaml:"cp_attention"`
	TransformerExecution    string   `yaml:"transformer_execution"`
	AttentionKernel         string   `yaml:"attention_kernel"`
	Microbatches            *int     `yaml:"microbatches"`
	VirtualStages           *int     `yaml:"virtual_stages"`
	ZeroStage               *int     `yaml:"zero_stage"`
	DPShard                 *int     `yaml:"dp_shard"`
	Overlap                 *bool    `yaml:"overlap"`
	Recompute               *bool    `yaml:"activation_recomputation"`
	ActivationCheckpointing string   `yaml:"activation_checkpointing"`
	SequenceParallel        *bool    `yaml:"sequence_parallel"`
	FlashAttention          *bool    `yaml:"flash_attention"`
	FP32Gradients           *bool    `yaml:"fp32_gradients"`
	OptimizerStatePrecision string   `yaml:"optimizer_state_precision"`
	PipelineSchedule        string   `yaml:"pipeline_schedule"`
	MoEA2AOverlap           *bool    `yaml:"moe_a2a_overlap"`
	MoEDispatcher           string   `yaml:"moe_dispatcher"`
}

type planOps struct {
	Region          string   `yaml:"region"`
	DurationDays    *float64 `yaml:"duration_days"`
	MTBFHours       *float64 `yaml:"mtbf_hours"`
	Electricity     *float64 `yaml:"electricity_usd_per_kwh"`
	CarbonTax       *float64 `yaml:"carbon_tax_usd_per_t"`
	CarbonIntensity *float64 `yaml:"carbon_intensity_g_per_kwh"`
	PUE             *float64 `yaml:"pue"`
	WUE             *float64 `yaml:"wue_l_per_kwh"`
	Power           *float64 `yaml:"power_per_accelerator_w"`
	Rental          *float64 `yaml:"rental_usd_per_accelerator_hour"`
}

type planConstraint struct {
	Assert []Assertion `yaml:"assert"`
}

// Assertion bounds one scorecard metric ("performance.step_latency").
type Assertion struct {
	Metric string   `yaml:"metric"`
	Min    *float64 `yaml:"min"`
	Max    *float64 `yaml:"max"`
	line   int
}

// IsPlanFile reports whether YAML bytes look like a plan (workload + hardware).
func IsPlanFile(b []byte) bool {
	var m map[string]any
	if yaml.Unmarshal(b, &m) != nil {
		return false
	}
	_, w := m["workload"]
	_, h := m["hardware"]
	return w && h
}

// ParsePlanFile reads a plan; unknown keys and bad values fail with file:line.
func ParsePlanFile(file string, b []byte) (*PlanFile, error) {
	pf := &PlanFile{File: file, lines: map[string]int{}}
	doc, err := catalog.ParseYAML(file, b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a plan is a YAML mapping with version, name, workload and hardware (docs/PLAN.md)", file)
	}
	recordLines(doc.Content[0], "", pf.lines)
	if err := catalog.DecodeStrict(file, b, pf, planBlock); err != nil {
		return nil, err
	}
	pf.lowerChoices()
	if pf.Constraints != nil {
		for i := range pf.Constraints.Assert {
			pf.Constraints.Assert[i].line = pf.lines[fmt.Sprintf("constraints.assert.%d", i)]
		}
	}
	switch {
	case pf.Version == "":
		return nil, pf.errf("", "missing version (write version: \"1.0\")")
	case pf.Name == "":
		return nil, pf.errf("", "missing name")
	case pf.Workload.Name == "":
		return nil, pf.errf("workload", "workload.name is required (a model key such as Llama3_8B)")
	case pf.Hardware.Name == "" && pf.Hardware.Cluster == "":
		return nil, pf.errf("hardware", "hardware needs name (an accelerator key) or cluster (a cluster key)")
	case pf.Hardware.Name != "" && pf.Hardware.Cluster != "":
		return nil, pf.errf("hardware.cluster", "give hardware.name or hardware.cluster, not both")
	}
	for _, a := range pf.assertions() {
		if a.Metric == "" {
			return nil, pf.errAt(a.line, "assert: each assertion needs a metric such as performance.step_latency")
		}
		if a.Min == nil && a.Max == nil {
			return nil, pf.errAt(a.line, "assert %s: give min, max or both", a.Metric)
		}
		if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
			// No value passes: a CI gate that fails on every run says nothing about the plan.
			return nil, pf.errAt(a.line, "assert %s: min %s is above max %s, so no value can pass (swapped?)", a.Metric, fmtNum(*a.Min), fmtNum(*a.Max))
		}
	}
	return pf, nil
}

// lowerChoices writes the plan's named choices (precision, fp8_recipe and the
// parallelism block's schedule, kernel and format names) in lower case, as a grid's
// values and the flags read them (FP8 is fp8). The plan's own checks compare them
// with lower-case names: "pipeline_schedule: DualPipe" skipped the dualpipe checks
// and "attention_kernel: Flash1" the check for a measured FlashAttention-1 rate, so
// the plan ran to an infeasible scorecard at exit 0 where "dualpipe" and "flash1"
// were refused naming the key and the fix.
func (pf *PlanFile) lowerChoices() {
	low := func(s *string) { *s = strings.ToLower(strings.TrimSpace(*s)) }
	low(&pf.Hardware.Precision)
	low(&pf.Hardware.FP8Recipe)
	if par := pf.Parallelism; par != nil {
		for _, s := range []*string{&par.CPAttention, &par.TransformerExecution, &par.AttentionKernel, &par.ActivationCheckpointing,
			&par.OptimizerStatePrecision, &par.PipelineSchedule, &par.MoEDispatcher, &par.DP} {
			low(s)
		}
	}
}

// planBlock names a plan block by its Go type, for errors.
func planBlock(goType string) string {
	return map[string]string{
		"sweep.PlanFile": "the plan", "sweep.planWorkload": "workload", "sweep.planHardware": "hardware",
		"sweep.planParallel": "parallelism", "*sweep.planParallel": "parallelism", "sweep.planOps": "ops", "*sweep.planOps": "ops",
		"sweep.planConstraint": "constraints", "*sweep.planConstraint": "constraints", "sweep.Assertion": "an assertion",
		"[]sweep.Assertion": "constraints.assert",
	}[goType]
}

func recordLines(n *yaml.Node, prefix string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			lines[k] = n.Content[i].Line
			recordLines(n.Content[i+1], k, lines)
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			k := fmt.Sprintf("%s.%d", prefix, i)
			lines[k] = it.Line
			recordLines(it, k, lines)
		}
	}
}

func (pf *PlanFile) errf(key, format string, args ...any) error {
	return pf.errAt(pf.lines[key], format, args...)
}

func (pf *PlanFile) errAt(line int, format string, args ...any) error {
	if line == 0 {
		line = 1
	}
	return fmt.Errorf("%s:%d: %s", pf.File, line, fmt.Sprintf(format, args...))
}

func (pf *PlanFile) where(key string) string {
	line := pf.lines[key]
	if line == 0 {
		line = 1
	}
	return fmt.Sprintf("%s:%d", pf.File, line)
}

func (pf *PlanFile) assertions() []Assertion {
	if pf.Constraints == nil {
		return nil
	}
	return pf.Constraints.Assert
}

// Assertions returns the plan's constraints.assert list.
func (pf *PlanFile) Assertions() []Assertion { return pf.assertions() }

// HasOps reports whether the plan has an ops block (the macro lens).
func (pf *PlanFile) HasOps() bool { return pf.Ops != nil }

// Accelerator is the key of the plan's accelerator (after Resolve).
func (pf *PlanFile) Accelerator() string { return pf.accel }

// Resolve turns the plan into a study and one-point axes. A plan that names an
// accelerator and counts gets an ad-hoc cluster added to a clone of cat, which
// it returns. warn receives non-fatal notes (legacy keys).
func (pf *PlanFile) Resolve(cat *catalog.Catalog, warn func(string)) (study string, axes []Axis, out *catalog.Catalog, err error) {
	hw := &pf.Hardware
	val := func(name, text, key string) { axes = append(axes, axis1(name, text, pf.where(key))) }
	intOr := func(p *int, def int) string { return strconv.Itoa(or(p, def)) }
	precision := hw.Precision
	if precision == "" {
		precision = "fp16"
	}
	eff := 0.5
	if hw.Efficiency != nil {
		eff = *hw.Efficiency
	}
	common := func() {
		val("model", pf.Workload.Name, "workload.name")
		val("precision", precision, "hardware.precision")
		val("efficiency", strconv.FormatFloat(eff, 'g', -1, 64), "hardware.efficiency")
		val("batch_size", intOr(pf.Workload.BatchSize, 1), "workload.batch_size")
		val("seq_len", intOr(pf.Workload.SeqLen, 2048), "workload.seq_len")
	}

	if err := pf.checkOps(cat); err != nil {
		return "", nil, nil, err
	}
	total, perNode, clusterKey := 1, 0, hw.Cluster
	out = cat
	if clusterKey == "" {
		if total, perNode, err = pf.counts(cat, warn); err != nil {
			return "", nil, nil, err
		}
		if total == 1 {
			if pf.Parallelism != nil {
				return "", nil, nil, pf.errf("parallelism", "parallelism needs more than one accelerator (hardware.accelerators)")
			}
			if hw.FP8Params != nil {
				return "", nil, nil, pf.errf("hardware.fp8_params", "hardware.fp8_params applies to a training step's FP8 weights, and a plan of one accelerator is evaluated as inference (the node study); for one accelerator's training step use mlsysim eval MODEL HARDWARE --training --fp8-recipe current --fp8-params, or give the plan more accelerators, or drop fp8_params")
			}
			if hw.FP8Recipe != "" {
				return "", nil, nil, pf.errf("hardware.fp8_recipe", "hardware.fp8_recipe applies to a training step, and a plan of one accelerator is evaluated as inference (the node study); for one accelerator's training step use mlsysim eval MODEL HARDWARE --training --fp8-recipe %s, or give the plan more accelerators", hw.FP8Recipe)
			}
			common()
			val("hardware", hw.Name, "hardware.name")
			pf.study, pf.accel, pf.total = "node", hw.Name, 1
			return "node", axes, cat, nil
		}
		fabric := 50e9 // the seed's plan default: 50 GB/s
		if hw.FabricBandwidth != "" {
			if fabric, err = catalog.ParseQuantity(hw.FabricBandwidth, catalog.BytesPerSecond); err != nil {
				return "", nil, nil, fmt.Errorf("%s: hardware.fabric_bandwidth: %w", pf.where("hardware.fabric_bandwidth"), err)
			}
		}
		if fabric <= 0 {
			return "", nil, nil, pf.errf("hardware.fabric_bandwidth", "hardware.fabric_bandwidth must be > 0, got %s", hw.FabricBandwidth)
		}
		intra := 0.0
		if hw.IntraNodeBW != "" {
			if intra, err = catalog.ParseQuantity(hw.IntraNodeBW, catalog.BytesPerSecond); err != nil {
				return "", nil, nil, fmt.Errorf("%s: hardware.intra_node_bw: %w", pf.where("hardware.intra_node_bw"), err)
			}
			if intra <= 0 {
				return "", nil, nil, pf.errf("hardware.intra_node_bw", "hardware.intra_node_bw must be > 0, got %s", hw.IntraNodeBW)
			}
		}
		out = cat.Clone()
		clusterKey, err = out.AddFleet(catalog.FleetSpec{Key: "plan", Accelerator: hw.Name, AcceleratorsPerNode: perNode,
			Nodes: total / perNode, IntraNodeBytesPerS: intra, FabricBytesPerS: fabric, Source: pf.where("hardware")})
		if err != nil {
			return "", nil, nil, err
		}
	} else {
		for _, k := range []struct {
			set bool
			key string
		}{{hw.Accelerators != nil, "accelerators"}, {hw.Nodes != nil, "nodes"}, {hw.NodeCount != nil, "node_count"},
			{hw.AcceleratorsPerNode != nil, "accelerators_per_node"}, {hw.IntraNodeBW != "", "intra_node_bw"}, {hw.FabricBandwidth != "", "fabric_bandwidth"}} {
			if k.set {
				return "", nil, nil, pf.errf("hardware."+k.key, "hardware.%s cannot be combined with hardware.cluster: the cluster sets it (mlsysim zoo clusters)", k.key)
			}
		}
		cl, err := cat.ClusterByKey(clusterKey)
		if err != nil {
			return "", nil, nil, fmt.Errorf("%s: hardware.cluster: %w", pf.where("hardware.cluster"), err)
		}
		n, _ := cat.NodeByKey(cl.Node)
		total, perNode = cl.Nodes*n.AcceleratorsPerNode, n.AcceleratorsPerNode
		pf.accel = n.Accelerator
	}
	if pf.accel == "" {
		pf.accel = hw.Name
	}
	common()
	val("cluster", clusterKey, "hardware")
	if hw.FP8Recipe != "" {
		val("fp8_recipe", hw.FP8Recipe, "hardware.fp8_recipe")
	}
	if hw.FP8Params != nil {
		val("fp8_params", strconv.FormatBool(*hw.FP8Params), "hardware.fp8_params")
	}
	par := pf.Parallelism
	if par == nil {
		par = &planParallel{}
	}
	val("tp", intOr(par.TP, 1), "parallelism.tp")
	val("pp", intOr(par.PP, 1), "parallelism.pp")
	val("ep", intOr(par.EP, 1), "parallelism.ep")
	if par.ETP != nil {
		val("etp", intOr(par.ETP, 1), "parallelism.etp")
	}
	if par.MoEImbalance != nil {
		val("moe_imbalance", strconv.FormatFloat(*par.MoEImbalance, 'g', -1, 64), "parallelism.moe_imbalance")
	}
	val("microbatches", intOr(par.Microbatches, 1), "parallelism.microbatches")
	val("virtual_stages", intOr(par.VirtualStages, 1), "parallelism.virtual_stages")
	val("zero_stage", intOr(par.ZeroStage, 0), "parallelism.zero_stage")
	// The optional keys, in the order the axes have always been listed (a key left out
	// takes the study's default): text "" is a key the plan does not set.
	for _, o := range []struct{ key, text string }{
		{"overlap", boolText(par.Overlap)}, {"activation_recomputation", boolText(par.Recompute)},
		{"cp", intText(par.CP)}, {"dp_shard", intText(par.DPShard)},
		{"activation_checkpointing", par.ActivationCheckpointing}, {"cp_attention", par.CPAttention},
		{"transformer_execution", par.TransformerExecution}, {"moe_dispatcher", par.MoEDispatcher},
		{"moe_a2a_overlap", boolText(par.MoEA2AOverlap)}, {"pipeline_schedule", par.PipelineSchedule},
		{"optimizer_state_precision", par.OptimizerStatePrecision}, {"attention_kernel", par.AttentionKernel},
		{"sequence_parallel", boolText(par.SequenceParallel)}, {"flash_attention", boolText(par.FlashAttention)},
		{"fp32_gradients", boolText(par.FP32Gradients)},
	} {
		if o.text != "" {
			val(o.key, o.text, "parallelism."+o.key)
		}
	}
	// Degrees are bounded before they are multiplied (counts are, in counts); how they
	// must divide depends on the profile (CheckSplit).
	for _, d := range []struct {
		p   *int
		key string
	}{{par.TP, "tp"}, {par.PP, "pp"}, {par.EP, "ep"}, {par.ETP, "etp"}, {par.CP, "cp"}, {par.Microbatches, "microbatches"}, {par.VirtualStages, "virtual_stages"}} {
		if d.p != nil && (*d.p < 1 || *d.p > MaxCount) {
			return "", nil, nil, pf.errf("parallelism."+d.key, "parallelism.%s must be in [1, %d], got %d", d.key, MaxCount, *d.p)
		}
	}
	if d := par.DPShard; d != nil && (*d < 0 || *d > MaxCount) {
		return "", nil, nil, pf.errf("parallelism.dp_shard", "parallelism.dp_shard must be in [0, %d] (0: every data-parallel rank), got %d", MaxCount, *d)
	}
	if d := strings.TrimSpace(par.DP); d != "" && d != "auto" {
		if want, err := strconv.Atoi(d); err != nil || want < 1 || want > MaxCount {
			return "", nil, nil, pf.errf("parallelism.dp", "dp %q: want auto or a whole number in [1, %d]", d, MaxCount)
		}
	}
	pf.study, pf.total, pf.perNode = "fleet", total, perNode
	if ops := pf.Ops; ops != nil {
		if ops.Region != "" {
			val("region", ops.Region, "ops.region")
		}
		if ops.DurationDays != nil {
			val("duration_days", strconv.FormatFloat(*ops.DurationDays, 'g', -1, 64), "ops.duration_days")
		} else {
			val("duration_days", "30", "ops") // the seed's plan default
		}
		for _, f := range []struct {
			v          *float64
			key, param string
		}{{ops.Electricity, "electricity_usd_per_kwh", "electricity_usd_per_kwh"}, {ops.CarbonTax, "carbon_tax_usd_per_t", "carbon_tax_usd_per_t"},
			{ops.CarbonIntensity, "carbon_intensity_g_per_kwh", "carbon_intensity_g_per_kwh"}, {ops.PUE, "pue", "pue_override"},
			{ops.WUE, "wue_l_per_kwh", "wue_l_per_kwh"}, {ops.Power, "power_per_accelerator_w", "power_per_accelerator_w"},
			{ops.Rental, "rental_usd_per_accelerator_hour", "rental_usd_per_accelerator_hour"}} {
			if f.v != nil {
				val(f.param, strconv.FormatFloat(*f.v, 'g', -1, 64), "ops."+f.key)
			}
		}
	}
	return "fleet", axes, out, nil
}

// checkSplit refuses a pipeline the model cannot be cut into and microbatches
// smaller than a sample: the fleet study would price them as if they worked
// (and pass). Every stage (times its virtual stages) needs a layer, and each
// data-parallel replica's local batch must fill every microbatch.
func (pf *PlanFile) checkSplit(cat *catalog.Catalog, par *planParallel, dp, pp int) error {
	m, err := cat.ModelByKey(pf.Workload.Name)
	if err != nil {
		return nil // the model axis reports it with suggestions
	}
	vs := or(par.VirtualStages, 1)
	// Llama 3's layout counts the embedding and the output layer as a layer each
	// (kernel.BalancedChunks): 126 layers fill 16 × 8 chunks.
	if m.Layers > 0 && pp*vs > m.Layers && !kernel.BalancedChunks(float64(m.Layers), float64(pp), float64(vs)) {
		key, what := "parallelism.pp", fmt.Sprintf("pp = %d", pp)
		if vs > 1 {
			key, what = "parallelism.virtual_stages", fmt.Sprintf("pp · virtual_stages = %d · %d = %d", pp, vs, pp*vs)
		}
		return pf.errf(key, "%s pipeline stages exceed %s's %d layers: each stage needs at least one layer", what, m.Key, m.Layers)
	}
	mb, batch := or(par.Microbatches, 1), or(pf.Workload.BatchSize, 1)
	if local := int(kernel.LocalBatch(float64(batch), float64(dp))); mb > local {
		return pf.errf("parallelism.microbatches", "microbatches = %d exceed the %d sample(s) each of the %d data-parallel replicas gets per step (workload.batch_size %d): a microbatch needs at least one sample",
			mb, local, dp, batch)
	}
	return nil
}

// CheckSplit refuses a precision the plan's accelerator has no path for (PrecisionPath;
// a fleet trains, so also TrainingPrecisionPath),
// then checks a fleet plan's parallel degrees against its model, batch and
// sequence under a physics profile (after Resolve), naming the plan line to change.
// Seed: dp = N/(tp·pp·ep). Calibrated: dp = N/(tp·cp·pp) with ep carved out of it,
// then kernel.StepSplit's rules (interleaved stages cut the layers evenly, heads
// divide by tp, ep divides dp and the experts, the batch divides into dp ×
// microbatches, seq_len by 2·cp). Both refuse a stage without a layer and a microbatch
// without a sample (checkSplit).
func (pf *PlanFile) CheckSplit(cat *catalog.Catalog, profile string) error {
	if err := pf.CheckPrecision(cat, profile); err != nil {
		return err
	}
	return pf.checkDegrees(cat, profile)
}

// CheckSearchedSplit is CheckSplit for an optimizer that replaces the plan's tp and pp,
// and so dp, with candidates of its own (optimize parallelism), and perhaps its
// microbatches and virtual stages too (ms, vs; nil keeps the plan's): the plan's other
// degrees, microbatches and batch are refused only when neither the plan's own split
// nor any candidate combination accepts them. Microbatches 16 of a batch of 1024 on 256
// accelerators exceed the 4 samples of dp 256 at tp 1 · pp 1, but not the 32 of tp 8 ·
// pp 4, which the search tries.
func (pf *PlanFile) CheckSearchedSplit(cat *catalog.Catalog, profile string, tps, pps, ms, vs []int) error {
	if err := pf.CheckPrecision(cat, profile); err != nil {
		return err
	}
	own := pf.checkDegrees(cat, profile)
	if own == nil || pf.Parallelism == nil {
		return own
	}
	saved := *pf.Parallelism
	defer func() { *pf.Parallelism = saved }()
	if ms == nil {
		ms = []int{or(saved.Microbatches, 1)}
	}
	if vs == nil {
		vs = []int{or(saved.VirtualStages, 1)}
	}
	for _, tp := range tps {
		for _, pp := range pps {
			for _, m := range ms {
				for _, v := range vs {
					pf.Parallelism.TP, pf.Parallelism.PP, pf.Parallelism.DP = &tp, &pp, ""
					pf.Parallelism.Microbatches, pf.Parallelism.VirtualStages = &m, &v
					if pf.checkDegrees(cat, profile) == nil {
						return nil
					}
				}
			}
		}
	}
	searched := fmt.Sprintf("tp %s × pp %s", intsText(tps), intsText(pps))
	if len(ms) > 1 || len(vs) > 1 {
		searched += fmt.Sprintf(" × microbatches %s × virtual_stages %s", intsText(ms), intsText(vs))
	}
	return fmt.Errorf("%w; nor does any split searched (%s)", own, searched)
}

func intsText(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// CheckPrecision is CheckSplit's first half: it refuses a precision the plan's
// accelerator has no path for (a fleet's, one it does not train in), before the degrees.
func (pf *PlanFile) CheckPrecision(cat *catalog.Catalog, profile string) error {
	if err := PrecisionPath(cat, pf.accel, pf.Hardware.Precision, profile); err != nil {
		return pf.errf("hardware.precision", "hardware.precision: %v", err)
	}
	if err := pf.checkFP8(cat, profile); err != nil {
		return err
	}
	if pf.study == "fleet" {
		if err := TrainingPrecisionPath(cat, pf.accel, pf.Hardware.Precision, profile); err != nil {
			return pf.errf("hardware.precision", "hardware.precision: %v", err)
		}
	}
	return nil
}

// checkDegrees checks a fleet plan's parallel degrees (CheckSplit's rules).
func (pf *PlanFile) checkDegrees(cat *catalog.Catalog, profile string) error {
	par := pf.Parallelism
	if par == nil || pf.total <= 1 {
		return nil
	}
	tp, pp, ep, cp := or(par.TP, 1), or(par.PP, 1), or(par.EP, 1), or(par.CP, 1)
	m, v, batch, seq := or(par.Microbatches, 1), or(par.VirtualStages, 1), or(pf.Workload.BatchSize, 1), or(pf.Workload.SeqLen, 2048)
	n := pf.total
	if min(tp, pp, ep, cp, m, v, batch, seq) < 1 {
		return nil // the parameter's own range check names it
	}
	calibrated := profile == Profiles[0]
	// The product is compared in float64 first: degrees up to MaxCount each would
	// overflow an int when multiplied, and a product above n cannot divide it.
	third, name := ep, "ep"
	if calibrated {
		third, name = cp, "cp"
	}
	if g := float64(tp) * float64(pp) * float64(third); g > float64(n) || n%(tp*pp*third) != 0 {
		if calibrated {
			return pf.errf("parallelism", "tp·cp·pp = %d·%d·%d = %g does not divide the %d accelerators; choose degrees whose product divides them",
				tp, cp, pp, g, n)
		}
		return pf.errf("parallelism", "tp·pp·%s = %d·%d·%d = %g does not divide the %d accelerators; choose degrees whose product divides them",
			name, tp, pp, third, g, n)
	}
	dp := n / (tp * pp * third)
	if d := strings.TrimSpace(par.DP); d != "" && d != "auto" {
		if want, _ := strconv.Atoi(d); want != dp {
			if calibrated {
				return pf.errf("parallelism.dp", "dp %q: want auto or the number that makes tp·cp·pp·dp = %d accelerators (tp %d, cp %d, pp %d → dp %d; ep sits inside dp)",
					d, n, tp, cp, pp, dp)
			}
			return pf.errf("parallelism.dp", "dp %q: want auto or the number that makes tp·pp·dp·ep = %d accelerators (tp %d, pp %d, ep %d → dp %d)",
				d, n, tp, pp, ep, dp)
		}
	}
	if err := pf.checkSplit(cat, par, dp, pp); err != nil || !calibrated {
		return err
	}
	model, err := cat.ModelByKey(pf.Workload.Name)
	if err != nil {
		return fmt.Errorf("%s: workload.name: %w", pf.where("workload.name"), err)
	}
	heads := model.Heads
	if heads == 0 {
		heads = kernel.DefaultHeads
	}
	arch, _, _, _ := archShape(model) // a structured model's MTP modules take layout slots (kernel.SplitLayers)
	layers := kernel.SplitLayers(float64(model.Layers), float64(pp), float64(v), &arch)
	_, _, why := kernel.StepSplit(float64(n), float64(tp), float64(pp), float64(cp), float64(ep), float64(v), layers,
		float64(heads), float64(model.KVHeads), float64(model.Experts), float64(batch), float64(m), 1, float64(seq))
	switch why {
	case kernel.StepInvalidLayers:
		return pf.errf("parallelism.virtual_stages", "%s's %d layers do not cut into pp %d × virtual_stages %d equal chunks, nor do they with the embedding and the output layer (and any multi-token-prediction module) counted as a layer each: an interleaved schedule needs them equal",
			model.Key, model.Layers, pp, v)
	case kernel.StepInvalidHeads:
		if kv := model.KVHeads; kv > 0 && kv < heads && heads%tp == 0 {
			return pf.errf("parallelism.tp", "tp %d and %s's %d key/value heads do not divide one another: each tensor-parallel rank holds whole K/V heads, kv/tp of them or one replicated on tp/kv ranks, and %d on %d ranks would cut a head; use a divisor or a multiple of %d that divides the %d attention heads",
				tp, model.Key, kv, kv, tp, kv, heads)
		}
		return pf.errf("parallelism.tp", "tp %d does not divide %s's %d attention heads; use a divisor of %d", tp, model.Key, heads, heads)
	case kernel.StepInvalidEP:
		return pf.errf("parallelism.ep", "ep %d must divide dp = %d and %s's %d experts (expert parallelism is carved out of the data-parallel ranks)",
			ep, dp, model.Key, model.Experts)
	case kernel.StepInvalidBatch:
		return pf.errf("workload.batch_size", "batch_size %d does not divide into dp %d × microbatches %d = %d sequences per round; use a multiple of %d",
			batch, dp, m, dp*m, dp*m)
	case kernel.StepInvalidSeq:
		return pf.errf("workload.seq_len", "seq_len %d does not divide into 2 · cp %d = %d chunks: context parallelism gives each rank two of 2·cp equal chunks (causal load balancing; Transformer Engine asserts an even sequence a GPU); use a multiple of %d",
			seq, cp, 2*cp, 2*cp)
	case kernel.StepInvalidInterleave:
		return pf.errf("parallelism.microbatches", "microbatches %d is not a multiple of pp %d: the interleaved schedule (virtual_stages %d) runs its microbatches in groups of pp, as Megatron-LM requires; use a multiple of %d or virtual_stages 1",
			m, pp, v, pp)
	}
	if etp := or(par.ETP, tp); kernel.ExpertTPSplit(float64(tp), float64(etp), float64(model.Experts), par.SequenceParallel == nil || *par.SequenceParallel) != kernel.StepValid {
		if tp%etp != 0 {
			return pf.errf("parallelism.etp", "etp %d must divide tp %d (an expert's tensor-parallel group sits inside the attention's; Megatron-Core's expert_tensor_parallel_size); divisors of %d (to 64): %s",
				etp, tp, tp, divisors(tp))
		}
		return pf.errf("parallelism.sequence_parallel", "%s is a mixture of experts at tp %d: Megatron-Core refuses to train MoE with tensor parallelism without sequence parallelism (MoELayer.forward); set sequence_parallel true or tp 1",
			model.Key, tp)
	}
	if par.PipelineSchedule == "dualpipe" && !kernel.DualPipeSplit(float64(pp), float64(v), float64(m)) {
		switch {
		case v > 1:
			return pf.errf("parallelism.pipeline_schedule", "dualpipe with virtual_stages %d: DualPipe's two chunks per rank are its own interleaving; use virtual_stages 1 or pipeline_schedule 1f1b", v)
		case pp < 2 || pp%2 != 0:
			return pf.errf("parallelism.pipeline_schedule", "dualpipe needs an even pp (its two directions meet in the middle), got pp %d; use an even pp or pipeline_schedule 1f1b", pp)
		default:
			return pf.errf("parallelism.microbatches", "microbatches %d: dualpipe needs an even number of microbatches, at least 2 · pp = %d (deepseek-ai/DualPipe asserts it); use an even count ≥ %d or pipeline_schedule 1f1b", m, 2*pp, 2*pp)
		}
	}
	if par.DPShard == nil {
		return nil
	}
	if _, why := kernel.ShardGroup(float64(dp), float64(ep), float64(*par.DPShard), float64(or(par.ZeroStage, 0))); why != kernel.StepValid {
		if ep > 1 {
			return pf.errf("parallelism.dp_shard", "dp_shard %d must divide dp = %d and be a multiple of ep %d (ZeRO shards over dp_shard ranks, each expert's state over dp_shard/ep of them); divisors of %d (to 64): %s",
				*par.DPShard, dp, ep, dp, divisors(dp))
		}
		return pf.errf("parallelism.dp_shard", "dp_shard %d must divide dp = %d (ZeRO shards over dp_shard ranks and replicates over dp/dp_shard groups); divisors of %d (to 64): %s",
			*par.DPShard, dp, dp, divisors(dp))
	}
	return nil
}

// checkOps validates the ops block whether or not the plan's study uses it.
func (pf *PlanFile) checkOps(cat *catalog.Catalog) error {
	ops := pf.Ops
	if ops == nil {
		return nil
	}
	if ops.Region != "" {
		if _, err := cat.GridByKey(ops.Region); err != nil {
			return fmt.Errorf("%s: ops.region: %w", pf.where("ops.region"), err)
		}
	}
	for _, f := range []struct {
		v   *float64
		key string
	}{{ops.DurationDays, "duration_days"}, {ops.MTBFHours, "mtbf_hours"},
		// 0 would mean "not given" (TDP-based power, capex pricing): a plan states a real value or leaves the key out.
		{ops.Power, "power_per_accelerator_w"}, {ops.Rental, "rental_usd_per_accelerator_hour"}} {
		if f.v != nil && !(*f.v > 0 && !math.IsInf(*f.v, 0)) {
			return pf.errf("ops."+f.key, "ops.%s must be > 0, got %g", f.key, *f.v)
		}
	}
	for _, f := range []struct {
		v   *float64
		key string
	}{{ops.Electricity, "electricity_usd_per_kwh"}, {ops.CarbonTax, "carbon_tax_usd_per_t"}, {ops.CarbonIntensity, "carbon_intensity_g_per_kwh"},
		{ops.WUE, "wue_l_per_kwh"}} {
		if f.v != nil && (*f.v < 0 || math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
			return pf.errf("ops."+f.key, "ops.%s must be a number ≥ 0, got %g", f.key, *f.v)
		}
	}
	if ops.PUE != nil && !(*ops.PUE >= 1 && !math.IsInf(*ops.PUE, 0)) {
		return pf.errf("ops.pue", "ops.pue must be ≥ 1 (facility energy over IT energy), got %g", *ops.PUE)
	}
	return nil
}

// or is *p, or def when the plan leaves the key out.
// boolText is *p as a plan axis value, "" where the plan leaves it out.
func boolText(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

// intText is *p as a plan axis value, "" where the plan leaves it out.
func intText(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func or(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// counts works out total accelerators and accelerators per node from the
// seed's hardware keys.
func (pf *PlanFile) counts(cat *catalog.Catalog, warn func(string)) (total, perNode int, err error) {
	hw := &pf.Hardware
	h, err := cat.HardwareByKey(hw.Name)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: hardware.name: %w", pf.where("hardware.name"), err)
	}
	pos := func(p *int, key string) error {
		switch {
		case p != nil && *p < 1:
			return pf.errf(key, "%s must be ≥ 1, got %d", key, *p)
		case p != nil && *p > MaxCount:
			return pf.errf(key, "%s must be ≤ %d, got %d", key, MaxCount, *p)
		}
		return nil
	}
	for _, k := range []struct {
		p   *int
		key string
	}{{hw.Accelerators, "hardware.accelerators"}, {hw.Nodes, "hardware.nodes"}, {hw.NodeCount, "hardware.node_count"}, {hw.AcceleratorsPerNode, "hardware.accelerators_per_node"}} {
		if err := pos(k.p, k.key); err != nil {
			return 0, 0, err
		}
	}
	acc := hw.Accelerators
	if hw.Nodes != nil {
		if acc != nil {
			return 0, 0, pf.errf("hardware.nodes", "give hardware.accelerators (total) or the legacy hardware.nodes, not both")
		}
		acc = hw.Nodes
		warn(fmt.Sprintf("%s: hardware.nodes is read as the total accelerator count, as in the seed's README; write hardware.accelerators: %d", pf.where("hardware.nodes"), *acc))
	}
	switch {
	case hw.NodeCount != nil && hw.AcceleratorsPerNode == nil:
		return 0, 0, pf.errf("hardware.node_count", "hardware.node_count requires hardware.accelerators_per_node")
	case hw.NodeCount != nil:
		total = *hw.NodeCount * *hw.AcceleratorsPerNode
		if total > MaxCount {
			return 0, 0, pf.errf("hardware.node_count", "node_count × accelerators_per_node = %d accelerators, more than %d", total, MaxCount)
		}
		if acc != nil && *acc != total {
			return 0, 0, pf.errf("hardware.node_count", "node_count × accelerators_per_node = %d but accelerators = %d", total, *acc)
		}
	case acc != nil:
		total = *acc
	default:
		total = 1
	}
	perNode = 1
	switch {
	case hw.AcceleratorsPerNode != nil:
		perNode = *hw.AcceleratorsPerNode
	case h.AcceleratorCount > 1 && total > 1:
		// The seed grouped a packaged entry's accelerator_count per node, but the physics
		// runs such an entry as one device with the whole system's peak, memory, draw and
		// price: accelerators 16 of an 8-GPU box was 16 boxes (128 GPUs' compute, capex of
		// 16 × the box's price) on 2 nodes whose links joined 8 boxes, while serve counts
		// the same entry as 8 accelerators. Neither reading is safe to guess.
		return 0, 0, pf.errf("hardware.name", "%s is a packaged system of %d accelerators (its accelerator_count), which the physics runs as one device with the system's peak, memory, power and price: hardware.accelerators: %d would be %d such systems (%d accelerators) grouped %d to a node; give hardware.accelerators_per_node (1: each system a node of its own, and hardware.accelerators counts systems), or describe one accelerator of it and a node of %d (docs/PLAN.md)",
			h.Key, h.AcceleratorCount, total, total, total*h.AcceleratorCount, h.AcceleratorCount, h.AcceleratorCount)
	}
	if total%perNode != 0 {
		return 0, 0, pf.errf("hardware", "%d accelerators do not divide into nodes of %d", total, perNode)
	}
	return total, perNode, nil
}

func axis1(name, value, where string) Axis {
	return Axis{Name: name, Where: where, Values: []AxisValue{{Text: value, Where: where}}}
}

// CheckMetricNames refuses, at its file:line, an assertion on a metric that no plan
// produces (known: every lens metric of the node and fleet plans), naming the closest:
// a misspelt metric is bad input, not a failed assertion. A known metric this plan does
// not produce is left to Check, which reports it as a violation.
func (pf *PlanFile) CheckMetricNames(known []string) error {
	for _, a := range pf.assertions() {
		if slices.Contains(known, a.Metric) {
			continue
		}
		return pf.errAt(a.line, "assert: unknown metric %q%s; plans produce %s (docs/PLAN.md)", a.Metric, suggest.Hint(a.Metric, known), strings.Join(known, ", "))
	}
	return nil
}

// Check evaluates the assertions against scorecard metrics ("performance.x" →
// value) and returns one message per violation. A metric the plan does not
// produce is a violation that lists the available ones.
func (pf *PlanFile) Check(metrics map[string]float64, available []string) []string {
	var v []string
	for _, a := range pf.assertions() {
		x, ok := metrics[a.Metric]
		if !ok {
			v = append(v, fmt.Sprintf("%s is not available for this plan%s; available: %s", a.Metric, suggest.Hint(a.Metric, available), strings.Join(available, ", ")))
			continue
		}
		if a.Max != nil && (x > *a.Max || math.IsNaN(x)) {
			v = append(v, fmt.Sprintf("%s (%s) exceeds max (%s)", a.Metric, fmtNum(x), fmtNum(*a.Max)))
		}
		if a.Min != nil && (x < *a.Min || math.IsNaN(x)) {
			v = append(v, fmt.Sprintf("%s (%s) is below min (%s)", a.Metric, fmtNum(x), fmtNum(*a.Min)))
		}
	}
	return v
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// checkFP8 refuses hardware.fp8_recipe where the step cannot run it: under the seed
// profile (no FP8 GEMMs in its step), beside a precision of 8 bits or fewer, and on an
// accelerator without a measured FP8 matmul rate (docs/PHYSICS.md §35).
func (pf *PlanFile) checkFP8(cat *catalog.Catalog, profile string) error {
	r := pf.Hardware.FP8Recipe
	if r == "" || r == "none" {
		if p := pf.Hardware.FP8Params; p != nil && *p {
			return pf.errf("hardware.fp8_params", "hardware.fp8_params true changes nothing without FP8 GEMMs: FP8 primary weights are the linear layers' weights kept as FP8 tensors for them; set hardware.fp8_recipe delayed, current or blockwise (calibrated profile), or drop fp8_params")
		}
		return nil
	}
	if profile != Profiles[0] {
		return pf.errf("hardware.fp8_recipe", "hardware.fp8_recipe %s changes nothing under the seed profile: FP8 mixed precision is a term of the calibrated training step, which the seed's has not (its precision sets the bytes of everything); drop it, or use --profile calibrated", r)
	}
	if p, err := kernel.ParsePrecision(cmp.Or(pf.Hardware.Precision, "fp16")); err == nil && p.Bytes() < 2 {
		return pf.errf("hardware.fp8_recipe", "hardware.fp8_recipe %s beside hardware.precision %s: FP8 mixed precision keeps weights, activations and collectives in a 16- or 32-bit precision and runs only the linear GEMMs in FP8; set hardware.precision bf16 (or fp16, fp32), or drop fp8_recipe", r, p)
	}
	h, err := cat.HardwareByKey(pf.accel)
	if err != nil {
		return nil // an unknown key is reported where it is resolved
	}
	if _, _, ok := h.MeasuredMatmul("fp8"); !ok {
		var with []string
		for _, c := range cat.Hardware {
			if _, _, ok := c.MeasuredMatmul("fp8"); ok {
				with = append(with, c.Key)
			}
		}
		return pf.errf("hardware.fp8_recipe", "hardware.fp8_recipe %s: %s has no measured FP8 matmul rate (catalog gemm_efficiency fp8) to run the GEMMs at; use an accelerator that has one (%s), or drop fp8_recipe", r, h.Key, strings.Join(with, ", "))
	}
	return nil
}
