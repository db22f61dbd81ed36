package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// End-to-end tests of `mlsysim eval PLAN.yaml` (docs/PLAN.md) on the fixtures in
// testdata/plans: goldens through plans, the seed README's plan, the node and
// fleet lenses, and one bad file per way a plan can be wrong.

func planFixture(name string) string { return filepath.Join("..", "..", "testdata", "plans", name) }

// TestPlanG5 runs golden G5 (physics.md §13.1) through plans: the catalog's
// Research_256 and the same fleet described by counts.
func TestPlanG5(t *testing.T) {
	for _, file := range []string{"g5-research256.yaml", "g5-nodes.yaml", "g5-accelerators.yaml"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, "--profile", "seed", "eval", planFixture(file), "-o", "json") // G5 is the seed's Profile B
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("want exit 0 and no stderr\n%v", r)
			}
			obj := oneObject(t, r.stdout)
			near(t, obj, "p_step_latency", 5088.519845717895, tol)
			near(t, obj, "p_comm_overhead", 1077.67958256, tol)
			near(t, obj, "p_scaling_efficiency", 0.6807298792231218, tol)
			near(t, obj, "p_dp_comm", 7.813944444444444, tol)
			near(t, obj, "p_tp_comm", 1069.8656381155556, tol)
			near(t, obj, "p_bubble", 546.9327631578948, tol)
			near(t, obj, "p_fleet_throughput", 6439.59363302376, tol)
			// performance.latency on a fleet is the step, so seed-style asserts work.
			near(t, obj, "p_latency", 5088.519845717895, tol)
			equal(t, obj, "study", "fleet")
			equal(t, obj, "f_status", "PASS")
			equal(t, obj, "p_status", "PASS")
			if _, ok := obj["status"]; ok {
				t.Errorf("status %v on a plan whose asserts pass", obj["status"])
			}
		})
	}
	t.Run("macro", func(t *testing.T) {
		obj := oneObject(t, mlsysim(t, "--profile", "seed", "eval", planFixture("g5-research256.yaml"), "-o", "json").stdout)
		equal(t, obj, "m_status", "PASS")
		hasKeys(t, obj, "m_tco_usd", "m_carbon_footprint", "m_energy_cost", "m_capex", "m_energy_kwh", "m_water_l", "m_pue")
		// TCO = capex + energy + maintenance; maintenance is 5 % a year of the price,
		// which is 0.05 × 3 (the default amortisation years) × the amortised capex.
		capex, energy := obj["m_capex"].(float64), obj["m_energy_cost"].(float64)
		near(t, obj, "m_tco_usd", capex*(1+0.05*3)+energy, tol)
	})
}

