package sweep

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// The heap memory hugeHeap advises is marked for huge pages in the process's
// own memory map (VmFlags "hg" on every mapping over the range), and freeing
// the block takes one collection and leaves the collector as it was.
func TestHugeHeapAdvises(t *testing.T) {
	gcPercent := debug.SetGCPercent(100)
	defer debug.SetGCPercent(gcPercent)
	// A collection the earlier tests' garbage started may still be marking:
	// hugeHeap's SetGCPercent(-1) waits for it to finish, and it was counted
	// as hugeHeap's (2 collections, under load: the mark ran longer). Finish it
	// first; after a full cycle the heap is at its smallest and its goal twice
	// that (NextGC), which the 16 MiB block must pass.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if before.NextGC >= 16<<20 {
		t.Fatalf("heap goal %d bytes after a collection: a 16 MiB block would not pass it, so a collection it started would go unseen", before.NextGC)
	}
	lo, hi := hugeHeap(16 << 20) // past the heap goal of a test binary's small heap
	runtime.ReadMemStats(&after)
	if n := after.NumGC - before.NumGC; n != 1 {
		t.Errorf("%d collections, want 1", n)
	}
	if pct := debug.SetGCPercent(100); pct != 100 {
		t.Errorf("GOGC %d after hugeHeap, want 100", pct)
	}
	if lo == hi {
		t.Skip("madvise(MADV_HUGEPAGE) refused: this kernel has no transparent huge pages")
	}
	if hi-lo < 14<<20 || lo%hugePage != 0 || hi%hugePage != 0 {
		t.Fatalf("advised [%#x, %#x): want ≥ 14 MiB in whole huge pages", lo, hi)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	covered := uintptr(0)
	var inRange bool
	var start, end uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if a, b, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(line, ":") {
			s, err1 := strconv.ParseUint(a, 16, 64)
			e, err2 := strconv.ParseUint(b, 16, 64)
			if err1 == nil && err2 == nil {
				start, end = uintptr(s), uintptr(e)
				inRange = start < hi && end > lo
				continue
			}
		}
		if inRange && strings.HasPrefix(line, "VmFlags:") {
			if !strings.Contains(line+" ", " hg ") {
				t.Errorf("mapping %#x-%#x over the advised range: %s, want hg", start, end, line)
			}
			covered += min(end, hi) - max(start, lo)
		}
	}
	if covered != hi-lo {
		t.Errorf("mappings cover %d of the %d bytes advised", covered, hi-lo)
	}
}
