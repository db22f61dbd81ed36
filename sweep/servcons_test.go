package sweep

import (
	"fmt"
	"math"
	"testing"
)

// TestDeployAndServeOneReplicaOneTTFT: serve-deploy's aggregated fleet, where the rate
// needs one replica, and serve --qps on that replica at that rate are one replica under
// one Poisson stream, so under the calibrated profile they give one mean TTFT and one
// mean ITL (docs/PHYSICS.md §34.1, §34.5). Tolerance 1e-9 relative: both evaluate the
// same terms (the decode fixed point, the step in progress, the M/D/1 prompt queue, the
// slot wait), so only rounding separates them. Before issue #10's servcons round serve
// charged the half step at the batch a decoding sequence sees whether or not a step was
// running, serve-deploy only the share of time one runs: Llama3_8B fp16 on an H100,
// 1024 + 256 tokens at 0.5 requests/s, 27.53 ms against 26.14 ms.
//
// The seed profile differs by design and keeps its goldens: its serve-deploy times every
// replica at its full batch (the ITL t_step(B)/(1 − ρ), the whole running step before the
// prefill) where its serve --qps steps at the batch the load gives and charges half a
// step, so the seed's serve-deploy TTFT and ITL are never below serve's (checked).
func TestDeployAndServeOneReplicaOneTTFT(t *testing.T) {
	type pt struct {
		model, hw, prec string
		tp, batch       int
		isl, osl        int
		qps             float64
	}
	points := []pt{
		{"Llama3_8B", "H100", "fp16", 1, 64, 1024, 256, 0.5},
		{"Llama3_8B", "H100", "fp16", 1, 64, 1024, 256, 4},
		{"Llama3_8B", "H100", "fp8", 1, 256, 2048, 128, 10},
		{"Llama3_70B", "MI300X", "fp8", 2, 64, 2048, 256, 2},
		{"Mixtral_8x7B", "H200", "fp8", 2, 96, 4000, 64, 1},
	}
	for _, prof := range []string{"calibrated", "seed"} {
		for _, p := range points {
			name := fmt.Sprintf("%s/%s/%s/%s/tp%d/b%d/%d+%d/%gqps", prof, p.model, p.hw, p.prec, p.tp, p.batch, p.isl, p.osl, p.qps)
			t.Run(name, func(t *testing.T) {
				common := fmt.Sprintf("version: 1\nprofile: %s\naxes:\n  model: [%s]\n  hardware: [%s]\n  precision: [%s]\n  tp: [%d]\n  batch_size: [%d]\n  output_tokens: [%d]\n  qps: [%g]\n",
					prof, p.model, p.hw, p.prec, p.tp, p.batch, p.osl, p.qps)
				d, err := EvalPoint(mustPlan(t, "study: serve-deploy\n"+common+fmt.Sprintf("  input_tokens: [%d]\n  target_ttft_ms: [1e7]\n  target_itl_ms: [1e7]\n", p.isl)))
				if err != nil {
					t.Fatal(err)
				}
				s, err := EvalPoint(mustPlan(t, "study: serve\n"+common+fmt.Sprintf("  seq_len: [%d]\n", p.isl)))
				if err != nil {
					t.Fatal(err)
				}
				if d["replicas"].(float64) != 1 || s["feasible"] != true {
					t.Fatalf("fixture: %v replicas, serve feasible %v (%v); want one replica, steady", d["replicas"], s["feasible"], s["infeasible_reason"])
				}
				ttft, itl := d["ttft_ms"].(float64), d["itl_ms"].(float64)
				lttft, ltpot := s["load_ttft_ms"].(float64), s["load_tpot_ms"].(float64)
				t.Logf("serve-deploy TTFT %.6g ms ITL %.6g ms; serve TTFT %.6g ms TPOT %.6g ms", ttft, itl, lttft, ltpot)
				if prof == "seed" {
					if !(ttft >= lttft && itl >= ltpot) {
						t.Errorf("seed: serve-deploy TTFT %v ITL %v below serve's %v, %v (its whole step at the full batch bounds them)", ttft, itl, lttft, ltpot)
					}
					return
				}
				if math.Abs(ttft/lttft-1) > 1e-9 || math.Abs(itl/ltpot-1) > 1e-9 {
					t.Errorf("serve-deploy TTFT %.12g ITL %.12g ms, serve %.12g, %.12g (%+.3g %%, %+.3g %%)",
						ttft, itl, lttft, ltpot, 100*(ttft/lttft-1), 100*(itl/ltpot-1))
				}
			})
		}
	}
}

// servconsPoint is one replica, written once for every study that evaluates it.
type servconsPoint struct {
	profile, model, hw, prec, engine, draft string
	tp, batch, isl, osl, chunk              int
}

