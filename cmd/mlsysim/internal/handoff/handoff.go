// Package handoff is how the lean build of mlsysim (make build's bin/mlsysim:
// no DuckDB, no figure stack) hands the commands it leaves out to the full
// build installed beside it (bin/mlsysim-full): which command lines those
// are, and where the full build is. On linux/amd64 the lean build starts at
// this package's entry point, which execs the full build for `mlsysim query …`
// (a delegated command first) before the Go runtime starts
// (entry_linux_amd64.s); otherwise, and for global flags before the command,
// its package initialiser does it before any other package of ours is
// initialised (early.go), so a delegated command pays nothing of the lean
// binary but the Go runtime's start (BENCHMARKS.md, "query cold start", second
// and third rounds). It imports nothing of ours and of the
// standard library only os, errors and (early.go, built lean) syscall, which
// os imports anyway: Go initialises packages in the order
// of their import paths once their imports are, so each further import
// (strings, path/filepath) would let dozens of packages go first.
package handoff

import (
	"errors"
	"os"
)

// FullName is the full build's file name: the lean build looks for it beside
// itself, then on PATH (cmd/mlsysim/lean.go, Makefile).
const FullName = "mlsysim-full"

// Commands are the commands the lean build hands to the full one.
var Commands = []string{"query", "plot", "report", "optimize"}

// GlobalValueFlags are the root command's flags that take a value
// (cmd/mlsysim/app.go; TestGlobalValueFlags keeps the two in step).
var GlobalValueFlags = []string{"-o", "--output", "--catalog", "--profile"}

// Delegated reports whether a command line names a delegated command after
// nothing but global flags with their values, so that the lean build can hand
// it over before it builds its commands or loads the catalog. Any other flag
// before the command, or none, is false: the command line is then parsed as
// usual, which hands over the same commands.
func Delegated(args []string) bool { return Command(args) != "" }

// Command is the delegated command a command line names after nothing but
// global flags with their values, or "" (Delegated).
func Command(args []string) string {
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, hasValue := a, false
		for j := range len(a) {
			if a[j] == '=' {
				name, hasValue = a[:j], true
				break
			}
		}
		switch {
		case contains(GlobalValueFlags, a):
			i++ // its value
		case hasValue && contains(GlobalValueFlags, name):
		case len(a) > 0 && a[0] == '-':
			return ""
		case contains(Commands, a):
			return a
		default:
			return ""
		}
	}
	return ""
}

// contains is slices.Contains, which this package does not import.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// errNotBeside: no executable full build beside this one.
var errNotBeside = errors.New(FullName + " is not beside this executable")

// Beside is the full build beside this executable. os.Executable is the
// kernel's /proc/self/exe on Linux, so symbolic links are resolved; elsewhere
// (macOS) they are not, and a lean binary reached through a link finds the
// full build in main instead (cmd/mlsysim/lean.go).
func Beside() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir := self
	for len(dir) > 0 && !os.IsPathSeparator(dir[len(dir)-1]) {
		dir = dir[:len(dir)-1]
	}
	p := dir + FullName
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", errNotBeside
	}
	return p, nil
}
