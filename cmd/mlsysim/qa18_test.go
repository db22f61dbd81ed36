package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestServeTargetsPricedAtGoodput: serve with targets and no --qps prices the replica at
// its goodput, the rate it was asked about, not --batch-size's full fixed batch (OPT_13B
// on an A100 at -b 256 printed 2499 tokens/s and $0.076 per million tokens for a batch that
// does not fit; at its goodput of ~5.4 requests/s of 64 tokens one A100 delivers ~348
// tokens/s at ~$0.55). The tokens are goodput · output tokens / accelerators.
func TestServeTargetsPricedAtGoodput(t *testing.T) {
	args := []string{"serve", "OPT_13B", "A100", "-b", "256", "-s", "512", "--output-tokens", "64", "--ttft-ms", "400", "--tpot-ms", "40"}
	j := oneObject(t, mlsysim(t, append(args, "-o", "json")...).stdout)
	good, _ := j["goodput_qps"].(float64)
	tok, _ := j["sim_tokens_per_s_per_accelerator"].(float64)
	if !(good > 0) || math.Abs(tok-good*64/1) > 1e-9*tok {
		t.Fatalf("sim_tokens_per_s_per_accelerator %v, want goodput %v × 64 tokens / 1 accelerator", j["sim_tokens_per_s_per_accelerator"], good)
	}
	fixed, _ := j["tokens_per_s_per_accelerator"].(float64)
	if !(tok < fixed/2) {
		t.Fatalf("at the goodput %v tokens/s, the fixed batch %v: the test's premise (the batch is not filled) is gone", tok, fixed)
	}
	r := mlsysim(t, args...)
	for _, w := range []string{
		fmt.Sprintf("Per accelerator   %.1f tokens/s", tok),
		fmt.Sprintf("at %.4g requests/s, the goodput; the fixed batch of 256: %.1f tokens/s", good, fixed),
		"Cost              " + fmtUSD(j["sim_usd_per_million_tokens"].(float64)) + " per million tokens",
		"(the replica at its goodput)",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q\n%v", w, r)
		}
	}
	// Targets met at no rate, or pools offered more than they serve: no price at all (the
	// pools' line said 128,000 tokens/s per accelerator at 0 W and 0 J per token at 1000/s).
	for _, c := range [][]string{
		{"--ttft-ms", "1"},
		{"--qps", "1000", "--prefill-instances", "1"},
	} {
		base := []string{"serve", "Llama3_8B", "H100", "-b", "64", "-s", "1024"}
		r := mlsysim(t, append(base, c...)...)
		if !strings.Contains(r.stdout, "Per accelerator   none: ") || !strings.Contains(r.stdout, "Cost              none: ") {
			t.Errorf("%v: want no economics\n%v", c, r)
		}
		j := oneObject(t, mlsysim(t, append(append(base, c...), "-o", "json")...).stdout)
		for _, k := range []string{"sim_joules_per_token", "sim_usd_per_million_tokens"} {
			if j[k] != nil {
				t.Errorf("%v: %s %v, want null", c, k, j[k])
			}
		}
		if v, _ := j["sim_tokens_per_s_per_accelerator"].(float64); v != 0 {
			t.Errorf("%v: sim_tokens_per_s_per_accelerator %v, want 0", c, v)
		}
	}
}

// TestServeLoadedMemory: under --qps, --batch-size is the engine's cap and the memory is
// the load's (the sequences it keeps decoding, as the verdict reads it): a cap of 512 at
// 8192 tokens printed "Memory 565.82 GB of 85.90 GB (658.7 %)" beside "Feasible yes".
func TestServeLoadedMemory(t *testing.T) {
	args := []string{"serve", "Llama3_8B", "H100", "-b", "512", "-s", "8192", "--qps", "1"}
	j := oneObject(t, mlsysim(t, append(args, "-o", "json")...).stdout)
	u, _ := j["memory_utilization"].(float64)
	if j["feasible"] != true || !(u > 0 && u <= 1) {
		t.Fatalf("feasible %v at memory_utilization %v, want a steady replica within its memory", j["feasible"], u)
	}
	r := mlsysim(t, args...)
	want := fmt.Sprintf("Memory            %s of 85.90 GB per accelerator under the load (", fmtPct(u))
	if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "the full batch of 512 at 8192 tokens: 565.82 GB") {
		t.Errorf("output lacks %q and the full batch's 565.82 GB\n%v", want, r)
	}
}