func (p servconsPoint) common(qps float64) string {
	s := fmt.Sprintf("version: 1\nprofile: %s\naxes:\n  model: [%s]\n  hardware: [%s]\n  precision: [%s]\n  tp: [%d]\n  batch_size: [%d]\n  output_tokens: [%d]\n  qps: [%g]\n",
		p.profile, p.model, p.hw, p.prec, p.tp, p.batch, p.osl, qps)
	if p.engine != "" {
		s += fmt.Sprintf("  engine: [%s]\n", p.engine)
	}
	if p.draft != "" {
		s += fmt.Sprintf("  draft_model: [%s]\n", p.draft)
	}
	if p.chunk > 0 {
		s += fmt.Sprintf("  prefill_chunk_tokens: [%d]\n", p.chunk)
	}
	return s
}

func (p servconsPoint) serve(t *testing.T, qps float64) map[string]any {
	t.Helper()
	row, err := EvalPoint(mustPlan(t, "study: serve\n"+p.common(qps)+fmt.Sprintf("  seq_len: [%d]\n", p.isl)))
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// TestServeAgreesWithSimulationNearCapacity: the closed form's mean TTFT and TPOT (serve
// --qps, §34.1 with §34.8's passes and §34.9's prefill share and decode step) against
// §34.2's simulation of the same replica (20,000 requests, seed 1; independent code that
// forms every step and pass as the scheduler does) at 0.5, 0.8, 0.9, 0.95 and 0.98 of the
// Poisson capacity λ_P, on the three replicas of §34.9's table: speculative decoding, a
// dense replica whose prefills take most of its time, and a small model at a large batch.
// Tolerance 10 % on the mean TPOT, both sides, at every load — §34.4's, fixed before the
// drafttpot round's first run — and, on the first two replicas (the servcons round's), 15 %
// on the mean TTFT up to 0.9 of λ_P, as §34.3's slot-wait comparison (the slots are not independent servers, and a run of 20,000
// requests from an empty replica carries sampling error that grows with the load; beyond
// 0.9 it does not reach steady state, §34.9).
//
// Before issue #10's servcons round the closed form held a slot B'·t_p + (O − 1)·t_d(B') —
// one prompt a pass — where the simulated engine refills the slots freed together in one
// pass: Llama3_70B fp8 with a Llama3_8B draft on four H100s (batch 64, 1024 + 256 tokens)
// at 8 requests/s gave a mean TTFT of 143.7 ms against 100.5 simulated (+43 %), 1211
// against 351 ms at 9, and was overloaded at 9.5 where the simulation keeps up (1011 ms);
// then 106.1, 333.7 and 1073 ms (before the NVLS all-reduce reached main; with it 101.9 /
// 96.2, 310.3 / 316.0 and 954.1 / 926.8 simulated). Before issue #10's drafttpot round the
// prefill share was one prompt a pass for every prompt and the step the one at the mean
// batch a sequence is in: the mean TPOT was +15.5 % at 0.95 of λ_P on the drafted replica
// (27.25 against 23.59 ms) and +13 % to +16 % on the MI300X one from 0.9, so it was held
// only on its lower side at 0.9. (This was two tests, TestServeTPOTNearCapacity beside this
// one, which simulated the same two replicas at 0.5–0.9 a second time.)
func TestServeAgreesWithSimulationNearCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 300,000 requests")
	}
	points := []struct {
		servconsPoint
		ttft bool // the mean TTFT held too (the servcons round's two replicas)
	}{
		{servconsPoint{"calibrated", "Llama3_70B", "H100", "fp8", "", "Llama3_8B", 4, 64, 1024, 256, 0}, true},
		{servconsPoint{"calibrated", "Llama3_70B", "MI300X", "fp8", "", "", 2, 64, 2048, 256, 0}, true},
		{servconsPoint{"calibrated", "Llama3_8B", "H100", "fp16", "", "", 1, 256, 1024, 256, 0}, false},
	}
	for _, p := range points {
		t.Run(p.String(), func(t *testing.T) {
			poisson := p.serve(t, 0.01)["load_poisson_capacity_qps"].(float64)
			for _, u := range []float64{0.5, 0.8, 0.9, 0.95, 0.98} {
				qps := u * poisson
				load := p.serve(t, qps)
				sim := p.serveSim(t, qps, 20000)
				if load["feasible"] != true || sim["feasible"] != true {
					t.Fatalf("at %v of capacity: closed form %v, simulation %v", u, load["infeasible_reason"], sim["infeasible_reason"])
				}
				tpot, simTPOT := load["load_tpot_ms"].(float64), sim["sim_tpot_mean_ms"].(float64)
				t.Logf("%.4g requests/s (%v of %.4g): TPOT %.4g / %.4g ms simulated (%+.1f %%), TTFT %.4g / %.4g ms",
					qps, u, poisson, tpot, simTPOT, 100*(tpot/simTPOT-1), load["load_ttft_ms"], sim["sim_ttft_mean_ms"])
				if r := tpot / simTPOT; math.Abs(r-1) > 0.10 {
					t.Errorf("at %v of capacity: mean TPOT %.4g ms, simulated %.4g (ratio %.3f)", u, tpot, simTPOT, r)
				}
				ttft, simTTFT := load["load_ttft_ms"].(float64), sim["sim_ttft_mean_ms"].(float64)
				if r := ttft / simTTFT; p.ttft && u <= 0.9 && math.Abs(r-1) > 0.15 {
					t.Errorf("at %v of capacity: mean TTFT %.4g ms, simulated %.4g (ratio %.3f)", u, ttft, simTTFT, r)
				}
			}
		})
	}
}

