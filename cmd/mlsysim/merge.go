package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/results"
)

func (a *app) mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "combine the output folders of a sharded sweep into one result",
		ArgsUsage: "DIR… --out OUT",
		Description: `Each DIR is the output folder of one shard of the same run (--shard); globs are
expanded. merge checks that the spec, catalog, version, profile, format and part size
agree, that every part 0..P-1 is present exactly once and whole (footer, row count,
spec hash and part number), then places the parts in OUT — hard links where OUT is on
the same file system, copies otherwise — with one manifest. OUT may be one of the DIRs
(merging in place). One DIR that holds every part (a one-task array) is merged too.
Nothing is written when a check fails; the error names the missing, duplicate or
damaged parts. query, plot and report accept the shard folders directly
with the same checks; merge makes one folder of them (docs/CLUSTER.md).

Examples:
   mlsysim merge 'out/shard-*' --out out/all
   mlsysim merge out/shard-0 out/shard-1 out/shard-2 out/shard-3 --out out/shard-0   # in place`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the merged folder, required (it may be one of the inputs)"},
			&cli.BoolFlag{Name: "overwrite", Usage: "replace a result already in --out"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no summary"},
		},
		Action: a.mergeAction,
	}
}

func (a *app) mergeAction(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json")
	if err != nil {
		return err
	}
	if c.Args().Len() == 0 {
		return badInputf("merge", "want the shard folders to merge: mlsysim merge DIR… --out OUT")
	}
	out := c.String("out")
	if out == "" {
		return badInputf("--out", "missing: give the folder to merge into (it may be one of the inputs)")
	}
	if err := checkOutFolder(out); err != nil {
		return err
	}
	start := time.Now()
	inputs, err := results.Expand(c.Args().Slice())
	if err != nil {
		return badInput("merge", err)
	}
	if a.IsSet("profile") {
		for _, in := range inputs {
			if m, err := results.ReadManifest(in); err == nil && m.Profile != "" {
				if err := profileMismatch(in, m.Profile, a.String("profile")); err != nil {
					return err
				}
			}
		}
	}
	m, err := results.Merge(inputs, out, results.MergeOptions{Overwrite: c.Bool("overwrite")})
	if err != nil {
		return badInput("merge", err)
	}
	if format == "json" {
		return writeJSON(a.stdout, map[string]any{"status": "ok", "out": out, "inputs": inputs, "parts": len(m.Parts), "rows": m.Rows, "bytes": m.Bytes})
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(a.stderr, "merged %d folders → %d parts, %d rows, %s in %s (%.2f s)\n",
			len(inputs), len(m.Parts), m.Rows, fmtSI(float64(m.Bytes), "B"), out, time.Since(start).Seconds())
	}
	return nil
}

// profileMismatch refuses --profile asked for a result swept under another
// profile (query, plot, report and merge read stored rows; resultProfile).
func profileMismatch(path, swept, asked string) error {
	if swept == asked {
		return nil
	}
	return badInputf("--profile", "%s holds %s numbers (it was swept under that profile) and is read as stored, not re-evaluated under %s; sweep the grid again with --profile %s, or drop --profile", path, swept, asked, asked)
}