// TestPlanIntraNodeBandwidth: intra_node_bw replaces the accelerator's NVLink
// rate per direction (450 GB/s). At the seed plan path's 900 GB/s the TP ring of
// G5 is ring(A, 8, β, 500 ns)·4·32 with A = 128·2048·4096·2 B (physics.md §13.1).
func TestPlanIntraNodeBandwidth(t *testing.T) {
	r := mlsysim(t, "--profile", "seed", "eval", planFixture("g5-nvlink-total.yaml"), "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	ring := func(bytes, n, bw, alpha float64) float64 { return 2*(n-1)/n*bytes/bw + 2*(n-1)*alpha }
	tp := ring(128*2048*4096*2, 8, 900e9, 500e-9) * 4 * 32 * 1e3
	dp := ring(16.06e9/8, 8, 900e9, 500e-9) * 1e3
	near(t, obj, "p_tp_comm", tp, tol)
	near(t, obj, "p_dp_comm", dp, tol)
	near(t, obj, "p_comm_overhead", tp+dp, tol)
}

// TestPlanFabric: with one accelerator per node the DP all-reduce crosses the
// plan's fabric_bandwidth (400 Gbps = 50 GB/s). Seed: the FP16 gradients at α 5 µs,
// 16.06e9 B / 50e9 + 2α. Calibrated: FP32 gradients (4 B × 8.03e9) with NCCL's ring
// latency, 8.4 µs + 2 network steps of 14 µs (docs/PHYSICS.md §35).
func TestPlanFabric(t *testing.T) {
	for profile, want := range map[string]float64{
		"seed":       16.06e9/50e9 + 2*5e-6,
		"calibrated": 4*8.03e9/50e9 + 8.4e-6 + 2*14e-6,
	} {
		r := mlsysim(t, "--profile", profile, "eval", planFixture("fleet-fabric.yaml"), "-o", "json")
		if r.code != exitOK {
			t.Fatalf("%s: %v", profile, r)
		}
		obj := oneObject(t, r.stdout)
		near(t, obj, "p_dp_comm", want*1e3, tol)
		equal(t, obj, "m_status", "PASS")
		equal(t, obj, "m_pue", 1.06) // Quebec's, not the default region's
	}
}

// TestPlanOpsInputs: the ops block's stated grid intensity, PUE, WUE, power and rental
// price replace the region's figures and capex + opex (hand arithmetic in the fixture).
func TestPlanOpsInputs(t *testing.T) {
	for _, profile := range []string{"seed", "calibrated"} {
		r := mlsysim(t, "--profile", profile, "eval", planFixture("fleet-ops-inputs.yaml"), "-o", "json")
		if r.code != exitOK {
			t.Fatalf("%s: %v", profile, r)
		}
		obj := oneObject(t, r.stdout)
		it := 500.0 * 16 * 24 * 10 / 1000 // kWh
		near(t, obj, "m_energy_kwh", it*1.2, tol)
		near(t, obj, "m_carbon_footprint", it*1.2*50/1e6, tol) // t CO2e
		near(t, obj, "m_water_l", it*1.2*0.3, tol)
		near(t, obj, "m_grid_carbon", 50, tol)
		near(t, obj, "m_pue", 1.2, tol)
		near(t, obj, "m_tco_usd", 2.5*16*24*10, tol)
		near(t, obj, "m_capex", 0, tol)
	}
}

// TestPlanSeedReadme: the seed README's plan evaluates (hardware.nodes read as
// 64 accelerators, with a warning) and fails its 50 ms latency assert.
func TestPlanSeedReadme(t *testing.T) {
	file := planFixture("seed-readme.yaml")
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "eval", file)
		if r.code != exitAssert {
			t.Fatalf("exit %d, want %d\n%v", r.code, exitAssert, r)
		}
		for _, w := range []string{"Llama-3 70B training audit", "Level 1: Feasibility", "Level 2: Performance", "Level 3: Macro",
			"performance.step_latency", "macro.tco_usd", "TCO: $", "Quebec", "FAIL: performance.latency", "exceeds max (50)"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("stdout lacks %q\n%s", w, r.stdout)
			}
		}
		for _, w := range []string{"warning:", "seed-readme.yaml:9", "hardware.nodes", "accelerators: 64", "constraint violated"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr lacks %q\n%s", w, r.stderr)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "-o", "json", "eval", file)
		if r.code != exitAssert {
			t.Fatalf("exit %d, want %d\n%v", r.code, exitAssert, r)
		}
		obj := oneObject(t, r.stdout)
		equal(t, obj, "status", "sla_failed")
		equal(t, obj, "scenario", "Llama-3 70B training audit")
		equal(t, obj, "m_status", "PASS")
		// 70B with Adam on each of 64 data-parallel H100s does not fit (the seed said PASS).
		equal(t, obj, "f_status", "FAIL")
		vs, _ := obj["violations"].([]any)
		if len(vs) != 1 || !strings.Contains(vs[0].(string), "performance.latency") || !strings.Contains(vs[0].(string), "exceeds max (50)") {
			t.Errorf("violations %v, want one naming performance.latency and its max", obj["violations"])
		}
		if !strings.Contains(r.stderr, "hardware.nodes") {
			t.Errorf("no legacy-key warning on stderr: %q", r.stderr)
		}
	})
	t.Run("markdown", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "eval", file, "-o", "markdown")
		if r.code != exitAssert || !strings.Contains(r.stdout, "### Constraint violations") || !strings.Contains(r.stdout, "### Macro: PASS") {
			t.Errorf("want exit 3 and a markdown scorecard with violations\n%v", r)
		}
	})
}

