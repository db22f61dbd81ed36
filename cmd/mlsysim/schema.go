package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
)

// The schemas are written here rather than reflected from Go types (e.g. with
// invopop/jsonschema): the plan and catalog decoders' types are unexported in
// their packages, grid axes stay YAML nodes until a study resolves them, and
// quantities are strings with units. Ranges, choices, parameter names and
// catalog keys come from the sweep studies and the catalog, so the schemas
// follow the parsers.

var schemaTypes = []string{"plan", "grid", "hardware", "model"}

func (a *app) schemaCommand() *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema of a file format: plan, grid, hardware or model",
		ArgsUsage: "[plan|grid|hardware|model]",
		Description: `Prints a JSON Schema (draft 2020-12) for editors and agents: plan (docs/PLAN.md,
the default), grid (docs/GRID.md), or one hardware or model entry of a catalog file
(docs/CATALOG.md). Unknown keys are rejected wherever the parser rejects them.
The output is JSON whatever -o says (text or json).

Examples:
   mlsysim schema > plan.schema.json
   mlsysim schema grid
   # yaml-language-server: $schema=plan.schema.json   (first line of a plan)`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Usage: "plan, grid, hardware or model (the seed's flag; same as the argument)"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if _, err := a.outputFormat("text", "json"); err != nil {
				return err
			}
			if c.Args().Len() > 1 {
				return badInputf("schema", "takes at most one type, got %d arguments", c.Args().Len())
			}
			kind := c.Args().First()
			if t := c.String("type"); t != "" {
				if kind != "" && !strings.EqualFold(kind, t) {
					return badInputf("schema", "give the type once: argument %q and --type %q differ", kind, t)
				}
				kind = t
			}
			if kind == "" {
				kind = "plan"
			}
			s, err := a.schemaFor(strings.ToLower(kind))
			if err != nil {
				return err
			}
			return writeJSON(a.stdout, s)
		},
	}
}

func (a *app) schemaFor(kind string) (*jsonSchema, error) {
	switch kind {
	case "plan":
		return planSchema(a.cat)
	case "grid":
		return gridSchema(a.cat)
	case "hardware":
		return hardwareSchema(), nil
	case "model", "workload": // workload: the seed's name
		return modelSchema(), nil
	}
	return nil, badInputf("schema", "unknown schema type %q%s; valid: %s", kind, suggest.Hint(kind, schemaTypes), strings.Join(schemaTypes, ", "))
}

// jsonSchema is the part of JSON Schema 2020-12 these formats need.
type jsonSchema struct {
	Schema               string        `json:"$schema,omitempty"`
	Title                string        `json:"title,omitempty"`
	Description          string        `json:"description,omitempty"`
	Ref                  string        `json:"$ref,omitempty"`
	Type                 any           `json:"type,omitempty"` // a name or a list of names
	Const                any           `json:"const,omitempty"`
	Enum                 []string      `json:"enum,omitempty"`
	Pattern              string        `json:"pattern,omitempty"`
	MinLength            *int          `json:"minLength,omitempty"`
	Minimum              *float64      `json:"minimum,omitempty"`
	ExclusiveMinimum     *float64      `json:"exclusiveMinimum,omitempty"`
	Maximum              *float64      `json:"maximum,omitempty"`
	ExclusiveMaximum     *float64      `json:"exclusiveMaximum,omitempty"`
	Default              any           `json:"default,omitempty"`
	Deprecated           bool          `json:"deprecated,omitempty"`
	Required             []string      `json:"required,omitempty"`
	Properties           props         `json:"properties,omitempty"`
	PropertyNames        *jsonSchema   `json:"propertyNames,omitempty"`
	AdditionalProperties any           `json:"additionalProperties,omitempty"` // false or a schema
	MinProperties        *int          `json:"minProperties,omitempty"`
	DependentRequired    orderedObject `json:"dependentRequired,omitempty"`
	PrefixItems          []*jsonSchema `json:"prefixItems,omitempty"`
	Items                any           `json:"items,omitempty"` // a schema, or false after prefixItems
	MinItems             *int          `json:"minItems,omitempty"`
	AnyOf                []*jsonSchema `json:"anyOf,omitempty"`
	OneOf                []*jsonSchema `json:"oneOf,omitempty"`
	AllOf                []*jsonSchema `json:"allOf,omitempty"`
	Not                  *jsonSchema   `json:"not,omitempty"`
	If                   *jsonSchema   `json:"if,omitempty"`
	Then                 *jsonSchema   `json:"then,omitempty"`
	Defs                 props         `json:"$defs,omitempty"`
}

// props keeps properties in the order the format documents them.
type props []prop

type prop struct {
	name string
	s    *jsonSchema
}

func (p props) MarshalJSON() ([]byte, error) {
	o := make(orderedObject, len(p))
	for i, e := range p {
		o[i] = kv{e.name, e.s}
	}
	return o.MarshalJSON()
}

func ptr[T any](v T) *T { return &v }

