package sweep

import (
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// madvHugepage is MADV_HUGEPAGE (asm-generic/mman-common.h).
const madvHugepage = 14

// hugeHeap asks for transparent huge pages under n bytes of the Go heap that
// the next allocations will take. The runtime gives its heap no such advice
// where THP is "madvise" (the default of many distributions), and it maps its
// heap as it grows (an advice on address space not yet mapped would be lost),
// so the advice goes on memory the heap has mapped: a block of n bytes,
// allocated untouched (fresh heap memory is known to be zero) and freed by a
// collection, whose pages the workers' buffers then take. Where THP is "never"
// or madvise fails, nothing changes but speed. It returns the range advised.
//
// The collector is off while the block is live: an allocation that large
// passes the heap goal and starts a collection of its own, which the forced one
// then waits for — two cycles where one frees the block (GODEBUG=gctrace=1).
func hugeHeap(n int) (lo, hi uintptr) {
	gcPercent := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(gcPercent)
	b := make([]byte, n+hugePage)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (start + hugePage - 1) &^ (hugePage - 1)
	hi = (start + uintptr(len(b))) &^ (hugePage - 1)
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugepage); errno != 0 {
		lo, hi = 0, 0
	}
	runtime.KeepAlive(b)
	runtime.GC()
	return lo, hi
}
