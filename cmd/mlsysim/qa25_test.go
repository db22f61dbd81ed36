//go:build cgo && !lean

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestProfileRefusedByEveryCommand: --profile bogus was refused by eval, serve and
// sweep but zoo, walls, schema, query, version, completion and validate
// --all-profiles printed their answer with exit 0, as if the name had been read.
// Every command refuses it now, naming the flag, the valid profiles and the closest.
func TestProfileRefusedByEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"zoo"}, {"zoo", "hardware"}, {"walls"}, {"schema", "plan"}, {"version"}, {"completion", "bash"},
		{"query", "--list"}, {"validate", "--all-profiles", "--kind", "kv_cache"},
		{"eval", "Llama3_8B", "H100"}, {"serve", "Llama3_8B", "H100"},
	} {
		r := badRun(t, exitBadInput, []string{"-profile", `"seeds" is not a physics profile (did you mean seed?); valid: calibrated, seed`},
			append([]string{"--profile", "seeds"}, args...)...)
		if r.stdout != "" {
			t.Errorf("--profile seeds %s: stdout %q, want nothing", strings.Join(args, " "), r.stdout)
		}
		// After the command too, and as one JSON error object.
		r = badRun(t, exitBadInput, []string{`\"bogus\" is not a physics profile`}, append(append([]string{"-o", "json"}, args...), "--profile", "bogus")...)
		if obj := oneObject(t, r.stdout); obj["exit_code"] != 1.0 {
			t.Errorf("--profile bogus %s -o json: %v", strings.Join(args, " "), obj)
		}
	}
	// Both profiles still run every command.
	for _, p := range []string{"seed", "calibrated"} {
		if r := mlsysim(t, "--profile", p, "walls"); r.code != exitOK {
			t.Errorf("--profile %s walls: %v", p, r)
		}
	}
}

