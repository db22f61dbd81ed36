package main

import (
	"strings"
	"testing"
)

// TestServeSimulated: serve's simulation under the seed profile (closed-form steps:
// Llama3_8B FP16 on H100, 1024-token prompts, 16 generated tokens). At 0.01 requests/s
// (a request every ~100 s against ~0.2 s of service) requests never meet, so every
// percentile of TTFT is the prefill and of TPOT the decode step of one sequence at the
// mean context 1024 + 16 − 15/2 = 1032.5 — by hand, as TestServeQPS prices them; the
// output is byte-identical run to run; a goodput search meets its targets at the goodput.
func TestServeSimulated(t *testing.T) {
	t.Parallel()
	args := []string{"--profile", "seed", "-o", "json", "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64",
		"--qps", "0.01", "--output-tokens", "16", "--requests", "50"}
	r := mlsysim(t, args...)
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	prefill := (2*8.03e9*1024+4*32*32*128*1024.0*1024)/(989e12*0.5) + 0.01e-3
	step := 8.03e9*2/3.35e12 + 32*0.01e-3 + 2*32*8*128*1032.5*2/3.35e12
	for _, p := range []string{"p50", "p90", "p99"} {
		near(t, obj, "sim_ttft_"+p+"_ms", prefill*1e3, 1e-9)
		near(t, obj, "sim_tpot_"+p+"_ms", step*1e3, 1e-9)
	}
	near(t, obj, "sim_e2e_p99_ms", (prefill+15*step)*1e3, 1e-9)
	equal(t, obj, "sim_requests", 50.0)
	equal(t, obj, "sim_seed", 1.0)
	equal(t, obj, "sim_accelerators", 1.0)
	equal(t, obj, "sim_feasible", true)
	if again := mlsysim(t, args...); again.stdout != r.stdout {
		t.Errorf("two runs differ:\n%s\n%s", r.stdout, again.stdout)
	}

	// Goodput: at the rate found, at least 90 % of requests meet both targets, and the
	// percentiles sampled there say so (P90 TPOT within its target, or P90 TTFT).
	g := oneObject(t, mlsysim(t, "-o", "json", "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64",
		"--output-tokens", "128", "--ttft-ms", "200", "--tpot-ms", "12", "--prefill-instances", "1", "--decode-instances", "2").stdout)
	good, _ := g["goodput_qps"].(float64)
	if !(good > 0) || g["sim_qps"] != good {
		t.Fatalf("goodput %v, sampled at %v", g["goodput_qps"], g["sim_qps"])
	}
	if at, _ := g["sim_attainment"].(float64); at < 0.9 {
		t.Errorf("attainment %v at the goodput, want ≥ 0.9", at)
	}
	near(t, g, "goodput_qps_per_accelerator", good/3, 1e-12)
	if p90, _ := g["sim_tpot_p90_ms"].(float64); p90 > 12 {
		if t90, _ := g["sim_ttft_p90_ms"].(float64); t90 > 200 {
			t.Errorf("P90 TTFT %v ms and P90 TPOT %v ms both above their targets at the goodput", t90, p90)
		}
	}
}

