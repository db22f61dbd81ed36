package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sweep"
)

// Tests of `mlsysim schema`: each schema is valid draft 2020-12 (checked by
// compiling it against the meta-schema) and accepts every bundled example, and
// rejects the bad files its rules can see.

// compiledSchema prints a schema through the CLI and compiles it.
func compiledSchema(t *testing.T, kind string) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	r := mlsysim(t, "schema", kind)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("mlsysim schema %s: %v", kind, r)
	}
	raw := oneObject(t, r.stdout)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	url := "mlsysim-" + kind + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("the %s schema is not valid JSON Schema: %v", kind, err)
	}
	return s, raw
}

// yamlInstance turns YAML into the JSON value a YAML language server validates.
func yamlInstance(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// entries splits a catalog data file (a list) or user file (hardware:/models:
// lists, or one entry) into entries of the given kind.
func entries(t *testing.T, file, list string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	var nodes []*yaml.Node
	switch {
	case top.Kind == yaml.SequenceNode:
		nodes = top.Content
	case top.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(top.Content); i += 2 {
			switch top.Content[i].Value {
			case list:
				nodes = top.Content[i+1].Content
			case "key":
				nodes = []*yaml.Node{top}
			}
		}
	}
	var out [][]byte
	for _, n := range nodes {
		e, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	return files
}

func TestSchemaShapes(t *testing.T) {
	for _, tc := range []struct {
		kind, title string
		required    []string
		props       []string // some properties it must have
		closedDefs  []string // $defs that reject unknown keys
	}{
		{"plan", "mlsysim plan", []string{"version", "name", "workload", "hardware"},
			[]string{"version", "name", "workload", "hardware", "parallelism", "ops", "constraints"},
			[]string{"workload", "hardware", "parallelism", "ops", "constraints", "assertion"}},
		{"grid", "mlsysim grid spec", []string{"version", "study", "axes"},
			[]string{"version", "name", "description", "study", "fixed", "axes", "zip", "where"}, nil},
		{"hardware", "mlsysim hardware entry", []string{"key", "peak", "memory", "source"},
			[]string{"rates", "memory", "scale_up", "host_link", "tdp", "unit_cost", "dispatch_tax", "source", "corrections"}, nil},
		{"model", "mlsysim model entry", []string{"key", "family", "source"},
			[]string{"parameters", "layers", "heads", "kv_heads", "experts", "inference_flops", "source"}, nil},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			_, s := compiledSchema(t, tc.kind)
			equal(t, s, "$schema", "https://json-schema.org/draft/2020-12/schema")
			equal(t, s, "title", tc.title)
			equal(t, s, "type", "object")
			equal(t, s, "additionalProperties", false)
			var req []string
			for _, r := range s["required"].([]any) {
				req = append(req, r.(string))
			}
			if !slices.Equal(req, tc.required) {
				t.Errorf("required %v, want %v", req, tc.required)
			}
			props := s["properties"].(map[string]any)
			for _, p := range tc.props {
				if _, ok := props[p]; !ok {
					t.Errorf("no property %s", p)
				}
			}
			// Parsed state is not part of the format (the seed tests the same for
			// its model_obj, hardware_obj, fleet_obj).
			for _, p := range []string{"File", "file", "lines"} {
				if _, ok := props[p]; ok {
					t.Errorf("property %s is parser state, not a key", p)
				}
			}
			defs, _ := s["$defs"].(map[string]any)
			for _, d := range tc.closedDefs {
				def, _ := defs[d].(map[string]any)
				if def["additionalProperties"] != false {
					t.Errorf("$defs/%s accepts unknown keys; the parser does not", d)
				}
			}
		})
	}
}