// TestDigitSeparatorRefused: a grid read batch_size [1_000] as 1000 (strconv and the
// YAML decoder both take separators) while -b 1_000 was refused; YAML 1.2 reads
// 1_000 as text. Refused in every file a number is read from — grid lists, quoted
// grid values, generators, fixed values, plans, catalog counts and quantities — at
// its line, as the flag refuses it; 1000 written plainly is unchanged.
func TestDigitSeparatorRefused(t *testing.T) {
	badRun(t, exitBadInput, []string{"-b", "1_000"}, "serve", "Llama3_8B", "H100", "-b", "1_000")
	badRun(t, exitBadInput, []string{"flag -qps", "not a decimal number"}, "serve", "Llama3_8B", "H100", "--qps", "1_0")
	head := "version: 1\nname: sep\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"
	for _, c := range []struct{ src, want string }{
		{head + "  batch_size: [1_000]\n", ":7: axes.batch_size.0: 1_000 has a digit separator (_), which YAML 1.1 reads as 1000 and YAML 1.2 as text: write 1000"},
		{head + "  batch_size: [\"1_000\"]\n", ":7: batch_size: 1_000 has a digit separator"},
		{head + "  efficiency: [0.5, 0.2_5]\n", ":7: axes.efficiency.1: 0.2_5 has a digit separator (_), which YAML 1.1 reads as 0.25"},
		{head + "  batch_size: {range: [1_000, 2000], step: 500}\n", ":7: axes.batch_size.range.0: 1_000 has a digit separator"},
		{head + "  batch_size: {linspace: [1000, 2000, 1_1]}\n", ":7: axes.batch_size.linspace.2: 1_1 has a digit separator"},
		{"version: 1\nname: sep\nstudy: serve\nfixed:\n  seq_len: 8_192\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n", ":5: fixed.seq_len: 8_192 has a digit separator"},
	} {
		badRun(t, exitBadInput, []string{c.want}, "sweep", writeGrid(t, c.src), "--dry-run")
	}
	if r := mlsysim(t, "sweep", writeGrid(t, head+"  batch_size: [1000]\n"), "--dry-run"); r.code != exitOK || !strings.Contains(r.stdout, "points: 1\n") {
		t.Errorf("batch_size [1000]: %v", r)
	}
	plan := func(batch string) string {
		return writePlanText(t, "version: \"1.0\"\nname: sep\nworkload: {name: Llama3_8B, batch_size: "+batch+"}\nhardware: {name: H100}\n")
	}
	badRun(t, exitBadInput, []string{":3: workload.batch_size: 1_024 has a digit separator (_), which YAML 1.1 reads as 1024 and YAML 1.2 as text: write 1024"}, "eval", plan("1_024"))
	if r := mlsysim(t, "eval", plan("1024")); r.code != exitOK {
		t.Errorf("batch_size: 1024: %v", r)
	}
	const user = "hardware:\n  - key: MyNPU\n    name: My NPU\n    peak: 400 TFLOP/s\n    memory: {capacity: %s, bandwidth: 2 TB/s}\n    tdp: 300 W\n    source: {kind: estimate, ref: \"test\"}\n" +
		"models:\n  - key: MyLM\n    name: My LM\n    family: transformer\n    parameters: %s\n    layers: %s\n    hidden_dim: 3072\n    heads: 24\n    kv_heads: 8\n    source: {kind: estimate, ref: \"test\"}\n"
	dir := t.TempDir()
	for i, c := range []struct{ capacity, params, layers, want string }{
		{"64 GB", "3.2e9", "2_8", ":13: models.0.layers: 2_8 has a digit separator"},
		{"6_4 GB", "3.2e9", "28", `:5: entry MyNPU: memory.capacity: quantity "6_4 GB": 6_4 has a digit separator`},
		{"64 GB", "3_200_000_000", "28", ":12: models.0.parameters: 3_200_000_000 has a digit separator"},
		{"0x1p6 GB", "3.2e9", "28", `:5: entry MyNPU: memory.capacity: quantity "0x1p6 GB": "0x1p6" is not a decimal number`},
	} {
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf(user, c.capacity, c.params, c.layers)), 0o644); err != nil {
			t.Fatal(err)
		}
		badRun(t, exitBadInput, []string{"--catalog", c.want}, "--catalog", p, "zoo")
	}
	// A validation case: its tolerance and its study's params (an untyped map) were read
	// through the decoder alone, tolerance 1_0 as 10 (1000 %) and seq_len 1_000 as 1000.
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "validation", "kv_cache-deepseek-v3-mla.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ from, to, want string }{
		{"\ntolerance: 0.01\n", "\ntolerance: 1_0\n", ": tolerance: 1_0 has a digit separator"},
		{"seq_len: 1000}", "seq_len: 1_000}", ": study.params.seq_len: 1_000 has a digit separator"},
	} {
		cases := filepath.Join(dir, fmt.Sprintf("cases%d", i))
		if err := os.Mkdir(cases, 0o755); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), c.from) {
			t.Fatalf("the case has no %q", c.from)
		}
		if err := os.WriteFile(filepath.Join(cases, "c.yaml"), []byte(strings.Replace(string(src), c.from, c.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		badRun(t, exitBadInput, []string{"--cases: ", c.want}, "validate", "--cases", cases)
	}
	p := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(user, "64 GB", "3.2e9", "28")), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "--catalog", p, "zoo", "models"); r.code != exitOK || !strings.Contains(r.stdout, "MyLM") {
		t.Errorf("the same catalog written plainly: %v", r)
	}
}

