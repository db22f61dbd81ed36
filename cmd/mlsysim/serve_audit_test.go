package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestServeInvariants: serve over unusual but legal combinations (every precision, tp/pp/ep,
// KV precision, drafts, chunked prefill, extreme lengths, accelerators without TDP or
// price) answers with finite, non-negative numbers that agree with each other: tokens/s =
// batch / ITL = tokens/s per accelerator × accelerators; tokens/s per user = 1 / ITL;
// joules per token = power × accelerators / tokens/s; at a rental price, $/M tokens =
// accelerators × price / (tokens/s × 3600) × 1e6; a feasible point fits in memory.
func TestServeInvariants(t *testing.T) {
	for _, args := range [][]string{
		{"Llama3_8B", "H100"},
		{"Llama3_8B", "H100", "-b", "1", "--seq-len", "1"},
		{"Llama3_8B", "H100", "-b", "1024", "--seq-len", "131072"},
		{"Llama3_70B", "H100", "-p", "int4", "--tp", "8", "--kv-precision", "fp8", "-b", "256"},
		{"Llama3_70B", "B200", "-p", "fp4", "--tp", "8"},
		{"Llama3_70B", "H100", "-p", "fp32", "--tp", "8"},
		{"Llama3_70B", "H100", "-p", "tf32", "--tp", "8"},
		{"Llama3_70B", "H100", "-p", "int8", "--tp", "8", "--pp", "2"},
		{"Llama3_70B", "H100", "--tp", "8", "--pp", "80"},
		{"Llama3_70B", "H100", "--tp", "16", "--tp-across-nodes"},
		{"Mixtral_8x7B", "H100", "--tp", "8", "--ep", "8"},
		{"DeepSeek_V3", "H100", "-p", "fp8", "--tp", "8", "--pp", "2", "--ep", "8", "-b", "64"},
		{"Llama3_8B", "H100", "--prefill-chunk-tokens", "1", "--seq-len", "4096"},
		{"Llama3_8B", "H100", "--draft-model", "Llama3_8B", "--spec-acceptance", "1"},
		{"Llama3_70B", "H100", "--tp", "4", "--draft-model", "Llama3_8B", "--spec-tokens", "64", "--spec-acceptance", "0"},
		{"Llama3_8B", "H100", "--kv-precision", "fp4"},
		{"Llama3_8B", "H100", "--engine", "trtllm", "-p", "fp8", "--step-overhead-ms", "1000"},
		{"Llama3_8B", "H100", "--accelerator-hour-usd", "2.5", "--tp", "2"},
		{"Llama3_8B", "TPUv4", "--tp", "4", "--accelerator-hour-usd", "3"},
		{"Llama3_8B", "IntelSGX"}, // no TDP, no price, out of memory
		{"GPT2", "H100", "--seq-len", "2048"},
		{"--profile", "seed", "Llama3_70B", "H100", "--tp", "4", "--draft-model", "GPT2", "--seq-len", "4096"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			cmd := append([]string{"serve"}, args...)
			if args[0] == "--profile" {
				cmd = append(args[:2:2], append([]string{"serve"}, args[2:]...)...)
			}
			r := mlsysim(t, append(cmd, "-o", "json")...)
			if r.code != exitOK {
				t.Fatalf("exit %d\n%v", r.code, r)
			}
			o := oneObject(t, r.stdout)
			num := func(k string) float64 {
				v, ok := o[k].(float64)
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Errorf("%s = %v: want a finite number ≥ 0", k, o[k])
				}
				return v
			}
			for _, k := range []string{"ttft_ms", "kv_cache_gb", "weights_gb", "total_memory_gb", "memory_utilization"} {
				num(k)
			}
			tps, itl, acc, b := num("tokens_per_sec"), num("itl_ms"), num("accelerators"), o["batch_size"].(float64)
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s: %g, want %g", what, got, want)
				}
			}
			near("tokens/s vs batch / ITL", tps, b/(itl*1e-3))
			near("tokens/s per accelerator × accelerators", num("tokens_per_s_per_accelerator")*acc, tps)
			near("tokens/s per user vs 1 / ITL", num("tokens_per_s_per_user"), 1/(itl*1e-3))
			near("joules per token", num("joules_per_token"), num("power_w")*acc/tps)
			usd := num("usd_per_million_tokens")
			if o["cost_basis"] == "rental" {
				var price float64
				for i, a := range args {
					if a == "--accelerator-hour-usd" {
						price, _ = strconv.ParseFloat(args[i+1], 64)
					}
				}
				near("$/M tokens at the rental price", usd, acc*price/(tps*3600)*1e6)
			}
			if o["feasible"] == true && num("memory_utilization") > 1 {
				t.Errorf("feasible at memory utilization %v", o["memory_utilization"])
			}
			if (o["feasible"] == true) == (o["infeasible_reason"] != nil) {
				t.Errorf("feasible %v with infeasible_reason %v", o["feasible"], o["infeasible_reason"])
			}
			// The text says the same: feasibility and, where the catalog has no price, that the
			// cost is energy alone.
			text := mlsysim(t, cmd...).stdout
			if o["feasible"] == true != strings.Contains(text, "Feasible          yes") {
				t.Errorf("text and JSON disagree on feasibility:\n%s", text)
			}
			if o["cost_basis"] == "energy_only" != strings.Contains(text, "(energy only:") {
				t.Errorf("cost_basis %v, text:\n%s", o["cost_basis"], text)
			}
		})
	}
}

