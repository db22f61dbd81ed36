package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// reliabilityPoint is a point of the seed's reliability model (profile seed), whose
// goldens are the seed's; calibratedReliabilityPoint the same point under calibrated.
func reliabilityPoint(model, cluster string, hours float64, extra string) string {
	return "profile: seed\n" + calibratedReliabilityPoint(model, cluster, hours, extra)
}

func calibratedReliabilityPoint(model, cluster string, hours float64, extra string) string {
	return fmt.Sprintf("version: 1\nstudy: reliability\naxes:\n  model: [%s]\n  cluster: [%s]\n  job_duration_hours: %g\n%s",
		model, cluster, hours, extra)
}

// physics.md §13.4: Reliability(Research_256, 336 h) — 32 DGX H100 nodes (8 GPUs, 8 NICs,
// 2 PSUs), δ 60 s, recovery 300 s — and Checkpoint(Llama3_8B, H100, adam, 4 h).
func TestReliabilityVectors(t *testing.T) {
	row := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, ""))
	checkGolden(t, row, []golden{
		{"node_mtbf_h", 4285.714, 1e-6}, {"fleet_mtbf_h", 133.929, 1e-5},
		{"failure_probability", 0.918634, 1e-6}, {"optimal_checkpoint_interval_s", 7606.39, 1e-6},
		{"goodput", 0.991490, 1e-6}, {"expected_failures", 2.5088, 1e-12},
		{"checkpoint_gb", 112.42, 1e-12}, {"checkpoint_write_s", 16.06, 1e-12},
		{"checkpoint_penalty", 0.0011153, 1e-4}, {"storage_gb_per_s", 7, 1e-12},
		{"total_accelerators", 256, 0}, {"checkpoint_interval_s", 4 * 3600, 0}, {"checkpoint_time_used_s", 60, 0},
		{"wall_15_fragility_slack", 0.991490, 1e-6}, {"wall_19_checkpoint_slack", 1 - 16.06/14400, 1e-12},
	})
	if row["hardware"] != "H100" || row["storage_bound"] != false || row["wall_15_fragility_pass"] != true || row["wall_19_checkpoint_pass"] != true {
		t.Errorf("hardware %v, storage bound %v, walls 15 %v, 19 %v", row["hardware"], row["storage_bound"],
			row["wall_15_fragility_pass"], row["wall_19_checkpoint_pass"])
	}
	checkInfeasible(t, row, "", "15 Fragility")
}

func TestReliabilityDerived(t *testing.T) {
	// physics.md §13.2: GPT-3's Adam checkpoint is 2.45 TB, 350 s at 7 GB/s: storage-bound.
	gpt3 := evalOne(t, reliabilityPoint("GPT3", "Research_256", 336, ""))
	checkGolden(t, gpt3, []golden{{"checkpoint_gb", 2450, 1e-12}, {"checkpoint_write_s", 350, 1e-12}})
	if gpt3["storage_bound"] != true {
		t.Errorf("GPT-3: storage_bound %v, want true", gpt3["storage_bound"])
	}
	// 0s defer to the other model: δ is the write time, the interval Young's τ = √(2·δ·MTBF).
	d := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_time_s: 0\n  checkpoint_interval_hours: 0\n"))
	tau := 3935.2799864086633 // √(2 · 16.06 s · 133.929 h · 3600)
	checkGolden(t, d, []golden{{"checkpoint_time_used_s", 16.06, 1e-12}, {"optimal_checkpoint_interval_s", tau, 1e-9},
		{"checkpoint_interval_s", tau, 1e-9}, {"checkpoint_penalty", 16.06 / tau, 1e-9}})
	// Twice the nodes halve the fleet MTBF; sgd checkpoints 4 bytes per parameter.
	big := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  nodes: 64\n  optimizer: sgd\n  writers: 4\n"))
	checkGolden(t, big, []golden{{"fleet_mtbf_h", 4285.714285714285 / 64, 1e-12}, {"total_accelerators", 512, 0},
		{"checkpoint_gb", 32.12, 1e-12}, {"checkpoint_write_s", 32.12 / 28, 1e-12}})
}

func TestReliabilityInfeasible(t *testing.T) {
	// A checkpoint every 3.6 s cannot be written in 16 s.
	checkInfeasible(t, evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_interval_hours: 0.001\n")),
		"checkpoint_exceeds_interval", "19 Checkpoint")
	// 1250 nodes fail every 3.4 h; an 8 h recovery leaves no useful time.
	row := evalOne(t, reliabilityPoint("Llama3_8B", "Training_10K", 336, "  recovery_time_s: 28800\n"))
	checkInfeasible(t, row, "no_goodput", "15 Fragility")
	checkGolden(t, row, []golden{{"goodput", 0, 0}})
	checkRefused(t, "version: 1\nstudy: reliability\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n", "needs job_duration_hours")
}