// TestPlanSingleAccelerator: one accelerator is the node study with the seed's
// single-node lenses; macro stays SKIPPED even with ops, as in the seed.
func TestPlanSingleAccelerator(t *testing.T) {
	r := mlsysim(t, "-o", "json", "eval", planFixture("single-h100.yaml"))
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("want exit 0 and no stderr\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "study", "node")
	equal(t, obj, "f_status", "PASS")
	equal(t, obj, "p_status", "PASS")
	equal(t, obj, "m_status", "SKIPPED")
	hasKeys(t, obj, "f_memory_used_gb", "f_memory_capacity_gb", "f_memory_utilization", "p_latency", "p_throughput", "p_mfu")
	for k := range obj {
		if strings.HasPrefix(k, "m_") && k != "m_status" || k == "p_step_latency" {
			t.Errorf("unexpected key %s on a one-accelerator plan", k)
		}
	}
	// The same point as the quick path.
	quick := oneObject(t, mlsysim(t, "eval", "Llama3_8B", "H100", "-b", "8", "-o", "json").stdout)
	for _, k := range []string{"p_latency", "p_throughput", "p_mfu", "f_memory_used_gb"} {
		near(t, obj, k, quick[k].(float64), tol)
	}

	t.Run("text", func(t *testing.T) {
		r := mlsysim(t, "eval", planFixture("single-h100.yaml"))
		if r.code != exitOK || !strings.Contains(r.stdout, "[SKIPPED]") || !strings.Contains(r.stdout, "performance.latency") {
			t.Errorf("want exit 0 and a scorecard with macro SKIPPED\n%v", r)
		}
	})
	t.Run("fleet metric", func(t *testing.T) {
		r := mlsysim(t, "-o", "json", "eval", planFixture("single-step-latency-assert.yaml"))
		if r.code != exitAssert {
			t.Fatalf("exit %d, want %d\n%v", r.code, exitAssert, r)
		}
		obj := oneObject(t, r.stdout)
		equal(t, obj, "status", "sla_failed")
		vs, _ := obj["violations"].([]any)
		if len(vs) != 1 {
			t.Fatalf("violations %v, want one", obj["violations"])
		}
		v := vs[0].(string)
		for _, w := range []string{"performance.step_latency is not available", "did you mean performance.latency",
			"available: feasibility.activation_memory_gb, feasibility.memory_capacity_gb, feasibility.memory_used_gb, feasibility.memory_utilization", "performance.throughput"} {
			if !strings.Contains(v, w) {
				t.Errorf("violation lacks %q: %s", w, v)
			}
		}
		if strings.Contains(v, "macro.") {
			t.Errorf("a SKIPPED macro lens has no metrics to offer: %s", v)
		}
	})
}

// TestPlanCNNMemory: a one-accelerator plan's memory counts a CNN's live feature maps
// (docs/PHYSICS.md §37): ResNet-50 at batch 4096 holds ≈ 21 GB of them, more than a
// T4's 17.2 GB, so the memory assertion fails (exit 3) where weights alone (0.05 GB)
// passed; a model without a layer list says its footprint leaves activations out.
func TestPlanCNNMemory(t *testing.T) {
	dir := t.TempDir()
	plan := func(model string, batch int) cliResult {
		f := filepath.Join(dir, fmt.Sprintf("%s-%d.yaml", model, batch))
		src := fmt.Sprintf("version: \"1.0\"\nname: %s on a T4\nworkload: {name: %s, batch_size: %d}\nhardware: {name: T4, precision: fp16}\n"+
			"constraints:\n  assert:\n    - {metric: feasibility.memory_utilization, max: 1}\n", model, model, batch)
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return mlsysim(t, "-o", "json", "eval", f)
	}
	r := plan("ResNet50", 4096)
	if r.code != exitAssert {
		t.Fatalf("exit %d, want %d\n%v", r.code, exitAssert, r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "f_status", "FAIL")
	if act := obj["f_activation_memory_gb"].(float64); !(act > 17.2) {
		t.Errorf("f_activation_memory_gb %g, want above the T4's 17.2 GB", act)
	}
	r = mlsysim(t, "eval", filepath.Join(dir, "ResNet50-4096.yaml"))
	if !strings.Contains(r.stdout, "GB used") || strings.Contains(r.stdout, "not counted") {
		t.Errorf("ResNet-50 counts its feature maps; the summary should not say otherwise\n%v", r)
	}
	plan("EfficientNetB0", 4096)
	r = mlsysim(t, "eval", filepath.Join(dir, "EfficientNetB0-4096.yaml"))
	if r.code != exitOK || !strings.Contains(r.stdout, "activations not counted: no_layer_list; a lower bound") {
		t.Errorf("want exit 0 and a summary saying the activations are not counted\n%v", r)
	}
}

// TestPlanEnergyWithoutTDP: the catalog states no TDP for Graphcore_GC200 (so the node
// study writes energy_j = 0); an energy assert must not pass on that 0 but fail as
// unavailable (exit 3), and the scorecard must not list 0 J. On the H100 (700 W) the
// same assert is checked against a positive energy.
func TestPlanEnergyWithoutTDP(t *testing.T) {
	dir := t.TempDir()
	plan := func(hw string) string {
		f := filepath.Join(dir, hw+".yaml")
		src := fmt.Sprintf("version: \"1.0\"\nname: ResNet50 on %s\nworkload: {name: ResNet50, batch_size: 8}\nhardware: {name: %s, precision: fp16}\n"+
			"constraints:\n  assert:\n    - {metric: performance.energy_j, max: 1000}\n", hw, hw)
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	r := mlsysim(t, "eval", plan("Graphcore_GC200"))
	if r.code != exitAssert || !strings.Contains(r.stderr, "performance.energy_j is not available") {
		t.Errorf("want exit %d naming performance.energy_j unavailable\n%v", exitAssert, r)
	}
	if !strings.Contains(r.stdout, "energy unknown (Graphcore_GC200 states no TDP)") || strings.Contains(r.stdout, " 0 J") {
		t.Errorf("scorecard should say the energy is unknown and list no energy_j\n%v", r)
	}
	r = mlsysim(t, "-o", "json", "eval", plan("H100"))
	if r.code != exitOK {
		t.Fatalf("H100: want exit 0\n%v", r)
	}
	if e, _ := oneObject(t, r.stdout)["p_energy_j"].(float64); !(e > 0) {
		t.Errorf("H100 p_energy_j %g, want > 0", e)
	}
}

// TestPlanRegion: ops.region is honoured (the seed ignored it).
func TestPlanRegion(t *testing.T) {
	dir := t.TempDir()
	macro := func(region string) map[string]any {
		f := filepath.Join(dir, region+".yaml")
		src := "version: \"1.0\"\nname: " + region + "\nworkload: {name: Llama3_8B, batch_size: 64}\n" +
			"hardware: {name: H100, accelerators: 16}\nops: {region: " + region + ", duration_days: 7}\n"
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mlsysim(t, "-o", "json", "eval", f)
		if r.code != exitOK {
			t.Fatalf("%v", r)
		}
		return oneObject(t, r.stdout)
	}
	us, qc := macro("US_Avg"), macro("Quebec")
	if c1, c2 := us["m_carbon_footprint"].(float64), qc["m_carbon_footprint"].(float64); !(c2 < c1/10) {
		t.Errorf("carbon US_Avg %g t, Quebec %g t: the hydro grid should be over 10× cleaner", c1, c2)
	}
	if us["m_pue"] == qc["m_pue"] {
		t.Errorf("the same PUE (%v) in both regions", us["m_pue"])
	}
}

// TestPlanCarbonTax: the carbon tax should show on the scorecard.
func TestPlanCarbonTax(t *testing.T) {
	dir := t.TempDir()
	eval := func(tax string) map[string]any {
		f := filepath.Join(dir, "tax"+tax+".yaml")
		src := "version: \"1.0\"\nname: tax\nworkload: {name: Llama3_8B, batch_size: 64}\n" +
			"hardware: {name: H100, accelerators: 16}\nops: {region: US_Avg, carbon_tax_usd_per_t: " + tax + "}\n"
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return oneObject(t, mlsysim(t, "-o", "json", "eval", f).stdout)
	}
	none, taxed := eval("0"), eval("500")
	differs := false
	for k, v := range taxed {
		if strings.HasPrefix(k, "m_") && none[k] != v {
			differs = true
		}
	}
	if !differs {
		t.Errorf("a $500/t carbon tax changes no macro metric")
	}
}

// TestBadPlans: each bad_*.yaml fails with exit 1 and says where and what.
func TestBadPlans(t *testing.T) {
	cases := map[string]struct {
		line int      // 0: the file has no line to point at
		want []string // substrings of the message besides the file name
	}{
		"bad_unknown_top_key.yaml":         {6, []string{"optimiser"}},
		"bad_split_not_dividing.yaml":      {7, []string{"does not divide the 24 accelerators"}},
		"bad_unknown_workload_key.yaml":    {6, []string{"seqlen"}},
		"bad_unknown_hardware_key.yaml":    {7, []string{"gpus"}},
		"bad_unknown_parallelism_key.yaml": {8, []string{"dp_size"}},
		"bad_unknown_ops_key.yaml":         {7, []string{"regoin"}},
		"bad_unknown_constraints_key.yaml": {7, []string{"asserts"}},
		"bad_unknown_assert_key.yaml":      {9, []string{"maximum"}},
		"bad_file_key.yaml":                {4, []string{"file"}},
		"bad_missing_version.yaml":         {1, []string{"missing version"}},
		"bad_missing_name.yaml":            {1, []string{"missing name"}},
		"bad_missing_workload_name.yaml":   {4, []string{"workload.name"}},
		"bad_unknown_model.yaml":           {5, []string{`"Llama3_8b"`, "did you mean Llama3_8B", "zoo models"}},
		"bad_unknown_hardware.yaml":        {6, []string{"hardware.name", `"H1000"`, "did you mean H100", "zoo hardware"}},
		"bad_name_and_cluster.yaml":        {7, []string{"hardware.name or hardware.cluster"}},
		"bad_no_hardware_name.yaml":        {5, []string{"name", "cluster"}},
		"bad_unknown_cluster.yaml":         {6, []string{"hardware.cluster", `"Research_265"`, "did you mean Research_256"}},
		"bad_node_count_alone.yaml":        {7, []string{"hardware.node_count requires hardware.accelerators_per_node"}},
		"bad_node_count_mismatch.yaml":     {8, []string{"= 32", "accelerators = 64"}},
		"bad_not_divisible.yaml":           {5, []string{"12 accelerators", "nodes of 8"}},
		"bad_accelerators_zero.yaml":       {7, []string{"hardware.accelerators", "≥ 1", "got 0"}},
		"bad_nodes_and_accelerators.yaml":  {8, []string{"hardware.accelerators", "hardware.nodes", "not both"}},
		"bad_fabric_no_unit.yaml":          {8, []string{"hardware.fabric_bandwidth", `"50"`, "GB/s"}},
		"bad_fabric_flops.yaml":            {8, []string{"hardware.fabric_bandwidth", `"TFLOP/s"`, "not a bandwidth unit"}},
		"bad_intra_node_bw.yaml":           {8, []string{"hardware.intra_node_bw", `"GB"`, "not a bandwidth unit"}},
		"bad_intra_node_negative.yaml":     {9, []string{"intra_node_bw", "-450"}},
		"bad_precision.yaml":               {7, []string{`"fp6"`, "fp32, tf32, fp16, bf16, fp8, int8, int4"}},
		"bad_efficiency_zero.yaml":         {7, []string{"efficiency = 0", "[1e-06, 1]"}},
		"bad_efficiency_high.yaml":         {8, []string{"efficiency = 1.5", "≤ 1"}},
		"bad_batch_zero.yaml":              {6, []string{"batch_size = 0", "≥ 1"}},
		"bad_dp_mismatch.yaml":             {8, []string{`dp "4"`, "64 accelerators", "dp 8"}},
		"bad_dp_word.yaml":                 {8, []string{`dp "automatic"`, "auto"}},
		"bad_layers_pp.yaml":               {8, []string{"32 layers", "pp 8 × virtual_stages 3", "equal chunks"}},
		"bad_heads_tp.yaml":                {7, []string{"tp 3", "32 attention heads"}},
		"bad_ep_dp.yaml":                   {8, []string{"ep 16", "dp = 8", "8 experts"}},
		"bad_batch_microbatches.yaml":      {4, []string{"batch_size 100", "dp 8 × microbatches 4 = 32"}},
		"bad_seq_cp.yaml":                  {4, []string{"seq_len 1000", "cp 3"}},
		"bad_dp_shard.yaml":                {10, []string{"dp_shard 3 must divide dp = 8", "1, 2, 4, 8"}},
		"bad_ops_power_zero.yaml":          {8, []string{"ops.power_per_accelerator_w", "> 0", "got 0"}},
		"bad_parallelism_single.yaml":      {6, []string{"parallelism", "more than one accelerator"}},
		"bad_assert_no_metric.yaml":        {9, []string{"assert", "needs a metric"}},
		"bad_assert_no_bound.yaml":         {8, []string{"performance.latency", "min, max"}},
		"bad_unknown_region.yaml":          {7, []string{`"Quebeck"`, "did you mean Quebec", "zoo regions"}},
		"bad_cluster_with_counts.yaml":     {7, []string{"hardware.accelerators", "cluster"}},
		"bad_ops_one_accelerator.yaml":     {7, []string{`"Quebeck"`}},
		"bad_yaml_syntax.yaml":             {4, []string{"did not find expected"}},
		"bad_not_mapping.yaml":             {0, []string{"mapping"}},
		"bad_fp8_no_rate.yaml":             {9, []string{"hardware.fp8_recipe current", "A100 has no measured FP8 matmul rate", "H100"}},
		"bad_fp8_precision.yaml":           {9, []string{"hardware.fp8_recipe delayed beside hardware.precision fp8", "bf16"}},
		"bad_fp8_single.yaml":              {7, []string{"hardware.fp8_recipe applies to a training step", "--fp8-recipe current"}},
		"bad_bf16_v100.yaml":               {8, []string{"hardware.precision", "V100 has no bf16 arithmetic", "precisions it supports: fp32, fp16"}},
	}
	files, _ := filepath.Glob(planFixture("bad_*.yaml"))
	if len(files) < 20 {
		t.Fatalf("%d bad plan fixtures, want at least 20", len(files))
	}
	for _, f := range files {
		if _, ok := cases[filepath.Base(f)]; !ok {
			t.Errorf("%s has no case in TestBadPlans", f)
		}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := planFixture(name)
			if _, err := os.Stat(file); err != nil {
				t.Fatal(err)
			}
			r := mlsysim(t, "eval", file)
			if r.code != exitBadInput {
				t.Fatalf("exit %d, want %d\n%v", r.code, exitBadInput, r)
			}
			if r.stdout != "" || !strings.HasPrefix(r.stderr, "mlsysim: bad input: ") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("want empty stdout and one `mlsysim: bad input: …` line on stderr\n%v", r)
			}
			where := name + ":"
			if tc.line > 0 {
				where = name + ":" + strconv.Itoa(tc.line) + ":"
			}
			for _, w := range append([]string{where}, tc.want...) {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q: %s", w, r.stderr)
				}
			}
			if m := regexp.MustCompile(regexp.QuoteMeta(name)+`:(\d+):`).FindAllString(r.stderr, -1); len(m) > 1 {
				t.Errorf("the message names the place %d times: %s", len(m), r.stderr)
			}
			j := mlsysim(t, "-o", "json", "eval", file)
			obj := oneObject(t, j.stdout)
			equal(t, obj, "status", "error")
			if reason, _ := obj["reason"].(string); j.code != exitBadInput || !strings.Contains(reason, where) {
				t.Errorf("json: exit %d, reason %q; want exit 1 naming %s", j.code, reason, where)
			}
		})
	}
}

