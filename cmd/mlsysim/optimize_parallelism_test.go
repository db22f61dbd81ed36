//go:build cgo && !lean

package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// searchPlan is a small calibrated fleet: Llama-3 8B on 16 H100 (two nodes of 8).
func searchPlan(t *testing.T, batch int, par string) string {
	return writePlan(t, "search.yaml", fmt.Sprintf("version: \"1.0\"\nname: search\nworkload: {name: Llama3_8B, batch_size: %d, seq_len: 2048}\n"+
		"hardware: {name: H100, accelerators: 16, accelerators_per_node: 8, precision: bf16}\nparallelism: {%s}\n", batch, par))
}

func candidates(t *testing.T, obj map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range obj["top_candidates"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// TestOptimizeParallelismBubbleAndFirstStageByHand: on tp 1 × pp 4 × dp 4 (16 H100, batch
// 64: 16 sequences per replica), the search over microbatches {4, 8, 16} × virtual stages
// {1, 2, 4, 8} returns every layout with its bubble and first-stage activations as the
// schedule's arithmetic says:
//
//   - bubble: at tp 1 no collective is exposed inside a layer, so node_latency_ms is
//     m · t_microbatch and the bubble (pp − 1)/v · t_microbatch is (pp − 1)/(m · v) of it
//     (Narayanan et al. 2021, §2.2.2: the interleaved schedule's bubble (p − 1)/(m · v));
//   - activations of the first stage (Korthikanti et al. 2022 §4, per tensor, bf16 = 2
//     bytes; FlashAttention stores no s² scores; no recomputation), Llama-3 8B: h 4096,
//     a 32, kv 8, gated MLP of 14336, 32 layers → 8 per stage:
//     per layer and sequence of s = 2048 tokens:
//     2048 · (4h·2 [QKV, MLP and norm inputs] + 2·(2h + 2h·8/32 + 3·14336) [Q, K, V,
//     projection input, MLP])
//     = 2048 · (32768 + 2 · (8192 + 2048 + 43008)) = 2048 · 139264 = 285,212,672 B;
//     m 16 (1 sequence each), v 2: 8 layers · min(pp, m) = 4 in flight · (1 + 3/(4·2))
//     = 44 layer-microbatches → 44 · 285,212,672 = 12,549,357,568 B, plus the embedding
//     dropout mask (1 B) of 4 in flight: 4 · 2048 · 4096 = 33,554,432 B
//     → 12,582,912,000 B = 12.582912 GB;
//     m 4 (4 sequences each), v 1: 8 · 4 = 32 layer-microbatches of 4 · 285,212,672 B
//     = 36,507,222,016 B, plus 4 · 4 · 2048 · 4096 = 134,217,728 B → 36.641439744 GB.
func TestOptimizeParallelismBubbleAndFirstStageByHand(t *testing.T) {
	plan := searchPlan(t, 64, "zero_stage: 1")
	r := mlsysim(t, "optimize", "parallelism", plan, "--tp", "1", "--pp", "4", "--microbatches", "4,8,16", "--virtual-stages", "1,2,4,8",
		"--zero-stages", "1", "--activation-checkpointing", "none", "--top", "1000", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "total_searched", 12.0)
	cands := candidates(t, obj)
	if len(cands) != 12 {
		t.Fatalf("%d feasible layouts, want all 12: %v", len(cands), r.stdout)
	}
	hand := map[[2]float64]float64{{16, 2}: 12.582912, {4, 1}: 36.641439744}
	for _, c := range cands {
		cfg := c["config"].(map[string]any)
		m, v := cfg["microbatches"].(float64), cfg["virtual_stages"].(float64)
		if cfg["tp"] != 1.0 || cfg["pp"] != 4.0 || cfg["dp"] != 4.0 || cfg["microbatch_size"] != 16/m {
			t.Errorf("layout %v: want tp 1 × pp 4 × dp 4 with 16/m sequences per microbatch", cfg)
		}
		want := "1f1b"
		if v > 1 {
			want = "interleaved_1f1b"
		}
		if cfg["schedule"] != want {
			t.Errorf("layout %v: schedule %v, want %s", cfg, cfg["schedule"], want)
		}
		got := c["bubble_ms"].(float64) / c["node_latency_ms"].(float64)
		if b := 3 / (m * v); math.Abs(got-b) > 1e-12*b {
			t.Errorf("m %g v %g: bubble / busy time = %v, want (pp − 1)/(m · v) = %v", m, v, got, b)
		}
		if gb, ok := hand[[2]float64{m, v}]; ok {
			delete(hand, [2]float64{m, v})
			if a := c["activations_gb"].(float64); math.Abs(a-gb) > 1e-9*gb {
				t.Errorf("m %g v %g: first-stage activations %v GB, want %v GB by hand", m, v, a, gb)
			}
		}
	}
	if len(hand) > 0 {
		t.Errorf("layouts not returned: %v", hand)
	}
	// The best is the shortest step, and its text names the schedule it chose.
	best := obj["best_config"].(map[string]any)
	for _, c := range cands {
		if c["step_time"].(float64) < obj["best_step_time"].(float64) {
			t.Errorf("%v beats the best %v", c, best)
		}
	}
	text := mlsysim(t, "optimize", "parallelism", plan, "--tp", "1", "--pp", "4", "--microbatches", "4,8,16", "--virtual-stages", "1,2,4,8",
		"--zero-stages", "1", "--activation-checkpointing", "none")
	for _, s := range []string{"Objective: minimise step_latency_ms", "Constraints: ", "global batch 64 = microbatch size × microbatches × dp",
		fmt.Sprintf("%v microbatches of %v sequence", best["microbatches"], best["microbatch_size"]), "ZeRO-1", "no recomputation"} {
		if !strings.Contains(text.stdout, s) {
			t.Errorf("text lacks %q\n%v", s, text)
		}
	}
}

// TestOptimizeParallelismRefusesWhatCannotDivide: a listed microbatch count the global
// batch does not divide into with any searched dp, a virtual-stage count no searched pp
// cuts the layers into, and a tp that does not divide the fleet are bad input naming the
// flag and the values that would; a plan whose own virtual stages do not cut the layers
// is refused at its line when the search keeps them. Layouts that do not divide in
// combination are infeasible rows, never the answer.
func TestOptimizeParallelismRefusesWhatCannotDivide(t *testing.T) {
	plan := searchPlan(t, 64, "zero_stage: 1")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--microbatches", "3"}, []string{"--microbatches", "3 microbatches", "global batch of 64", "counts that do: 1, 2, 4"}},
		{[]string{"--microbatches", "4,4"}, []string{"--microbatches", "4 is listed twice"}},
		{[]string{"--microbatches", "4611686018427387904"}, []string{"--microbatches", "whole numbers from 1 to 16777216"}},
		{[]string{"--tp", "2,x"}, []string{"--tp", `"x"`}},
		{[]string{"--pp", "2,4", "--virtual-stages", "1,5"}, []string{"--virtual-stages", "Llama3_8B's 32 layers", "pp × 5", "counts that do: 1, 2, 4, 8, 16"}},
		{[]string{"--tp", "3"}, []string{"--tp", "tp 3 does not divide the 16 accelerators"}},
		{[]string{"--zero-stages", "4"}, []string{"--zero-stages", "ZeRO stages are 0, 1, 2 and 3"}},
		{[]string{"--activation-checkpointing", "selectiv"}, []string{"--activation-checkpointing", "did you mean selective"}},
		{[]string{"--pp", "1", "--virtual-stages", "2"}, []string{"--virtual-stages", "for any searched pp > 1"}},
	} {
		badRun(t, exitBadInput, c.want, append([]string{"optimize", "parallelism", plan}, c.args...)...)
	}
	// With context parallelism, auto searches only the tp and pp that leave room for cp
	// (it used to list pp 8 for cp 4 on 16 accelerators and refuse its own list).
	cp := searchPlan(t, 64, "cp: 4, zero_stage: 1")
	r := mlsysim(t, "optimize", "parallelism", cp, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("cp 4, auto: %v", r)
	}
	searched := oneObject(t, r.stdout)["searched"].(map[string]any)
	if fmt.Sprint(searched["tp"]) != "[1 2 4]" || fmt.Sprint(searched["pp"]) != "[1 2 4]" {
		t.Errorf("cp 4 on 16: searched tp %v, pp %v; want [1 2 4] each (tp · cp · pp ≤ 16)", searched["tp"], searched["pp"])
	}
	badRun(t, exitBadInput, []string{"--pp", "pp 8 does not divide the 16 accelerators", "cp 4", "divisors of 4"}, "optimize", "parallelism", cp, "--pp", "8")
	bad := searchPlan(t, 64, "pp: 4, virtual_stages: 5, zero_stage: 1")
	badRun(t, exitBadInput, []string{"search.yaml:5", "virtual_stages"}, "optimize", "parallelism", bad, "--pp", "plan", "--virtual-stages", "plan")
	// The seed's optimizer searches tp and pp only.
	badRun(t, exitBadInput, []string{"--microbatches", "seed profile"}, "--profile", "seed", "optimize", "parallelism", planFixture("g5-research256.yaml"), "--microbatches", "1,2")
	// m 32 at dp 4 leaves half a sequence: infeasible for tp 1 · pp 1 (dp 16) and pp 4
	// alike unless dp · 32 divides 64, so only dp ≤ 2 layouts may use it.
	r = mlsysim(t, "optimize", "parallelism", plan, "--microbatches", "32", "--top", "1000", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	for _, c := range candidates(t, oneObject(t, r.stdout)) {
		cfg := c["config"].(map[string]any)
		if dp := cfg["dp"].(float64); math.Mod(64, dp*32) != 0 {
			t.Errorf("layout %v returned: 64 sequences do not make dp %v × 32 microbatches", cfg, dp)
		}
	}
}

// TestOptimizeParallelismBeatsTheSplitSearch: the search over microbatches, schedule,
// ZeRO and recomputation contains the split search (tp × pp with the plan's other
// choices, --… plan), so its best is at most every layout that search returns; on
// Llama-3 8B, batch 1024 on Research_256 with the plan's 16 microbatches and ZeRO-1 it
// is strictly shorter (the plan's choices are not the model's best).
func TestOptimizeParallelismBeatsTheSplitSearch(t *testing.T) {
	plan := writePlan(t, "op.yaml", "version: \"1.0\"\nname: op\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"+
		"hardware: {cluster: Research_256, precision: bf16}\nparallelism: {microbatches: 16, zero_stage: 1}\n")
	old := mlsysim(t, "optimize", "parallelism", plan, "--microbatches", "plan", "--virtual-stages", "plan", "--zero-stages", "plan",
		"--activation-checkpointing", "plan", "--top", "1000", "-o", "json")
	full := mlsysim(t, "optimize", "parallelism", plan, "-o", "json")
	if old.code != exitOK || full.code != exitOK {
		t.Fatalf("%v\n%v", old, full)
	}
	o, f := oneObject(t, old.stdout), oneObject(t, full.stdout)
	equal(t, o, "total_searched", 36.0) // tp {1, 2, 4, 8} × pp {1, …, 256}, as before
	best := f["best_step_time"].(float64)
	oldCands := candidates(t, o)
	if len(oldCands) == 0 {
		t.Fatal("the split search found nothing")
	}
	for _, c := range oldCands {
		if c["step_time"].(float64) < best {
			t.Errorf("split-search layout %v (%v ms) beats the full search's best %v ms", c["config"], c["step_time"], best)
		}
	}
	if !(best < o["best_step_time"].(float64)) {
		t.Errorf("best %v ms, want shorter than the split search's %v ms", best, o["best_step_time"])
	}
	if n := f["total_searched"].(float64); n <= 36 {
		t.Errorf("searched %v layouts, want more than the split search's 36", n)
	}
	// Same plan and catalog, same answer, byte for byte.
	if again := mlsysim(t, "optimize", "parallelism", plan, "-o", "json"); again.stdout != full.stdout {
		t.Errorf("a second run answered differently:\n%s\n%s", full.stdout, again.stdout)
	}
}

// TestOptimizeParallelismRules: the search's own rules on combinations drop layouts before
// they are evaluated, and no answer breaks them. tp {1, 2} × pp {1, 2, 4} × microbatches
// {1, 2, 4, 8, 16} × v {1, 2} × ZeRO {0, 1} × checkpointing {none, selective} on 16 H100:
//   - interleaving (v 2) needs pp > 1 and microbatches a multiple of pp: per tp, pp 1 keeps
//     v 1's 5 counts, pp 2 5 + 4 (m 2, 4, 8, 16), pp 4 5 + 3 (m 4, 8, 16): 22;
//   - ZeRO 1 is kept wherever dp · cp > 1, which tp · pp ≤ 8 < 16 always leaves: × 2;
//   - selective beside FlashAttention (the default) repeats none: × 1;
//
// so 2 · 22 · 2 = 88 layouts are evaluated of the 240 combinations.
func TestOptimizeParallelismRules(t *testing.T) {
	plan := searchPlan(t, 64, "zero_stage: 1")
	r := mlsysim(t, "optimize", "parallelism", plan, "--tp", "1,2", "--pp", "1,2,4", "--microbatches", "1,2,4,8,16", "--virtual-stages", "1,2",
		"--zero-stages", "0,1", "--activation-checkpointing", "none,selective", "--top", "1000", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "total_searched", 88.0)
	cands := candidates(t, obj)
	if len(cands) < 10 {
		t.Fatalf("only %d feasible layouts", len(cands))
	}
	for _, c := range cands {
		cfg := c["config"].(map[string]any)
		m, v, pp := cfg["microbatches"].(float64), cfg["virtual_stages"].(float64), cfg["pp"].(float64)
		if v > 1 && (pp == 1 || math.Mod(m, pp) != 0) {
			t.Errorf("layout %v interleaves without pp > 1 and microbatches a multiple of pp", cfg)
		}
		if cfg["activation_checkpointing"] == "selective" {
			t.Errorf("layout %v: selective recomputation beside FlashAttention repeats none", cfg)
		}
	}
	// Kept to one ZeRO stage and selective alone, nothing is dropped for repeating.
	r = mlsysim(t, "optimize", "parallelism", plan, "--tp", "1,2", "--pp", "1,2,4", "--microbatches", "1,2,4,8,16", "--virtual-stages", "1",
		"--zero-stages", "3", "--activation-checkpointing", "selective", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	equal(t, oneObject(t, r.stdout), "total_searched", 30.0) // 2 · 3 · 5
	// tp 2 × pp 8 leaves dp 1: ZeRO 1–3 shard over one rank, ZeRO-0's layout.
	r = mlsysim(t, "optimize", "parallelism", plan, "--tp", "2", "--pp", "8", "--microbatches", "8", "--virtual-stages", "1",
		"--zero-stages", "0,1,2,3", "--activation-checkpointing", "none", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj = oneObject(t, r.stdout)
	equal(t, obj, "total_searched", 1.0)
	if z := obj["best_config"].(map[string]any)["zero_stage"]; z != 0.0 {
		t.Errorf("zero_stage %v at dp 1, want 0", z)
	}
}

// TestOptimizeParallelismOneOverlapRule: the plan's overlap holds for every ZeRO stage
// the search compares (docs/PHYSICS.md §35, "One overlap rule"). ZeRO-3's per-layer
// gathers were overlapped whatever the plan said while ZeRO-1/2's reductions were
// exposed without overlap, so the search compared two stacks: its best ZeRO-3 step was
// the same with overlap false and true. Now ZeRO-3 without overlap exposes its
// collectives (a longer step than with it), and the constraints say which stack the
// search assumed.
func TestOptimizeParallelismOneOverlapRule(t *testing.T) {
	step := map[bool]float64{}
	for _, ov := range []bool{false, true} {
		plan := searchPlan(t, 64, fmt.Sprintf("zero_stage: 3, overlap: %v", ov))
		r := mlsysim(t, "optimize", "parallelism", plan, "--tp", "1", "--pp", "1", "--microbatches", "1",
			"--zero-stages", "3", "--activation-checkpointing", "full", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("overlap %v: %v", ov, r)
		}
		obj := oneObject(t, r.stdout)
		step[ov] = obj["best_step_time"].(float64)
		want := "exposed at every ZeRO stage"
		if ov {
			want = "overlapped with compute at every ZeRO stage"
		}
		if !strings.Contains(fmt.Sprint(obj["constraints"]), want) {
			t.Errorf("overlap %v: constraints do not say %q: %v", ov, want, obj["constraints"])
		}
	}
	if !(step[false] > step[true]) {
		t.Errorf("ZeRO-3 steps %v ms without overlap and %v ms with it: want the exposed collectives to cost time", step[false], step[true])
	}
}
