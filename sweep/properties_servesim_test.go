package sweep

// serve-sim against the closed forms at low load: a replica that sees a request now and
// then is idle when it arrives, so the simulation (kernel.ServingSim, request by request)
// and serve's steady state under a request rate (kernel.ServingLoad, docs/PHYSICS.md §34.4)
// describe the same lone request — its own prefill, then its decode steps at batch 1.

import (
	"fmt"
	"math"
	"testing"
)

// TestServeSimAgreesWithClosedFormAtLowLoad: at 1 % of the replica's capacity, under both
// profiles, whole prompts and chunked, for a dense model on one accelerator, a tp 4 FP8
// layout and an MoE model: the capacity is the same number with whole prompts,
// the simulated mean TPOT is the closed form's within 1 %, and the simulated mean TTFT
// the closed form's within 2 % (tolerances fixed before the first run; at 1 % load the
// simulated requests barely queue, so both are a lone request's).
//
// The seed's TTFT is held differently, by design: its ServingLoad charges every arrival
// half a decode step (t_d(b̄)/2 with b̄ ≥ 1, §34.1) even when no sequence is decoding,
// where the simulation charges the running step only when there is one (Llama-3 8B fp16
// on an H100, batch 16, 1024 + 128 tokens, 0.13 requests/s: 37.03 ms against 34.59 ms,
// +7.1 %); the seed keeps it (its goldens), so its closed form must lie above the
// simulation by no more than half the simulated replica's largest decode step (plus the
// 2 %).
//
// History: when this test was written 9 of 9 layouts missed (+5.7 % to +41 %). The servcons
// round gave calibrated whole prompts §34.5's idle share. The chunked ones still missed by
// +7.8 … +47 % (Llama-3 8B at 0.13 requests/s: 39.71 ms closed form, 29.68 ms simulated):
// the closed form priced a prompt's chunk steps beside b̄ = N_d + 1 ≥ 1 decoding sequences
// and charged a decode step in progress at idle, and one decode row beside the prompt's
// 1,024 costs far more than its work — 1,025 GEMM rows cross a tile in gemmTime's wave
// model (Llama-3 8B's step with the whole prompt in one chunk: 32.18 ms at b = 1, 24.28 ms
// at b = 0). The simcons round prices a prompt's chunks beside the N_d sequences it finds
// (whole batches around the mean) and §34.5's idle share for the step in progress.
func TestServeSimAgreesWithClosedFormAtLowLoad(t *testing.T) {
	layouts := []string{
		"  model: Llama3_8B\n  hardware: H100\n  batch_size: 16\n",
		"  model: Llama3_70B\n  hardware: H100\n  precision: fp8\n  kv_precision: fp8\n  tp: 4\n  batch_size: 64\n",
		"  model: Mixtral_8x7B\n  hardware: MI300X\n  tp: 2\n  batch_size: 32\n",
	}
	for _, profile := range []string{"calibrated", "seed"} {
		for i, l := range layouts {
			for _, chunk := range []int{0, 512} {
				if chunk > 0 && profile == "seed" {
					continue // the seed has no chunked prefill
				}
				t.Run(fmt.Sprintf("%s/%d/chunk%d", profile, i, chunk), func(t *testing.T) {
					fixed := fmt.Sprintf("%s  seq_len: 1024\n  output_tokens: 128\n  prefill_chunk_tokens: %d\n", l, chunk)
					// The capacity first, then both at 1 % of it.
					probe := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nstudy: serve\nprofile: %s\nfixed:\n%s  qps: 1\naxes:\n  engine: [vllm]\n", profile, fixed))[0]
					capQPS := num(probe, "load_capacity_qps")
					if !(capQPS > 0) || !feasible(probe) {
						t.Fatalf("no capacity: %v (%v)", capQPS, probe["infeasible_reason"])
					}
					qps := capQPS / 100
					load := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nstudy: serve\nprofile: %s\nfixed:\n%s  qps: %v\naxes:\n  engine: [vllm]\n", profile, fixed, qps))[0]
					sim := propRows(t, testCatalog(), fmt.Sprintf("version: 1\nstudy: serve-sim\nprofile: %s\nfixed:\n%s  qps: %v\n  requests: 400\naxes:\n  engine: [vllm]\n", profile, fixed, qps))[0]
					if !feasible(load) || !feasible(sim) {
						t.Fatalf("infeasible at 1 %% load: serve %v, serve-sim %v", load["infeasible_reason"], sim["infeasible_reason"])
					}
					// Whole prompts: one capacity rule (prefillpass.go) for both, the same
					// number. Chunked: the closed form's stall-free capacity (§34.4,
					// mixedCapacity) against the simulated scheduler's, which §34.4 reports
					// within 1 % (12.63 / 12.56); held at 2 %, set after the first run showed
					// these differ (0.2–1 %).
					if a, b := num(load, "load_capacity_qps"), num(sim, "capacity_qps"); chunk == 0 && a != b || math.Abs(a/b-1) > 0.02 {
						t.Errorf("capacity: closed form %.9g, simulation %.9g requests/s", a, b)
					}
					if a, b := num(load, "load_tpot_ms"), num(sim, "sim_tpot_mean_ms"); math.Abs(a/b-1) > 0.01 {
						t.Errorf("mean TPOT: closed form %.6g ms, simulated %.6g ms (%+.1f %%)", a, b, 100*(a/b-1))
					}
					a, b := num(load, "load_ttft_ms"), num(sim, "sim_ttft_mean_ms")
					t.Logf("mean TTFT: closed form %.6g ms, simulated %.6g ms (%+.1f %%)", a, b, 100*(a/b-1))
					if profile == "seed" {
						if half := num(sim, "decode_step_ms") / 2; !(a > b && a-b <= half+0.02*b) {
							t.Errorf("seed mean TTFT: closed form %.6g ms, simulated %.6g ms: want above it by at most half a step (%.4g ms) + 2 %%", a, b, half)
						}
					} else if math.Abs(a/b-1) > 0.02 {
						t.Errorf("mean TTFT: closed form %.6g ms, simulated %.6g ms (%+.1f %%)", a, b, 100*(a/b-1))
					}
				})
			}
		}
	}
}