// TestServeFeasibleSaysSimOverload: where the steady-state mean keeps up with --qps and the
// simulation of the same replica does not, the Feasible line says both rather than "yes"
// above "Percentiles none: … overloaded". Chunked prefill near capacity: the two agree
// within 0.6 % since the mean carries each prompt in whole chunks as the scheduler does
// (12.63 against 12.56 requests/s here; it was 15.7, spreading the prompt tokens evenly over
// the steps, and this test ran at 14), so the window between them is narrow.
func TestServeFeasibleSaysSimOverload(t *testing.T) {
	args := []string{"serve", "Llama3_8B", "H100", "-b", "16", "-s", "1024", "--output-tokens", "128", "--prefill-chunk-tokens", "512", "--qps", "12.6"}
	j := oneObject(t, mlsysim(t, append(args, "-o", "json")...).stdout)
	cap, _ := j["sim_capacity_qps"].(float64)
	if j["feasible"] != true || j["sim_feasible"] != false || !(cap < 12.6) {
		t.Fatalf("feasible %v, sim_feasible %v, simulated capacity %v: the test's premise (the mean keeps up with 12.6/s, the simulation does not) is gone",
			j["feasible"], j["sim_feasible"], j["sim_capacity_qps"])
	}
	r := mlsysim(t, args...)
	want := fmt.Sprintf("Feasible          no as simulated (overloaded: simulated capacity %.4g requests/s), yes by the steady-state mean", cap)
	if !strings.Contains(r.stdout, want) {
		t.Errorf("output lacks %q\n%v", want, r)
	}
	if r := mlsysim(t, append(args, "--strict")...); r.code != exitPhysics {
		t.Errorf("--strict: exit %d, want %d", r.code, exitPhysics)
	}
}

// TestServeSimCannotRun: a simulation whose requests cannot run (here a 130,000-token
// prompt and 2,000 generated tokens on Llama3_8B's 131,072-token window) prints no goodput,
// percentile or cost, but why; under --qps the replica's row says exceeds_context too (it
// said "Feasible yes", and the targets' run a goodput and percentiles, exit 0).
func TestServeSimCannotRun(t *testing.T) {
	base := []string{"serve", "Llama3_8B", "H100", "-b", "1", "-s", "130000", "--output-tokens", "2000"}
	why := "exceeds_context: a request's 130000 prompt + 2000 generated tokens is longer than Llama3_8B's context window of 131072 tokens"
	r := mlsysim(t, append(base, "--ttft-ms", "100000")...)
	for _, w := range []string{"Sim feasible      no (" + why, "Per accelerator   none: the simulated requests cannot run (" + why} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("targets: output lacks %q\n%v", w, r)
		}
	}
	for _, w := range []string{"Goodput", "TTFT P50", "Sampled at"} {
		if strings.Contains(r.stdout, w) {
			t.Errorf("targets: output has a %s line for requests that cannot run\n%v", w, r)
		}
	}
	r = mlsysim(t, append(base, "--qps", "0.01")...)
	if !strings.Contains(r.stdout, "Feasible          no ("+why) {
		t.Errorf("--qps: want the replica infeasible, %s\n%v", why, r)
	}
	if r := mlsysim(t, append(base, "--qps", "0.01", "--strict")...); r.code != exitPhysics {
		t.Errorf("--qps --strict: exit %d, want %d", r.code, exitPhysics)
	}
}