// TestOptimizeParallelismAnswerIsAPlan: optimize parallelism printed schedule
// interleaved_1f1b, which a plan's pipeline_schedule refuses, and its config has no
// plan's overlap, so the layout copied into the plan was refused or, without the
// plan's other keys, another step (a candidate of the Llama 3 405B plan priced at
// 12.1 s evaluated at 18.8 s without overlap: true). The answer now carries each
// layout as a plan's parallelism block (best_parallelism, each candidate's
// parallelism, "in a plan:" in the text); that block, put in place of the plan's, is
// accepted by eval and gives the optimizer's step, MFU and memory bit for bit —
// under both profiles, the text line as printed and the JSON alike.
func TestOptimizeParallelismAnswerIsAPlan(t *testing.T) {
	parLine := regexp.MustCompile(`(?m)^parallelism: \{.*\}$`)
	for _, c := range []struct {
		profile, plan string
		flags         []string
	}{
		{"calibrated", "llama3-405b-8k.yaml", []string{"--tp", "plan", "--pp", "plan"}},
		{"seed", "g5-research256.yaml", nil},
	} {
		t.Run(c.profile, func(t *testing.T) {
			src, err := os.ReadFile(planFixture(c.plan))
			if err != nil {
				t.Fatal(err)
			}
			if !parLine.Match(src) {
				t.Fatalf("%s has no one-line parallelism block", c.plan)
			}
			args := append([]string{"--profile", c.profile, "optimize", "parallelism", planFixture(c.plan)}, c.flags...)
			var opt struct {
				Best map[string]any `json:"best_parallelism"`
				Top  []struct {
					Config map[string]any `json:"config"`
					Par    orderedJSON    `json:"parallelism"`
					Step   float64        `json:"step_time"`
					MFU    float64        `json:"mfu"`
					Mem    float64        `json:"memory_per_accelerator_gb"`
				} `json:"top_candidates"`
			}
			out := mustRun(t, append(args, "-o", "json")...)
			if err := json.Unmarshal([]byte(out), &opt); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(opt.Top) < 3 {
				t.Fatalf("want ≥ 3 candidates: %s", out)
			}
			text := mustRun(t, args...)
			m := regexp.MustCompile(`(?m)^  in a plan: (parallelism: \{.*\})$`).FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no \"in a plan:\" line:\n%s", text)
			}
			if want := "parallelism: " + opt.Top[0].Par.flow; m[1] != want {
				t.Errorf("text block %q, JSON block %q", m[1], want)
			}
			if c.profile == "calibrated" {
				if opt.Top[0].Config["schedule"] != "interleaved_1f1b" || opt.Best["pipeline_schedule"] != "1f1b" || opt.Best["overlap"] != true {
					t.Errorf("best: config %v, plan block %v; want the interleaved schedule named 1f1b in the block, with the plan's overlap", opt.Top[0].Config, opt.Best)
				}
			}
			for i, cd := range opt.Top[:3] {
				block := "parallelism: " + cd.Par.flow
				if i == 0 {
					block = m[1] // the text line, as printed
				}
				p := writeSpec(t, fmt.Sprintf("cand%d.yaml", i), parLine.ReplaceAllString(string(src), block))
				r := mlsysim(t, "--profile", c.profile, "eval", p, "-o", "json")
				if r.code != exitOK {
					t.Errorf("candidate %d, %s, in the plan: %v", i, block, r)
					continue
				}
				ev := oneObject(t, r.stdout)
				sameNumber(t, fmt.Sprintf("candidate %d step", i), ev["p_step_latency"], cd.Step)
				sameNumber(t, fmt.Sprintf("candidate %d mfu", i), ev["p_mfu"], cd.MFU)
				sameNumber(t, fmt.Sprintf("candidate %d memory", i), ev["f_memory_used_gb"], cd.Mem)
			}
		})
	}
}

// orderedJSON keeps a JSON object's text and writes it back as a YAML flow mapping in
// its key order, numbers and words as they are.
type orderedJSON struct{ flow string }

func (o *orderedJSON) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return err
	}
	var parts []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		v, err := dec.Token()
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%v: %v", k, v))
	}
	o.flow = "{" + strings.Join(parts, ", ") + "}"
	return nil
}

// TestOptimizeServingAnswerIsAGrid: optimize serving is a sweep of the serve-deploy
// study; each configuration it prints (best, best_aggregated, best_disaggregated) names
// the study's inputs in the study's words — hardware, precision, kv_precision, tp, pp,
// ep, mode, prefill_tp, batch_size — so written into a serve-deploy grid with the
// command's model, rate, targets and lengths, the sweep accepts every value and gives
// the same fleet, latencies and price bit for bit.
func TestOptimizeServingAnswerIsAGrid(t *testing.T) {
	out := mustRun(t, "optimize", "serving", "Llama3_8B", "--qps", "4", "--ttft-ms", "500", "--itl-ms", "50",
		"--hardware", "H100,MI300X", "--precision", "fp8,int4", "--kv-precision", "fp16,fp8", "--max-batch", "32", "-o", "json")
	obj := oneObject(t, out)
	inputs := []string{"hardware", "precision", "kv_precision", "tp", "pp", "ep", "mode", "prefill_tp", "batch_size"}
	for _, which := range []string{"best", "best_aggregated", "best_disaggregated"} {
		cfg, ok := obj[which].(map[string]any)
		if !ok {
			t.Fatalf("%s missing: %s", which, out)
		}
		src := "version: 1\nname: rt\nstudy: serve-deploy\nfixed:\n  qps: 4\n  target_ttft_ms: 500\n  target_itl_ms: 50\n  input_tokens: 1024\n  output_tokens: 256\naxes:\n  model: [Llama3_8B]\n"
		for _, k := range inputs {
			src += fmt.Sprintf("  %s: [%v]\n", k, cfg[k])
		}
		r := mlsysim(t, "sweep", writeGrid(t, src), "--out", "-", "--format", "jsonl")
		if r.code != exitOK {
			t.Errorf("%s as a grid:\n%s\n%v", which, src, r)
			continue
		}
		rows := jsonLines(t, r.stdout)
		if len(rows) != 1 || rows[0]["feasible"] != true {
			t.Fatalf("%s as a grid: %v", which, rows)
		}
		for _, k := range []string{"ttft_ms", "itl_ms", "replicas", "prefill_instances", "accelerators", "tokens_per_s_per_accelerator", "usd_per_million_tokens", "joules_per_token"} {
			sameNumber(t, which+" "+k, rows[0][k], cfg[k].(float64))
		}
	}
}