// object is a closed object: unknown keys are invalid, as in the parsers.
func object(desc string, required []string, ps ...prop) *jsonSchema {
	return &jsonSchema{Type: "object", Description: desc, Required: required, Properties: ps, AdditionalProperties: false}
}

func str(desc string) *jsonSchema { return &jsonSchema{Type: "string", Description: desc} }

func key(desc string) *jsonSchema {
	return &jsonSchema{Type: "string", MinLength: ptr(1), Description: desc}
}

func integer(desc string, min float64) *jsonSchema {
	return &jsonSchema{Type: "integer", Minimum: &min, Description: desc}
}

// convDim is one integer of a convolution's shape, 1..catalog.MaxConvDim.
func convDim(desc string) *jsonSchema {
	s := integer(desc, 1)
	s.Maximum = ptr(float64(catalog.MaxConvDim))
	return s
}

func number(desc string) *jsonSchema { return &jsonSchema{Type: "number", Description: desc} }

func ref(def string) *jsonSchema { return &jsonSchema{Ref: "#/$defs/" + def} }

func listOf(s *jsonSchema) *jsonSchema {
	return &jsonSchema{Type: "array", Items: s, MinItems: ptr(1)}
}

func orNull(s *jsonSchema) *jsonSchema {
	return &jsonSchema{AnyOf: []*jsonSchema{s, {Type: "null"}}, Description: s.Description}
}

func required(names ...string) *jsonSchema { return &jsonSchema{Required: names} }

func root(title, desc string, s *jsonSchema) *jsonSchema {
	s.Schema, s.Title = "https://json-schema.org/draft/2020-12/schema", title
	if desc != "" {
		s.Description = desc
	}
	return s
}

// quantityUnits are the units catalog.ParseQuantity reads, by dimension
// (catalog/units.go; schema_test.go checks the two agree).
var quantityUnits = func() map[catalog.Dimension][]string {
	u := map[catalog.Dimension][]string{}
	for _, b := range []string{"B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB"} {
		u[catalog.Bytes] = append(u[catalog.Bytes], b)
		u[catalog.BytesPerSecond] = append(u[catalog.BytesPerSecond], b+"/s")
	}
	u[catalog.BytesPerSecond] = append(u[catalog.BytesPerSecond], "bps", "Kbps", "Mbps", "Gbps", "Tbps")
	for _, p := range []string{"", "K", "M", "G", "T", "P", "E", "Z"} {
		u[catalog.FLOPs] = append(u[catalog.FLOPs], p+"FLOP")
		u[catalog.FLOPsPerSecond] = append(u[catalog.FLOPsPerSecond], p+"FLOP/s", p+"OPS")
	}
	u[catalog.Watts] = []string{"mW", "W", "kW", "MW"}
	u[catalog.Joules] = []string{"mJ", "J", "kJ", "Wh", "kWh", "MWh", "GWh"}
	u[catalog.Seconds] = []string{"ns", "us", "ms", "s", "min", "h", "d"}
	u[catalog.Hertz] = []string{"Hz", "kHz", "MHz", "GHz"}
	u[catalog.USD] = []string{"USD"}
	u[catalog.Kilograms] = []string{"g", "kg", "t"}
	return u
}()

// quantity is a "<number> <unit>" string of one dimension.
func quantity(d catalog.Dimension, desc, example string) *jsonSchema {
	us := quantityUnits[d]
	alt := make([]string, len(us))
	for i, u := range us {
		alt[i] = regexp.QuoteMeta(u)
	}
	return &jsonSchema{Type: "string",
		Description: fmt.Sprintf("%s: a %s such as %q (units: %s)", desc, d, example, strings.Join(us, ", ")),
		Pattern:     `^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s+(` + strings.Join(alt, "|") + `)\s*$`}
}

