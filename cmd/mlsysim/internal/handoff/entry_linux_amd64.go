package handoff

// entry is the lean build's ELF entry point on linux/amd64, in place of the
// Go runtime's (the Makefile links the lean build with -E; any other build
// leaves it out as unreachable; entry_linux_amd64.s). When the
// first argument is a delegated command — `mlsysim query …`, the common form —
// it execs the full build beside this executable before the Go runtime
// starts: the runtime's set-up and the standard library's initialisers up to
// os were ~10 ms and ~250 page faults of a cold `mlsysim query` (BENCHMARKS.md,
// "query cold start, third round"). Any other command line, or a full build
// that is missing or does not start, goes on to the Go runtime unchanged, and
// the package initialiser (early.go) or main handles it as before.
func entry()

// What entry reads, as NUL-terminated strings: Go lays these constant strings
// out in the executable's data, which the entry point can read before the
// runtime is up. entryNames is Commands (TestEntryStrings keeps them in step).
var (
	entryNames = "query\x00plot\x00report\x00optimize\x00\x00"
	entryFull  = FullName + "\x00"
	entrySelf  = "/proc/self/exe\x00"
)