// TestUnitCostPerAccelerator: unit_cost is the price of the catalog entry — one chip, or a
// whole packaged system (accelerator_count n) — and the serving studies price each of the
// n accelerators at unit_cost / n, drawing power_w each, so $/M tokens is the system's
// hourly cost over its tokens. By hand, from serve's own draw and throughput:
//
//	USD/h per accelerator = unit · (1/3 y + 0.05) / 8760 h + power_w/1000 · PUE 1.12 (US_Avg) · 0.12 USD/kWh
//	USD/M tokens          = accelerators · USD/h / (accelerators · tokens/s per accelerator · 3600) · 1e6
//
// H100 (unit_cost 30,000 USD, cloud.yaml) and an eight-H100 box entered as one system at
// 8 × 30,000 = 240,000 USD: both price an accelerator-hour of capital at 30,000 USD's
// (1/3 + 0.05)/8760 = 1.3128 USD. Pricing the box's accelerators at the system's price
// would give 8× that: 0.83 instead of 0.107 USD per million tokens.
func TestUnitCostPerAccelerator(t *testing.T) {
	path := filepath.Join(t.TempDir(), "box.yaml")
	box := "key: Box8\nname: Eight H100 as one system\npeak: 7912 TFLOP/s\naccelerator_count: 8\n" +
		"memory: {capacity: 640 GiB, bandwidth: 26.8 TB/s}\ntdp: 5600 W\nunit_cost: 240000 USD\n" +
		"source: {kind: estimate, ref: \"a test's system\"}\nfield_sources:\n  unit_cost: {kind: estimate, ref: \"a test's price, undated\"}\n"
	if err := os.WriteFile(path, []byte(box), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hw         string
		perAccUSD  float64 // the unit cost of one accelerator, by hand
		wantAccels float64
	}{{"H100", 30000, 1}, {"Box8", 240000.0 / 8, 8}} {
		r := mlsysim(t, "--catalog", path, "serve", "Llama3_8B", c.hw, "-b", "64", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("serve on %s: %v", c.hw, r)
		}
		o := oneObject(t, r.stdout)
		acc, per, pw := o["accelerators"].(float64), o["tokens_per_s_per_accelerator"].(float64), o["power_w"].(float64)
		hour := c.perAccUSD*(1.0/3+0.05)/8760 + pw/1000*1.12*0.12
		want := acc * hour / (acc * per * 3600) * 1e6
		if got := o["usd_per_million_tokens"].(float64); acc != c.wantAccels || math.Abs(got-want) > 1e-12*want {
			t.Errorf("%s: %v accelerators, %v USD per million tokens; by hand %v (accelerators %v)", c.hw, acc, got, want, c.wantAccels)
		}
	}
}