// TestBadPlanUnknownKeyMessage: an unknown key should list the valid ones.
func TestBadPlanUnknownKeyMessage(t *testing.T) {
	r := mlsysim(t, "eval", planFixture("bad_unknown_hardware_key.yaml"))
	ok := !strings.Contains(r.stderr, "sweep.") && strings.Contains(r.stderr, "accelerators_per_node")
	if !ok {
		t.Errorf("the message should list the valid keys and name no Go type: %s", strings.TrimSpace(r.stderr))
	}
}

// TestPlanExamplesEvaluate: every fixture that is not bad_ evaluates (exit 0, or
// 3 when it means to fail an assert) in each output format.
func TestPlanExamplesEvaluate(t *testing.T) {
	files, _ := filepath.Glob(planFixture("*.yaml"))
	failing := []string{"seed-readme.yaml", "single-step-latency-assert.yaml"}
	// Plans that state the seed's efficiency on an accelerator with a measured matmul
	// rate, or an optimize batching plan's seq_len: keys only the seed profile reads.
	seedOnly := []string{"g5-research256.yaml", "g5-nodes.yaml", "g5-accelerators.yaml", "g5-nvlink-total.yaml", "placement-research256.yaml", "batching-h100.yaml"}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "bad_") {
			continue
		}
		want := exitOK
		if slices.Contains(failing, name) {
			want = exitAssert
		}
		for _, format := range []string{"text", "json", "markdown"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				t.Parallel()
				profile := "calibrated"
				if slices.Contains(seedOnly, name) {
					profile = "seed"
				}
				r := mlsysim(t, "--profile", profile, "-o", format, "eval", f)
				if r.code != want && !(name == "infeasible-tp.yaml" && r.code != exitBadInput) {
					t.Errorf("exit %d, want %d\n%v", r.code, want, r)
				}
				if format == "json" {
					oneObject(t, r.stdout)
				}
			})
		}
	}
}