// anyCase matches the choices in any letter case, as the parsers do.
func anyCase(choices []string) string {
	alt := make([]string, len(choices))
	for i, c := range choices {
		var b strings.Builder
		for _, r := range c {
			if lo, up := unicode.ToLower(r), unicode.ToUpper(r); lo != up {
				fmt.Fprintf(&b, "[%c%c]", lo, up)
			} else {
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		alt[i] = b.String()
	}
	return "^(" + strings.Join(alt, "|") + ")$"
}

// paramScalar is one value of a sweep parameter, with its range and default.
func paramScalar(cat *catalog.Catalog, p *sweep.Param) *jsonSchema {
	desc := p.Doc
	if p.Unit != "" && !strings.Contains(desc, p.Unit) {
		desc += " [" + p.Unit + "]"
	}
	s := &jsonSchema{Description: desc}
	switch p.Kind {
	case sweep.KindFloat, sweep.KindInt:
		s.Type = "number"
		if p.Kind == sweep.KindInt {
			s.Type = "integer"
		}
		if p.MinOpen {
			s.ExclusiveMinimum = ptr(p.Min)
		} else {
			s.Minimum = ptr(p.Min)
		}
		if p.Max != 0 {
			s.Maximum = ptr(p.Max)
		}
		if p.Gap { // Min is a sentinel: nothing strictly between it and Least
			s.Not = &jsonSchema{ExclusiveMinimum: ptr(p.Min), ExclusiveMaximum: ptr(p.Least)}
		}
		if f, err := strconv.ParseFloat(p.Default, 64); err == nil {
			s.Default = f
		}
	case sweep.KindBool:
		s.Type = "boolean"
		if b, err := strconv.ParseBool(p.Default); err == nil {
			s.Default = b
		}
	case sweep.KindEnum:
		s.AnyOf = []*jsonSchema{{Enum: p.Enum}, {Type: "string", Pattern: anyCase(p.Enum)}}
	case sweep.KindCluster, sweep.KindFabric, sweep.KindRegion, sweep.KindDraft, sweep.KindEngine:
		s.Type, s.Enum = "string", catalogKeys(cat, p.Kind)
	default:
		s.Type, s.MinLength = "string", ptr(1)
	}
	if p.Default != "" && s.Default == nil {
		s.Default = p.Default
	}
	return s
}

func catalogKeys(cat *catalog.Catalog, k sweep.Kind) []string {
	var keys []string
	switch k {
	case sweep.KindCluster:
		for _, c := range cat.Clusters {
			keys = append(keys, c.Key)
		}
	case sweep.KindFabric:
		keys = append(keys, sweep.DefaultFabric)
		for _, f := range cat.Fabrics {
			keys = append(keys, f.Key)
		}
	case sweep.KindRegion:
		for _, g := range cat.Grids {
			keys = append(keys, g.Key)
		}
	case sweep.KindEngine:
		for _, e := range cat.Engines {
			keys = append(keys, e.Key)
		}
	case sweep.KindDraft:
		keys = append(keys, sweep.DraftNone, sweep.DraftMTP)
		for _, m := range cat.Models {
			if m.Family.IsTransformer() {
				keys = append(keys, m.Key)
			}
		}
	}
	return keys
}

// planSchema: docs/PLAN.md, as sweep.ParsePlanFile and PlanFile.Resolve read it.
func planSchema(cat *catalog.Catalog) (*jsonSchema, error) {
	fleet, err := sweep.StudyByName("fleet")
	if err != nil {
		return nil, err
	}
	param := func(name, desc string, def any) *jsonSchema {
		p, _, ok := fleet.Param(name)
		if !ok {
			panic("schema: the fleet study has no parameter " + name)
		}
		s := paramScalar(cat, p)
		if desc != "" {
			s.Description = desc
		}
		if def != nil {
			s.Default = def
		}
		return s
	}
	// A plan's etp is a degree (1 to MaxCount, PlanFile.Resolve); unset is tp, where the
	// fleet study's parameter says so with 0.
	etp := param("etp", "calibrated, MoE models: expert tensor-parallel degree (Megatron-Core's expert_tensor_parallel_size), a divisor of tp; unset: tp; 1 keeps experts whole (MoE parallel folding; docs/PHYSICS.md §35)", nil)
	etp.Minimum, etp.Default = ptr(1.0), nil
	etp.Maximum = ptr(float64(sweep.MaxCount))
	count := func(desc string) *jsonSchema {
		s := integer(desc, 1)
		s.Maximum = ptr(float64(sweep.MaxCount))
		return s
	}
	dp := &jsonSchema{Description: "data-parallel degree: auto or that number, checked (calibrated: accelerators / (tp·cp·pp), ep within it; seed: accelerators / (tp·pp·ep))",
		Default: "auto", AnyOf: []*jsonSchema{{Const: "auto"}, {Type: "integer", Minimum: ptr(1.0)}, {Type: "string", Pattern: `^\s*[1-9][0-9]*\s*$`}}}

	metrics := planMetricNames()

	hw := object("an accelerator (name, with counts for a fleet) or a catalog cluster", nil,
		prop{"name", key("accelerator key (mlsysim zoo hardware); with no counts, one accelerator: the node study")},
		prop{"cluster", param("cluster", "catalog cluster key (mlsysim zoo clusters): the fleet study on that cluster", nil)},
		prop{"accelerators", count("total accelerators")},
		prop{"nodes", &jsonSchema{Type: "integer", Minimum: ptr(1.0), Maximum: ptr(float64(sweep.MaxCount)), Deprecated: true,
			Description: "legacy (the seed README): read as total accelerators, with a warning; write accelerators"}},
		prop{"node_count", count("nodes; needs accelerators_per_node")},
		prop{"accelerators_per_node", count("accelerators per node; default 1; required for a packaged system (an entry with accelerator_count > 1) in a fleet")},
		prop{"intra_node_bw", quantity(catalog.BytesPerSecond, "intra-node bandwidth per direction; default the accelerator's scale-up link per direction", "450 GB/s")},
		prop{"fabric_bandwidth", quantity(catalog.BytesPerSecond, "inter-node fabric bandwidth per accelerator; default 50 GB/s", "400 Gbps")},
		prop{"precision", param("precision", "", nil)},
		prop{"fp8_recipe", param("fp8_recipe", "calibrated fleets: FP8 mixed precision (Transformer Engine), the linear GEMMs in FP8 with delayed, current or blockwise (1×128, 128×128) scaling; precision stays what is stored and moved; needs a measured FP8 matmul rate; not with one accelerator", nil)},
		prop{"fp8_params", param("fp8_params", "calibrated fleets with fp8_recipe: the linear layers' primary weights kept as FP8 tensors (Megatron-Core's fp8_param_gather): no 16-bit copy, gathered in 1 byte; needs fp8_recipe delayed, current or blockwise", nil)},
		prop{"efficiency", param("efficiency", "", nil)},
	)
	counts := []string{"accelerators", "nodes", "node_count", "accelerators_per_node", "intra_node_bw", "fabric_bandwidth"}
	countsGiven := make([]*jsonSchema, len(counts))
	for i, c := range counts {
		countsGiven[i] = required(c)
	}
	hw.OneOf = []*jsonSchema{required("name"), required("cluster")}
	hw.DependentRequired = orderedObject{{"node_count", []string{"accelerators_per_node"}}}
	hw.AllOf = []*jsonSchema{
		{Not: required("accelerators", "nodes")},
		{If: required("cluster"), Then: &jsonSchema{Not: &jsonSchema{AnyOf: countsGiven}}},
	}

	assertion := object("a bound on one scorecard metric; both bounds are inclusive", []string{"metric"},
		prop{"metric", &jsonSchema{Type: "string", Enum: metrics,
			Description: "<lens>.<metric>; which exist depends on the plan (one accelerator: node metrics; a fleet: fleet metrics; macro only for a fleet with ops)"}},
		prop{"min", number("lowest allowed value, in the metric's unit")},
		prop{"max", number("highest allowed value, in the metric's unit")},
	)
	assertion.AnyOf = []*jsonSchema{required("min"), required("max")}

	s := object("", []string{"version", "name", "workload", "hardware"},
		prop{"version", &jsonSchema{Type: []string{"string", "number"}, Description: `format version, e.g. "1.0"`}},
		prop{"name", key("scenario name, shown on the scorecard")},
		prop{"workload", ref("workload")},
		prop{"hardware", ref("hardware")},
		prop{"parallelism", orNull(ref("parallelism"))},
		prop{"ops", orNull(ref("ops"))},
		prop{"constraints", orNull(ref("constraints"))},
	)
	s.Defs = props{
		{"workload", object("the model and its batch", []string{"name"},
			prop{"name", key("model key (mlsysim zoo models)")},
			prop{"batch_size", param("batch_size", "global batch in samples (sequences)", nil)},
			prop{"seq_len", param("seq_len", "", nil)},
		)},
		{"hardware", hw},
		{"parallelism", object("the split of a fleet; a one-accelerator plan may not have one", nil,
			prop{"tp", param("tp", "", nil)},
			prop{"pp", param("pp", "", nil)},
			prop{"dp", dp},
			prop{"ep", param("ep", "", nil)},
			prop{"etp", etp},
			prop{"moe_imbalance", param("moe_imbalance", "", nil)},
			prop{"microbatches", param("microbatches", "", nil)},
			prop{"virtual_stages", param("virtual_stages", "", nil)},
			prop{"zero_stage", param("zero_stage", "", nil)},
			prop{"overlap", param("overlap", "", nil)},
			prop{"activation_recomputation", param("activation_recomputation", "", nil)},
			prop{"cp", param("cp", "", nil)},
			prop{"cp_attention", param("cp_attention", "", nil)},
			prop{"transformer_execution", param("transformer_execution", "", nil)},
			prop{"attention_kernel", param("attention_kernel", "", nil)},
			prop{"dp_shard", param("dp_shard", "", nil)},
			prop{"activation_checkpointing", param("activation_checkpointing", "", nil)},
			prop{"sequence_parallel", param("sequence_parallel", "", nil)},
			prop{"flash_attention", param("flash_attention", "", nil)},
			prop{"fp32_gradients", param("fp32_gradients", "", nil)},
			prop{"optimizer_state_precision", param("optimizer_state_precision", "", nil)},
			prop{"pipeline_schedule", param("pipeline_schedule", "", nil)},
			prop{"moe_a2a_overlap", param("moe_a2a_overlap", "", nil)},
			prop{"moe_dispatcher", param("moe_dispatcher", "", nil)},
		)},
		{"ops", object("operations: the macro lens (cost, carbon, water) of a fleet", nil,
			prop{"region", param("region", "", nil)},
			prop{"duration_days", param("duration_days", "", 30.0)},
			prop{"electricity_usd_per_kwh", param("electricity_usd_per_kwh", "", nil)},
			prop{"carbon_tax_usd_per_t", param("carbon_tax_usd_per_t", "", nil)},
			prop{"carbon_intensity_g_per_kwh", &jsonSchema{Type: "number", Minimum: ptr(0.0), Description: "grid carbon intensity in gCO2e/kWh; default the region's"}},
			prop{"pue", &jsonSchema{Type: "number", Minimum: ptr(1.0), Description: "power usage effectiveness (facility over IT energy); default the region's"}},
			prop{"wue_l_per_kwh", &jsonSchema{Type: "number", Minimum: ptr(0.0), Description: "water usage effectiveness in L/kWh; default the region's"}},
			prop{"power_per_accelerator_w", &jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0), Description: "average IT power per accelerator in W; default TDP · (0.3 + 0.7 · utilisation)"}},
			prop{"rental_usd_per_accelerator_hour", &jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0), Description: "rental price per accelerator-hour in USD, instead of capex + opex"}},
		)},
		{"constraints", object("checks on the scorecard; a failed one exits 3", nil,
			prop{"assert", orNull(listOf(ref("assertion")))},
		)},
		{"assertion", assertion},
	}
	return root("mlsysim plan", "A declarative scenario for `mlsysim eval PLAN.yaml` (docs/PLAN.md)", s), nil
}