// TestPlanChoicesAnyCase: a plan's named choices are read in any case, as a grid's values
// and the flags read them, and checked as such. "pipeline_schedule: DualPipe" skipped the
// plan's dualpipe checks and "attention_kernel: Flash1" its check for a measured
// FlashAttention-1 rate: both ran to an infeasible scorecard with exit 0 (the Flash1 one
// with a step time and a memory line that fits under its FAIL), where the lower-case
// spellings were refused naming the key and the fix. Now each spelling gets the same answer.
func TestPlanChoicesAnyCase(t *testing.T) {
	plan := func(par string) string {
		return writePlanText(t, "version: \"1.0\"\nname: case\nworkload: {name: Llama3_8B, batch_size: 256, seq_len: 2048}\n"+
			"hardware: {name: H100, accelerators: 16, accelerators_per_node: 8, precision: bf16}\nparallelism: {"+par+"}\n")
	}
	for _, c := range []struct{ upper, lower, want string }{
		{"tp: 8, pp: 2, dp: auto, pipeline_schedule: DualPipe", "tp: 8, pp: 2, dp: auto, pipeline_schedule: dualpipe", "dualpipe needs an even number of microbatches"},
		{"tp: 8, dp: auto, microbatches: 16, zero_stage: 1, activation_checkpointing: full, attention_kernel: Flash1",
			"tp: 8, dp: auto, microbatches: 16, zero_stage: 1, activation_checkpointing: full, attention_kernel: flash1", "attention_kernel flash1: H100 has no measured FlashAttention-1 rate"},
	} {
		badRun(t, exitBadInput, []string{c.want}, "eval", plan(c.lower))
		badRun(t, exitBadInput, []string{c.want}, "eval", plan(c.upper))
	}
	par := "tp: 8, dp: auto, microbatches: 16, zero_stage: 1, activation_checkpointing: %s, attention_kernel: %s"
	a := mustRun(t, "eval", plan(fmt.Sprintf(par, "Full", "Flash2")), "-o", "json")
	b := mustRun(t, "eval", plan(fmt.Sprintf(par, "full", "flash2")), "-o", "json")
	if a != b {
		t.Errorf("Full/Flash2 and full/flash2 differ:\n%s\n%s", a, b)
	}
}

