package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestTrainingNeedsTheFormatsRate: a training point in a format its accelerator states
// no rate for (catalog.Hardware.PeakFor's fallback to the default peak) is
// unsupported_by_hardware in the node study's training rows, the fleet study and the
// train-memory study, in both profiles (TrainingPrecisionPath, which eval --training and fleet plans refuse with
// exit 1); before, fp8 on an A100 trained at its 16-bit peak with 1-byte tensors and
// fp32 on a TPU v4 at its bf16 rate, exit 0. Inference there stays priced at the default
// peak (weight-only formats are dequantised), and a format the device states trains.
func TestTrainingNeedsTheFormatsRate(t *testing.T) {
	const node = "  model: [GPT2]\n  seq_len: [1024]\n  training: [true]\n"
	const fleet = "  model: [Llama3_8B]\n  nodes: [4]\n  tp: [8]\n  microbatches: [4]\n  batch_size: [32]\n  zero_stage: [3]\n"
	for _, profile := range Profiles {
		for _, tc := range []struct {
			name, study, where, hw, precision, more string
			refused                                 bool
		}{
			{"node A100 fp8 training", "node", "hardware", "A100", "fp8", node, true},
			{"node H100 int4 training", "node", "hardware", "H100", "int4", node, true},
			{"node TPUv4 fp32 training", "node", "hardware", "TPUv4", "fp32", node, true},
			{"node A100 fp8 inference", "node", "hardware", "A100", "fp8", "  model: [GPT2]\n  training: [false]\n", false},
			{"node H100 fp8 training", "node", "hardware", "H100", "fp8", node, false},
			{"node A100 bf16 training", "node", "hardware", "A100", "bf16", node, false},
			{"fleet A100 fp8", "fleet", "cluster", "Training_1K_A100", "fp8", fleet, true},
			{"fleet TPUv4 fp32", "fleet", "cluster", "TPUv4_Pod", "fp32", fleet, true},
			{"fleet H100 fp8", "fleet", "cluster", "Research_256", "fp8", fleet, false},
			{"fleet A100 bf16", "fleet", "cluster", "Training_1K_A100", "bf16", fleet, false},
			{"train-memory A100 fp8", "train-memory", "hardware", "A100", "fp8", "  model: [GPT2]\n  seq_len: [1024]\n", true},
			{"train-memory H100 fp8", "train-memory", "hardware", "H100", "fp8", "  model: [GPT2]\n  seq_len: [1024]\n", false},
		} {
			row := evalOne(t, "version: 1\nstudy: "+tc.study+"\nprofile: "+profile+"\naxes:\n  "+tc.where+": ["+tc.hw+"]\n  precision: ["+tc.precision+"]\n"+tc.more)
			got, want := row["infeasible_reason"], "unsupported_by_hardware"
			if profile == "calibrated" && (tc.precision == "int4" || tc.precision == "int8") {
				want = "not_a_training_format" // TestIntegerTrainingRefused
			}
			switch {
			case tc.refused && (got != want || row["feasible"] != false):
				t.Errorf("%s %s: feasible %v, reason %v; want infeasible, %s", profile, tc.name, row["feasible"], got, want)
			case !tc.refused && row["feasible"] != true:
				t.Errorf("%s %s: infeasible (%v), but %s states a %s rate or the point does not train", profile, tc.name, got, tc.hw, tc.precision)
			}
		}
	}
}

