package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
)

const rootHelp = `mlsysim answers "what happens if we run model M on hardware H, at this batch,
precision, parallelism, region and price?" from first principles — once, or a
million times at once.

Exit codes:
   0  ok
   1  bad input: unknown name, bad flag or file (the message says which and what is valid)
   2  physics violation: the scenario cannot run (e.g. out of memory) and --strict was given,
      or an optimizer found no feasible configuration
   3  a plan's constraints.assert failed
   4  I/O error: the result could not be written (disk full, closed pipe, read-only folder);
      the message says what failed

SIGINT (Ctrl-C) and SIGTERM stop a command cleanly, with exit 1 and the title "interrupted":
a sweep keeps its complete parts and removes its temporary files (finish it with --resume).

Output: -o/--output picks the rendering (text, json, markdown, csv or html where a
command supports it); stdout carries only that payload, warnings and errors go to stderr.
In json mode every error — a usage or parse error too, wherever -o json stands — is one
object {"status":"error","title":…,"reason":…,"exit_code":N} on stdout, or on stderr when
stdout already holds the result (--strict's exit 2, an assertion's exit 3).`

// app holds what every command shares: the writers, the chosen output format and
// the catalog (embedded data plus --catalog files).
type app struct {
	*cli.Command
	stdout, stderr io.Writer
	cat            *catalog.Catalog
	// args are the command line as run was given it, which the lean build hands
	// on unchanged to the full one (lean.go).
	args []string
	// notFound is set by the CommandNotFound hook: an unknown command (with the
	// closest ones) is bad input, not a help page with exit 0.
	notFound error
}

func newApp(stdout, stderr io.Writer) *app {
	a := &app{stdout: stdout, stderr: stderr}
	a.Command = &cli.Command{
		Name:                            "mlsysim",
		Usage:                           "first-principles analytical modeling of ML systems",
		Description:                     rootHelp,
		Writer:                          stdout,
		ErrWriter:                       stderr,
		Version:                         readBuildInfo().line(),
		EnableShellCompletion:           true,
		ConfigureShellCompletionCommand: showCompletionCommand,
		HideHelpCommand:                 true,
		ExitErrHandler:                  func(context.Context, *cli.Command, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text",
				Usage: "rendering: text, json, markdown, csv or html; a command refuses one it does not take, naming those it does (csv: zoo, walls, query, sweep --columns; html: eval)"},
			&cli.StringSliceFlag{Name: "catalog", Usage: "YAML file of extra hardware/models, or a Hugging Face config.json (docs/CATALOG.md); repeatable"},
			&cli.StringFlag{Name: "profile", Value: sweep.Profiles[0],
				Usage:     "physics profile: " + strings.Join(sweep.Profiles, " or ") + " (docs/PHYSICS.md \"Profiles\", docs/VALIDATION.md)",
				Validator: checkProfileFlag},
		},
		Before: func(ctx context.Context, c *cli.Command) (context.Context, error) {
			// query reads no catalog: unless --catalog names files to check,
			// it is not built (~1.5 ms and 50 page faults of a cold query).
			if c.Args().First() == "query" && !c.IsSet("catalog") {
				return ctx, nil
			}
			return ctx, a.loadCatalog(c.StringSlice("catalog"))
		},
		Commands: []*cli.Command{a.zooCommand(), a.evalCommand(), a.serveCommand(), a.sweepCommand(), a.wallsCommand()},
	}
	a.Command.Commands = append(a.Command.Commands, a.mergeCommand())
	a.Command.Commands = append(a.Command.Commands, a.queryCommand(), a.plotCommand(), a.reportCommand())
	a.Command.Commands = append(a.Command.Commands, a.schemaCommand())
	a.Command.Commands = append(a.Command.Commands, a.optimizeCommand())
	a.Command.Commands = append(a.Command.Commands, a.validateCommand())
	a.Command.Commands = append(a.Command.Commands, a.auditCommand())
	a.Command.Commands = append(a.Command.Commands, a.versionCommand())
	// In this order on each command: onceAndNotEmpty wraps the validators localPathsOnly
	// sets, and decimalFloats wraps the FloatFlags onceAndNotEmpty marks.
	eachCommand(a.Command, setUsageErrors, decimalIntegers, localPathsOnly, onceAndNotEmpty, decimalFloats, strictBools, a.onCommandNotFound)
	return a
}

// eachCommand applies each of fns, in order, to c and to every command below it.
func eachCommand(c *cli.Command, fns ...func(*cli.Command)) {
	for _, fn := range fns {
		fn(c)
	}
	for _, sub := range c.Commands {
		eachCommand(sub, fns...)
	}
}

// onCommandNotFound makes "mlsysim swep" an error that suggests sweep, on the
// root and on every command with subcommands (optimize placment).
func (a *app) onCommandNotFound(c *cli.Command) {
	if len(c.Commands) == 0 {
		return
	}
	c.CommandNotFound = func(_ context.Context, cmd *cli.Command, name string) {
		var names []string
		for _, sub := range cmd.VisibleCommands() {
			names = append(names, sub.Name)
		}
		a.notFound = badInputf(cmd.FullName(), "unknown command %q%s; commands: %s (see %s --help)", name, suggest.Hint(name, names), strings.Join(names, ", "), cmd.FullName())
	}
}

