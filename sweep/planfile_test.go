package sweep

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// Library-level tests of plan files (docs/PLAN.md). The CLI side, with every
// bad fixture, is cmd/mlsysim/plan_test.go.

var planCatalog = sync.OnceValue(catalog.MustDefault)

func parsePlan(t testing.TB, src string) *PlanFile {
	t.Helper()
	pf, err := ParsePlanFile("plan.yaml", []byte(src))
	if err != nil {
		t.Fatalf("ParsePlanFile: %v", err)
	}
	return pf
}

// resolvePlan resolves a plan and returns its study, its axes by name and the
// warnings it gave.
func resolvePlan(t testing.TB, src string) (string, map[string]string, *catalog.Catalog, []string) {
	t.Helper()
	var warns []string
	study, axes, cat, err := parsePlan(t, src).Resolve(planCatalog(), func(m string) { warns = append(warns, m) })
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	vals := map[string]string{}
	for _, a := range axes {
		if len(a.Values) != 1 {
			t.Fatalf("axis %s has %d values; a plan is one point", a.Name, len(a.Values))
		}
		if _, dup := vals[a.Name]; dup {
			t.Fatalf("axis %s given twice", a.Name)
		}
		vals[a.Name] = a.Values[0].Text
	}
	return study, vals, cat, warns
}

