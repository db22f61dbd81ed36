package sweep

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// TestNodeEffectNotes: a node grid notes a parameter that no point reads (eval refuses
// the same flag), and the note is true: the parameter's two values give the same row,
// every column but its own. The counter-cases, where a point does read it, give no
// note and a different row. Before, the calibrated CNN counted a recomputed forward in
// HFU and energy while its step time and memory stayed those without recomputation.
func TestNodeEffectNotes(t *testing.T) {
	const node = "version: 1\nstudy: node\nprofile: %s\naxes:\n  model: [%s]\n  hardware: [H100]\n  batch_size: [32]\n%s  %s: [%s]\n"
	for _, tc := range []struct {
		name, profile, model, more, param, a, b string
		noted                                   bool
	}{
		{"lora without training", "calibrated", "Llama3_8B", "", "lora", "false", "true", true},
		{"seq_len without training", "seed", "Llama3_8B", "", "seq_len", "1024", "4096", true},
		{"dp_size without ZeRO", "calibrated", "Llama3_8B", "  training: [true]\n", "dp_size", "1", "8", true},
		{"dp_size with ZeRO-1", "calibrated", "Llama3_8B", "  training: [true]\n  zero_stage: [1]\n", "dp_size", "2", "8", false},
		{"recomputation of a calibrated CNN", "calibrated", "ResNet50", "  training: [true]\n", "activation_recomputation", "false", "true", true},
		{"recomputation of a seed CNN", "seed", "ResNet50", "  training: [true]\n", "activation_recomputation", "false", "true", false},
		{"recomputation of a transformer", "calibrated", "Llama3_8B", "  training: [true]\n", "activation_recomputation", "false", "true", false},
		{"seq_len of a CNN", "calibrated", "ResNet50, AlexNet", "  training: [true]\n", "seq_len", "128", "4096", true},
		{"seq_len of a transformer", "calibrated", "Llama3_8B, ResNet50", "  training: [true]\n", "seq_len", "128", "4096", false},
		{"lora of a CNN", "calibrated", "ResNet50, AlexNet", "  training: [true]\n", "lora", "false", "true", true},
		{"lora of DLRM", "calibrated", "DLRM", "  training: [true]\n", "lora", "false", "true", false},
		{"lora of a seed CNN", "seed", "ResNet50", "  training: [true]\n", "lora", "false", "true", false},
		{"lora of a transformer", "calibrated", "Llama3_8B", "  training: [true]\n", "lora", "false", "true", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := func(v string) string { return fmt.Sprintf(node, tc.profile, tc.model, tc.more, tc.param, v) }
			notes := mustPlan(t, spec(tc.b)).EffectNotes()
			var ours []string
			for _, n := range notes {
				if strings.Contains(n, ": "+tc.param+" changes nothing") {
					ours = append(ours, n)
				}
			}
			if tc.noted != (len(ours) == 1) {
				t.Errorf("notes %q: want a note on %s: %v", notes, tc.param, tc.noted)
			}
			model := strings.Split(tc.model, ",")[0]
			one := func(v string) map[string]any {
				row := evalOne(t, strings.Replace(spec(v), "["+tc.model+"]", "["+model+"]", 1))
				delete(row, tc.param)
				return row
			}
			if same := maps.EqualFunc(one(tc.a), one(tc.b), func(x, y any) bool { return fmt.Sprint(x) == fmt.Sprint(y) }); same != tc.noted {
				t.Errorf("%s %s = %s and %s give the same row: %v, want %v", model, tc.param, tc.a, tc.b, same, tc.noted)
			}
		})
	}
}
