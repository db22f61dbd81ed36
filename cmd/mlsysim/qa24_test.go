package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A subnormal or absurd decimal given to a flag is refused naming the flag and what it
// wants. serve --qps 1e-310 stopped with "point 0 (accelerator_hour_usd=0 …):
// joules_per_token is +Inf on a feasible row", naming no flag; eval -e 1e-300 printed a
// step of 1.6e298 s and PASS with exit 0.
func TestTinyAndHugeDecimalFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "1e-310"}, []string{"--qps", "want 0 or ≥ 1e-15"}},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "5e-324", "--ttft-ms", "500"}, []string{"--qps", "want 0 or ≥ 1e-15"}},
		{[]string{"serve", "Llama3_8B", "H100", "-e", "1e-310"}, []string{"--efficiency", "want 0 or ≥ 1e-06"}},
		{[]string{"eval", "Llama3_8B", "H100", "-e", "1e-300"}, []string{"--efficiency", "want ≥ 1e-06"}},
		{[]string{"audit", "-e", "1e-310"}, []string{"--efficiency", "want ≥ 1e-06"}},
		{[]string{"optimize", "serving", "Llama3_8B", "--qps", "1e-310", "--ttft-ms", "500", "--itl-ms", "50"}, []string{"--qps", "want ≥ 1e-15"}},
		{[]string{"optimize", "serving", "Llama3_8B", "--qps", "1e308", "--ttft-ms", "500", "--itl-ms", "50"}, []string{"--qps", "want ≤ 10000000"}},
		// optimize batching's --sla-ms had no ceiling: 1e308 ms was searched (exit 0).
		{[]string{"optimize", "batching", planFixture("batching-h100.yaml"), "--qps", "10", "--sla-ms", "1e308"}, []string{"--sla-ms", "want ≤ 10000000 ms"}},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitBadInput || r.stdout != "" || strings.Contains(r.stderr, "point 0") {
			t.Errorf("%v: %v; want exit 1 naming the flag", tc.args, r)
			continue
		}
		if miss, ok := containsAll(r.stderr, tc.want...); !ok {
			t.Errorf("%v: stderr lacks %q: %s", tc.args, miss, r.stderr)
		}
	}
}

// A plan's ops take the fleet parameters' bounds: a water usage of 1e308 L/kWh and a
// power of 1e300 W per accelerator were accepted (the plan checked only PUE and carbon).
func TestPlanOpsBetweenSentinelAndRange(t *testing.T) {
	src, err := os.ReadFile("../../testdata/plans/fleet-ops-inputs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ from, to, want string }{
		{"pue: 1.2", "pue: 0.5", "ops.pue must be ≥ 1"}, // the plan checked these two already
		{"carbon_intensity_g_per_kwh: 50", "carbon_intensity_g_per_kwh: -0.5", "ops.carbon_intensity_g_per_kwh must be a number ≥ 0"},
		{"wue_l_per_kwh: 0.3", "wue_l_per_kwh: 1e308", "wue_l_per_kwh = 1e+308 is out of range: want ≤ 100"},
		{"power_per_accelerator_w: 500", "power_per_accelerator_w: 1e300", "want ≤ 100000"},
	} {
		if !strings.Contains(string(src), tc.from) {
			t.Fatalf("the plan no longer holds %q", tc.from)
		}
		plan := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(plan, []byte(strings.Replace(string(src), tc.from, tc.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mlsysim(t, "eval", plan)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "p.yaml:") {
			t.Errorf("%s: %v; want exit 1 with %q at its line", tc.to, r, tc.want)
		}
	}
}

// errorObject checks that s is exactly one JSON error object with the stable keys, and
// returns it.
func errorObject(t *testing.T, what, s string, code int) map[string]any {
	t.Helper()
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&obj); err != nil || dec.More() {
		t.Errorf("%s: not one JSON object (%v): %q", what, err, s)
		return nil
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"exit_code", "reason", "status", "title"}) || obj["status"] != "error" || obj["exit_code"] != float64(code) {
		t.Errorf("%s: %v; want status error, title, reason and exit_code %d", what, obj, code)
	}
	return obj
}