// gridSchema: docs/GRID.md, as sweep.ParseSpec and Spec.Plan read it. Which
// parameters exist, and what values each takes, depends on the study.
func gridSchema(cat *catalog.Catalog) (*jsonSchema, error) {
	names := sweep.StudyNames()
	pair := &jsonSchema{Type: "array", PrefixItems: []*jsonSchema{{Type: "number"}, {Type: "number"}}, Items: false, MinItems: ptr(2)}
	triple := &jsonSchema{Type: "array", PrefixItems: []*jsonSchema{{Type: "number"}, {Type: "number"}, {Type: "integer", Minimum: ptr(1.0)}},
		Items: false, MinItems: ptr(3)}
	nameOrList := &jsonSchema{AnyOf: []*jsonSchema{key(""), listOf(key(""))}}
	all := &jsonSchema{Const: "all", Description: "every catalog entry or choice"}

	s := object("", []string{"version", "study", "axes"},
		prop{"version", &jsonSchema{Type: "integer", Const: sweep.SpecVersion, Description: "grid spec format version"}},
		prop{"name", str("free text, recorded in the manifest")},
		prop{"description", str("free text")},
		prop{"study", &jsonSchema{Type: "string", Enum: names, Description: "the kernel path (mlsysim sweep --columns STUDY)"}},
		prop{"profile", &jsonSchema{Type: "string", Enum: sweep.Profiles, Description: "physics profile (--profile overrides it)"}},
		prop{"fixed", &jsonSchema{Type: "object", Description: "parameters with one value"}},
		prop{"axes", &jsonSchema{Type: "object", MinProperties: ptr(1), Description: "parameters that vary; the last varies fastest"}},
		prop{"zip", &jsonSchema{Type: "array", Items: listOf(key("")), Description: "groups of axes that advance together"}},
		prop{"where", &jsonSchema{AnyOf: []*jsonSchema{key(""), listOf(key(""))}, Description: "filter expressions (expr syntax) over parameters, hw.* and model.*"}},
	)
	s.Defs = props{
		{"generator", &jsonSchema{Description: "numbers generated from a rule", OneOf: []*jsonSchema{
			object("lo, lo+step, … ≤ hi", []string{"range"}, prop{"range", pair}, prop{"step", &jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0), Default: 1.0}}),
			object("powers of two in [lo, hi]", []string{"range", "scale"}, prop{"range", pair}, prop{"scale", &jsonSchema{Const: "pow2"}}),
			object("powers of two in [lo, hi]", []string{"pow2"}, prop{"pow2", pair}),
			object("n evenly spaced values from a to b", []string{"linspace"}, prop{"linspace", triple}),
			object("n geometrically spaced values from a to b (> 0)", []string{"logspace"}, prop{"logspace", triple}),
		}}},
		{"hardwareSelector", minProps(object("hardware of these tiers, minus exclude", nil,
			prop{"tier", nameOrList}, prop{"exclude", listOf(key(""))}))},
		{"modelSelector", minProps(object("models of this family or category, minus exclude", nil,
			prop{"family", nameOrList}, prop{"category", nameOrList}, prop{"exclude", listOf(key(""))}))},
	}
	for _, n := range names {
		st, err := sweep.StudyByName(n)
		if err != nil {
			return nil, err
		}
		var fixed, axes props
		for i := range st.Params {
			p := &st.Params[i]
			one := paramScalar(cat, p)
			fixed = append(fixed, prop{p.Name, one})
			alts := []*jsonSchema{one, listOf(one)}
			switch p.Kind {
			case sweep.KindFloat, sweep.KindInt:
				alts = append(alts, ref("generator"))
			case sweep.KindModel:
				alts = append(alts, ref("modelSelector"))
			case sweep.KindHardware:
				alts = append(alts, ref("hardwareSelector"))
			default:
				alts = append(alts, all)
			}
			axes = append(axes, prop{p.Name, &jsonSchema{Description: one.Description, AnyOf: alts}})
		}
		paramNames := &jsonSchema{Enum: st.ParamNames()}
		s.AllOf = append(s.AllOf, &jsonSchema{
			If: &jsonSchema{Properties: props{{"study", &jsonSchema{Const: n}}}, Required: []string{"study"}},
			Then: &jsonSchema{Properties: props{
				{"fixed", &jsonSchema{PropertyNames: paramNames, Properties: fixed}},
				{"axes", &jsonSchema{PropertyNames: paramNames, Properties: axes}},
			}},
		})
	}
	return root("mlsysim grid spec", "A grid of scenarios for `mlsysim sweep GRID.yaml` (docs/GRID.md)", s), nil
}