// simMonotoneCases extend TestBetterHardwareNeverWorse (properties_test.go) to serve-sim:
// on an accelerator with twice the bandwidth, peak, memory or links, the simulated
// replica's mean and median TTFT, its TPOT and end-to-end medians and its capacity are
// never worse (its steps are the same scheduler's, each no longer), at two rates, whole
// and chunked prompts. Not its P99 TTFT over 200 requests, the second-largest sample,
// which another phase of the decode steps can move either way: seed, H200 copy with
// twice the bandwidth, 4 requests/s — mean 37.53 → 36.87 ms, P99 67.66 → 68.66 ms
// (over 2,000 requests the P99 falls, 68.29 → 67.83). Twice the memory admits a larger
// batch (each step longer, more sequences in it), so its TPOT and latency move by design.
var simMonotoneCases = []monotoneCase{
	{name: "serve-sim", cloud: true, study: "serve-sim",
		fixed:  "  seq_len: 1024\n  output_tokens: 64\n  requests: 200\n  batch_size: 64\n",
		axes:   "  model: [Llama3_8B]\n  precision: [fp16, fp8]\n  qps: [0.5, 4]\n  prefill_chunk_tokens: [0, 512]\n",
		others: []string{"model", "precision", "qps", "prefill_chunk_tokens"},
		lower:  []string{"sim_ttft_mean_ms", "sim_ttft_p50_ms", "sim_tpot_mean_ms", "sim_tpot_p50_ms", "sim_e2e_p50_ms"},
		higher: []string{"capacity_qps"},
		moves:  map[string][]string{"mem2": {"sim_tpot_mean_ms", "sim_tpot_p50_ms", "sim_e2e_p50_ms"}}},
}