// TestServeSimOverloaded: above the simulated capacity no percentile is a number (null),
// and --strict exits 2.
func TestServeSimOverloaded(t *testing.T) {
	t.Parallel()
	args := []string{"-o", "json", "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "8", "--qps", "500"}
	obj := oneObject(t, mlsysim(t, args...).stdout)
	if obj["sim_ttft_p90_ms"] != nil || obj["sim_infeasible_reason"] != "overloaded" {
		t.Errorf("P90 TTFT %v, reason %v; want null and overloaded", obj["sim_ttft_p90_ms"], obj["sim_infeasible_reason"])
	}
	if r := mlsysim(t, append(args, "--strict")...); r.code != exitPhysics {
		t.Errorf("--strict: exit %d, want %d", r.code, exitPhysics)
	}
	// Targets no rate meets: no goodput, a reason, exit 2 under --strict.
	miss := []string{"-o", "json", "serve", "Llama3_8B", "H100", "-b", "8", "--ttft-ms", "1"}
	obj = oneObject(t, mlsysim(t, miss...).stdout)
	if obj["goodput_qps"] != 0.0 || obj["sim_infeasible_reason"] != "ttft_target_missed" {
		t.Errorf("goodput %v, reason %v; want 0 and ttft_target_missed", obj["goodput_qps"], obj["sim_infeasible_reason"])
	}
	if r := mlsysim(t, append(miss, "--strict")...); r.code != exitPhysics {
		t.Errorf("--strict: exit %d, want %d", r.code, exitPhysics)
	}
}

// TestServeSimBadInput: the simulation's flags out of range or without effect.
func TestServeSimBadInput(t *testing.T) {
	t.Parallel()
	base := []string{"serve", "Llama3_8B", "H100", "-b", "64"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--ttft-ms", "100", "--attainment", "1.5"}, []string{"--attainment", "(0, 1]", "1.5"}},
		{[]string{"--ttft-ms", "100", "--attainment", "0"}, []string{"--attainment", "(0, 1]", "got 0"}},
		{[]string{"--attainment", "0.5"}, []string{"--attainment", "--ttft-ms"}},
		{[]string{"--ttft-ms", "0"}, []string{"--ttft-ms", "> 0"}},
		{[]string{"--tpot-ms", "-3"}, []string{"--tpot-ms", "> 0", "-3"}},
		{[]string{"--itl-ms", "-3"}, []string{"--tpot-ms", "> 0"}},
		{[]string{"--prefill-instances", "0"}, []string{"--prefill-instances", "[1, 1024]", "got 0"}},
		{[]string{"--prefill-instances", "1", "--decode-instances", "0"}, []string{"--decode-instances", "[1, 1024]"}},
		{[]string{"--decode-instances", "2"}, []string{"--decode-instances", "--prefill-instances"}},
		{[]string{"--prefill-tp", "2"}, []string{"--prefill-tp", "--prefill-instances"}},
		{[]string{"--prefill-instances", "1", "--prefill-tp", "3", "--qps", "1"}, []string{"--prefill-tp", "does not divide", "try 1, 2, 4"}},
		{[]string{"--requests", "100"}, []string{"--requests", "add --qps"}},
		{[]string{"--qps", "1", "--requests", "0"}, []string{"--requests", "[1, "}},
		{[]string{"--seed", "3"}, []string{"--seed", "simulated run only"}},
		{[]string{"--prefill-instances", "2"}, []string{"--prefill-instances", "add --qps"}},
	} {
		r := mlsysim(t, append(append([]string{}, base...), tc.args...)...)
		if r.code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", tc.args, r.code, exitBadInput)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, r.stderr, w)
			}
		}
	}
	if r := mlsysim(t, "serve", "Llama3_8B", "H100", "--ttft-ms", "100"); r.code != exitBadInput || !strings.Contains(r.stderr, "--batch-size") {
		t.Errorf("targets without --batch-size: exit %d, %q", r.code, r.stderr)
	}
}

// TestServeSimText: the text scorecard names the pools, the goodput and the
// percentiles.
func TestServeSimText(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64", "--output-tokens", "64",
		"--ttft-ms", "300", "--tpot-ms", "15", "--prefill-instances", "2", "--prefill-tp", "2")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%v", r.code, r)
	}
	for _, w := range []string{"disaggregated: 2 prefill instance(s) of tp 2 → 1 decode instance(s), 5 accelerators",
		"Goodput", "per accelerator", "(the goodput)", "TTFT P50/P90/P99", "TPOT P50/P90/P99", "SLO attainment"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "NaN") || strings.Contains(r.stdout, "Inf") {
		t.Errorf("text has a non-number:\n%s", r.stdout)
	}
}