func TestSchemaCommand(t *testing.T) {
	plan := mlsysim(t, "schema", "plan").stdout
	for _, args := range [][]string{
		{"schema"},
		{"schema", "PLAN"},
		{"schema", "--type", "plan"},
		{"schema", "-t", "plan", "plan"},
		{"-o", "json", "schema"},
		{"schema", "plan", "-o", "text"},
	} {
		r := mlsysim(t, args...)
		if r.code != exitOK || r.stdout != plan {
			t.Errorf("mlsysim %s: exit %d, same output as `schema plan`: %v", strings.Join(args, " "), r.code, r.stdout == plan)
		}
	}
	if r := mlsysim(t, "schema", "workload"); r.stdout != mlsysim(t, "schema", "model").stdout {
		t.Errorf("schema workload (the seed's name) differs from schema model")
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"schema", "plans"}, []string{`"plans"`, "did you mean plan", "plan, grid, hardware, model"}},
		{[]string{"schema", "fleet"}, []string{`"fleet"`, "plan, grid, hardware, model"}},
		{[]string{"schema", "plan", "grid"}, []string{"at most one", "got 2"}},
		{[]string{"schema", "plan", "--type", "grid"}, []string{`"plan"`, `"grid"`}},
		{[]string{"schema", "-o", "markdown"}, []string{"--output", `"markdown"`, "not supported", "text, json"}},
		{[]string{"schema", "-o", "xml"}, []string{"--output", `"xml"`}},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitBadInput || r.stdout != "" {
			t.Errorf("mlsysim %s: want exit 1 and no stdout\n%v", strings.Join(tc.args, " "), r)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("mlsysim %s: stderr lacks %q: %s", strings.Join(tc.args, " "), w, r.stderr)
			}
		}
	}
	j := mlsysim(t, "-o", "json", "schema", "plans")
	obj := oneObject(t, j.stdout)
	equal(t, obj, "status", "error")
	if reason, _ := obj["reason"].(string); j.code != exitBadInput || !strings.Contains(reason, "plan, grid, hardware, model") {
		t.Errorf("json error: exit %d, reason %q", j.code, reason)
	}
}

// TestSchemaAcceptsExamples: every bundled example validates, and the files the
// tools accept are the ones checked (plans parse, catalog entries load).
func TestSchemaAcceptsExamples(t *testing.T) {
	validate := func(t *testing.T, s *jsonschema.Schema, name string, b []byte) {
		t.Helper()
		if err := s.Validate(yamlInstance(t, b)); err != nil {
			t.Errorf("%s does not validate: %v", name, err)
		}
	}
	t.Run("plan", func(t *testing.T) {
		s, _ := compiledSchema(t, "plan")
		n := 0
		for _, f := range glob(t, "testdata/plans/*.yaml") {
			if strings.HasPrefix(filepath.Base(f), "bad_") {
				continue
			}
			b, _ := os.ReadFile(f)
			if _, err := sweep.ParsePlanFile(f, b); err != nil {
				t.Errorf("fixture %s does not parse: %v", f, err)
			}
			validate(t, s, f, b)
			n++
		}
		for i, block := range yamlBlocks(t, "docs/PLAN.md") {
			if sweep.IsPlanFile(block) {
				name := "docs/PLAN.md plan block " + strconv.Itoa(i)
				pf, err := sweep.ParsePlanFile(name, block)
				if err == nil {
					_, _, _, err = pf.Resolve(catalog.MustDefault(), func(string) {})
				}
				if err != nil {
					t.Errorf("%s is not a valid plan: %v", name, err)
				}
				validate(t, s, name, block)
				n++
			}
		}
		if n < 8 {
			t.Errorf("only %d plans checked", n)
		}
	})
	t.Run("grid", func(t *testing.T) {
		s, _ := compiledSchema(t, "grid")
		for _, f := range glob(t, "grids/*.yaml") {
			b, _ := os.ReadFile(f)
			validate(t, s, f, b)
		}
		for i, block := range yamlBlocks(t, "docs/GRID.md") {
			if bytes.Contains(block, []byte("study:")) {
				validate(t, s, "docs/GRID.md block "+strconv.Itoa(i), block)
			}
		}
	})
	for _, kind := range []struct{ schema, list, glob, user string }{
		{"hardware", "hardware", "catalog/data/hardware/*.yaml", "testdata/cli/extra.yaml"},
		{"model", "models", "catalog/data/models/*.yaml", "testdata/cli/tinynet.yaml"},
	} {
		t.Run(kind.schema, func(t *testing.T) {
			s, _ := compiledSchema(t, kind.schema)
			n := 0
			for _, f := range append(glob(t, kind.glob), glob(t, kind.user)...) {
				for i, e := range entries(t, f, kind.list) {
					validate(t, s, f+" entry "+strconv.Itoa(i), e)
					n++
				}
			}
			if n < 10 {
				t.Errorf("only %d entries checked", n)
			}
		})
	}
}

// yamlBlocks returns the ```yaml blocks of a doc that parse as YAML.
func yamlBlocks(t *testing.T, doc string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", doc))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(b, -1) {
		var v any
		if yaml.Unmarshal(m[1], &v) == nil {
			out = append(out, m[1])
		}
	}
	return out
}

