package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestPlanPackagedSystem: a user entry with accelerator_count n > 1 is a packaged system
// that the physics runs as one device (the system's peak, memory, power and price). A
// fleet plan grouped n of them per node by default (the seed's rule), so
// "accelerators: 16" of an eight-H100 box was 16 boxes — 128 GPUs of compute, capex of
// 16 × 240,000 USD — on 2 nodes whose intra-node links joined 8 boxes, at exit 0, while
// serve counts the same entry as 8 accelerators. That default is refused naming the line;
// with accelerators_per_node given, the plan runs as written. By hand, 16 systems, one a
// node, Llama 3 8B in bf16 with FP32 gradients (the fleet default), dp 16, no ZeRO:
//
//	capex   = 16 · 240,000 USD · (30 d / 365 d) / 3 y = 105,205.48 USD
//	dp_comm = ring all-reduce of 8.03e9 · 4 B over the plan's 50 GB/s fabric:
//	          2 · (15/16) · 32.12e9 B / 50e9 B/s = 1,204.5 ms (+ per-step latencies, < 0.1 %)
func TestPlanPackagedSystem(t *testing.T) {
	cat := filepath.Join(t.TempDir(), "box.yaml")
	box := "key: Box8\nname: Eight H100 as one system\npeak: 7912 TFLOP/s\naccelerator_count: 8\n" +
		"memory: {capacity: 640 GiB, bandwidth: 26.8 TB/s}\ntdp: 5600 W\nunit_cost: 240000 USD\n" +
		"source: {kind: estimate, ref: \"a test's system\"}\nfield_sources:\n  unit_cost: {kind: estimate, ref: \"a test's price, undated\"}\n"
	if err := os.WriteFile(cat, []byte(box), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := func(extra string) string {
		return writePlanText(t, "version: \"1.0\"\nname: box\nworkload: {name: Llama3_8B, batch_size: 256, seq_len: 2048}\n"+
			"hardware: {name: Box8, accelerators: 16, precision: bf16"+extra+"}\nparallelism: {tp: 1, dp: auto}\nops: {region: US_Avg, duration_days: 30}\n")
	}
	badRun(t, exitBadInput, []string{"plan.yaml:4: Box8 is a packaged system of 8 accelerators", "16 such systems (128 accelerators) grouped 8 to a node", "give hardware.accelerators_per_node"},
		"--catalog", cat, "eval", plan(""))
	badRun(t, exitBadInput, []string{"Box8 is a packaged system"}, "--catalog", cat, "--profile", "seed", "eval", plan(""))

	o := oneObject(t, mustRun(t, "--catalog", cat, "eval", plan(", accelerators_per_node: 1"), "-o", "json"))
	if got, want := o["m_capex"].(float64), 16*240000*(30.0/365)/3; math.Abs(got-want) > 1e-9*want {
		t.Errorf("capex %v USD, by hand %v", got, want)
	}
	if got, want := o["p_dp_comm"].(float64), 2*15.0/16*8.03e9*4/50e9*1e3; got < want || got > want*1.001 {
		t.Errorf("dp_comm %v ms, by hand %v ms (+ < 0.1 %% of latencies)", got, want)
	}
}
