//go:build lean

package handoff

import (
	"os"
	"syscall"
)

// In the lean build, a command line that names a delegated command becomes
// the full build beside this executable while the packages are still being
// initialised: the lean binary's own initialisers (the CLI, the catalog, expr
// and YAML tables) were ~5 ms of a cold `mlsysim query` spent before the exec.
// Where the full build is not beside it, main goes on and finds it on PATH or
// says how to get it (cmd/mlsysim/lean.go).
func init() {
	if !Delegated(os.Args) {
		return
	}
	if full, err := Beside(); err == nil {
		syscall.Exec(full, append([]string{full}, os.Args[1:]...), os.Environ())
	}
}