// TestSchemaRejects: the bad files whose fault a schema can see fail it.
func TestSchemaRejects(t *testing.T) {
	t.Run("bad plans", func(t *testing.T) {
		s, _ := compiledSchema(t, "plan")
		// Faults only the catalog or arithmetic can see: names that are plain
		// strings, count products, the split against the fleet, YAML syntax, FP8
		// against the accelerator's rates, the precision (any case) and the count.
		blind := []string{"bad_unknown_model.yaml", "bad_unknown_hardware.yaml", "bad_node_count_mismatch.yaml",
			"bad_not_divisible.yaml", "bad_dp_mismatch.yaml", "bad_parallelism_single.yaml", "bad_yaml_syntax.yaml",
			"bad_split_not_dividing.yaml", "bad_intra_node_negative.yaml",
			"bad_layers_pp.yaml", "bad_heads_tp.yaml", "bad_ep_dp.yaml", "bad_batch_microbatches.yaml", "bad_seq_cp.yaml", "bad_dp_shard.yaml",
			"bad_fp8_no_rate.yaml", "bad_fp8_precision.yaml", "bad_fp8_single.yaml", "bad_bf16_v100.yaml"}
		for _, f := range glob(t, "testdata/plans/bad_*.yaml") {
			name := filepath.Base(f)
			if slices.Contains(blind, name) {
				continue
			}
			b, _ := os.ReadFile(f)
			if err := s.Validate(yamlInstance(t, b)); err == nil {
				t.Errorf("%s validates against the plan schema", name)
			}
		}
	})
	cases := map[string][]string{
		"grid": {
			"version: 1\nstudy: node\naxes: {model: Llama3_8B}\nextra: 1\n",
			"version: 2\nstudy: node\naxes: {model: Llama3_8B}\n",
			"study: node\naxes: {model: Llama3_8B}\n",
			"version: 1\nstudy: node\n",
			"version: 1\nstudy: nodes\naxes: {model: Llama3_8B}\n",
			"version: 1\nstudy: node\naxes: {tp: [1, 2]}\n",                     // a fleet parameter on the node study
			"version: 1\nstudy: node\naxes: {efficiency: 1.5}\n",                // out of range
			"version: 1\nstudy: node\naxes: {precision: [fp16, fp6]}\n",         // not a precision
			"version: 1\nstudy: node\naxes: {batch_size: {pow2: [1, 8, 64]}}\n", // pow2 takes two numbers
			"version: 1\nstudy: node\naxes: {batch_size: {range: [1, 8], stride: 2}}\n",
			"version: 1\nstudy: node\naxes: {batch_size: {linspace: [1, 8, 2.5]}}\n",
			"version: 1\nstudy: node\naxes: {hardware: {tier: Cloud, vendor: NVIDIA}}\n",
			"version: 1\nstudy: node\naxes: {model: {tier: Cloud}}\n", // tier selects hardware
			"version: 1\nstudy: node\nfixed: {batch_size: [1, 2]}\naxes: {model: Llama3_8B}\n",
			"version: 1\nstudy: fleet\naxes: {cluster: Research_265}\n",
			"version: 1\nstudy: node\naxes: {training: maybe}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B}\nwhere: [1]\n",
		},
		"hardware": {
			"key: X\npeak: 1 TFLOP/s\nsource: {kind: estimate, ref: r}\n",                                                          // no memory
			"key: X\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\n",                                               // no source
			"key: X\npeak: 1 GB\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nsource: {kind: estimate, ref: r}\n",                  // peak in bytes
			"key: X\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB/s, bandwidth: 1 GB/s}\nsource: {kind: estimate, ref: r}\n",           // capacity a rate
			"key: X\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nsource: {kind: estimate, ref: r}\ncolor: red\n", // unknown key
			"key: X\npeak: 1 TFLOP/s\nrates: {fp6: 2 TFLOP/s}\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nsource: {kind: estimate, ref: r}\n",
			"key: X\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nscale_up: {bandwidth: 1 GB/s, direction: both}\nsource: {kind: estimate, ref: r}\n",
			"key: my npu\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nsource: {kind: estimate, ref: r}\n", // key with a space
			"key: X\npeak: 1 TFLOP/s\nmemory: {capacity: 1 GB, bandwidth: 1 GB/s}\nsource: {kind: estimate}\n",              // source without ref
		},
		"model": {
			"key: M\nparameters: 1e9\nsource: {kind: estimate, ref: r}\n",                            // no family
			"key: M\nfamily: rnn\nparameters: 1e9\nsource: {kind: estimate, ref: r}\n",               // unknown family
			"key: M\nfamily: generic\nparameters: 1e9\nsource: {kind: estimate, ref: r}\nlayer: 3\n", // unknown key
			"key: M\nfamily: transformer\nparameters: 1e9\nsource: {kind: estimate, ref: r}\n",       // transformer without layers
			"key: M\nfamily: generic\nsource: {kind: estimate, ref: r}\n",                            // no size at all
			"key: M\nfamily: cnn\nparameters: 1e9\nlayers: 5\nsource: {kind: estimate, ref: r}\n",    // cnn without inference_flops
			"key: M\nfamily: moe\nparameters: 1e9\nlayers: 5\nsource: {kind: estimate, ref: r}\n",    // moe without active_parameters
			"key: M\nfamily: generic\nparameters: 1e9\ninference_flops: 5 GB\nsource: {kind: estimate, ref: r}\n",
		},
	}
	for kind, srcs := range cases {
		t.Run(kind, func(t *testing.T) {
			s, _ := compiledSchema(t, kind)
			for i, src := range srcs {
				if err := s.Validate(yamlInstance(t, []byte(src))); err == nil {
					t.Errorf("validates against the %s schema:\n%s", kind, src)
				}
				// The parser refuses it too.
				f := filepath.Join(t.TempDir(), strconv.Itoa(i)+".yaml")
				if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				var err error
				if kind == "grid" {
					var spec *sweep.Spec
					if spec, err = sweep.ParseSpec(f, []byte(src)); err == nil {
						_, err = spec.Plan(catalog.MustDefault())
					}
				} else {
					_, err = catalog.MustDefault().Clone().AddUserFile(f)
				}
				if err == nil {
					t.Errorf("the schema refuses what the %s parser accepts:\n%s", kind, src)
				}
			}
		})
	}
}

