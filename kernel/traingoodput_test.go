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

// A job of known length J (GoodputIn.WorkS): a failure at a point t uniform over the J
// seconds of work redoes t − τ·⌊t/τ⌋, and the job writes ⌊J/τ⌋ checkpoints (docs/PHYSICS.md
// §18.1). Fails if the finite job is charged the steady-state τ/2 and J/τ writes when τ is
// comparable to or longer than J (the qa25 report: a 24 h job at a 7-day interval priced at
// goodput 0.271, at a century's 0).
func TestTrainingGoodputFiniteJob(t *testing.T) {
	day := 86400.0
	rf := NodeFailuresPer1000NodeDays / 1000 / day
	// Phi-2's 12 nodes (TestTrainingGoodput): M = 1,107,692.3 s, δ = 13.831883 s.
	phi2 := func(intervalS, workS float64) GoodputOut {
		return TrainingGoodput(GoodputIn{Nodes: 12, FailuresPerNodeS: rf, CheckpointBytes: 14 * 2778726400,
			WriteBytesPerSNode: CheckpointWriteBytesPerSPerNode, RestartS: RestartOverheadS, IntervalS: intervalS, WorkS: workS})
	}
	// J ≫ τ and a multiple of it: the steady-state formula (J/τ writes, τ/2 a failure).
	for _, c := range []struct{ interval, work float64 }{{3600, 100 * 3600}, {3600, 3600}, {1800, 14 * day}} {
		steady, finite := phi2(c.interval, 0), phi2(c.interval, c.work)
		if d := finite.Goodput - steady.Goodput; math.Abs(d) > 1e-9 {
			t.Errorf("τ %g s, J %g s (a multiple): goodput %.12f, steady state %.12f", c.interval, c.work, finite.Goodput, steady.Goodput)
		}
	}
	// ... also at Young's interval, J = 1,000 τ computed in floating point (the count of
	// intervals must not round down to 999 and charge a whole interval of rework).
	young := phi2(0, 0)
	if f := phi2(0, 1000*young.IntervalS); math.Abs(f.Goodput-young.Goodput) > 1e-9 {
		t.Errorf("J = 1,000 Young intervals: goodput %.12f, steady state %.12f", f.Goodput, young.Goodput)
	}
	// J = 10 h, τ = 4 h, by hand: n = 2 writes, r = 2 h;
	//   L = (2 · 4²/2 + 2²/2) h² / 10 h = 1.8 h = 6,480 s
	//   goodput = 1 − 2 · 13.831883/36,000 − (6,480 + 300)/1,107,692.3 = 1 − 0.00076844 − 0.00612083 = 0.9931107
	mid := phi2(4*3600, 10*3600)
	// τ ≥ J: a 24 h job at a 7-day interval writes nothing and loses J/2 a failure, by hand
	//   goodput = 1 − (43,200 + 300)/1,107,692.3 = 1 − 0.0392708 = 0.9607292
	// and at τ = J exactly it writes once, at the end: 1 − 13.831883/86,400 − 0.0392708 = 0.9605691.
	long, exact := phi2(7*day, day), phi2(day, day)
	checkScalars(t, []scalarCase{
		{"J 10 h, τ 4 h: rework s", mid.ReworkS, 6480, 0, 1e-9},
		{"J 10 h, τ 4 h: write share", mid.WriteShare, 2 * 13.831882524444444 / 36000, 0, 1e-15},
		{"J 10 h, τ 4 h: goodput", mid.Goodput, 0.9931107, 0, 5e-8},
		{"τ 7 d > J 24 h: rework s", long.ReworkS, 43200, 0, 0},
		{"τ 7 d > J 24 h: write share", long.WriteShare, 0, 0, 0},
		{"τ 7 d > J 24 h: goodput", long.Goodput, 0.9607292, 0, 5e-8},
		{"τ = J: rework s", exact.ReworkS, 43200, 0, 1e-9},
		{"τ = J: goodput", exact.Goodput, 0.9605691, 0, 5e-8},
	})
	// Any interval past the job prices the same job: a century's is no worse than a week's.
	if c := phi2(100*365.25*day, day); c.Goodput != long.Goodput {
		t.Errorf("τ a century: goodput %g, want the 7-day interval's %g", c.Goodput, long.Goodput)
	}
	// A finite job never loses more than the steady state's rates charge it, and at most
	// δ/J + τ²/(8·J·M) less: the last, partial interval writes nothing and its failures
	// redo r/2 ≤ τ/2 (the difference is r·(τ − r)/(2J) ≤ τ²/(8J) of rework a failure).
	for _, work := range []float64{0.3 * day, 1.5 * day, 7.7 * day, 100.1 * day} {
		for _, tau := range []float64{600, 3600, 4 * 3600, 2 * day} {
			s, f := phi2(tau, 0), phi2(tau, work)
			bound := s.WriteS/work + tau*tau/(8*work*s.MTBF)
			if d := f.Goodput - s.Goodput; d < -1e-15 || d > bound*(1+1e-9) {
				t.Errorf("J %g s, τ %g s: finite − steady = %g, want within [0, %g]", work, tau, d, bound)
			}
		}
	}
	// A job that never fails with an interval past it writes nothing: goodput 1.
	if n := TrainingGoodput(GoodputIn{Nodes: 12, CheckpointBytes: 1e12, WriteBytesPerSNode: 1e9, IntervalS: 2 * day, WorkS: day}); n.Goodput != 1 {
		t.Errorf("r_f 0, τ past the job: goodput %g, want 1", n.Goodput)
	}
}
