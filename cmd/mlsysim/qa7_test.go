//go:build cgo

package main

import (
	"strings"
	"testing"
)

// TestTrainingNeedsTheFormatsRate: eval --training and a fleet plan in a format the
// accelerator states no rate for are bad input naming the flag or plan line, the
// formats it does state and the accelerators that state this one
// (sweep.TrainingPrecisionPath); before, fp8 on an A100 trained at its 16-bit peak with
// a warning and exit 0, and a fleet plan of A100s at fp8 said nothing. Inference there
// keeps the seed's warning, and a stated format trains.
func TestTrainingNeedsTheFormatsRate(t *testing.T) {
	fleet := func(name, cluster, precision string) string {
		return writePlan(t, name+".yaml", "version: \"1.0\"\nname: fp8\nworkload: {name: Llama3_8B, batch_size: 32, seq_len: 2048}\n"+
			"hardware: {cluster: "+cluster+", precision: "+precision+"}\nparallelism: {tp: 8, microbatches: 2, zero_stage: 3}\n")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"eval A100 fp8 training", []string{"eval", "Llama3_8B", "A100", "--training", "-p", "fp8"}, exitBadInput,
			[]string{"--precision", "A100 states no fp8 rate", "bf16", "H100"}},
		{"eval TPUv4 fp32 training seed", []string{"--profile", "seed", "eval", "GPT2", "TPUv4", "--training", "-p", "fp32"}, exitBadInput,
			[]string{"--precision", "TPUv4 states no fp32 rate", "(fp16, bf16)"}},
		{"eval A100 fp8 inference", []string{"eval", "GPT2", "A100", "-p", "fp8"}, exitOK, []string{"A100 states no fp8 rate; using its default peak"}},
		{"eval H100 fp8 training", []string{"eval", "GPT2", "H100", "--training", "-p", "fp8", "-s", "1024"}, exitOK, nil},
		{"fleet plan A100 fp8", []string{"eval", fleet("a100-fp8", "Vela_A100_128", "fp8")}, exitBadInput,
			[]string{"a100-fp8.yaml:4: hardware.precision", "A100 states no fp8 rate", "H100"}},
		{"fleet plan A100 bf16", []string{"eval", fleet("a100-bf16", "Vela_A100_128", "bf16")}, exitOK, nil},
		{"fleet plan H100 fp8", []string{"eval", fleet("h100-fp8", "Lab_64_H100", "fp8")}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mlsysim(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q\n%v", want, r)
				}
			}
		})
	}
}
