package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim/catalog"
)

// qa26Hardware: accelerators of every class — a datacenter GPU with an FP8 rate, one
// without, an inference card, a TPU, an AMD GPU, an edge module and a microcontroller.
var qa26Hardware = []string{"H100", "A100", "T4", "TPUv5p", "MI300X", "JetsonAGXOrin", "ESP32_S3"}

// TestEvalPhysicalSanity: eval on every catalog model × qa26Hardware × both profiles,
// inference and --training, at batch 1 and 2, read as a physicist reads a scorecard:
//
//	every number finite; the step, its parts and the tokens per step ≥ 0, the step > 0
//	throughput · latency = batch; tokens/s · latency = tokens per step
//	memory used / capacity = utilisation; a PASS fits: used ≤ capacity
//	latency ≥ its compute part and its memory part (a step is no shorter than a part)
//	energy = power × time, power between the idle floor and the TDP:
//	        0.3 · TDP · t ≤ E ≤ TDP · t (kernel.IdlePowerFraction 0.3)
//	0 ≤ HFU ≤ 1 (executed FLOPs never pass the peak), MFU ≥ 0, and MFU = HFU where
//	        nothing is recomputed and no causal attention is halved (inference)
//	twice the batch: never a shorter step, never less memory, twice the tokens per step,
//	        and a point that fits at 2 fits at 1
//
// MFU may pass HFU in a calibrated training step (it counts all s² attention scores,
// the fused causal kernel computes half; eval --help) and may pass 1 at long context,
// so neither is required there.
func TestEvalPhysicalSanity(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	tdp := map[string]float64{}
	for _, h := range qa26Hardware {
		hw, err := cat.HardwareByKey(h)
		if err != nil {
			t.Fatal(err)
		}
		tdp[h] = hw.TDPW
	}
	const rel = 1e-9
	close := func(a, b float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }
	for _, profile := range []string{"calibrated", "seed"} {
		for _, training := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/training=%v", profile, training), func(t *testing.T) {
				t.Parallel()
				var bad []string
				checked := 0
				for _, m := range cat.Models {
					for _, h := range qa26Hardware {
						var at [3]map[string]any
						for _, b := range []int{1, 2} {
							args := []string{"--profile", profile, "eval", m.Key, h, "-b", strconv.Itoa(b), "-o", "json"}
							if training {
								args = append(args, "--training")
							}
							r := mlsysim(t, args...)
							key := strings.Join(args[2:6], " ")
							if r.code != exitOK {
								bad = append(bad, fmt.Sprintf("%s: exit %d: %s%s", key, r.code, r.stdout, r.stderr))
								continue
							}
							o := oneObject(t, r.stdout)
							at[b] = o
							f := func(k string) float64 {
								v, ok := o[k].(float64)
								if !ok {
									bad = append(bad, fmt.Sprintf("%s: %s = %v, want a number", key, k, o[k]))
									return math.NaN()
								}
								return v
							}
							lat, thr := f("p_latency"), f("p_throughput")
							if !(lat > 0) || math.IsInf(lat, 0) {
								bad = append(bad, fmt.Sprintf("%s: latency %v ms", key, lat))
								continue
							}
							for _, k := range []string{"p_latency_compute", "p_latency_memory", "p_latency_overhead", "p_tokens_per_step", "p_mfu", "p_hfu", "f_memory_used_gb", "f_memory_capacity_gb"} {
								if v := f(k); !(v >= 0) || math.IsInf(v, 0) {
									bad = append(bad, fmt.Sprintf("%s: %s = %v", key, k, v))
								}
							}
							if got := thr * lat / 1000; !close(got, float64(b)) {
								bad = append(bad, fmt.Sprintf("%s: throughput × latency = %.12g, batch %d", key, got, b))
							}
							if got := f("p_tokens_per_s") * lat / 1000; !close(got, f("p_tokens_per_step")) {
								bad = append(bad, fmt.Sprintf("%s: tokens/s × latency = %.12g, tokens per step %v", key, got, o["p_tokens_per_step"]))
							}
							used, capacity := f("f_memory_used_gb"), f("f_memory_capacity_gb")
							if !close(used/capacity, f("f_memory_utilization")) {
								bad = append(bad, fmt.Sprintf("%s: used / capacity = %.12g, utilisation %v", key, used/capacity, o["f_memory_utilization"]))
							}
							if o["f_status"] == "PASS" && used > capacity {
								bad = append(bad, fmt.Sprintf("%s: PASS with %v GB used of %v GB", key, used, capacity))
							}
							if part := math.Max(f("p_latency_compute"), f("p_latency_memory")); lat < part*(1-rel) {
								bad = append(bad, fmt.Sprintf("%s: latency %v ms below a part of it, %v ms", key, lat, part))
							}
							hfu, mfu := f("p_hfu"), f("p_mfu")
							if hfu > 1+rel {
								bad = append(bad, fmt.Sprintf("%s: HFU %v above 1", key, hfu))
							}
							if !training && !close(mfu, hfu) {
								bad = append(bad, fmt.Sprintf("%s: inference MFU %v, HFU %v", key, mfu, hfu))
							}
							if w := tdp[h]; w > 0 {
								e, s := f("p_energy_j"), lat/1000
								if e < 0.3*w*s*(1-rel) || e > w*s*(1+rel) {
									bad = append(bad, fmt.Sprintf("%s: energy %v J in %v s: %v W, outside [0.3, 1] × TDP %v W", key, e, s, e/s, w))
								}
							} else if o["p_energy_j"] != nil {
								bad = append(bad, fmt.Sprintf("%s: energy %v J without a TDP", key, o["p_energy_j"]))
							}
						}
						one, two := at[1], at[2]
						if one == nil || two == nil {
							continue
						}
						checked++
						key := fmt.Sprintf("%s %s", m.Key, h)
						g := func(o map[string]any, k string) float64 { v, _ := o[k].(float64); return v }
						if g(two, "p_latency") < g(one, "p_latency")*(1-rel) {
							bad = append(bad, fmt.Sprintf("%s: batch 2 steps in %v ms, batch 1 in %v ms", key, g(two, "p_latency"), g(one, "p_latency")))
						}
						if g(two, "f_memory_used_gb") < g(one, "f_memory_used_gb")*(1-rel) {
							bad = append(bad, fmt.Sprintf("%s: batch 2 uses %v GB, batch 1 %v GB", key, g(two, "f_memory_used_gb"), g(one, "f_memory_used_gb")))
						}
						if !close(g(two, "p_tokens_per_step"), 2*g(one, "p_tokens_per_step")) {
							bad = append(bad, fmt.Sprintf("%s: %v tokens per step at batch 2, %v at batch 1", key, two["p_tokens_per_step"], one["p_tokens_per_step"]))
						}
						if two["f_status"] == "PASS" && one["f_status"] != "PASS" {
							bad = append(bad, fmt.Sprintf("%s: fits at batch 2, not at batch 1", key))
						}
					}
				}
				if checked < len(cat.Models)*len(qa26Hardware) {
					t.Errorf("%d model × accelerator pairs compared, want %d", checked, len(cat.Models)*len(qa26Hardware))
				}
				for i, b := range bad {
					if i == 20 {
						t.Errorf("… %d violations in all", len(bad))
						break
					}
					t.Error(b)
				}
			})
		}
	}
}

// TestSecondSignalStops: a serve-sim point whose goodput takes minutes (1024 prefill and
// 1024 decode instances: the simulation scans every instance per event) does not check
// the context a first SIGINT cancels. A second signal ends the process; before, every
// SIGINT and SIGTERM after the first was caught and ignored, and only SIGKILL stopped it.
func TestSecondSignalStops(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep in a child process")
	}
	grid := writeGrid(t, "version: 1\nstudy: serve-sim\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  target_tpot_ms: [10000000]\n  prefill_instances: [1024]\n  decode_instances: [1024]\n")
	cmd := exec.Command(os.Args[0], "sweep", grid, "--out", filepath.Join(t.TempDir(), "out"), "-q")
	cmd.Env = append(os.Environ(), "MLSYSIM_RUN_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(2 * time.Second) // into the simulation
	for _, sig := range []os.Signal{os.Interrupt, os.Interrupt} {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatalf("%v: %v (the point finished first?)", sig, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("exit 0 after two interrupts")
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("still running 20 s after a second SIGINT")
	}
}
