package sweep

import (
	"strings"
	"testing"
)

// A where filter that compares a parameter or a name attribute with a string
// no value of it can be never matches: "precision != 'fp61'" kept every point
// and "precision in ['fp16', 'fp61']" dropped the fp61 it meant to keep, with
// exit 0. Each is refused naming the file:line and the closest valid values; a
// valid value the grid does not hold is accepted (a filter may be shared).
func TestWhereLiteralNeverMatches(t *testing.T) {
	grid := func(where string) string {
		return `version: 1
name: t
study: node
axes:
  model: [Llama3_8B, ResNet50]
  hardware: [H100, A100]
  precision: [fp16, fp8]
where:
  - "` + where + `"
`
	}
	for _, c := range []struct{ where, want string }{
		{"precision != 'fp61'", `test.yaml:9: where "precision != 'fp61'": precision is never "fp61" (did you mean fp16`},
		{"'fp61' == precision", `precision is never "fp61"`},
		{"precision in ['fp16', 'fp61']", `precision is never "fp61"`},
		{"precision not in ['fp61']", `precision is never "fp61"`},
		{"precision == 'fp8' || precision == 'FP16'", `precision is never "FP16" (did you mean fp16?)`},
		{"model.key != 'Llama3_8b'", `model.key is never "Llama3_8b": unknown model "Llama3_8b" (did you mean Llama3_8B?)`},
		{"hw.key != 'h100'", `hw.key is never "h100": unknown hardware "h100" (did you mean H100?)`},
		{"hardware in ['H100', 'A10O']", `hardware is never "A10O"`},
		{"hw.tier != 'cloud'", `hw.tier is never "cloud" (did you mean Cloud?); its values: Cloud, Edge, Mobile, Tiny, Workstation`},
		{"model.family == 'transformr' || batch_size > 0", `model.family is never "transformr" (did you mean transformer?)`},
	} {
		_, err := planErr("test.yaml", []byte(grid(c.where)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("where %s: %v; want %q", c.where, err, c.want)
		}
	}
	// Valid values, held by the grid or not, plan as before: worked out from
	// the 2 × 2 × 2 grid above.
	for _, c := range []struct {
		where string
		kept  uint64
	}{
		{"precision != 'int4'", 8},           // a valid precision the grid does not hold
		{"hw.key != 'T4'", 8},                // a catalog key the grid does not hold
		{"precision in ['fp16', 'int8']", 4}, // fp16 of fp16 and fp8
		{"hw.tier in ['Cloud', 'Edge']", 8},  // H100 and A100 are Cloud
		{"model.key == 'Llama3_8B'", 4},      // one of two models
		{"hardware == 'H100' && precision == 'fp8'", 2},
	} {
		kept, err := keptPoints(grid(c.where))
		if err != nil {
			t.Errorf("where %s: %v", c.where, err)
			continue
		}
		if kept != c.kept {
			t.Errorf("where %s: %d points kept, want %d", c.where, kept, c.kept)
		}
	}
}
