package sweep

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mlsysim/mlsysim/kernel"
)

// TestNodeCNNExecution: the enum's order is kernel.CNNExecution's; under calibrated the
// ResNet-50 training step slows from graph to fused_bn_act to eager (more feature-map
// passes), while seed ignores the parameter and keeps its 0.1 × weights traffic.
func TestNodeCNNExecution(t *testing.T) {
	st, err := StudyByName("node")
	if err != nil {
		t.Fatal(err)
	}
	p, _, _ := st.Param("cnn_execution")
	for name, want := range map[string]kernel.CNNExecution{"eager": kernel.CNNEager, "fused_bn_act": kernel.CNNFusedBNAct, "graph": kernel.CNNGraph} {
		if got := slices.Index(p.Enum, name); got != int(want) {
			t.Errorf("cnn_execution %q has code %d, kernel.CNNExecution %d", name, got, want)
		}
	}
	thr := func(profile, exec string) float64 {
		row := evalOne(t, fmt.Sprintf("version: 1\nstudy: node\nprofile: %s\naxes:\n  model: ResNet50\n  hardware: A100\n  precision: fp16\n  batch_size: 256\n  training: true\n  cnn_execution: %s\n", profile, exec))
		return row["throughput_per_s"].(float64)
	}
	eager, fused, graph := thr("calibrated", "eager"), thr("calibrated", "fused_bn_act"), thr("calibrated", "graph")
	if !(eager < fused && fused < graph) {
		t.Errorf("calibrated images/s: eager %g, fused_bn_act %g, graph %g; want increasing", eager, fused, graph)
	}
	if a, b := thr("seed", "eager"), thr("seed", "graph"); a != b {
		t.Errorf("seed images/s depend on cnn_execution: %g vs %g", a, b)
	}
}