// TestSchemaMatchesParsers: where a schema and a parser both judge a value,
// they agree — quantity strings against catalog.ParseQuantity, and small
// grids against sweep.ParseSpec + Plan.
func TestSchemaMatchesParsers(t *testing.T) {
	t.Run("units", func(t *testing.T) {
		for d, us := range quantityUnits {
			_, err := catalog.ParseQuantity("1 ?", d)
			msg := err.Error()
			listed := strings.Split(msg[strings.Index(msg, "use one of ")+len("use one of "):], ", ")
			slices.Sort(listed)
			got := slices.Sorted(slices.Values(us))
			if !slices.Equal(got, listed) {
				t.Errorf("%s: schema units %v, catalog accepts %v", d, got, listed)
			}
		}
	})
	t.Run("quantities", func(t *testing.T) {
		s := quantity(catalog.BytesPerSecond, "", "")
		re := regexp.MustCompile(s.Pattern)
		for _, q := range []string{"50 GB/s", " 400  Gbps ", "1e3 MB/s", "1.5E+2 GB/s", ".5 TB/s", "5. GB/s", "+1 GB/s", "0 GB/s",
			"50", "50GB/s", "50 gb/s", "50 GB", "1 TFLOP/s", "-1 GB/s", "Inf GB/s", "NaN GB/s", "1 GB/s extra", "0x1p4 GB/s", "1_000 GB/s"} {
			v, err := catalog.ParseQuantity(q, catalog.BytesPerSecond)
			parser := err == nil && v >= 0
			// The schema is stricter only on number spellings Go reads but nobody writes.
			if strings.Contains(q, "0x") || strings.Contains(q, "_") {
				parser = false
			}
			if re.MatchString(q) != parser {
				t.Errorf("%q: schema %v, catalog.ParseQuantity %v (err %v)", q, re.MatchString(q), parser, err)
			}
		}
	})
	t.Run("grids", func(t *testing.T) {
		s, _ := compiledSchema(t, "grid")
		cat := catalog.MustDefault()
		for _, src := range []string{
			"version: 1\nstudy: serve\naxes: {model: {family: transformer}, hardware: {tier: [Cloud, Edge], exclude: [H100]}, precision: [FP16, int8]}\n",
			"version: 1\nstudy: node\nfixed: {training: true}\naxes: {model: {family: transformer}, hardware: A100, batch_size: {range: [1, 64], step: 7}}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, batch_size: {range: [1, 64], scale: pow2}, efficiency: {logspace: [0.1, 1, 3]}}\n",
			"version: 1\nstudy: fleet\naxes: {model: Llama3_8B, cluster: [Research_256], fabric: default, region: all, tp: [1, 8]}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, precision: [fp16, fp8], batch_size: [1, 2]}\nzip: [[precision, batch_size]]\nwhere: \"batch_size > 1\"\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, precision: fp6}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, tp: 2}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, efficiency: 0}\n",
			"version: 1\nstudy: node\naxes: {model: Llama3_8B, hardware: H100, batch_size: {pow2: [1, 8], step: 2}}\n",
		} {
			spec, err := sweep.ParseSpec("g.yaml", []byte(src))
			if err == nil {
				_, err = spec.Plan(cat)
			}
			verr := s.Validate(yamlInstance(t, []byte(src)))
			if (err == nil) != (verr == nil) {
				t.Errorf("parser error %v, schema error %v, for\n%s", err, verr, src)
			}
		}
	})
}