func (a *app) loadCatalog(files []string) error {
	base, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("embedded catalog: %w", err)
	}
	a.cat = base
	if len(files) == 0 {
		return nil
	}
	a.cat = base.Clone()
	for _, f := range files {
		added, err := a.cat.AddUserFile(f)
		if err != nil {
			return badInput("--catalog", err)
		}
		a.warnWidths(f, added)
	}
	return nil
}

// checkProfileFlag refuses a --profile that names no physics profile, whatever the
// command: zoo, walls, schema, query, version and validate --all-profiles read no
// profile and printed their answer for "--profile bogus" with exit 0, as if the
// name had been understood, where eval refused it.
func checkProfileFlag(v string) error {
	if slices.Contains(sweep.Profiles, v) {
		return nil
	}
	return fmt.Errorf("%q is not a physics profile%s; valid: %s", v, suggest.Hint(v, sweep.Profiles), strings.Join(sweep.Profiles, ", "))
}

// format is the chosen output format, lower-cased.
func (a *app) format() string { return strings.ToLower(a.String("output")) }

var knownFormats = []string{"text", "json", "markdown", "csv", "html"}

// outputFormat checks the format against what the command supports.
func (a *app) outputFormat(supported ...string) (string, error) {
	f := a.format()
	if !slices.Contains(knownFormats, f) {
		return "", badInputf("--output", "unsupported output format %q; valid: %s", f, strings.Join(knownFormats, ", "))
	}
	if !slices.Contains(supported, f) {
		return "", badInputf("--output", "format %q is not supported by this command; use one of %s", f, strings.Join(supported, ", "))
	}
	return f, nil
}

// cliError carries the exit code and a title for rendering.
type cliError struct {
	code  int
	title string
	err   error
	// payloadShown: the command already printed its result; say the error on
	// stderr only, so stdout stays one JSON document.
	payloadShown bool
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

func badInput(where string, err error) error {
	if where != "" {
		err = fmt.Errorf("%s: %w", where, err)
	}
	return &cliError{code: exitBadInput, title: "Bad input", err: err}
}

func badInputf(where, format string, args ...any) error {
	return badInput(where, fmt.Errorf(format, args...))
}

// report renders an error and returns its exit code. A failed write is an I/O
// error whatever the command labelled it; if the JSON error cannot be written
// to stdout either, it goes to stderr.
func report(err error, format string, stdout, stderr io.Writer) int {
	ce := &cliError{code: exitBadInput, title: "Bad input", err: err}
	var found *cliError
	if errors.As(err, &found) {
		ce = found
	}
	if isIOError(err) && ce.code != exitIO {
		ce = &cliError{code: exitIO, title: "I/O error", err: ce.err, payloadShown: ce.payloadShown}
	}
	if format == "json" {
		// One object with the same keys for every error. It goes to stdout unless the
		// command already printed its result there (--strict's exit 2, an assertion's
		// exit 3), so stdout stays one JSON document; then, or when stdout cannot be
		// written, it goes to stderr.
		b, _ := marshalNoEscape(orderedObject{{"status", "error"}, {"title", ce.title}, {"reason", ce.err.Error()}, {"exit_code", ce.code}})
		if !ce.payloadShown {
			if _, werr := fmt.Fprintln(stdout, string(b)); werr == nil {
				return ce.code
			}
		}
		fmt.Fprintln(stderr, string(b))
		return ce.code
	}
	fmt.Fprintf(stderr, "mlsysim: %s: %v\n", strings.ToLower(ce.title), ce.err)
	return ce.code
}

func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.stderr, "warning: "+format+"\n", args...)
}

// decimalIntegers reads every integer flag in base 10. urfave/cli's default,
// base 0, takes Go's prefixes: "-b 010" was batch 8 (octal) and "-s 0x100"
// 256, a number the user did not write, with exit 0. In base 10 a leading zero
// is decimal ("010" is 10, as query parameters read it) and 0x, 0b, 0o and
// digit separators are refused naming the flag.
func decimalIntegers(c *cli.Command) {
	for _, f := range c.Flags {
		if f, ok := f.(*cli.IntFlag); ok && f.Config.Base == 0 {
			f.Config.Base = 10
		}
	}
}

// decimalFloats makes every decimal flag refuse what strconv.ParseFloat reads beyond
// decimal notation: Go's hexadecimal floats ("-e 0x1p-1" was 0.5) and digit separators
// ("--qps 1_0" was 10), numbers nobody writes for a rate or a share, at exit 0 — as
// integer flags refuse 0x10 and 1_000 (decimalIntegers). inf and nan still parse, for
// each flag's own range check to name (TestMeaninglessFloatFlags). It runs after
// onceAndNotEmpty: it wraps each *cli.FloatFlag, which a type switch no longer matches.
func decimalFloats(c *cli.Command) {
	for i, f := range c.Flags {
		if f, ok := f.(*cli.FloatFlag); ok {
			c.Flags[i] = &decimalFloatFlag{f}
		}
	}
}

