package main

import (
	"slices"
	"strings"
)

// fullName is the full build's file name: the lean build looks for it beside
// itself, then on PATH (lean.go, Makefile).
const fullName = "mlsysim-full"

// One-line usages of the commands that the lean build hands to the full one
// (lean.go), shared so that both list them alike in --help.
const (
	queryUsage    = "run a bundled query, or your own SQL, over a sweep's Parquet result"
	plotUsage     = "draw a figure from a sweep's Parquet result: roofline, pareto, heatmap, scatter, line"
	reportUsage   = "write one self-contained HTML page about a sweep: manifest, findings, frontier, figures"
	optimizeUsage = "search a design space: serving (the cheapest deployment for a QPS and latency targets), placement, parallelism, batching"
)

// delegatedCommands are the commands the lean build hands to the full one.
var delegatedCommands = []string{"query", "plot", "report", "optimize"}

// globalValueFlags are the root command's flags that take a value (app.go;
// TestGlobalValueFlags keeps the two in step).
var globalValueFlags = []string{"-o", "--output", "--catalog", "--profile"}

// namesDelegated reports whether a command line names a delegated command
// after nothing but global flags with their values, so that the lean build
// can hand it over before it builds its commands or loads the catalog
// (lean.go). Any other flag before the command, or none, is false: the
// command line is then parsed as usual, which hands over the same commands.
func namesDelegated(args []string) bool {
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case slices.Contains(globalValueFlags, a):
			i++ // its value
		case hasValue && slices.Contains(globalValueFlags, name):
		case strings.HasPrefix(a, "-"):
			return false
		default:
			return slices.Contains(delegatedCommands, a)
		}
	}
	return false
}
