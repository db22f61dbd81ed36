package sweep

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// A run of as many workers as Ps has one P more while it lasts (the part
// finisher's, whose fsync would hold a worker's P: procs.go); a run of fewer
// or more workers leaves GOMAXPROCS alone; concurrent runs restore the value the first
// found when the last ends, and a run that names no workers still gets that
// many, not the raised value.
func TestSpareProc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if r := spareProc(1); runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("one worker of 2 Ps: GOMAXPROCS %d, want 2 (unchanged)", runtime.GOMAXPROCS(0))
	} else {
		r()
	}
	if r := spareProc(3); runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("three workers of 2 Ps: GOMAXPROCS %d, want 2 (unchanged: a third P would run a worker)", runtime.GOMAXPROCS(0))
	} else {
		r()
	}
	r1 := spareProc(2)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Fatalf("two workers of 2 Ps: GOMAXPROCS %d, want 3", got)
	}
	if got := defaultWorkers(); got != 2 {
		t.Fatalf("default workers during a raised run: %d, want 2 (the Ps before the raise)", got)
	}
	r2 := spareProc(1)
	r1()
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Fatalf("one of two runs ended: GOMAXPROCS %d, want 3 until the last ends", got)
	}
	r2()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Fatalf("every run ended: GOMAXPROCS %d, want 2 restored", got)
	}
}

// WriteParts with as many workers as Ps runs with one P more and restores it.
func TestWritePartsSpareProc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	p := mustPlan(t, e2eGrid)
	var during atomic.Int64
	opt := e2eOptions(t.TempDir())
	opt.Progress = func(uint64) { during.Store(int64(runtime.GOMAXPROCS(0))) }
	mustWrite(t, p, opt)
	if got := during.Load(); got != 3 {
		t.Errorf("GOMAXPROCS during a two-worker run on 2 Ps: %d, want 3", got)
	}
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS after the run: %d, want 2", got)
	}
}