// serveSim evaluates the replica's serve-sim row at qps over the given number of requests.
func (p servconsPoint) serveSim(t *testing.T, qps float64, requests int) map[string]any {
	t.Helper()
	row, err := EvalPoint(mustPlan(t, "study: serve-sim\n"+p.common(qps)+fmt.Sprintf("  seq_len: [%d]\n  requests: [%d]\n", p.isl, requests)))
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// String names the replica for a subtest.
func (p servconsPoint) String() string {
	return fmt.Sprintf("%s/%s/%s/%s/%s/draft%s/tp%d/b%d/%d+%d/c%d", p.profile, p.model, p.hw, p.prec, p.engine, p.draft, p.tp, p.batch, p.isl, p.osl, p.chunk)
}

// capacityPoints are the replicas serve's and serve-sim's capacity tests share: dense and
// MoE, speculative decoding (whole prompts), an engine with a token budget of two prompts,
// the seed, a stall-free replica and requests of one output token.
var capacityPoints = []servconsPoint{
	{"calibrated", "Llama3_70B", "MI300X", "fp8", "", "", 2, 64, 2048, 256, 0},
	{"calibrated", "Llama3_70B", "H100", "fp8", "", "Llama3_8B", 4, 64, 1024, 256, 0},
	{"calibrated", "Llama3_8B", "H100", "fp16", "", "", 1, 256, 1024, 256, 0},
	{"calibrated", "Mixtral_8x7B", "H200", "fp8", "sglang", "", 2, 96, 4000, 64, 0},
	{"calibrated", "Llama3_8B", "H100", "fp8", "", "", 1, 64, 1024, 256, 512},
	{"seed", "Llama3_8B", "H100", "fp16", "", "", 1, 64, 1024, 256, 0},
	{"calibrated", "Llama3_8B", "H100", "fp8", "", "", 1, 64, 1024, 1, 0}, // the prefill's token only
}

// TestServeOverloadedAtItsCapacity: serve --qps turns overloaded at the capacity it
// reports, load_poisson_capacity_qps, and nowhere below it: steady at (1 − 10⁻⁶) of it,
// overloaded at (1 + 10⁻⁶), load_utilization 1 there (docs/PHYSICS.md §34.8). 10⁻⁶ is far
// above the searches' tolerances (bisection to 10⁻¹² of the rate, the decode fixed point to
// 10⁻¹²) and far below any input's precision. The capacity with every request queued,
// load_capacity_qps (the batching study's and serve-capacity's, TestOneReplicaOneCapacity),
// is never below it. Before issue #10's servcons round a whole-prompt replica turned
// overloaded at one prompt a pass's rate, B'/(B'·t_p + (O − 1)·t_d(B')), while reporting
// the queued capacity: Llama3_70B fp8 on two MI300X, batch 64, 2048 + 256 tokens,
// overloaded from 4.376 requests/s beside a capacity of 4.855 (10 % apart); its Poisson
// capacity is now 4.723. Points: dense and MoE, speculative decoding (whole prompts),
// an engine with a token budget of two prompts, the seed, a stall-free replica (whose
// capacity is its queued one) and requests of one output token (nothing decodes: the
// prompts alone must keep up, λ·t_p < 1).
func TestServeOverloadedAtItsCapacity(t *testing.T) {
	for _, p := range capacityPoints {
		t.Run(p.String(), func(t *testing.T) {
			probe := p.serve(t, 0.01)
			poisson, queued := probe["load_poisson_capacity_qps"].(float64), probe["load_capacity_qps"].(float64)
			if !(poisson > 0 && poisson <= queued*(1+1e-12)) {
				t.Fatalf("Poisson capacity %v, queued %v: want 0 < Poisson ≤ queued", poisson, queued)
			}
			below, above := p.serve(t, poisson*(1-1e-6)), p.serve(t, poisson*(1+1e-6))
			t.Logf("capacity %.6g requests/s under Poisson arrivals, %.6g queued; just below: TTFT %v ms", poisson, queued, below["load_ttft_ms"])
			if below["feasible"] != true {
				t.Errorf("at (1 − 1e-6) of its capacity %v: %v, want steady", poisson, below["infeasible_reason"])
			}
			if above["infeasible_reason"] != "overloaded" {
				t.Errorf("at (1 + 1e-6) of its capacity %v: feasible %v (%v), want overloaded", poisson, above["feasible"], above["infeasible_reason"])
			}
			if u := below["load_utilization"].(float64); math.Abs(u-1) > 2e-6 {
				t.Errorf("load_utilization %v just below capacity, want 1", u)
			}
			// Steady at every rate below it (a coarse walk: the verdict does not flip).
			for _, u := range []float64{0.2, 0.5, 0.8, 0.95, 0.99} {
				if r := p.serve(t, u*poisson); r["feasible"] != true {
					t.Errorf("at %v of its capacity: %v, want steady", u, r["infeasible_reason"])
				}
			}
		})
	}
}
