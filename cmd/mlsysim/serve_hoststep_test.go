package main

import (
	"math"
	"strings"
	"testing"
)

// TestServeHostStep: serve names the V0 engines' measured host time per decode step
// (docs/PHYSICS.md §33), at a grid point of the table read by hand from engines.yaml —
// tp 4, batch 64: in process 14.338 ms; vllm-0.2 adds the Ray control plane's 10.948 ms,
// 25.286 ms in all — and says nothing for an engine without a table.
func TestServeHostStep(t *testing.T) {
	t.Parallel()
	args := []string{"serve", "Llama2_70B", "A100", "--tp", "4", "--batch-size", "64", "--precision", "fp16"}
	for engine, want := range map[string]float64{"vllm-0.2": 14.338 + 10.948, "vllm-0.3": 14.338, "vllm": -1} {
		r := mlsysim(t, append(args, "--engine", engine, "-o", "json")...)
		if r.code != exitOK {
			t.Fatalf("%s: %v", engine, r)
		}
		got, ok := oneObject(t, r.stdout)["host_step_ms"].(float64)
		switch {
		case want < 0 && ok:
			t.Errorf("%s: host_step_ms %g, want none (the engine has no host-time table)", engine, got)
		case want >= 0 && (!ok || math.Abs(got-want) > 1e-9):
			t.Errorf("%s: host_step_ms %v, want %g", engine, got, want)
		}
		text := mlsysim(t, append(args, "--engine", engine)...)
		if has := strings.Contains(text.stdout, "Host time"); has != (want >= 0) {
			t.Errorf("%s: a Host time line %v, want %v\n%s", engine, has, want >= 0, text.stdout)
		}
	}
}