// TestPlanAssertMetricNames: an assertion on a metric no plan produces is bad input at its
// line with the closest name (it failed as "not available" with exit 3, as if the plan had
// missed a target); a metric other plans produce still fails as unavailable (exit 3); every
// name in the schema's enum, context_utilization included, is accepted.
func TestPlanAssertMetricNames(t *testing.T) {
	const plan = "version: \"1.0\"\nname: p\nworkload: {name: Llama3_8B, batch_size: 1}\nhardware: {name: H100, precision: fp16}\nconstraints:\n  assert:\n    - {metric: performance.mfu, max: 1}\n    - {metric: %s, max: 1e30}\n"
	names := planMetricNames()
	cases := []struct {
		metric string
		code   int
		want   string
	}{
		{"performance.latncy", exitBadInput, "p.yaml:8: assert: unknown metric \"performance.latncy\" (did you mean performance.latency?)"},
		{"Performance.Latency", exitBadInput, "did you mean performance.latency?"},
		{"performance", exitBadInput, "unknown metric \"performance\""},
		{"performance.step_latency", exitAssert, "performance.step_latency is not available for this plan"},
		{"macro.tco_usd", exitAssert, "macro.tco_usd is not available for this plan"},
		{"performance.latency", exitOK, ""},
	}
	for _, n := range []string{"feasibility.context_utilization", "macro.tco_usd", "performance.step_latency", "performance.energy_j"} {
		if !slices.Contains(names, n) {
			t.Errorf("planMetricNames lacks %s: %v", n, names)
		}
	}
	for _, c := range cases {
		t.Run(c.metric, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.yaml")
			if err := os.WriteFile(path, []byte(fmt.Sprintf(plan, c.metric)), 0o644); err != nil {
				t.Fatal(err)
			}
			r := mlsysim(t, "eval", path)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %d naming %q\n%v", r.code, c.code, c.want, r)
			}
		})
	}
	var schema struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	r := mlsysim(t, "schema", "plan")
	if err := json.Unmarshal([]byte(r.stdout), &schema); err != nil {
		t.Fatalf("schema plan: %v\n%v", err, r)
	}
	found := false
	for _, d := range schema.Defs {
		if e := d.Properties["metric"].Enum; e != nil {
			found = true
			if !slices.Equal(e, names) {
				t.Errorf("schema's metric enum %v, want the metrics plans produce %v", e, names)
			}
		}
	}
	if !found {
		t.Errorf("schema plan has no metric enum:\n%s", r.stdout)
	}
}
