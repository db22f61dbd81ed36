//go:build !lean

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/reports"
	"github.com/mlsysim/mlsysim/sinks"
)

func (a *app) reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     reportUsage,
		ArgsUsage: "RESULT…",
		Description: `RESULT is a sweep output folder (or one .parquet file), or several folders or a glob
that are the shards of one sweep, checked as merge checks them. The page holds the run's
manifest facts (study, spec, profile, hashes, rows), the findings (feasible share,
why the rest is infeasible, the binding walls, the best point per model), the
Pareto frontier as a table, and the figures that fit the study (docs/FIGURES.md),
as inline SVG: no scripts, no network, one file to mail or archive.

Examples:
   mlsysim report out/serving-frontier
   mlsysim report out/roofline --out roofline.html`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the page (default RESULT-report.html beside a single result)"},
		},
		Action: a.reportAction,
	}
}

func (a *app) reportAction(ctx context.Context, c *cli.Command) error {
	// The page goes to a file and the summary to stderr: -o json renders errors,
	// the table formats would change nothing.
	if _, err := a.outputFormat("text", "json"); err != nil {
		return err
	}
	args := c.Args().Slice()
	if len(args) == 0 {
		return badInputf("report", "want RESULT: a sweep output folder (mlsysim report out/frontier)")
	}
	out := c.String("out")
	if out == "" {
		base, err := defaultOutBase(args)
		if err != nil {
			return badInput("--out", err)
		}
		out = base + "-report.html"
	}
	if !strings.HasSuffix(strings.ToLower(out), ".html") {
		return badInputf("--out", "%s: want a file name ending in .html", out)
	}
	if err := checkFigureOut(out, args, ".html"); err != nil {
		return badInput("--out", err)
	}
	start := time.Now()
	db, err := a.openResults(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	page, err := reports.Build(ctx, db, a.cat, args[0])
	if err != nil {
		return badInput("", err)
	}
	f, err := sinks.Create(out)
	if err != nil {
		return badInput("--out", err)
	}
	defer f.Abort()
	if err := page.WriteHTML(f); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return badInput("--out", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%d figures) in %.2f s\n", out, len(page.Figures), time.Since(start).Seconds())
	return nil
}
