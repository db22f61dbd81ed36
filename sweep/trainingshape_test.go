package sweep

import (
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// A transformer whose entry states its layers but not its width or heads: the
// calibrated training step (its GEMMs, Korthikanti et al.'s activation memory) cannot
// be computed for it. Before the check the fleet and train-memory studies wrote NaN
// step times and activations for it and called every point out_of_memory, and the
// node study priced it at an assumed width of 4096 with no attention FLOPs.
func TestCalibratedTrainingNeedsTheModelsShape(t *testing.T) {
	const user = `models:
  - key: Shapeless
    name: layers only
    family: transformer
    parameters: 3.2e9
    layers: 28
    source: {kind: estimate, ref: "test"}
  - key: NoHeads
    name: width without heads
    family: transformer
    parameters: 3.2e9
    layers: 28
    hidden_dim: 3072
    source: {kind: estimate, ref: "test"}
`
	cat := catalog.MustDefault()
	if _, err := cat.AddUserYAML("user.yaml", []byte(user)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, profile, grid string
		missing             string // "" = the plan is accepted
	}{
		{"fleet calibrated", "calibrated", "study: fleet\naxes:\n  model: [Shapeless]\n  cluster: Lab_64_H100\n", "hidden_dim and heads of Shapeless"},
		{"fleet calibrated, width given", "calibrated", "study: fleet\naxes:\n  model: [Llama3_8B, NoHeads]\n  cluster: Lab_64_H100\n", "heads of NoHeads"},
		{"fleet seed", "seed", "study: fleet\naxes:\n  model: [Shapeless]\n  cluster: Lab_64_H100\n", ""},
		{"train-memory calibrated", "calibrated", "study: train-memory\naxes:\n  model: Shapeless\n  hardware: H100\n", "hidden_dim and heads of Shapeless"},
		{"train-memory seed", "seed", "study: train-memory\naxes:\n  model: Shapeless\n  hardware: H100\n", ""},
		{"node training calibrated", "calibrated", "study: node\naxes:\n  model: Shapeless\n  hardware: H100\n  training: [false, true]\n", "hidden_dim and heads of Shapeless"},
		{"node inference calibrated", "calibrated", "study: node\naxes:\n  model: Shapeless\n  hardware: H100\n", ""},
		{"node training seed", "seed", "study: node\naxes:\n  model: Shapeless\n  hardware: H100\n  training: true\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSpec("grid.yaml", []byte("version: 1\nname: shape\n"+c.grid))
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Plan(cat)
			if err != nil {
				t.Fatal(err)
			}
			err = p.SetProfile(c.profile)
			switch {
			case c.missing == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.missing == "":
				row, err := EvalPoint(p)
				if p.N != 1 {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if row["feasible"] != true {
					t.Errorf("a 3.2B model under %s: infeasible (%v)", c.profile, row["infeasible_reason"])
				}
			case err == nil:
				t.Fatalf("accepted; want an error naming the missing %s", c.missing)
			case !strings.Contains(err.Error(), c.missing) || !strings.HasPrefix(err.Error(), "grid.yaml:5:"):
				t.Errorf("error %q: want grid.yaml:5 (the model axis) and %q", err, c.missing)
			}
		})
	}
}

// A node grid that never trains but varies a parameter only the training step reads
// wrote the same row once per value; it is refused at the axis's line.
func TestNodeTrainingOnlyAxes(t *testing.T) {
	cases := []struct {
		axes, want string // want "" = accepted
	}{
		{"  zero_stage: [0, 1, 2, 3]\n", "grid.yaml:7: axis zero_stage:"},
		{"  seq_len: [128, 4096]\n", "grid.yaml:7: axis seq_len:"},
		{"  lora: [false, true]\n", "grid.yaml:7: axis lora:"},
		{"  training: false\n  dp_size: [1, 8]\n", "grid.yaml:8: axis dp_size:"},
		{"  activation_recomputation: all\n", "grid.yaml:7: axis activation_recomputation:"},
		{"  training: [false, true]\n  zero_stage: [0, 3]\n  seq_len: [128, 4096]\n", ""},
		{"  zero_stage: 3\n  seq_len: 4096\n", ""}, // one value: a plain point, as before
	}
	for _, c := range cases {
		t.Run(c.axes, func(t *testing.T) {
			_, err := planErr("grid.yaml", []byte("version: 1\nname: n\nstudy: node\naxes:\n  model: Llama3_8B\n  hardware: H100\n"+c.axes))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == "":
			case err == nil:
				t.Fatalf("accepted; want %q", c.want)
			case !strings.HasPrefix(err.Error(), c.want) || !strings.Contains(err.Error(), "training: true"):
				t.Errorf("error %q: want %q and the fix", err, c.want)
			}
		})
	}
}