// TestTrainingRowInvariants sweeps the fleet study over layouts at their edges (tp not
// dividing the heads, pp above what the layers fill, ep on a dense model and beside the
// experts, cp not dividing seq_len, batches that do not split into dp × microbatches,
// interleaving, hybrid sharding, accumulation, recomputation, clusters smaller than the
// layout) and holds every feasible row to what its columns promise (docs/COLUMNS.md):
// finite; MFU ≤ HFU ≤ 1 (7/12 · MFU ≤ HFU with fused causal attention); the step no shorter than its hardware FLOPs at the peak of
// every accelerator; tokens = batch × seq_len and tokens/s = tokens / step; the memory
// columns sum to the total and the total fits; the layout multiplies out to the
// accelerators; energy = accelerators × TDP × (0.3 + 0.7 · HFU) × hours, facility energy
// = IT × PUE, carbon = energy × intensity; TCO = capex + energy + maintenance, each from
// its price and the duration. The peaks and TDPs are the vendors' datasheets (NVIDIA
// H100 SXM: 989 TFLOP/s dense fp16, 700 W; A100 SXM: 312 TFLOP/s, 400 W).
func TestTrainingRowInvariants(t *testing.T) {
	peak := map[string]float64{"H100": 989e12, "A100": 312e12}
	tdp := map[string]float64{"H100": 700, "A100": 400}
	const grid = `
fixed:
  duration_days: 30
  region: Quebec
axes:
  model: [Llama3_8B, Mixtral_8x7B]
  cluster: [Lab_64_H100, Training_1K_A100]
  nodes: [1, 4]
  batch_size: [6, 64]
  seq_len: [2048, 3000]
  tp: [1, 3, 8]
  pp: [1, 3, 4]
  ep: [1, 2, 8]
  cp: [1, 2]
  microbatches: [1, 4]
  virtual_stages: [1, 2]
  zero_stage: [0, 3]
  dp_shard: [0, 2]
  gradient_accumulation_steps: [1, 2]
  activation_recomputation: [false, true]
where:
  - "virtual_stages == 1 || pp > 1"
  - "dp_shard == 0 || zero_stage > 0"
`
	for _, profile := range Profiles {
		t.Run(profile, func(t *testing.T) {
			src := "version: 1\nstudy: fleet\nprofile: " + profile + "\n" + grid
			if profile == "seed" {
				// The seed has no context parallelism nor hybrid sharding (a grid would say so).
				src = strings.NewReplacer("  cp: [1, 2]\n", "", "  dp_shard: [0, 2]\n", "", "  - \"dp_shard == 0 || zero_stage > 0\"\n", "").Replace(src)
			}
			p := mustPlan(t, src)
			rows, feasible := eachFeasibleRow(t, p, func(row map[string]any) { trainingRowInvariants(t, profile, row, peak, tdp) })
			if feasible < 50 || feasible == rows {
				t.Errorf("%d of %d rows feasible: the grid should hold many of both", feasible, rows)
			}
		})
	}
}

