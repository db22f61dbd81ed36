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
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
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