func TestReliabilityGrid(t *testing.T) {
	checkStudyGrid(t, `version: 1
profile: seed
study: reliability
axes:
  model: [Llama3_8B, Llama3_70B, GPT3]
  cluster: [Research_256, Frontier_8K, Training_1K_A100]
  job_duration_hours: [24, 336, 2160]
  checkpoint_time_s: [0, 60]
  recovery_time_s: [300, 28800]
  checkpoint_interval_hours: [0, 0.01, 4]
`, "no_goodput", "checkpoint_exceeds_interval")
}

// Under calibrated the reliability study prices the fleet study's whole-run term
// (docs/PHYSICS.md §18.1). By hand, Llama3_8B (8.03e9 parameters) on Research_256
// (32 nodes of 8 H100) for 336 h at the defaults (r_f 6.5 per 1,000 node-days, restart
// 5 min, 30 GB/s per 128 nodes, Young's interval):
//
//	node MTBF = 24,000 / 6.5 = 3,692.308 h;  job MTBF M = 3,692.308 / 32 = 115.3846 h = 415,384.6 s
//	expected failures = 336 / 115.3846 = 2.912;  P(fail) = 1 − e^−2.912 = 0.945633
//	checkpoint = 8.03e9 · 14 = 112.42 GB;  write bandwidth 32 · 0.234375 = 7.5 GB/s;  δ = 14.98933 s
//	τ = √(2 · 14.98933 · 415,384.6) = 3,528.835 s
//
// the same numbers as TestFleetGoodput's, which the fleet study gives this job. The fleet
// study prices a run of unknown length (goodput 1 − δ/τ − (τ/2 + u0)/M = 0.990782); this
// job does J = 1,209,600 s of work:
//
//	n = ⌊1,209,600 / 3,528.835⌋ = 342 writes;  r = 1,209,600 − 342 · 3,528.835 = 2,738.407 s
//	penalty n·δ/J = 5,126.352 / 1,209,600 = 0.0042380555556
//	L = (342 · 12,452,676.9 / 2 + 2,738.407² / 2) / 1,209,600 = 2,133,157,191 / 1,209,600 = 1,763.523 s
//	goodput = 1 − 0.00423806 − (1,763.523 + 300)/415,384.6 = 1 − 0.00423806 − 0.00496774 = 0.990794
func TestReliabilityCalibrated(t *testing.T) {
	row := evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, ""))
	checkGolden(t, row, []golden{
		{"node_mtbf_h", 3692.3076923076924, 1e-12}, {"fleet_mtbf_h", 115.38461538461539, 1e-12},
		{"expected_failures", 2.912, 1e-12}, {"failure_probability", 0.9456331127116868, 1e-12},
		{"checkpoint_gb", 112.42, 1e-12}, {"storage_gb_per_s", 7.5, 1e-12},
		{"checkpoint_write_s", 14.989333333333333, 1e-12}, {"checkpoint_time_used_s", 14.989333333333333, 1e-12},
		{"optimal_checkpoint_interval_s", 3528.835066006475, 1e-9}, {"checkpoint_interval_s", 3528.835066006475, 1e-9},
		{"checkpoint_penalty", 0.0042380555556, 1e-9}, {"goodput", 0.990794, 5e-7},
		{"wall_15_fragility_slack", 0.990794, 5e-7}, {"total_accelerators", 256, 0},
	})
	if row["storage_bound"] != false || row["wall_15_fragility_pass"] != true || row["wall_19_checkpoint_pass"] != true {
		t.Errorf("storage bound %v, walls 15 %v, 19 %v", row["storage_bound"], row["wall_15_fragility_pass"], row["wall_19_checkpoint_pass"])
	}
	checkInfeasible(t, row, "", "15 Fragility")
	// The seed's inputs are not read under calibrated: the same row with all of them changed.
	seedIn := evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336,
		"  checkpoint_time_s: 0\n  recovery_time_s: 28800\n  checkpoint_interval_hours: 0.001\n  writers: 64\n  filesystem_limit_gb_per_s: 1\n  optimizer: adamw\n"))
	for _, col := range []string{"goodput", "checkpoint_write_s", "checkpoint_interval_s", "fleet_mtbf_h", "checkpoint_gb"} {
		if seedIn[col] != row[col] {
			t.Errorf("%s: %v with the seed's inputs changed, %v without", col, seedIn[col], row[col])
		}
	}
	// ... and the calibrated inputs not under seed: the seed's goldens whatever they are.
	seed := evalOne(t, reliabilityPoint("Llama3_8B", "Research_256", 336,
		"  node_failures_per_1000_node_days: 100\n  restart_min: 60\n  checkpoint_write_gb_per_s_per_node: 0.01\n  checkpoint_interval_min: 1\n  optimizer_state_precision: bf16\n"))
	checkGolden(t, seed, []golden{{"goodput", 0.991490, 1e-6}, {"fleet_mtbf_h", 133.929, 1e-5}, {"checkpoint_write_s", 16.06, 1e-12}})
	// A 60-min interval leaves Young's optimum reported beside it; 2 h of restart per
	// failure on Training_10K's 1,250 nodes (M = 24,000/6.5/1,250 = 2.954 h) leaves none.
	given := evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_interval_min: 60\n"))
	checkGolden(t, given, []golden{{"checkpoint_interval_s", 3600, 0}, {"optimal_checkpoint_interval_s", 3528.835066006475, 1e-9},
		{"checkpoint_penalty", 14.989333333333333 / 3600, 1e-12}})
	// The qa25 report: a 24 h job at a 7-day interval, or a century's, writes no checkpoint and
	// a failure redoes half the job, J/2 = 43,200 s, with 24 · 0.208 = 0.208 expected failures:
	//   goodput = 1 − (43,200 + 300)/415,384.6 = 1 − 0.1047222 = 0.8952778
	// (the steady-state rates charged τ/2 a failure: 0.271 and, at a century, 0 and no_goodput).
	// At a 4 h interval J is a multiple of τ: 6 writes, τ/2 a failure, the steady state's
	//   1 − 14.98933/14,400 − (7,200 + 300)/415,384.6 = 1 − 0.00104093 − 0.01805556 = 0.9809035.
	for _, c := range []struct {
		interval string
		goodput  float64
		penalty  float64
	}{{"10080", 0.8952778, 0}, {"52596000", 0.8952778, 0}, {"240", 0.9809035, 14.989333333333333 / 14400}} {
		row := evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 24, "  checkpoint_interval_min: "+c.interval+"\n"))
		checkGolden(t, row, []golden{{"goodput", c.goodput, 5e-8}, {"checkpoint_penalty", c.penalty, 1e-12}, {"expected_failures", 0.208, 1e-12}})
		checkInfeasible(t, row, "", "15 Fragility")
	}
	checkInfeasible(t, evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Training_10K", 336, "  restart_min: 180\n")),
		"no_goodput", "15 Fragility")
	checkInfeasible(t, evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, "  checkpoint_interval_min: 0.1\n")),
		"checkpoint_exceeds_interval", "19 Checkpoint")
	// A job that never fails: no MTBF or Young interval (0, none), no failure; at a given
	// 60-min interval it still writes: goodput 1 − 14.98933/3600 = 0.9958363.
	never := evalOne(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, "  node_failures_per_1000_node_days: 0\n  checkpoint_interval_min: 60\n"))
	checkGolden(t, never, []golden{{"fleet_mtbf_h", 0, 0}, {"node_mtbf_h", 0, 0}, {"expected_failures", 0, 0}, {"failure_probability", 0, 0},
		{"optimal_checkpoint_interval_s", 0, 0}, {"checkpoint_interval_s", 3600, 0}, {"goodput", 1 - 14.989333333333333/3600, 1e-12}})
	// What the calibrated model cannot price is refused, not answered with the seed's.
	// (SetProfile runs the check, as the commands do; the seed takes both.)
	for extra, want := range map[string]string{
		"  optimizer: [adam, sgd]\n": "axis optimizer: sgd",
	} {
		p := mustPlan(t, calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, extra))
		if err := p.SetProfile("calibrated"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q under calibrated: %v, want an error naming %q", extra, err, want)
		}
		if err := p.SetProfile("seed"); err != nil {
			t.Errorf("%q under seed: %v", extra, err)
		}
	}
}