func minProps(s *jsonSchema) *jsonSchema {
	s.MinProperties = ptr(1)
	return s
}

// provenance are the source keys every catalog entry has (docs/CATALOG.md).
func provenance() []prop {
	source := object("where a value comes from", []string{"kind", "ref"},
		prop{"kind", &jsonSchema{Type: "string", Enum: []string{"datasheet", "literature", "microbenchmark", "estimate", "derived", "convention", "illustrative", "industry_report", "measurement", "code", "documentation"}}},
		prop{"ref", key("citation: title, authors or organisation, year")},
		prop{"url", str("")},
		prop{"verified", str("date the upstream registry last checked it")},
		prop{"id", str("upstream provenance id")},
	)
	return []prop{
		{"source", source},
		{"field_sources", &jsonSchema{Type: "object", AdditionalProperties: source, Description: "per-field sources"}},
		{"corrections", &jsonSchema{Type: "array", Description: "values changed relative to the MLSys·im registry", Items: object("", []string{"field", "reason", "source"},
			prop{"field", key("")}, prop{"upstream", &jsonSchema{Description: "the upstream value"}}, prop{"value", &jsonSchema{Description: "our value"}},
			prop{"reason", key("")}, prop{"source", source})}},
		{"notes", str("")},
		{"upstream", object("the registry file the entry was transcribed from", []string{"file"}, prop{"file", str("")}, prop{"commit", str("")})},
	}
}