// TestUnpricedHardwareRefused: optimize serving would rank an accelerator the catalog gives
// no price by its energy alone ($0.00 per million tokens for a TPU v4 beside a priced
// H100): refused unless a rental price prices every accelerator alike.
func TestUnpricedHardwareRefused(t *testing.T) {
	base := []string{"optimize", "serving", "Llama3_8B", "--qps", "5", "--ttft-ms", "500", "--itl-ms", "50", "--hardware", "H100,TPUv4", "--max-batch", "16", "-o", "json"}
	r := mlsysim(t, base...)
	if r.code != exitBadInput || !strings.Contains(r.stdout+r.stderr, "TPUv4 states no price") || !strings.Contains(r.stdout+r.stderr, "--accelerator-hour-usd") {
		t.Fatalf("want exit 1 naming TPUv4 and the rental flag\n%v", r)
	}
	if r := mlsysim(t, append(base, "--accelerator-hour-usd", "2")...); r.code != exitOK {
		t.Fatalf("with a rental price: exit %d\n%v", r.code, r)
	}
}

// TestOptimizeServingErrorsNameFlags: a value the generated grid refuses is reported
// against the flag the user typed, not a line of a grid they never wrote.
func TestOptimizeServingErrorsNameFlags(t *testing.T) {
	for _, tc := range []struct {
		extra []string
		want  string
	}{
		{[]string{"--qps", "1e9"}, "--qps: qps = 1e+09 is out of range"},
		{[]string{"--ttft-ms", "1e12"}, "--ttft-ms: target_ttft_ms = 1e+12 is out of range"},
		{[]string{"--hardware", "H100,H100"}, "--hardware: hardware lists H100 twice"},
		{[]string{"--hardware", "H1000"}, `--hardware: unknown hardware "H1000" (did you mean H100`},
		{[]string{"--precision", "fp16,fp6"}, `--precision: precision "fp6" is not valid`},
	} {
		args := []string{"optimize", "serving", "Llama3_8B", "--qps", "5", "--ttft-ms", "500", "--itl-ms", "50"}
		for i := 0; i+1 < len(tc.extra); i += 2 {
			args = withFlag(args, tc.extra[i+1], tc.extra[i])
		}
		r := mlsysim(t, args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "optimize serving:") {
			t.Errorf("%v: want exit 1 with %q\n%v", tc.extra, tc.want, r)
		}
	}
}

// TestEvalEnergyUnknownIsNull: the text calls the energy of an accelerator without a TDP
// unknown; JSON says null rather than 0 J (H100's stays a number).
func TestEvalEnergyUnknownIsNull(t *testing.T) {
	for hw, want := range map[string]bool{"IntelSGX": true, "H100": false} {
		obj := oneObject(t, mlsysim(t, "eval", "Llama3_8B", hw, "-o", "json").stdout)
		v, ok := obj["p_energy_j"]
		if !ok || (v == nil) != want {
			t.Errorf("%s: p_energy_j = %v (present %v), want null %v", hw, v, ok, want)
		}
	}
}
