package kernel

import (
	"math"
	"testing"
)

// TestHostStepAt: the measured table read as HostStep.At says, against hand arithmetic on
// a small grid — batches 8, 16, 64 × tp 1, 4; tp 1: 2, 4, 10 ms; tp 4: 3, 6, 15 ms.
func TestHostStepAt(t *testing.T) {
	h := &HostStep{Batches: []float64{8, 16, 64}, TPs: []float64{1, 4},
		S: [][]float64{{2e-3, 4e-3, 10e-3}, {3e-3, 6e-3, 15e-3}}}
	for _, c := range []struct {
		batch, tp, want float64 // want in ms
		why             string
	}{
		{8, 1, 2, "a grid point"},
		{16, 4, 6, "a grid point"},
		{64, 1, 10, "the last grid point"},
		{40, 1, 7, "halfway from 16 to 64: (4 + 10)/2"},
		{12, 4, 4.5, "halfway from 8 to 16 at tp 4: (3 + 6)/2"},
		{1, 1, 1, "below the grid, along the chord: 2 + (1 − 8)·(10 − 2)/(64 − 8) = 2 − 1"},
		{120, 1, 18, "above the grid, along the chord: 10 + (120 − 64)·8/56 = 10 + 8"},
		{16, 2, 4 + (6-4)/3.0, "tp 2 a third of the way from 1 to 4: 4 + (6 − 4)/3"},
		{16, 8, 6, "tp 8 beyond the grid: the largest tp's value"},
		{1, 8, 3 - 7*12.0/56, "both outside: tp 4's chord, 3 − 7·(15 − 3)/56"},
	} {
		if got := h.At(c.batch, c.tp) * 1e3; math.Abs(got-c.want) > 1e-9 {
			t.Errorf("At(%g, %g) = %.9g ms, want %g (%s)", c.batch, c.tp, got, c.want, c.why)
		}
	}
	// A table falling with the batch is not extrapolated below zero.
	down := &HostStep{Batches: []float64{8, 16}, TPs: []float64{1}, S: [][]float64{{5e-3, 1e-3}}}
	if got := down.At(100, 1); got != 0 {
		t.Errorf("falling table at batch 100: %g s, want 0 (1 − 84·0.5 ms is below zero)", got)
	}
	var none *HostStep
	if got := none.At(16, 2); got != 0 {
		t.Errorf("no table: %g s, want 0", got)
	}
}

// TestHostStepInDecode: a calibrated decode step carries the engine's host time at its
// batch and tp on top of what it was (ITL grows by exactly At(batch, tp) where nothing is
// drafted), and the seed's step does not read the table.
func TestHostStepInDecode(t *testing.T) {
	const n = 64
	table := []HostStep{{Batches: []float64{8, 64}, TPs: []float64{1, 2, 8},
		S: [][]float64{{3e-3, 13e-3}, {7e-3, 21e-3}, {9e-3, 30e-3}}}}
	for _, calibrated := range []bool{true, false} {
		base := memoServeIn(n)
		base.Calibrated = calibrated
		var without, with ServeOut
		Serving(&without, &base.ServeIn)
		in := memoServeIn(n)
		in.Calibrated = calibrated
		in.HostSteps, in.HostStep = table, make([]float64, n)
		for i := range in.HostStep {
			in.HostStep[i] = 1
		}
		Serving(&with, &in.ServeIn)
		checked := 0
		for i := 0; i < n; i++ {
			if math.IsNaN(without.ITL[i]) || math.IsInf(without.ITL[i], 0) || in.SpecTokens[i] > 0 {
				continue
			}
			want := 0.0
			if calibrated {
				want = table[0].At(in.Batch[i], in.TP[i])
			}
			if got := with.ITL[i] - without.ITL[i]; math.Abs(got-want) > 1e-9*without.ITL[i]+1e-12 {
				t.Errorf("calibrated %v, point %d (batch %g, tp %g): ITL grew by %g s, want %g", calibrated, i, in.Batch[i], in.TP[i], got, want)
			}
			checked++
		}
		if checked < n/3 {
			t.Fatalf("calibrated %v: only %d of %d points checked", calibrated, checked, n)
		}
	}
}