// The fleet study and the reliability study give one job on one cluster the same failure
// rate, interval and checkpoint under calibrated (one term, goodputOf →
// kernel.TrainingGoodput), and the same goodput up to what the job's length adds: the fleet
// study prices a run of unknown length (the steady-state rates), the reliability study a
// job of job_duration_hours (720 h here), whose last, partial interval writes nothing and
// redoes less. The two are equal where the interval divides the job (60 min) and otherwise
// the job's goodput is above the fleet's by at most δ/J + τ²/(8·J·M) (kernel's
// TestTrainingGoodputFiniteJob). Fails if either study prices the job with inputs of its own.
func TestReliabilityMatchesFleet(t *testing.T) {
	const jobS = 720 * 3600.0
	for _, tc := range []struct{ model, cluster, extra string }{
		{"Llama3_8B", "Research_256", ""},
		{"Llama3_8B", "Research_256", "  optimizer_state_precision: bf16\n  checkpoint_interval_min: 60\n  restart_min: 30\n"},
		{"Llama3_70B", "Training_1K_A100", "  node_failures_per_1000_node_days: 2.34\n  checkpoint_write_gb_per_s_per_node: 1.5\n"},
		{"Llama3_70B", "Training_1K_A100", "  node_failures_per_1000_node_days: 2.34\n  checkpoint_interval_min: 60\n"},
		{"GPT3", "Frontier_8K", "  node_failures_per_1000_node_days: 40\n  restart_min: 20\n"},
	} {
		fleet := evalOne(t, "version: 1\nstudy: fleet\naxes:\n  model: ["+tc.model+"]\n  cluster: ["+tc.cluster+"]\n  batch_size: 1024\n"+tc.extra)
		rel := evalOne(t, calibratedReliabilityPoint(tc.model, tc.cluster, 720, tc.extra))
		f, r := func(c string) float64 { return fleet[c].(float64) }, func(c string) float64 { return rel[c].(float64) }
		if fleet["feasible"] != true && f("goodput") == 0 {
			t.Fatalf("%s on %s: the fleet point priced no goodput (%v)", tc.model, tc.cluster, fleet["infeasible_reason"])
		}
		for _, p := range []struct {
			what         string
			fleet, relia float64
		}{
			{"failures a day", f("job_failures_per_day"), 24 / r("fleet_mtbf_h")},
			{"failures a day × job days", f("job_failures_per_day") * 30, r("expected_failures")},
			{"interval (s)", f("checkpoint_interval_used_min") * 60, r("checkpoint_interval_s")},
			{"checkpoint (GB)", f("checkpoint_gb"), r("checkpoint_gb")},
			{"write (s)", f("checkpoint_write_s"), r("checkpoint_write_s")},
			{"accelerators", f("total_accelerators"), r("total_accelerators")},
		} {
			if math.Abs(p.fleet-p.relia) > 1e-12*math.Abs(p.fleet) || p.fleet == 0 && p.relia != 0 {
				t.Errorf("%s on %s %q: %s %v in the fleet study, %v in the reliability study", tc.model, tc.cluster, tc.extra, p.what, p.fleet, p.relia)
			}
		}
		tau, mtbf := r("checkpoint_interval_s"), r("fleet_mtbf_h")*3600
		bound := r("checkpoint_write_s")/jobS + tau*tau/(8*jobS*mtbf)
		if math.Mod(jobS, tau) == 0 {
			bound = 1e-12 // the interval divides the job: the steady state exactly
		}
		if d := r("goodput") - f("goodput"); d < -1e-12 || d > bound {
			t.Errorf("%s on %s %q: goodput %v in the reliability study, %v in the fleet study: %g apart, want within [0, %g]",
				tc.model, tc.cluster, tc.extra, r("goodput"), f("goodput"), d, bound)
		}
		if g := f("goodput"); !(g > 0 && g < 1) {
			t.Errorf("%s on %s: goodput %v, want a loss strictly between 0 and 1 to compare", tc.model, tc.cluster, g)
		}
	}
}

// A grid that sets one profile's reliability inputs under the other is told they change
// nothing, by line.
func TestReliabilityEffectNotes(t *testing.T) {
	notes := func(src string) string { return strings.Join(mustPlan(t, src).EffectNotes(), "\n") }
	cal := notes(calibratedReliabilityPoint("Llama3_8B", "Research_256", 336, "  recovery_time_s: 600\n  restart_min: 20\n"))
	if !strings.Contains(cal, "test.yaml:7: recovery_time_s changes nothing") || strings.Contains(cal, "restart_min changes") {
		t.Errorf("calibrated notes:\n%s", cal)
	}
	seed := notes(reliabilityPoint("Llama3_8B", "Research_256", 336, "  recovery_time_s: 600\n  restart_min: 20\n"))
	if !strings.Contains(seed, "test.yaml:9: restart_min changes nothing") || strings.Contains(seed, "recovery_time_s changes") {
		t.Errorf("seed notes:\n%s", seed)
	}
}