// evalPlanFile evaluates a plan file as eval does: one point of its study.
func evalPlanFile(t testing.TB, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := ParsePlanFile(file, b)
	if err != nil {
		t.Fatal(err)
	}
	study, axes, cat, err := pf.Resolve(planCatalog(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	st, err := StudyByName(study)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cat, st, axes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetProfile("seed"); err != nil { // the goldens are the seed's Profile B
		t.Fatal(err)
	}
	row, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func nearRel(t *testing.T, row map[string]any, key string, want, rel float64) {
	t.Helper()
	got, ok := row[key].(float64)
	if !ok {
		t.Errorf("%s = %#v, want a number", key, row[key])
		return
	}
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.17g, want %.17g (rel %g)", key, got, want, rel)
	}
}

// TestPlanG5 runs golden G5 (physics.md §13.1) through a plan file.
func TestPlanG5(t *testing.T) {
	row := evalPlanFile(t, filepath.Join("..", "testdata", "plans", "g5-research256.yaml"))
	for _, g := range []struct {
		key  string
		want float64
	}{
		{"step_latency_ms", 5088.519845717895},
		{"comm_ms", 1077.67958256},
		{"dp_comm_ms", 7.813944444444444},
		{"tp_comm_ms", 1069.8656381155556},
		{"bubble_ms", 546.9327631578948},
		{"fleet_throughput_per_s", 6439.59363302376},
		{"scaling_efficiency", 0.6807298792231218},
		{"bubble_fraction", 0.15789473684210525},
		{"dp", 8},
	} {
		nearRel(t, row, g.key, g.want, 1e-9)
	}
	if row["feasible"] != true {
		t.Errorf("G5 is feasible (74.7 GB of 85.9 GB per H100), got %v (%v)", row["feasible"], row["infeasible_reason"])
	}
}

func TestPlanResolveNode(t *testing.T) {
	study, ax, cat, warns := resolvePlan(t, `version: "1.0"
name: one accelerator
workload: {name: Llama3_8B}
hardware: {name: H100}
ops: {region: Quebec, duration_days: 7}
`)
	if study != "node" {
		t.Fatalf("study %s, want node", study)
	}
	want := map[string]string{"model": "Llama3_8B", "hardware": "H100", "precision": "fp16", "efficiency": "0.5",
		"batch_size": "1", "seq_len": "2048"}
	for k, v := range want {
		if ax[k] != v {
			t.Errorf("%s = %q, want the seed's default %q", k, ax[k], v)
		}
	}
	// The seed computes no macro lens for one accelerator, so ops adds no axes.
	for _, k := range []string{"region", "duration_days", "cluster", "tp"} {
		if _, ok := ax[k]; ok {
			t.Errorf("a one-accelerator plan has axis %s", k)
		}
	}
	if cat != planCatalog() || len(warns) != 0 {
		t.Errorf("a node plan adds nothing to the catalog (got a clone: %v) and warns nothing (%q)", cat != planCatalog(), warns)
	}
	// accelerators: 1 is the same as no count.
	study, _, _, _ = resolvePlan(t, `{version: "1.0", name: x, workload: {name: Llama3_8B}, hardware: {name: H100, accelerators: 1}}`)
	if study != "node" {
		t.Errorf("accelerators: 1 gives study %s, want node", study)
	}
}

func TestPlanResolveFleet(t *testing.T) {
	t.Run("ad hoc fleet", func(t *testing.T) {
		study, ax, cat, _ := resolvePlan(t, `version: "1.0"
name: ad hoc
workload: {name: Llama3_8B, batch_size: 512, seq_len: 4096}
hardware: {name: H100, node_count: 4, accelerators_per_node: 8, intra_node_bw: 900 GB/s, fabric_bandwidth: 400 Gbps, precision: BF16, efficiency: 0.4}
parallelism: {tp: 8, dp: auto, zero_stage: 3, overlap: true}
ops: {region: Quebec, electricity_usd_per_kwh: 0.07, carbon_tax_usd_per_t: 80}
`)
		if study != "fleet" {
			t.Fatalf("study %s, want fleet", study)
		}
		want := map[string]string{"model": "Llama3_8B", "batch_size": "512", "seq_len": "4096", "precision": "bf16", // BF16 in the plan, lower-cased as the grid reads it
			"efficiency": "0.4", "tp": "8", "pp": "1", "ep": "1", "zero_stage": "3", "overlap": "true", "region": "Quebec",
			"duration_days": "30", "electricity_usd_per_kwh": "0.07", "carbon_tax_usd_per_t": "80"}
		for k, v := range want {
			if ax[k] != v {
				t.Errorf("%s = %q, want %q", k, ax[k], v)
			}
		}
		cl, err := cat.ClusterByKey(ax["cluster"])
		if err != nil {
			t.Fatalf("the ad-hoc cluster %q is not in the returned catalog: %v", ax["cluster"], err)
		}
		n, _ := cat.NodeByKey(cl.Node)
		f, _ := cat.FabricByKey(cl.Fabric)
		if cl.Nodes != 4 || n.AcceleratorsPerNode != 8 || n.Accelerator != "H100" || n.IntraNodeBytesPerS != 900e9 || f.BytesPerS != 400e9/8 {
			t.Errorf("cluster %d × %d %s, intra %g B/s, fabric %g B/s; want 4 × 8 H100, 900e9, 50e9", cl.Nodes, n.AcceleratorsPerNode, n.Accelerator, n.IntraNodeBytesPerS, f.BytesPerS)
		}
		if _, err := planCatalog().ClusterByKey(ax["cluster"]); err == nil {
			t.Errorf("Resolve added the ad-hoc cluster to the shared catalog, not to a clone")
		}
	})
	t.Run("catalog cluster", func(t *testing.T) {
		study, ax, cat, _ := resolvePlan(t, `{version: "1.0", name: x, workload: {name: Llama3_8B}, hardware: {cluster: Research_256}, ops: {}}`)
		if study != "fleet" || ax["cluster"] != "Research_256" || cat != planCatalog() {
			t.Errorf("study %s, cluster %q, cloned %v; want fleet on Research_256 with the catalog as is", study, ax["cluster"], cat != planCatalog())
		}
		// An empty ops block turns the macro lens on with the seed's 30 days.
		if ax["duration_days"] != "30" {
			t.Errorf("duration_days = %q, want the seed's plan default 30", ax["duration_days"])
		}
		if _, ok := ax["region"]; ok {
			t.Errorf("no region given, but the plan sets one (%q); the study default applies", ax["region"])
		}
	})
	t.Run("Llama 3 405B's balanced interleaved chunks", func(t *testing.T) {
		// 126 layers + embedding + output = 16 stages × 8 chunks (Llama 3 paper §3.3.2).
		src := `{version: "1.0", name: x, workload: {name: Llama3_405B, batch_size: 2048, seq_len: 8192},
hardware: {name: H100, accelerators: 8192, accelerators_per_node: 8}, parallelism: {tp: 8, pp: 16, virtual_stages: 8, microbatches: 32}}`
		_, ax, _, _ := resolvePlan(t, src)
		if ax["pp"] != "16" || ax["virtual_stages"] != "8" {
			t.Errorf("pp %q, virtual_stages %q; want 16 and 8", ax["pp"], ax["virtual_stages"])
		}
		pf, err := ParsePlanFile("plan.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := pf.Resolve(planCatalog(), func(string) {}); err != nil {
			t.Fatal(err)
		}
		for _, profile := range Profiles {
			if err := pf.CheckSplit(planCatalog(), profile); err != nil {
				t.Errorf("%s: %v", profile, err)
			}
		}
	})
	t.Run("legacy nodes", func(t *testing.T) {
		_, ax, cat, warns := resolvePlan(t, `{version: "1.0", name: x, workload: {name: Llama3_70B}, hardware: {name: H100, nodes: 64}}`)
		if len(warns) != 1 || !strings.Contains(warns[0], "plan.yaml:1") || !strings.Contains(warns[0], "accelerators: 64") {
			t.Errorf("warnings %q: want one naming plan.yaml:1 and suggesting accelerators: 64", warns)
		}
		cl, _ := cat.ClusterByKey(ax["cluster"])
		n, _ := cat.NodeByKey(cl.Node)
		// H100 is one accelerator per entry, so 64 nodes of 1 (the seed's fleet).
		if cl.Nodes*n.AcceleratorsPerNode != 64 || n.AcceleratorsPerNode != 1 {
			t.Errorf("nodes: 64 gave %d × %d, want 64 × 1", cl.Nodes, n.AcceleratorsPerNode)
		}
		f, _ := cat.FabricByKey(cl.Fabric)
		if f.BytesPerS != 50e9 {
			t.Errorf("fabric %g B/s, want the seed's default 50 GB/s", f.BytesPerS)
		}
	})
}

// TestPlanErrorsNameLines checks file:line and the offending key on errors that
// come from ParsePlanFile and Resolve themselves.
func TestPlanErrorsNameLines(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"unknown key", "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nsla: 5\n", []string{"plan.yaml:5:", "sla"}},
		{"file is not a key", "version: \"1.0\"\nname: x\nfile: other.yaml\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\n", []string{"plan.yaml:3:", "file"}},
		{"missing version", "name: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\n", []string{"plan.yaml:1:", "version"}},
		{"empty file", "", []string{"plan.yaml", "mapping"}},
		{"dp mismatch", "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100, accelerators: 16}\nparallelism:\n  tp: 4\n  dp: 2\n", []string{"plan.yaml:7:", `dp "2"`, "dp 4"}},
		{"assert min max missing", "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nconstraints:\n  assert:\n    - {metric: performance.mfu, min: 0.1}\n    - {metric: performance.latency}\n", []string{"plan.yaml:8:", "performance.latency", "min, max"}},
		{"assert bound with a unit", "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nconstraints:\n  assert:\n    - {metric: performance.latency, max: 30 ms}\n", []string{"plan.yaml:7:", `got "30 ms" (write the number alone, in the unit the key documents)`}},
		// No value can pass: the CI gate would fail on every run whatever the plan says.
		{"assert min above max", "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nconstraints:\n  assert:\n    - {metric: performance.mfu, min: 0.1}\n    - {metric: performance.latency, min: 10, max: 5}\n", []string{"plan.yaml:8:", "performance.latency", "min 10 is above max 5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf, err := ParsePlanFile("plan.yaml", []byte(tc.src))
			if err == nil {
				_, _, _, err = pf.Resolve(planCatalog(), func(string) {})
			}
			if err == nil {
				err = pf.CheckSplit(planCatalog(), Profiles[0])
			}
			if err == nil {
				t.Fatalf("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

func TestIsPlanFile(t *testing.T) {
	for src, want := range map[string]bool{
		"workload: {name: x}\nhardware: {name: y}\n": true,
		"version: 1\nstudy: node\naxes: {}\n":        false,
		"workload: {name: x}\n":                      false,
		"- a\n- b\n":                                 false,
		"{":                                          false,
	} {
		if got := IsPlanFile([]byte(src)); got != want {
			t.Errorf("IsPlanFile(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestPlanCheck(t *testing.T) {
	nan := math.NaN()
	available := []string{"macro.tco_usd", "performance.latency", "performance.mfu", "performance.step_latency"}
	for _, tc := range []struct {
		name    string
		asserts string
		metrics map[string]float64
		want    []string // one substring per expected violation, in order
	}{
		{"max is inclusive", "{metric: performance.latency, max: 50}", map[string]float64{"performance.latency": 50}, nil},
		{"min is inclusive", "{metric: performance.mfu, min: 0.4}", map[string]float64{"performance.mfu": 0.4}, nil},
		{"inside both", "{metric: performance.mfu, min: 0.1, max: 0.5}", map[string]float64{"performance.mfu": 0.3}, nil},
		{"above max", "{metric: performance.latency, max: 50}", map[string]float64{"performance.latency": 50.0000001},
			[]string{"performance.latency (50) exceeds max (50)"}},
		{"below min", "{metric: performance.mfu, min: 0.4}", map[string]float64{"performance.mfu": 0.1},
			[]string{"performance.mfu (0.1) is below min (0.4)"}},
		{"zero bound", "{metric: macro.tco_usd, max: 0}", map[string]float64{"macro.tco_usd": 1}, []string{"exceeds max (0)"}},
		{"negative min", "{metric: macro.tco_usd, min: -1}", map[string]float64{"macro.tco_usd": -2}, []string{"is below min (-1)"}},
		{"NaN fails max", "{metric: performance.latency, max: 50}", map[string]float64{"performance.latency": nan},
			[]string{"performance.latency (NaN) exceeds max (50)"}},
		{"NaN fails min", "{metric: performance.mfu, min: 0}", map[string]float64{"performance.mfu": nan},
			[]string{"performance.mfu (NaN) is below min (0)"}},
		{"NaN fails both bounds", "{metric: performance.mfu, min: 0, max: 1}", map[string]float64{"performance.mfu": nan},
			[]string{"exceeds max (1)", "is below min (0)"}},
		{"+Inf fails max", "{metric: performance.latency, max: 1e300}", map[string]float64{"performance.latency": math.Inf(1)},
			[]string{"(+Inf) exceeds max (1e+300)"}},
		{"-Inf passes a max", "{metric: performance.latency, max: 0}", map[string]float64{"performance.latency": math.Inf(-1)}, nil},
		{"not available", "{metric: performance.throughputs, min: 1}", map[string]float64{"performance.latency": 1},
			[]string{"performance.throughputs is not available for this plan; available: macro.tco_usd, performance.latency, performance.mfu, performance.step_latency"}},
		{"misspelt", "{metric: performance.latncy, max: 1}", map[string]float64{"performance.latency": 1},
			[]string{"performance.latncy is not available for this plan (did you mean performance.latency?); available: macro.tco_usd,"}},
		{"all collected in order", `{metric: performance.latency, max: 10}
    - {metric: performance.mfu, min: 0.5}
    - {metric: macro.tco_usd, max: 1e6}
    - {metric: feasibility.memory_used_gb, max: 80}`,
			map[string]float64{"performance.latency": 20, "performance.mfu": 0.2, "macro.tco_usd": 5e5},
			[]string{"performance.latency (20) exceeds max (10)", "performance.mfu (0.2) is below min (0.5)", "feasibility.memory_used_gb is not available"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf := parsePlan(t, "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nconstraints:\n  assert:\n    - "+tc.asserts+"\n")
			got := pf.Check(tc.metrics, available)
			if len(got) != len(tc.want) {
				t.Fatalf("violations %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	if v := parsePlan(t, `{version: "1.0", name: x, workload: {name: Llama3_8B}, hardware: {name: H100}}`).Check(nil, nil); v != nil {
		t.Errorf("a plan without constraints has violations %q", v)
	}
}

func TestPlanAssertionsKeepLines(t *testing.T) {
	pf := parsePlan(t, "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\nconstraints:\n  assert:\n    - {metric: performance.mfu, min: 0.1}\n    - metric: performance.latency\n      max: 5\n")
	as := pf.Assertions()
	if len(as) != 2 || as[0].line != 7 || as[1].line != 8 || as[1].Metric != "performance.latency" || *as[1].Max != 5 {
		t.Errorf("assertions %+v: want performance.mfu at line 7 and performance.latency ≤ 5 at line 8", as)
	}
	if pf.HasOps() {
		t.Errorf("HasOps without an ops block")
	}
}

// FuzzParsePlanFile: any bytes give a plan or an error that names the file,
// never a panic, and a parsed plan resolves or fails without panicking.
func FuzzParsePlanFile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "plans", "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := ParsePlanFile("fuzz.yaml", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not start with the file name: %v", err)
			}
			return
		}
		study, axes, _, err := pf.Resolve(planCatalog(), func(string) {})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("Resolve error does not name the file: %v", err)
			}
			return
		}
		if !slices.Contains([]string{"node", "fleet"}, study) || len(axes) == 0 {
			t.Fatalf("study %q with %d axes", study, len(axes))
		}
	})
}

// TestPlanSplitDeepSeekV3: DeepSeek-V3's 61 layers and its MTP module fill PP 8 × VP 4 as
// Megatron-Bridge lays them out ("Et|(tt|)*30mL": 61 + 1 + 2 = 64 slots in 32 chunks), so
// the plan's split is accepted; without the layout (VP 3: 64 slots in 24 chunks do not
// divide) it is refused, naming virtual_stages.
func TestPlanSplitDeepSeekV3(t *testing.T) {
	plan := func(v int) string {
		return fmt.Sprintf("version: \"1.0\"\nname: x\nworkload: {name: DeepSeek_V3, batch_size: 8192, seq_len: 4096}\nhardware: {name: H100, accelerators: 1024, accelerators_per_node: 8}\nparallelism: {tp: 2, pp: 8, ep: 64, microbatches: 128, virtual_stages: %d}\n", v)
	}
	for _, tc := range []struct {
		v  int
		ok bool
	}{{4, true}, {3, false}} {
		err := checkPlanSplit(plan(tc.v))
		switch {
		case tc.ok && err != nil:
			t.Errorf("VP %d refused: %v", tc.v, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "virtual_stages")):
			t.Errorf("VP %d: %v, want a refusal naming virtual_stages", tc.v, err)
		}
	}
}

// TestPlanInterleavedMicrobatches: the interleaved schedule runs microbatches in groups
// of pp (Megatron-LM refuses other counts), and the step prices that schedule's bubble,
// so a plan with 6 microbatches on pp 4 × virtual_stages 2 is refused naming
// parallelism.microbatches (it was priced with the bubble (p − 1)/(m·v) of a schedule
// that cannot run); 8 is accepted, and so is 6 without interleaving.
func TestPlanInterleavedMicrobatches(t *testing.T) {
	plan := func(m, v int) string {
		return fmt.Sprintf("version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B, batch_size: %d, seq_len: 4096}\nhardware: {name: H100, accelerators: 64, accelerators_per_node: 8}\nparallelism: {tp: 8, pp: 4, microbatches: %d, virtual_stages: %d}\n", 2*m, m, v)
	}
	for _, tc := range []struct {
		m, v int
		ok   bool
	}{{8, 2, true}, {6, 2, false}, {2, 2, false}, {6, 1, true}} {
		err := checkPlanSplit(plan(tc.m, tc.v))
		switch {
		case tc.ok && err != nil:
			t.Errorf("m %d v %d refused: %v", tc.m, tc.v, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "plan.yaml:5: microbatches") || !strings.Contains(err.Error(), "not a multiple of pp 4")):
			t.Errorf("m %d v %d: %v, want a refusal at plan.yaml:5 naming microbatches", tc.m, tc.v, err)
		}
	}
}

// TestStepReasonsLabelled: every verdict of kernel.StepSplit maps to an infeasible_reason
// label of its own in sweeps (a verdict missing from stepReasons reads as reasonNone: a
// split the step refuses would be a feasible row).
func TestStepReasonsLabelled(t *testing.T) {
	want := map[uint8]string{kernel.StepInvalidSplit: "parallelism_does_not_divide", kernel.StepInvalidLayers: "layers_do_not_fill_the_stages",
		kernel.StepInvalidHeads: "tp_does_not_divide_heads", kernel.StepInvalidEP: "ep_does_not_divide_dp_or_experts",
		kernel.StepInvalidBatch: "batch_does_not_divide_into_microbatches", kernel.StepInvalidSeq: "seq_len_does_not_divide_by_cp",
		kernel.StepInvalidShard: "dp_shard_does_not_divide_dp", kernel.StepInvalidInterleave: "microbatches_not_a_multiple_of_pp",
		kernel.StepInvalidDualPipe: "dualpipe_needs_even_pp_and_microbatches", kernel.StepInvalidETP: "etp_does_not_divide_tp_or_moe_without_sp"}
	if len(stepReasons) != len(want)+1 {
		t.Fatalf("stepReasons maps %d verdicts, want %d", len(stepReasons), len(want)+1)
	}
	for v, label := range want {
		if got := reasonLabels[stepReasons[v]]; got != label {
			t.Errorf("verdict %d: label %q, want %q", v, got, label)
		}
	}
}

// checkPlanSplit parses, resolves and split-checks a plan file's text (as plan.yaml)
// under the first profile, calibrated, and returns the first error.
func checkPlanSplit(src string) error {
	pf, err := ParsePlanFile("plan.yaml", []byte(src))
	if err == nil {
		_, _, _, err = pf.Resolve(planCatalog(), func(string) {})
	}
	if err == nil {
		err = pf.CheckSplit(planCatalog(), Profiles[0])
	}
	return err
}

// TestPlanKVHeadReplication: tp may exceed a grouped-query model's K/V heads when they
// divide it (each head replicated on tp/kv ranks, kernel/kvreplicate.go): Llama 3 8B's 8
// at tp 16 (the bad_kv_heads_tp.yaml fixture refused it before). A ratio neither way
// whole — 6 K/V heads at tp 4, though 4 divides the 24 heads — is refused naming
// its line, both counts and why.
func TestPlanKVHeadReplication(t *testing.T) {
	if err := checkPlanSplit("version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B, batch_size: 64}\nhardware: {name: H100, accelerators: 32, accelerators_per_node: 8}\nparallelism:\n  tp: 16\n"); err != nil {
		t.Errorf("Llama3_8B at tp 16: %v, want accepted (8 K/V heads, 2 replicas each)", err)
	}
	cat := planCatalog().Clone()
	if _, err := cat.AddUserYAML("user.yaml", []byte(`models:
  - {key: GQA24, name: g, family: transformer, parameters: 3.2e9, layers: 28, hidden_dim: 3072, heads: 24, kv_heads: 6, source: {kind: estimate, ref: test}}
`)); err != nil {
		t.Fatal(err)
	}
	pf, err := ParsePlanFile("plan.yaml", []byte("version: \"1.0\"\nname: x\nworkload: {name: GQA24, batch_size: 64}\nhardware: {name: H100, accelerators: 32, accelerators_per_node: 8}\nparallelism:\n  tp: 4\n"))
	if err == nil {
		_, _, _, err = pf.Resolve(cat, func(string) {})
	}
	if err == nil {
		err = pf.CheckSplit(cat, Profiles[0])
	}
	for _, want := range []string{"plan.yaml:6: tp 4 and GQA24's 6 key/value heads do not divide one another", "would cut a head"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("GQA24 (6 K/V heads) at tp 4: %v, want it to say %q", err, want)
		}
	}
}

// TestPlanSplitETP: a fleet plan's etp must divide tp, and MoE at tp > 1 needs sequence
// parallelism (Megatron-Core refuses it); each error names its key and line.
func TestPlanSplitETP(t *testing.T) {
	plan := func(par string) string {
		return "version: \"1.0\"\nname: x\nworkload: {name: DeepSeek_V3, batch_size: 8192, seq_len: 4096}\nhardware: {name: H100, accelerators: 1024, accelerators_per_node: 8}\nparallelism: {tp: 2, pp: 8, ep: 64, microbatches: 128, " + par + "}\n"
	}
	for _, tc := range []struct{ par, want string }{
		{"etp: 1", ""},
		{"etp: 2", ""},
		{"etp: 4", "etp 4 must divide tp 2"},
		{"etp: 1, sequence_parallel: false", "sequence_parallel"},
		{"etp: 0", "parallelism.etp must be in [1,"},
	} {
		err := checkPlanSplit(plan(tc.par))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tc.par, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "plan.yaml:")):
			t.Errorf("%s: %v, want an error at plan.yaml:line containing %q", tc.par, err, tc.want)
		}
	}
}