var keyPattern = `^[^\s/]+$`

func entryKey(desc string) *jsonSchema {
	return &jsonSchema{Type: "string", Pattern: keyPattern, Description: desc}
}

// hardwareSchema: one hardware entry of a catalog file (docs/CATALOG.md).
func hardwareSchema() *jsonSchema {
	q := quantity
	link := func(desc string) *jsonSchema {
		return object(desc, []string{"bandwidth", "direction"},
			prop{"name", str("")},
			prop{"bandwidth", q(catalog.BytesPerSecond, "link bandwidth", "900 GB/s")},
			prop{"direction", &jsonSchema{Type: "string", Enum: []string{string(catalog.PerDirection), string(catalog.BidirectionalTotal)},
				Description: "how the bandwidth is quoted (physics.md §1.4): per_direction (Ethernet, PCIe, InfiniBand) or bidirectional_total (NVLink, ICI datasheet figures); required"}},
			prop{"latency", q(catalog.Seconds, "one-way latency", "500 ns")},
			prop{"bus_bandwidth", q(catalog.BytesPerSecond, "measured collective bus bandwidth per direction (NCCL busBw), at most the line rate", "230 GB/s")},
			prop{"nvls", &jsonSchema{Type: "boolean", Description: "scale_up only: the link is a port into an NVSwitch that reduces in the switch (NVLink SHARP), so calibrated NCCL all-reduces may run NVLS (docs/PHYSICS.md §35)"}},
		)
	}
	rates := &jsonSchema{Type: "object", Description: "dense rates by precision, used when the run's precision matches",
		PropertyNames: &jsonSchema{Enum: catalog.RateKeys}, AdditionalProperties: q(catalog.FLOPsPerSecond, "rate", "1979 TFLOP/s")}
	gemm := &jsonSchema{Type: "object", Description: "measured fraction of peak a large dense matmul reaches, by precision",
		PropertyNames: &jsonSchema{Enum: catalog.RateKeys}, AdditionalProperties: &jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0), Maximum: ptr(1.0)}}
	ps := []prop{
		{"key", entryKey("what users type; case-sensitive, unique")},
		{"name", str("display name")},
		{"release_year", integer("", 0)},
		{"peak", q(catalog.FLOPsPerSecond, "default peak: dense FP16/BF16 tensor rate (or TOPS)", "989 TFLOP/s")},
		{"rates", rates},
		{"unsupported_precisions", &jsonSchema{Type: "array", Description: "run precisions the vendor's documentation shows the device has no arithmetic for (refused under calibrated); needs field_sources.unsupported_precisions",
			Items: &jsonSchema{Type: "string", Enum: catalog.RunPrecisions}}},
		{"gemm_efficiency", gemm},
		{"attention_efficiency", &jsonSchema{Type: "object", Description: "measured fraction of peak a fused attention kernel (FlashAttention) reaches, by precision",
			PropertyNames: gemm.PropertyNames, AdditionalProperties: gemm.AdditionalProperties}},
		{"attention_efficiency_flash1", &jsonSchema{Type: "object", Description: "measured fraction of peak FlashAttention-1's fused attention (forward and backward; the kernel of xformers-era training stacks) reaches, by precision; a calibrated training step with attention_kernel flash1 runs its attention at it",
			PropertyNames: gemm.PropertyNames, AdditionalProperties: gemm.AdditionalProperties}},
		{"gemm_sustained_efficiency", &jsonSchema{Type: "object", Description: "measured fraction of peak a large matmul holds at the power limit (MSMF), by precision; at most gemm_efficiency; calibrated training steps run their GEMMs at it",
			PropertyNames: gemm.PropertyNames, AdditionalProperties: gemm.AdditionalProperties}},
		{"sm_count", integer("streaming multiprocessors (wave quantization of GEMMs in the calibrated training step)", 0)},
		{"clock_rate", q(catalog.Hertz, "clock", "1.98 GHz")},
		{"memory", object("", []string{"capacity", "bandwidth"},
			prop{"capacity", q(catalog.Bytes, "accelerator memory as the vendor states it", "80 GiB")},
			prop{"bandwidth", q(catalog.BytesPerSecond, "memory bandwidth", "3.35 TB/s")},
			prop{"sram_capacity", q(catalog.Bytes, "on-chip SRAM tier", "512 KiB")},
			prop{"sram_bandwidth", q(catalog.BytesPerSecond, "SRAM bandwidth", "0.96 GB/s")},
			prop{"flash_capacity", q(catalog.Bytes, "flash tier", "4 MB")},
			prop{"flash_bandwidth", q(catalog.BytesPerSecond, "flash bandwidth", "0.08 GB/s")},
			prop{"l2_cache", q(catalog.Bytes, "L2 cache", "50 MB")},
			prop{"register_file_per_sm", q(catalog.Bytes, "register file per SM", "256 KiB")},
			prop{"shared_memory_per_sm", q(catalog.Bytes, "shared memory per SM", "228 KiB")},
			prop{"achievable_bandwidth", q(catalog.BytesPerSecond, "measured streaming bandwidth (BabelStream Triad), at most the peak", "2.97 TB/s")},
			prop{"l2_bandwidth", q(catalog.BytesPerSecond, "measured L2 cache load bandwidth of all SMs (RRZE gpu-l2-cache), above the memory bandwidth; bounds an untuned fused MoE kernel's tiles (calibrated)", "5.42 TB/s")},
		)},
		{"storage", object("", nil,
			prop{"capacity", q(catalog.Bytes, "storage", "2 TB")},
			prop{"bandwidth", q(catalog.BytesPerSecond, "storage bandwidth", "7 GB/s")})},
		{"host_link", link("host interconnect (PCIe, …)")},
		{"scale_up", link("accelerator-to-accelerator link (NVLink, ICI, …)")},
		{"tdp", q(catalog.Watts, "thermal design power", "700 W")},
		{"tdp_min", q(catalog.Watts, "lower end of a TDP range", "5 W")},
		{"tdp_max", q(catalog.Watts, "upper end of a TDP range", "15 W")},
		{"battery", q(catalog.Joules, "battery", "15 Wh")},
		{"unit_cost", q(catalog.USD, "price", "30000 USD")},
		{"unit_cost_max", q(catalog.USD, "upper end of a quoted price", "5000 USD")},
		{"accelerator_count", integer("the entry is a whole system of N accelerators", 0)},
		{"embodied_carbon", q(catalog.Kilograms, "embodied carbon", "164 kg")},
		{"dispatch_tax", q(catalog.Seconds, "per-launch overhead; default 0.01 ms", "0.01 ms")},
		{"mig_profiles", &jsonSchema{Type: "array", Items: object("", nil,
			prop{"name", str("")}, prop{"memory", q(catalog.Bytes, "slice memory", "10 GiB")},
			prop{"sms", integer("", 0)}, prop{"use", str("")})}},
	}
	return root("mlsysim hardware entry", "One accelerator in a catalog file (docs/CATALOG.md): an entry of a `hardware:` list, or a whole file",
		object("", []string{"key", "peak", "memory", "source"}, append(ps, provenance()...)...))
}