// TestFolderArguments: a folder where a file or a name is wanted says so. A Hugging Face
// model folder given as MODEL (eval, serve, optimize serving, audit -w) was "unknown model
// <path>" with the catalog's hint; now it names the config.json to give. validate --cases
// with a missing path or a file said "no validation cases (*.yaml)", as an empty folder does.
func TestFolderArguments(t *testing.T) {
	dir := t.TempDir()
	hf := filepath.Join(dir, "llama")
	if err := os.Mkdir(hf, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(hf, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,"vocab_size":128256}`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := hf + " is a folder; for the Hugging Face model in it give its config.json: " + cfg
	badRun(t, exitBadInput, []string{"MODEL: " + want}, "eval", hf, "H100")
	badRun(t, exitBadInput, []string{"MODEL: " + want}, "serve", hf, "H100")
	badRun(t, exitBadInput, []string{"MODEL: " + want}, "optimize", "serving", hf, "--qps", "1", "--ttft-ms", "500", "--itl-ms", "50")
	badRun(t, exitBadInput, []string{"--workload: " + want}, "audit", "-w", hf)
	badRun(t, exitBadInput, []string{"HARDWARE: " + dir + " is a folder; give a catalog key (mlsysim zoo hardware)"}, "eval", "Llama3_8B", dir)
	if r := mlsysim(t, "eval", cfg, "H100"); r.code != exitOK {
		t.Errorf("the config.json itself: %v", r)
	}
	badRun(t, exitBadInput, []string{"--cases: " + filepath.Join(dir, "none") + ": no such folder"}, "validate", "--cases", filepath.Join(dir, "none"))
	badRun(t, exitBadInput, []string{"--cases: " + cfg + " is a file, not a folder"}, "validate", "--cases", cfg)
	badRun(t, exitBadInput, []string{"--cases: " + hf + ": no validation cases (*.yaml)"}, "validate", "--cases", hf)
}

// TestBoolFlagSpellings: a boolean flag takes what a grid and a plan take — true or false
// (True, TRUE, False, FALSE), or no value for true. "--training=1", "=t" and "=F" were read
// through strconv.ParseBool, while "training: [1]" in a grid and "overlap: 1" in a plan
// are refused; "--training=yes" was a bare "parse error". Now the flag is refused as the
// grid value is, in the same words.
func TestBoolFlagSpellings(t *testing.T) {
	for _, v := range []string{"1", "0", "t", "F", "yes", "on"} {
		badRun(t, exitBadInput, []string{"flag -training", `want true or false, got "` + v + `" (yes/no, on/off, y/n and 1/0 are not booleans here)`},
			"eval", "Llama3_8B", "H100", "--training="+v)
	}
	head := "version: 1\nname: b\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"
	badRun(t, exitBadInput, []string{`training: want true or false, got "1" (yes/no, on/off, y/n and 1/0 are not booleans here)`},
		"sweep", writeGrid(t, head+"  training: [1]\n"), "--dry-run")
	train := mustRun(t, "eval", "Llama3_8B", "H100", "--training", "-o", "json")
	for _, v := range []string{"true", "True", "TRUE"} {
		if got := mustRun(t, "eval", "Llama3_8B", "H100", "--training="+v, "-o", "json"); got != train {
			t.Errorf("--training=%s differs from --training", v)
		}
	}
	infer := mustRun(t, "eval", "Llama3_8B", "H100", "-o", "json")
	if got := mustRun(t, "eval", "Llama3_8B", "H100", "--training=FALSE", "-o", "json"); got != infer || got == train {
		t.Errorf("--training=FALSE is not inference")
	}
}

// TestQueryNumbersDecimal: a query parameter, find's value and a figure's --where read a
// number as written in decimal. strconv.ParseFloat also reads digit separators and Go's
// hexadecimal floats: "find value=6_4" found batch 64, "value=0x0p0" matched efficiency 0
// and "plot --where batch_size=6_4" drew batch 64's points, with exit 0, where every flag
// and grid refuses those spellings. 64 and 0 still match.
func TestQueryNumbersDecimal(t *testing.T) {
	res := filepath.Join(t.TempDir(), "r")
	grid := writeGrid(t, "version: 1\nname: q\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n  batch_size: [1, 8, 64]\n")
	mustRun(t, "sweep", grid, "--out", res)
	badRun(t, exitBadInput, []string{`column batch_size holds whole numbers (BIGINT); got "6_4"`}, "query", "find", res, "--param", "column=batch_size", "--param", "value=6_4")
	badRun(t, exitBadInput, []string{`column efficiency holds numbers (DOUBLE); got "0x0p0"`}, "query", "find", res, "--param", "column=efficiency", "--param", "value=0x0p0")
	badRun(t, exitBadInput, []string{`parameter max: want a finite number > 0, got "1_0"`}, "query", "batching", res, "--param", "max=1_0")
	badRun(t, exitBadInput, []string{`--where: batch_size=6_4: batch_size is numeric; "6_4" is not a finite number`},
		"plot", "scatter", res, "-x", "batch_size", "-y", "itl_ms", "--where", "batch_size=6_4", "--out", filepath.Join(t.TempDir(), "f.svg"))
	if r := mlsysim(t, "query", "find", res, "--param", "column=batch_size", "--param", "value=64"); r.code != exitOK || !strings.HasPrefix(r.stdout, "find (2 rows)") {
		t.Errorf("value=64: %v", r)
	}
	if r := mlsysim(t, "query", "find", res, "--param", "column=efficiency", "--param", "value=0"); r.code != exitOK || !strings.HasPrefix(r.stdout, "find (6 rows)") {
		t.Errorf("value=0: %v", r)
	}
}

// TestEmptyListItems: optimize serving dropped an empty item of --hardware, --precision or
// --kv-precision ("H100,,A100", or "H100,$GPU" with GPU unset, searched H100 and A100 with
// exit 0), where every other list flag refuses one; optimize placement's --regions said
// 'unknown grid region ""'. Both now name the flag and the list.
func TestEmptyListItems(t *testing.T) {
	for _, c := range [][]string{{"--hardware", "H100,,A100"}, {"--hardware", "H100,"}, {"--precision", "fp8,"}, {"--kv-precision", ",fp8"}} {
		badRun(t, exitBadInput, []string{c[0] + `: "` + c[1] + `" has an empty item`},
			"optimize", "serving", "Llama3_8B", "--qps", "4", "--ttft-ms", "500", "--itl-ms", "50", c[0], c[1])
	}
	badRun(t, exitBadInput, []string{`--regions: "US_Avg," has an empty item`}, "--profile", "seed", "optimize", "placement", planFixture("placement-research256.yaml"), "--regions", "US_Avg,")
}