// decimalFloatFlag is a FloatFlag whose value is checked as written before it is parsed.
type decimalFloatFlag struct{ *cli.FloatFlag }

func (f *decimalFloatFlag) Set(name, val string) error {
	if err := decimalNotation(val); err != nil {
		return err
	}
	return f.FloatFlag.Set(name, val)
}

// strictBools makes every boolean flag take the spellings a grid and a plan take
// (catalog.ParseBool: true or false, True/TRUE, False/FALSE). urfave/cli reads
// "--training=1", "=t" or "=F" through strconv.ParseBool, which grids and plans refuse
// ("training: [1]"), and answered "--training=yes" with "parse error". It runs after
// onceAndNotEmpty, which marks each *cli.BoolFlag it can still match.
func strictBools(c *cli.Command) {
	for i, f := range c.Flags {
		if f, ok := f.(*cli.BoolFlag); ok {
			c.Flags[i] = &strictBoolFlag{f}
		}
	}
}

// strictBoolFlag is a BoolFlag whose written value is checked before it is parsed.
type strictBoolFlag struct{ *cli.BoolFlag }

func (f *strictBoolFlag) Set(name, val string) error {
	if _, err := catalog.ParseBool(val); err != nil {
		return err
	}
	return f.BoolFlag.Set(name, val)
}

// decimalNotation refuses a hexadecimal float (0x…, after an optional sign) and a
// digit separator (_), which strconv.ParseFloat accepts.
func decimalNotation(v string) error {
	if catalog.NotDecimal(v) {
		return errors.New("not a decimal number: write digits with an optional point and exponent (0.5, 1e-3); hexadecimal floats and _ separators are not read")
	}
	return nil
}

// setUsageErrors makes flag errors a one-line bad-input error instead of a help dump;
// an unknown flag is offered the closest flags the command takes (--batch: did you
// mean --batch-size?), as an unknown command or catalog key is.
func setUsageErrors(c *cli.Command) {
	c.OnUsageError = func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			name = strings.TrimLeft(name, "-")
			return badInputf(cmd.FullName(), "flag %s is not defined%s (see %s --help)", dashed(name), flagHint(cmd, name), cmd.FullName())
		}
		if m := duplicated.FindStringSubmatch(err.Error()); m != nil {
			return badInputf(cmd.FullName(), "%s is given twice (the second time %s); give it once (see %s --help)", dashed(m[2]), m[1], cmd.FullName())
		}
		return badInputf(cmd.FullName(), "%v (see %s --help)", err, cmd.FullName())
	}
}

// duplicated is urfave/cli's error for a second value of a flag that takes one
// (OnlyOnce, set by onceAndNotEmpty): the value, then the flag.
var duplicated = regexp.MustCompile(`^invalid value ("(?:[^"\\]|\\.)*") for flag -(\S+): can't duplicate this flag$`)

// dashed is a flag name as it is typed: -b, --batch-size.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagHint is " (did you mean --batch-size?)" naming the flags of cmd and of the
// commands above it (-o, --catalog, --profile) closest to name, or "".
func flagHint(cmd *cli.Command, name string) string {
	var names []string
	for _, c := range cmd.Lineage() {
		for _, f := range c.Flags {
			names = append(names, f.Names()...)
		}
	}
	if len([]rune(name)) == 1 {
		return "" // every short flag is one edit from -x: no hint says more than --help
	}
	names = slices.DeleteFunc(names, func(n string) bool { return len([]rune(n)) == 1 })
	near := suggest.Closest(name, names, suggest.Max)
	for i := range near {
		near[i] = dashed(near[i])
	}
	return suggest.Phrase(near)
}

// emptyMeans are the string flags whose empty value means something: plot's
// --group "" draws one frontier over every row and --label "" labels no point.
var emptyMeans = map[string]bool{"group": true, "label": true}

// onceAndNotEmpty makes every flag that takes one value refuse a second one, and
// every string flag an empty value. "-b 1 -b 2" ran batch 2, the first value dropped
// without a word; and an empty value read as the default: --profile "" ran the
// calibrated profile, sweep --shard "" the whole grid in every shard task, audit
// --from "" this machine instead of the captured one, query --out "" printed instead
// of writing the file — what an unset shell variable ("$SHARD") gives, at exit 0.
// Repeatable flags (--catalog, --param, --where) take each value they are given.
func onceAndNotEmpty(c *cli.Command) {
	for _, f := range c.Flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.OnlyOnce = true
			if emptyMeans[f.Name] {
				continue
			}
			next := f.Validator
			f.Validator = func(v string) error {
				if v == "" {
					return errors.New("empty; give a value, or leave the flag out for its default")
				}
				if next != nil {
					return next(v)
				}
				return nil
			}
		case *cli.IntFlag:
			f.OnlyOnce = true
		case *cli.FloatFlag:
			f.OnlyOnce = true
		case *cli.BoolFlag:
			f.OnlyOnce = true
		case *cli.DurationFlag:
			f.OnlyOnce = true
		}
	}
}
