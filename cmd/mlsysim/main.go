// Command mlsysim is the command-line interface of mlsysim: first-principles
// analytical models of ML systems, evaluated one scenario at a time (eval, serve)
// or as million-point sweeps.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes are part of the interface (README, --help).
const (
	exitOK       = 0
	exitBadInput = 1 // unknown names, bad flags or files, anything unexpected
	exitPhysics  = 2 // the scenario cannot run (e.g. out of memory) and --strict was given, or no feasible optimum
	exitAssert   = 3 // a plan's constraints.assert failed
)

// run executes the CLI and returns the exit code; main only adds os.Exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.Run(ctx, args)
	if err == nil {
		return exitOK
	}
	return report(err, app.format(), stdout, stderr)
}
