package sweep

import (
	"runtime"
	"sync"
)

// A part is finished (footer, fsync, rename) on a goroutine beside the
// workers. When the workers hold every P (GOMAXPROCS), that goroutine takes a
// worker's P, and while its fsync waits for the disk the P stays with the
// blocked thread: the runtime hands a P in a system call to another thread
// only when sysmon retakes it, and sysmon, idle, looks every 10 ms. The
// worker whose P it was waits runnable beside an idle core. A two-worker
// sweep of the 1M-point node grid (32 parts, a fsync each) spent ~20 % of
// its workers' wall time so (BENCHMARKS.md, "Two workers on a 1M-point grid,
// stop 25"): one P more than the workers' gives the finishing its own, and
// the operating system shares the cores among the threads that run.
//
// spareProc raises GOMAXPROCS by one for as long as a run of as many workers
// as Ps lasts, and returns what undoes it. With fewer workers a P is free
// already; with more, the extra P would only run a third worker, not the
// finisher. Concurrent runs share the raise: the last one to end restores the
// value the first one found (as an explicit setting: the runtime stops
// following the CPU limit of a container for the rest of the process).
func spareProc(workers int) (release func()) {
	procMu.Lock()
	defer procMu.Unlock()
	if procRuns == 0 {
		procBase = runtime.GOMAXPROCS(0)
	}
	procRuns++
	if workers == procBase && runtime.GOMAXPROCS(0) < procBase+1 {
		runtime.GOMAXPROCS(procBase + 1)
	}
	return func() {
		procMu.Lock()
		defer procMu.Unlock()
		procRuns--
		if procRuns == 0 && runtime.GOMAXPROCS(0) != procBase {
			runtime.GOMAXPROCS(procBase)
		}
	}
}

// defaultWorkers is the workers of a run that names none: GOMAXPROCS, as it
// was before any running sweep raised it.
func defaultWorkers() int {
	procMu.Lock()
	defer procMu.Unlock()
	if procRuns > 0 {
		return procBase
	}
	return runtime.GOMAXPROCS(0)
}

var (
	procMu   sync.Mutex
	procRuns int // runs between spareProc and its release
	procBase int // GOMAXPROCS when the first of them started
)