// eachFeasibleRow runs plan p and calls check on each feasible row; it returns how many
// rows there were and how many were feasible.
func eachFeasibleRow(t *testing.T, p *Plan, check func(row map[string]any)) (rows, feasible int) {
	t.Helper()
	err := Run(t.Context(), p, Options{}, func(rec arrow.Record) error {
		for r := range int(rec.NumRows()) {
			rows++
			if row := Row(rec, r); row["feasible"] == true {
				feasible++
				check(row)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, feasible
}

func trainingRowInvariants(t *testing.T, profile string, row map[string]any, peak, tdp map[string]float64) {
	t.Helper()
	num := func(k string) float64 {
		switch v := row[k].(type) {
		case float64:
			return v
		case int64:
			return float64(v)
		}
		t.Fatalf("column %s is %T", k, row[k])
		return 0
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s point %v (%v on %v×%v, batch %v seq %v tp %v pp %v ep %v cp %v mb %v vs %v zero %v shard %v ga %v rc %v): %s",
			profile, row["point_id"], row["model"], row["nodes"], row["hardware"], row["batch_size"], row["seq_len"], row["tp"], row["pp"],
			row["ep"], row["cp"], row["microbatches"], row["virtual_stages"], row["zero_stage"], row["dp_shard"],
			row["gradient_accumulation_steps"], row["activation_recomputation"], fmt.Sprintf(format, args...))
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }
	for k, v := range row {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			fail("%s = %v on a feasible row", k, f)
		}
	}
	n, step := num("total_accelerators"), num("step_latency_ms")/1e3
	batch, seq := num("batch_size"), num("seq_len")
	hw := row["hardware"].(string)
	if got, want := num("tokens_per_step"), batch*seq; got != want {
		fail("tokens_per_step %v, want batch × seq_len = %v", got, want)
	}
	if got, want := num("tokens_per_s"), batch*seq/step; !near(got, want) {
		fail("tokens_per_s %v, want tokens / step = %v", got, want)
	}
	parts := num("weights_gb") + num("gradients_gb") + num("optimizer_state_gb") + num("activations_gb") + num("buffers_gb")
	if total := num("memory_per_accelerator_gb"); !near(total, parts) || total > num("memory_capacity_gb") {
		fail("memory %v GB: parts sum to %v, capacity %v", total, parts, num("memory_capacity_gb"))
	}
	if got, want := num("memory_utilization"), num("memory_per_accelerator_gb")/num("memory_capacity_gb"); !near(got, want) {
		fail("memory_utilization %v, want %v", got, want)
	}
	// Hardware FLOPs are executed FLOPs: a fused causal kernel runs 7/12 of the full-s²
	// attention the model FLOPs count (half the scores; a backward of 2.5× the forward,
	// FlashAttention-2 §4.1), so only unfused attention keeps hardware ≥ model.
	executedShare := 1.0
	if row["flash_attention"] == true {
		executedShare = 7.0 / 12
	}
	if num("hardware_flops_per_step") < executedShare*num("model_flops_per_step")*(1-1e-12) {
		fail("hardware FLOPs %v below %v × model FLOPs %v", num("hardware_flops_per_step"), executedShare, num("model_flops_per_step"))
	}
	hfu := num("hfu")
	hours := num("duration_days") * 24
	if got, want := num("it_energy_kwh"), n*tdp[hw]*(0.3+0.7*hfu)*hours/1000; !near(got, want) {
		fail("it_energy_kwh %v, want accelerators × TDP × (0.3 + 0.7 · hfu %v) × hours = %v", got, hfu, want)
	}
	if got, want := num("energy_kwh"), num("it_energy_kwh")*num("pue"); !near(got, want) {
		fail("energy_kwh %v, want IT × PUE = %v", got, want)
	}
	if got, want := num("carbon_kg"), num("energy_kwh")*num("grid_carbon_g_per_kwh")/1000; !near(got, want) {
		fail("carbon_kg %v, want energy × intensity = %v", got, want)
	}
	if got, want := num("energy_cost_usd"), num("energy_kwh")*num("electricity_usd_per_kwh"); !near(got, want) {
		fail("energy_cost_usd %v, want energy × price = %v", got, want)
	}
	capex := num("capex_usd")
	if got, want := num("maintenance_usd"), 0.05*capex*num("amortization_years"); !near(got, want) {
		fail("maintenance_usd %v, want 5 %% of the fleet's price a year = %v", got, want)
	}
	if got, want := num("tco_usd"), capex+num("energy_cost_usd")+num("maintenance_usd"); !near(got, want) {
		fail("tco_usd %v, want capex + energy + maintenance = %v", got, want)
	}
	if got, want := num("objective_usd"), num("tco_usd")+num("carbon_tax_usd"); !near(got, want) {
		fail("objective_usd %v, want TCO + carbon tax = %v", got, want)
	}
	if profile == "seed" {
		return // the seed's MFU, throughput and local batch follow physics.md §7.2 (docs/COLUMNS.md)
	}
	mfu := num("mfu")
	if !(mfu > 0 && executedShare*mfu <= hfu*(1+1e-12) && hfu <= 1) {
		fail("MFU %v, HFU %v: want 0 < %v × MFU ≤ HFU ≤ 1", mfu, hfu, executedShare)
	}
	if floor := num("hardware_flops_per_step") / (n * peak[hw]); step < floor {
		fail("step %v s below its hardware FLOPs at peak, %v s", step, floor)
	}
	if got, want := mfu, num("model_flops_per_step")/(step*n*peak[hw]); !near(got, want) {
		fail("mfu %v, want model FLOPs / (step · accelerators · peak) = %v", got, want)
	}
	if got, want := num("fleet_throughput_per_s"), batch/step; !near(got, want) {
		fail("fleet_throughput_per_s %v, want batch / step = %v", got, want)
	}
	dp := num("dp")
	if got := dp * num("tp") * num("cp") * num("pp"); got != n {
		fail("dp %v × tp × cp × pp = %v, want the %v accelerators", dp, got, n)
	}
	mbs := num("microbatch_size")
	if mbs < 1 || mbs != math.Trunc(mbs) || mbs*dp*num("microbatches")*num("gradient_accumulation_steps") != batch {
		fail("microbatch_size %v: want a whole sequence count with dp × microbatches × accumulation × it = batch", mbs)
	}
	if num("bubble_ms")+num("comm_ms") > num("step_latency_ms") {
		fail("bubble %v + exposed communication %v exceed the step %v ms", num("bubble_ms"), num("comm_ms"), num("step_latency_ms"))
	}
}

// TestTrainMemoryLayoutFits: the calibrated train-memory study refuses the splits the
// fleet study refuses for the model's shape — a tp that does not divide the attention
// heads, more pipeline stages (pp · virtual_stages) than layers — with the fleet's
// reasons; before, Llama 3 8B (32 layers, 32 heads) at pp 64 fit in 3.0 GB, each stage
// holding half a layer, and at tp 3 its heads split 10⅔ a rank, exit 0. The seed has
// neither rule (its fleet study neither).
func TestTrainMemoryLayoutFits(t *testing.T) {
	for _, tc := range []struct {
		tp, pp, v int
		reason    string // "": not refused for its layout
	}{
		{3, 1, 1, "tp_does_not_divide_heads"},
		{64, 1, 1, "tp_does_not_divide_heads"}, // 64 ranks for 32 heads
		{1, 64, 1, "layers_do_not_fill_the_stages"},
		{1, 16, 4, "layers_do_not_fill_the_stages"}, // 64 interleaved stages
		{1, 3, 1, ""}, // uneven stages are allowed without interleaving (BLOOM)
		{8, 4, 2, ""},
		{8, 32, 1, ""},
		// 32 heads in 8 query groups: tp 32 and tp 16 divide the heads and replicate each
		// K/V head on 4 and 2 ranks (kernel/kvreplicate.go; vLLM's QKVParallelLinear, the
		// BigCode fork of Megatron-LM), priced, not refused.
		{32, 32, 1, ""},
		{16, 1, 1, ""},
	} {
		for _, profile := range Profiles {
			mem := evalOne(t, fmt.Sprintf("version: 1\nstudy: train-memory\nprofile: %s\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  tp: [%d]\n  pp: [%d]\n", profile, tc.tp, tc.pp)+
				map[bool]string{true: fmt.Sprintf("  virtual_stages: [%d]\n", tc.v), false: ""}[profile == "calibrated" && tc.v > 1])
			want := tc.reason
			if profile == "seed" {
				want = ""
			}
			got, _ := mem["infeasible_reason"].(string)
			switch {
			case want != "" && (got != want || mem["feasible"] != false):
				t.Errorf("%s tp %d pp %d v %d: feasible %v, reason %q; want infeasible, %s", profile, tc.tp, tc.pp, tc.v, mem["feasible"], got, want)
			case want == "" && (got == "tp_does_not_divide_heads" || got == "layers_do_not_fill_the_stages"):
				t.Errorf("%s tp %d pp %d v %d: refused as %s", profile, tc.tp, tc.pp, tc.v, got)
			}
			if profile != "calibrated" {
				continue
			}
			// The fleet study gives the same verdict on the same split (8 · tp · pp
			// accelerators, dp 8, a batch of dp × microbatches: only the shape can refuse it).
			fleet := evalOne(t, fmt.Sprintf("version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  nodes: %d\n  tp: %d\n  pp: %d\n  virtual_stages: %d\n  batch_size: %d\n  microbatches: %d\naxes:\n  model: [Llama3_8B]\n",
				tc.tp*tc.pp, tc.tp, tc.pp, tc.v, 8*tc.pp, tc.pp))
			if fr, _ := fleet["infeasible_reason"].(string); (fr == "tp_does_not_divide_heads" || fr == "layers_do_not_fill_the_stages") != (want != "") || want != "" && fr != want {
				t.Errorf("tp %d pp %d v %d: fleet says %q, train-memory %q", tc.tp, tc.pp, tc.v, fr, got)
			}
		}
	}
}
