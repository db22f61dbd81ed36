package sweep

import (
	"math"
	"strings"
	"testing"
)

// TestFleetETP: Mixtral 8x7B on two 8-GPU nodes, tp 2, ep 8 (dp 8). With etp 1 the EP
// group is 8 consecutive ranks (Megatron-Core's expert grid, expert-TP innermost then
// EP), all on node 0, so its all-to-alls stay on NVLink; with etp 2 (tp, the default)
// it is 8 ranks at stride 2 over both nodes and crosses InfiniBand, and the received
// tokens are gathered over the expert-TP pair besides: ep_comm_ms is larger. An expert's
// weights split over etp·ep: at etp 1 a rank holds twice the expert weights of etp 2
// (by hand below).
// etp 4 (not a divisor of tp 2) and MoE at tp 2 without sequence parallelism are
// infeasible, etp_does_not_divide_tp_or_moe_without_sp.
func TestFleetETP(t *testing.T) {
	grid := func(extra string) string {
		return `version: 1
study: fleet
axes:
  model: [Mixtral_8x7B]
  cluster: [Training_10K]
  nodes: 2
  precision: [bf16]
  seq_len: 4096
  batch_size: 64
  tp: 2
  pp: 1
  ep: 8
  microbatches: 1
  zero_stage: 1
` + extra
	}
	f := func(r map[string]any, k string) float64 { return r[k].(float64) }
	folded, strided, dflt := evalOne(t, grid("  etp: 1\n")), evalOne(t, grid("  etp: 2\n")), evalOne(t, grid(""))
	for _, r := range []map[string]any{folded, strided} {
		if r["feasible"] != true && r["infeasible_reason"] != "out_of_memory" {
			t.Fatalf("point infeasible: %v", r["infeasible_reason"])
		}
	}
	if f(dflt, "step_latency_ms") != f(strided, "step_latency_ms") {
		t.Errorf("default etp: step %v ms, want etp = tp's %v", f(dflt, "step_latency_ms"), f(strided, "step_latency_ms"))
	}
	if !(f(folded, "ep_comm_ms") < f(strided, "ep_comm_ms")) {
		t.Errorf("ep_comm_ms: etp 1 (one node) %v, etp 2 (two nodes) %v; want the folded layout cheaper", f(folded, "ep_comm_ms"), f(strided, "ep_comm_ms"))
	}
	// Mixtral's routed experts: 32 layers · 8 experts · 3 · 4096 · 14336 = 45,097,156,608
	// parameters; a rank holds 1/(etp·ep) of them in BF16, so etp 1 against 2 adds
	// 45,097,156,608/8 · (1 − 1/2) · 2 B = 5.637144576 GB.
	if got, want := f(folded, "weights_gb")-f(strided, "weights_gb"), 32*8*3*4096*14336.0/8*0.5*2/1e9; math.Abs(got/want-1) > 1e-9 {
		t.Errorf("weights_gb etp 1 − etp 2 = %v, want %v", got, want)
	}
	for _, extra := range []string{"  etp: 4\n", "  etp: 1\n  sequence_parallel: false\n"} {
		r := evalOne(t, grid(extra))
		if r["feasible"] != false || r["infeasible_reason"] != "etp_does_not_divide_tp_or_moe_without_sp" {
			t.Errorf("%s: feasible %v reason %v", strings.TrimSpace(extra), r["feasible"], r["infeasible_reason"])
		}
	}
}