// modelSchema: one model entry of a catalog file (docs/CATALOG.md).
func modelSchema() *jsonSchema {
	q := quantity
	families := make([]string, len(catalog.Families))
	for i, f := range catalog.Families {
		families[i] = string(f)
	}
	count := func(desc string) *jsonSchema { return integer(desc, 0) }
	ps := []prop{
		{"key", entryKey("what users type; case-sensitive, unique")},
		{"name", str("display name")},
		{"family", &jsonSchema{Type: "string", Enum: families, Description: "which physics applies"}},
		{"architecture", str("free text as upstream")},
		{"parameters", &jsonSchema{Type: "number", Minimum: ptr(0.0), Description: "parameter count"}},
		{"active_parameters", &jsonSchema{Type: "number", Minimum: ptr(0.0), Description: "active parameters per token (moe)"}},
		{"layers", count("")},
		{"hidden_dim", count("")},
		{"heads", count("")},
		{"kv_heads", count("absent = heads (MHA)")},
		{"intermediate_dim", count("FFN width")},
		{"vocab_size", count("")},
		{"kv_lora_rank", count("MLA (DeepSeek) only")},
		{"qk_rope_head_dim", count("MLA only")},
		{"experts", count("moe")},
		{"active_experts_per_token", count("moe")},
		{"q_lora_rank", count("MLA: the queries' latent rank (q_lora_rank)")},
		{"qk_nope_head_dim", count("MLA: per-head query/key width without rotary (qk_nope_head_dim)")},
		{"v_head_dim", count("MLA: per-head value width (v_head_dim)")},
		{"dense_layers", count("moe: the first layers that are dense (first_k_dense_replace)")},
		{"dense_intermediate_dim", count("moe: those dense layers' MLP width (intermediate_size)")},
		{"expert_intermediate_dim", count("moe: each routed and shared expert's width (moe_intermediate_size)")},
		{"shared_experts", count("moe: experts every token passes through (n_shared_experts)")},
		{"routing_groups", count("moe: group-limited routing, the experts' groups (n_group); with routing_group_topk")},
		{"routing_group_topk", count("moe: the groups a token's experts are chosen within (topk_group)")},
		{"inference_flops", q(catalog.FLOPs, "inference FLOPs per inference_flops_per", "16.06 GFLOP")},
		{"inference_flops_per", &jsonSchema{Type: "string", Enum: []string{"token", "sequence", "input", "denoising_step"}}},
		{"reference_seq_len", count("for per-sequence encoders")},
		{"context_tokens", func() *jsonSchema {
			s := integer("longest sequence (prompt + generated, or training seq_len) the model takes: max_position_embeddings; leave out when unknown (no check)", 1)
			s.Maximum = ptr(float64(1 << 27))
			return s
		}()},
		{"mtp_layers", count("multi-token-prediction modules the model ships (num_nextn_predict_layers); needed for draft_model mtp")},
		{"sliding_window", count("attention window in tokens of the sliding_window_layers layers that attend only the latest tokens (config.json sliding_window); with sliding_window_layers; absent = every layer attends the whole context")},
		{"sliding_window_layers", count("how many of the layers attend within sliding_window (Mistral 7B v0.1: all 32; Gemma 2: every other one); with sliding_window")},
		{"inference_energy", q(catalog.Joules, "energy per inference", "0.1 mJ")},
		{"training_flops", q(catalog.FLOPs, "training compute", "3.14e23 FLOP")},
		{"training_tokens", &jsonSchema{Type: "number", Minimum: ptr(0.0)}},
		{"training_run", object("the published training run", nil,
			prop{"accelerators", count("")}, prop{"days", number("")}, prop{"energy", q(catalog.Joules, "energy", "1287 MWh")},
			prop{"gpu_days", number("")}, prop{"hardware", str("")})},
		{"training_dataset_size", q(catalog.Bytes, "dataset", "40 GB")},
		{"model_size", q(catalog.Bytes, "only for workloads without a parameter count", "100 GB")},
		{"embedding_entries", &jsonSchema{Type: "number", Minimum: ptr(0.0)}},
		{"parameter_range", &jsonSchema{Type: "array", Items: &jsonSchema{Type: "number"}}},
		{"state_size", count("ssm")},
		{"denoising_steps", count("diffusion")},
		{"resolution_px", count("")},
		{"action_chunk_horizon", count("embodied")},
		{"action_dim", count("embodied")},
		{"conv_layers", &jsonSchema{Type: "array", Description: "cnn: each convolution in order (docs/PHYSICS.md §36)", Items: object("", []string{"k", "in", "out", "size", "stride", "n", "after"},
			prop{"k", convDim("kernel side")}, prop{"in", convDim("input channels")}, prop{"out", convDim("output channels")},
			prop{"size", convDim("output feature-map side; input side = size × stride")}, prop{"stride", convDim("")},
			prop{"n", convDim("repeats")},
			prop{"after", &jsonSchema{Type: "string", Enum: catalog.ConvAfter, Description: "nothing, a ReLU alone, or batch norm, then optionally a residual add, then optionally ReLU"}},
			prop{"pool", convDim("output side of a max pool after the layer, below size")},
			prop{"g", convDim("channel groups, dividing in and out (in: depthwise)")},
			prop{"shortcut", &jsonSchema{Type: "boolean", Description: "a projection shortcut (after: bn) whose output only feeds the residual add"}})}},
	}
	s := object("", []string{"key", "family", "source"}, append(ps, provenance()...)...)
	s.AnyOf = []*jsonSchema{required("parameters"), required("model_size"), required("inference_flops")}
	s.AllOf = []*jsonSchema{
		{If: &jsonSchema{Properties: props{{"family", &jsonSchema{Enum: []string{"transformer", "moe"}}}}}, Then: required("layers")},
		{If: &jsonSchema{Properties: props{{"family", &jsonSchema{Const: "moe"}}}}, Then: required("active_parameters")},
		{If: &jsonSchema{Properties: props{{"family", &jsonSchema{Const: "cnn"}}}}, Then: required("inference_flops")},
	}
	return root("mlsysim model entry", "One workload in a catalog file (docs/CATALOG.md): an entry of a `models:` list, or a whole file", s)
}
