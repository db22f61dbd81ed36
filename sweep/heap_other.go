//go:build !linux

package sweep

// hugeHeap does nothing where transparent huge pages are not asked for with madvise.
func hugeHeap(int) (lo, hi uintptr) { return 0, 0 }
