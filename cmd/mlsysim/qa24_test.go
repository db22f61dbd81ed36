package main

import (
	"os"
	"path/filepath"
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
