package kernel

import (
	"math"
	"testing"
)

func TestTrainingGoodput(t *testing.T) {
	day := 86400.0
	rf := NodeFailuresPer1000NodeDays / 1000 / day
	// BLOOM's allocation: 48 nodes, 176e9 parameters. By hand:
	//   M = 86400 / (48 · 0.0065)              = 276,923.08 s (76.9 h)
	//   δ = 14 · 176e9 / (48 · 30e9/128)       = 2.464e12 / 1.125e10 = 219.022 s
	//   τ = √(2 · 219.022 · 276,923.08)        = 11,013.84 s
	//   waste = 219.022/11,013.84 + (5,506.92 + 300)/276,923.08 = 0.019886 + 0.020969
	//   goodput = 0.959144
	bloom := TrainingGoodput(GoodputIn{Nodes: 48, FailuresPerNodeS: rf, CheckpointBytes: 14 * 176e9,
		WriteBytesPerSNode: CheckpointWriteBytesPerSPerNode, RestartS: RestartOverheadS})
	// Phi-2's 12 nodes at a given 1 h interval. By hand:
	//   M = 86400 / (12 · 0.0065) = 1,107,692.3 s;  δ = 14 · 2,778,726,400 / (12 · 234.375e6) = 13.832 s
	//   goodput = 1 − 13.832/3600 − (1800 + 300)/1,107,692.3 = 1 − 0.003842 − 0.001896 = 0.994262
	phi2 := TrainingGoodput(GoodputIn{Nodes: 12, FailuresPerNodeS: rf, CheckpointBytes: 14 * 2778726400,
		WriteBytesPerSNode: CheckpointWriteBytesPerSPerNode, RestartS: RestartOverheadS, IntervalS: 3600})
	// Kokolis et al.'s projection: 16,384 GPUs (2,048 nodes) fail every 1.8 h at their r_f.
	big := TrainingGoodput(GoodputIn{Nodes: 2048, FailuresPerNodeS: rf, CheckpointBytes: 1,
		WriteBytesPerSNode: 1, RestartS: 0})
	checkScalars(t, []scalarCase{
		{"BLOOM M", bloom.MTBF, 276923.08, 0, 0.01},
		{"BLOOM δ", bloom.WriteS, 219.022, 0, 5e-4},
		{"BLOOM τ", bloom.IntervalS, 11013.84, 0, 5e-3},
		{"BLOOM goodput", bloom.Goodput, 0.959144, 0, 1e-6},
		{"Phi-2 δ", phi2.WriteS, 13.832, 0, 5e-4},
		{"Phi-2 interval kept", phi2.IntervalS, 3600, 0, 0},
		{"Phi-2 goodput", phi2.Goodput, 0.994262, 0, 5e-7},
		{"16,384 GPUs MTTF h (Kokolis et al.: 1.8)", big.MTBF / 3600, 1.8, 0, 0.005},
	})

	// At Young's optimum the write and rework terms are equal: δ/τ = τ/(2M).
	if d := bloom.WriteS/bloom.IntervalS - bloom.IntervalS/(2*bloom.MTBF); math.Abs(d) > 1e-12 {
		t.Errorf("Young's optimum: δ/τ − τ/(2M) = %g, want 0", d)
	}
	// Young's interval is the optimum: a longer or shorter one wastes more.
	for _, f := range []float64{0.5, 2} {
		o := TrainingGoodput(GoodputIn{Nodes: 48, FailuresPerNodeS: rf, CheckpointBytes: 14 * 176e9,
			WriteBytesPerSNode: CheckpointWriteBytesPerSPerNode, RestartS: RestartOverheadS, IntervalS: f * bloom.IntervalS})
		if o.Goodput >= bloom.Goodput {
			t.Errorf("interval × %g: goodput %g, not below the optimum's %g", f, o.Goodput, bloom.Goodput)
		}
	}
	// More nodes fail more often: goodput falls.
	prev := 1.0
	for _, n := range []float64{1, 16, 256, 2048} {
		o := TrainingGoodput(GoodputIn{Nodes: n, FailuresPerNodeS: rf, CheckpointBytes: 14 * 70e9,
			WriteBytesPerSNode: CheckpointWriteBytesPerSPerNode, RestartS: RestartOverheadS})
		if !(o.Goodput < prev) {
			t.Errorf("%g nodes: goodput %g, not below %g", n, o.Goodput, prev)
		}
		prev = o.Goodput
	}
	// A job that never fails writes no checkpoints and loses nothing.
	none := TrainingGoodput(GoodputIn{Nodes: 48, CheckpointBytes: 1e12, WriteBytesPerSNode: 1e9, RestartS: 300})
	if none.Goodput != 1 || !math.IsInf(none.MTBF, 1) || none.IntervalS != 0 {
		t.Errorf("r_f 0: %+v, want goodput 1, MTBF +Inf, no interval", none)
	}
	// Instant checkpoints: only the restart is lost per failure (no division by τ = 0).
	inst := TrainingGoodput(GoodputIn{Nodes: 48, FailuresPerNodeS: rf, WriteBytesPerSNode: 1e9, RestartS: 300})
	if want := 1 - 300/bloom.MTBF; math.Abs(inst.Goodput-want) > 1e-15 {
		t.Errorf("δ 0: goodput %g, want %g", inst.Goodput, want)
	}
	// Failures more often than a restart takes: nothing trains, and goodput stops at 0.
	dead := TrainingGoodput(GoodputIn{Nodes: 1e6, FailuresPerNodeS: rf, CheckpointBytes: 1e13, WriteBytesPerSNode: 1e8, RestartS: 3600})
	if dead.Goodput != 0 {
		t.Errorf("failures faster than restarts: goodput %g, want 0", dead.Goodput)
	}
}
