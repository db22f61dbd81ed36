// Command mlsysim is the command-line interface of mlsysim: first-principles
// analytical models of ML systems, evaluated one scenario at a time (eval, serve)
// or as million-point sweeps.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// exitsAfterRun: the process exits as soon as run returns (main; not a test
// calling run), so a command may leave to the exit what it frees anyway
// (query's DuckDB: queries.DB.CloseBeforeExit).
var exitsAfterRun bool

func main() {
	beforeCommands(os.Args)
	exitsAfterRun = true
	// SIGTERM (kill, a scheduler's timeout) stops a run like Ctrl-C: workers
	// finish or drop their part, temp files go, and --resume can finish it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A second signal ends the process at once. The first cancels ctx, which a sweep's
	// workers check between batches, but a point evaluates without it: a serve-sim
	// point's goodput over 1024 + 1024 instances runs for minutes, and every further
	// Ctrl-C or kill was caught by this context and ignored, so only SIGKILL stopped it.
	// Once ctx is cancelled the signals get their default action again (no result file
	// is ever half-written: each is renamed into place whole).
	go func() {
		<-ctx.Done()
		stop()
	}()
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
	exitIO       = 4 // the result could not be written (disk full, closed pipe, read-only file system)
)

// run executes the CLI and returns the exit code; main only adds os.Exit.
// stdout is buffered (a text table would otherwise cost a write per cell) and
// flushed before the exit code is decided, so a failed write is still exit 4.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cw := &checkedWriter{w: stdout}
	out := bufio.NewWriterSize(cw, 64<<10)
	app := newApp(out, stderr)
	app.args = args
	err := app.Run(ctx, args)
	if app.notFound != nil {
		err = app.notFound
	}
	out.Flush() // a failure is cw.err
	err = interrupted(ctx, err)
	if cw.err != nil {
		// Whatever else went wrong, the output is incomplete: say that first.
		err = &cliError{code: exitIO, title: "I/O error", payloadShown: true,
			err: fmt.Errorf("writing the output to stdout failed: %w", cw.err)}
	}
	if err == nil {
		return exitOK
	}
	code := report(err, errorFormat(app, args), out, stderr)
	out.Flush()
	return code
}

// interrupted names a failure that SIGINT or SIGTERM caused as the interruption it is:
// report and plot said "bad input: report: context canceled" and "bad input: plot
// pareto: INTERRUPT Error: Interrupted!". A command that says so
// itself (sweep, query: title "Interrupted") keeps its words; the exit code stays 1.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	var ce *cliError
	if errors.As(err, &ce) && ce.title != "Bad input" {
		return err
	}
	// DuckDB says "INTERRUPT Error: Interrupted!" for a query the cancel stopped.
	if msg := err.Error(); !errors.Is(err, context.Canceled) && !strings.Contains(msg, context.Canceled.Error()) && !strings.Contains(msg, "INTERRUPT Error") {
		return err
	}
	return &cliError{code: exitBadInput, title: "Interrupted", err: fmt.Errorf("stopped by a signal before finishing (%w)", err)}
}

// errorFormat is the rendering of an error: the -o the command line gives, also when the
// error stopped the parse before it reached -o — "serve M H --bogus -o json" and
// "mlsysim --bogus -o json zoo" printed their usage errors as text.
func errorFormat(a *app, args []string) string {
	if f := a.format(); f != "text" || a.IsSet("output") {
		return f
	}
	f := "text"
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			break
		}
		name, val, eq := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || (name != "o" && name != "output") {
			continue
		}
		if !eq {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
		}
		f = strings.ToLower(val) // the last -o, as a second one is refused anyway
	}
	return f
}

// checkedWriter remembers the first failed write (and refuses the rest), so no
// command can end with exit 0 after its output was lost: every path that writes
// to stdout goes through it.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	c.err = err
	return n, err
}

// ioErrnos are the failures of writing, never of the input.
var ioErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS, syscall.EFBIG, syscall.EPIPE}

// isIOError reports an error that comes from writing files or streams.
func isIOError(err error) bool {
	for _, e := range ioErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.Is(err, io.ErrShortWrite)
}