// With -o json every error is one JSON object, also a usage or parse error that stopped
// the parse before it reached -o (it printed text), and text mode is unchanged.
func TestJSONErrorsWhereverOutputStands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "-o", "json", "zoo"}, "flag --bogus is not defined"},
		{[]string{"serve", "Llama3_8B", "H100", "--bogus", "-o", "json"}, "flag --bogus is not defined"},
		{[]string{"serve", "Llama3_8B", "H100", "--batch", "4", "--output=json"}, "did you mean --batch-size"},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "x", "-o=json"}, `invalid value "x" for flag -b`},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "2", "-b", "3", "--output", "JSON"}, "-b is given twice"},
		{[]string{"serve", "Llama3_8B", "H100", "--qps", "1_0", "-o", "json"}, "not a decimal number"},
		{[]string{"sweep", "roofline", "--part-points", "0x10", "-o", "json"}, `invalid value "0x10" for flag -part-points`},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "1e-310", "-o", "json"}, "--qps: qps = 1e-310 is out of range"},
	} {
		r := mlsysim(t, tc.args...)
		what := strings.Join(tc.args, " ")
		if r.code != exitBadInput || r.stderr != "" {
			t.Errorf("%s: %v; want exit 1, the error on stdout", what, r)
			continue
		}
		if obj := errorObject(t, what, r.stdout, exitBadInput); obj != nil && !strings.Contains(obj["reason"].(string), tc.want) {
			t.Errorf("%s: reason %q lacks %q", what, obj["reason"], tc.want)
		}
		// The same line without -o: the text error, on stderr.
		var text []string
		for i := 0; i < len(tc.args); i++ {
			switch a := tc.args[i]; {
			case a == "-o" || a == "--output":
				i++
			case strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--output="):
			default:
				text = append(text, a)
			}
		}
		r = mlsysim(t, text...)
		if r.code != exitBadInput || r.stdout != "" || !strings.HasPrefix(r.stderr, "mlsysim: bad input: ") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %v; want the text error on stderr", text, r)
		}
	}
}

// Where the command printed its result before failing (--strict's exit 2), stdout keeps
// that one document and the error is the same JSON object on stderr; it was a text line.
func TestJSONErrorAfterTheResult(t *testing.T) {
	r := mlsysim(t, "serve", "Llama3_70B", "T4", "--strict", "-o", "json")
	if r.code != exitPhysics {
		t.Fatalf("%v; want exit 2", r)
	}
	if obj := oneObject(t, r.stdout); obj["infeasible_reason"] != "out_of_memory" {
		t.Errorf("stdout: %v; want the result", obj)
	}
	if obj := errorObject(t, "stderr", r.stderr, exitPhysics); obj != nil && !strings.Contains(obj["reason"].(string), "out of memory") {
		t.Errorf("stderr: %v", obj)
	}
	r = mlsysim(t, "serve", "Llama3_70B", "T4", "--strict")
	if r.code != exitPhysics || !strings.HasPrefix(r.stderr, "mlsysim: physics violation: out of memory") {
		t.Errorf("text mode: %v", r)
	}
}

// A command that SIGINT or SIGTERM stopped says so: report and plot said "bad input:
// report: context canceled" and "bad input: plot pareto: INTERRUPT Error: Interrupted!",
// as if the input were wrong. The exit code stays 1, as an interrupted sweep's or query's.
func TestInterruptedIsNotBadInput(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"report", res, "--out", filepath.Join(dir, "r.html")},
		{"plot", "pareto", res, "--out", filepath.Join(dir, "p.svg")},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // the signal arrived before the command got far
		var out, errb strings.Builder
		code := run(ctx, append([]string{"mlsysim"}, args...), &out, &errb)
		if code != exitBadInput || !strings.HasPrefix(errb.String(), "mlsysim: interrupted: stopped by a signal") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 saying it was interrupted", args, code, errb.String())
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("an interrupted command left %v", left)
	}
}

// report --out naming a folder said "want a file name ending in .svg, .pdf or .png",
// the figure's endings, for a page that must end in .html.
func TestReportOutFolderNamesHTML(t *testing.T) {
	res := swept(t, "serving-frontier")
	dir := filepath.Join(t.TempDir(), "page.html")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "report", res, "--out", dir)
	if r.code != exitBadInput || !strings.Contains(r.stderr, "is a folder; want a file name ending in .html") {
		t.Errorf("%v; want exit 1 asking for a .html file", r)
	}
}
