package sweep

import (
	"strings"
	"testing"
)

// TestIntegerTrainingRefused: under calibrated, a training point in int8 or int4 is
// infeasible, not_a_training_format, in the node study's training rows, the fleet study
// and the train-memory study (IntegerTraining), on an accelerator that states an int8
// rate (H100: 1979 TOPS, twice its bf16 peak) as on one that does not; before, an int8
// step on an H100 was priced at the int8 rate with 1-byte gradients and optimizer state.
// The seed keeps its rule: int8 on an H100 trains at the int8 rate, int4 (no rate) is
// unsupported_by_hardware. Inference in int8 stays feasible, and bf16 training too.
func TestIntegerTrainingRefused(t *testing.T) {
	const node = "  model: [GPT2]\n  seq_len: [1024]\n  training: [true]\n"
	const fleet = "  model: [Llama3_8B]\n  nodes: [4]\n  tp: [8]\n  microbatches: [4]\n  batch_size: [32]\n  zero_stage: [3]\n"
	const mem = "  model: [GPT2]\n  seq_len: [1024]\n"
	for _, tc := range []struct {
		name, profile, study, where, hw, precision, more string
		want                                             string // "" = feasible
	}{
		{"node int8", "calibrated", "node", "hardware", "H100", "int8", node, "not_a_training_format"},
		{"node int4", "calibrated", "node", "hardware", "H100", "int4", node, "not_a_training_format"},
		{"node int8 A100", "calibrated", "node", "hardware", "A100", "int8", node, "not_a_training_format"},
		{"node bf16", "calibrated", "node", "hardware", "H100", "bf16", node, ""},
		{"node int8 inference", "calibrated", "node", "hardware", "H100", "int8", "  model: [GPT2]\n  training: [false]\n", ""},
		{"fleet int8", "calibrated", "fleet", "cluster", "Research_256", "int8", fleet, "not_a_training_format"},
		{"fleet int4", "calibrated", "fleet", "cluster", "Research_256", "int4", fleet, "not_a_training_format"},
		{"fleet bf16", "calibrated", "fleet", "cluster", "Research_256", "bf16", fleet, ""},
		{"train-memory int8", "calibrated", "train-memory", "hardware", "H100", "int8", mem, "not_a_training_format"},
		{"train-memory bf16", "calibrated", "train-memory", "hardware", "H100", "bf16", mem, ""},
		{"seed node int8", "seed", "node", "hardware", "H100", "int8", node, ""},
		{"seed node int4", "seed", "node", "hardware", "H100", "int4", node, "unsupported_by_hardware"},
		{"seed fleet int8", "seed", "fleet", "cluster", "Research_256", "int8", fleet, ""},
		{"seed train-memory int8", "seed", "train-memory", "hardware", "H100", "int8", mem, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := evalOne(t, "version: 1\nstudy: "+tc.study+"\nprofile: "+tc.profile+"\naxes:\n  "+tc.where+": ["+tc.hw+"]\n  precision: ["+tc.precision+"]\n"+tc.more)
			got := row["infeasible_reason"]
			if tc.want == "" {
				if row["feasible"] != true {
					t.Fatalf("infeasible (%v), want feasible", got)
				}
				return
			}
			if row["feasible"] != false || got != tc.want {
				t.Fatalf("feasible %v, reason %v; want infeasible, %s", row["feasible"], got, tc.want)
			}
		})
	}
	if err := IntegerTraining("INT8"); err == nil || !strings.Contains(err.Error(), "bf16") {
		t.Errorf("IntegerTraining(INT8) = %v, want a refusal that names bf16", err)
	}
	for _, p := range []string{"", "fp16", "bf16", "fp8", "fp32", "tf32", "fp4"} {
		if err := IntegerTraining(p); err != nil {
			t.Errorf("IntegerTraining(%q) = %v, want nil", p, err)
		}
	}
}
