//go:build lean

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/cmd/mlsysim/internal/handoff"
)

// The lean build (`make build`'s bin/mlsysim: -tags lean, no cgo) links neither
// DuckDB nor the figure stack, whose loading and package initialisers were most
// of a cold `eval` (BENCHMARKS.md, "Cold start: the lean build"). query, plot, report, optimize
// and eval --plot are handed, arguments unchanged, to the full build installed
// beside it (bin/mlsysim-full): the process becomes that binary (exec), so its
// output, exit code and signals are the command's own.

func (a *app) queryCommand() *cli.Command    { return a.delegated("query", queryUsage) }
func (a *app) plotCommand() *cli.Command     { return a.delegated("plot", plotUsage) }
func (a *app) reportCommand() *cli.Command   { return a.delegated("report", reportUsage) }
func (a *app) optimizeCommand() *cli.Command { return a.delegated("optimize", optimizeUsage) }

// delegated is a command the full build runs: its flags, subcommands, help and
// completions are that binary's, so nothing is parsed here.
func (a *app) delegated(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage,
		SkipFlagParsing: true,
		Action:          func(context.Context, *cli.Command) error { return a.delegate() },
		ShellComplete: func(context.Context, *cli.Command) {
			if err := a.delegate(); err != nil {
				fmt.Fprintf(a.stderr, "mlsysim: %v\n", err)
			}
		},
	}
}

// pointPlot: drawing needs the figure stack, so eval --plot runs in the full build.
func (a *app) pointPlot(c *cli.Command) (func(name, hwKey string, row map[string]any) error, error) {
	if !c.IsSet("plot") {
		return nil, nil
	}
	return nil, a.delegate()
}

// beforeCommands hands a command line that names a delegated command to the
// full build first thing in main, where it was not beside this executable
// for the handoff package's initialiser but is on PATH: parsing it here would
// build every command and load the catalog, ~30 % of this binary's CPU time
// and page faults before the exec (BENCHMARKS.md, "query cold start"). Where
// the full build cannot be found or started, it returns, and the ordinary path
// reports that.
func beforeCommands(args []string) {
	if !handoff.Delegated(args) {
		return
	}
	if full, err := fullBuild(); err == nil {
		syscall.Exec(full, append([]string{full}, args[1:]...), os.Environ())
	}
}

// delegate replaces this process with the full build, given the same
// arguments; it returns only if that cannot start.
func (a *app) delegate() error {
	full, err := fullBuild()
	if err != nil {
		return badInput("", err)
	}
	if f, ok := a.stdout.(interface{ Flush() error }); ok {
		f.Flush()
	}
	argv := append([]string{full}, a.args[1:]...)
	if err := syscall.Exec(full, argv, os.Environ()); err != nil {
		return badInput("", fmt.Errorf("starting %s: %w", full, err))
	}
	return nil
}

// errNoFull says how to get the full build.
var errNoFull = errors.New("this command needs DuckDB and the figure stack, which this lean mlsysim leaves to " + handoff.FullName +
	", found neither beside it nor on PATH; `make build` writes both binaries into bin/ (keep them together), " +
	"or `go build -o mlsysim-full ./cmd/mlsysim` (cgo, needs a C compiler) builds it")

// fullBuild finds mlsysim-full beside this executable (symbolic links
// resolved), else on PATH.
func fullBuild() (string, error) {
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			p := filepath.Join(filepath.Dir(self), handoff.FullName)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath(handoff.FullName); err == nil {
		return p, nil
	}
	return "", errNoFull
}

// queriesAvailable: queries run when the full build can be found.
func queriesAvailable() (bool, string) {
	full, err := fullBuild()
	if err != nil {
		return false, handoff.FullName + " not found beside this binary or on PATH"
	}
	return true, "by " + full
}
