package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	embedded "github.com/mlsysim/mlsysim"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
	"github.com/mlsysim/mlsysim/validation"
)

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "compare predictions with published measurements: error per case and per kind",
		Description: `Runs the validation suite (testdata/validation/*.yaml, built into the binary, so it
runs from any directory; --cases reads another folder. One case per file: a number
measured or officially reported by a primary source, the inputs to reproduce it, the study
point that predicts it, and a tolerance fixed before the first run) and prints predicted vs
measured, signed error and pass/miss per case, then per kind the count, median |error|,
worst case and share within tolerance. The global --profile picks the physics profile;
--all-profiles compares them side by side. docs/VALIDATION.md is the markdown output of
--all-profiles over the built-in suite (make validation); the markdown of a selection
(--kind, --cases, one profile) is headed by what it holds instead. A case that cannot be evaluated (outcome error: its
inputs refused, its prediction not a finite number) is shown in the table and exits 1.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cases", Usage: "folder of case files (default: the suite built into mlsysim, " + embedded.ValidationDir + ")"},
			&cli.StringFlag{Name: "kind", Usage: "only cases of this kind (e.g. training_mfu)"},
			&cli.BoolFlag{Name: "all-profiles", Usage: "run every physics profile and show them side by side"},
			&cli.StringFlag{Name: "baseline-out", Usage: "also write the ratchet baseline (per profile: passing cases, median |error|) to this JSON file"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown")
			if err != nil {
				return err
			}
			if c.Args().Len() > 0 {
				// "validate training_mfu" ran every case: the argument was ignored.
				return badInputf("validate", "takes no arguments, got %q; choose cases with --kind KIND (or --cases DIR)", c.Args().First())
			}
			profiles := []string{a.String("profile")}
			if c.Bool("all-profiles") {
				profiles = sweep.Profiles
			} else if !slices.Contains(sweep.Profiles, profiles[0]) {
				return badInputf("--profile", "%q is not a physics profile; valid: %s", profiles[0], strings.Join(sweep.Profiles, ", "))
			}
			if out, dir := c.String("baseline-out"), c.String("cases"); out != "" && dir != "" && strings.HasSuffix(out, ".yaml") {
				// The JSON written there was read as a case by the next run, which failed.
				if a, b := absPath(filepath.Dir(out)), absPath(dir); a == b {
					return badInputf("--baseline-out", "%s is a .yaml file in the --cases folder %s, where the next validate would read it as a case; write it elsewhere (a .json file)", out, dir)
				}
			}
			if out := c.String("baseline-out"); out != "" {
				if err := checkOutFile(out); err != nil {
					return badInput("--baseline-out", err)
				}
			}
			cases, err := loadCases(c.String("cases"))
			if err != nil {
				return badInput("--cases", err)
			}
			if k := c.String("kind"); k != "" {
				var kept []*validation.Case
				var kinds []string
				for _, cs := range cases {
					if cs.Kind == k {
						kept = append(kept, cs)
					}
					if !slices.Contains(kinds, cs.Kind) {
						kinds = append(kinds, cs.Kind)
					}
				}
				if len(kept) == 0 {
					return badInputf("--kind", "no case of kind %q%s; kinds: %s", k, suggest.Hint(k, kinds), strings.Join(kinds, ", "))
				}
				cases = kept
			}
			runs := make([][]validation.CaseResult, len(profiles))
			var bases []validation.Baseline
			for i, p := range profiles {
				runs[i] = validation.RunCases(a.cat, cases, p)
				bases = append(bases, validation.NewBaseline(p, runs[i]))
			}
			if path := c.String("baseline-out"); path != "" {
				b, err := json.MarshalIndent(bases, "", "  ")
				if err == nil {
					err = sinks.WriteFileAtomic(path, append(b, '\n'))
				}
				if err != nil {
					return badInput("--baseline-out", err)
				}
			}
			// Only the whole built-in suite under every profile is docs/VALIDATION.md;
			// another selection's markdown says what it holds instead of claiming to be it.
			var scope []string
			if k := c.String("kind"); k != "" {
				scope = append(scope, "cases of kind "+k)
			}
			if dir := c.String("cases"); dir != "" {
				scope = append(scope, "cases from "+dir)
			}
			if !c.Bool("all-profiles") {
				scope = append(scope, "profile "+profiles[0])
			}
			if err := renderValidation(a, format, profiles, runs, strings.Join(scope, "; ")); err != nil {
				return err
			}
			// A case that could not be evaluated (its inputs refused, its predict expression
			// not finite) is a broken case file, not a prediction: the table shows it, and the
			// exit code says so (it was 0, so a CI gate on a folder of cases passed).
			var broken []string
			for i, run := range runs {
				for _, r := range run {
					if r.Outcome == "error" {
						broken = append(broken, fmt.Sprintf("%s (%s): %s", r.ID, profiles[i], r.Reason))
					}
				}
			}
			if len(broken) > 0 {
				return &cliError{code: exitBadInput, title: "Bad input", payloadShown: true,
					err: fmt.Errorf("--cases: %d case evaluation(s) failed (outcome error); first: %s", len(broken), broken[0])}
			}
			return nil
		},
	}
}

// absPath is p made absolute and clean (p itself if that fails).
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// loadCases reads the cases of a folder, or the embedded suite when dir is "".
func loadCases(dir string) ([]*validation.Case, error) {
	if dir != "" {
		return validation.LoadCases(dir)
	}
	sub, err := fs.Sub(embedded.ValidationCases, embedded.ValidationDir)
	if err != nil {
		return nil, err
	}
	return validation.LoadCasesFS(sub, embedded.ValidationDir)
}

// renderValidation prints the runs; scope is "" for the run make validation writes
// to docs/VALIDATION.md (the built-in suite, every profile), else what was selected.
func renderValidation(a *app, format string, profiles []string, runs [][]validation.CaseResult, scope string) error {
	if format == "json" {
		var out []orderedObject
		for i, p := range profiles {
			out = append(out, orderedObject{{"profile", p}, {"cases", runs[i]}, {"summary", validation.Summarize(runs[i])}})
		}
		if len(out) == 1 {
			return writeJSON(a.stdout, out[0])
		}
		return writeJSON(a.stdout, out)
	}
	var tables []*table
	for i, p := range profiles {
		t := &table{name: "summary-" + p, title: "Per kind, profile " + p + " (supported cases)",
			cols: []string{"kind", "cases", "supported", "within tolerance", "median |error|", "worst case", "worst error"}}
		for _, s := range validation.Summarize(runs[i]) {
			share, median, worst := "—", "—", "—"
			if s.Supported > 0 { // no supported case: no error to summarise
				share = fmt.Sprintf("%d/%d (%.0f %%)", s.Passed, s.Supported, 100*float64(s.Passed)/float64(s.Supported))
				median, worst = fmt.Sprintf("%.1f %%", s.MedianAbsError), fmt.Sprintf("%+.1f %%", s.WorstError)
			}
			t.add([]string{s.Kind, fmt.Sprint(s.Cases), fmt.Sprint(s.Supported), share, median, s.WorstID, worst}, nil)
		}
		tables = append(tables, t)
	}
	cols := []string{"case", "kind", "measured", "unit", "tolerance"}
	for _, p := range profiles {
		cols = append(cols, "predicted ("+p+")", "error ("+p+")", "outcome ("+p+")")
	}
	ct := &table{name: "cases", title: "Cases", cols: cols}
	for j, r := range runs[0] {
		cells := []string{r.ID, r.Kind, fmt.Sprintf("%.4g", r.Expected), r.Unit, fmt.Sprintf("±%.0f %%", r.Tolerance)}
		for i := range profiles {
			x := runs[i][j]
			pred, errPct := "—", "—"
			if x.Outcome == "pass" || x.Outcome == "miss" {
				pred, errPct = fmt.Sprintf("%.4g", x.Predicted), fmt.Sprintf("%+.1f %%", x.ErrorPct)
			}
			outcome := x.Outcome
			if x.Reason != "" && i == len(profiles)-1 {
				outcome += ": " + x.Reason
			}
			cells = append(cells, pred, errPct, outcome)
		}
		ct.add(cells, nil)
	}
	tables = append(tables, ct)
	mt := &table{name: "misses-" + profiles[0], title: "Misses explained, profile " + profiles[0],
		cols: []string{"case", "error", "what the model lacks"}}
	for _, r := range runs[0] {
		if r.Outcome == "miss" {
			mt.add([]string{r.ID, fmt.Sprintf("%+.1f %%", r.ErrorPct), r.Analysis}, nil)
		}
	}
	if len(mt.rows) > 0 {
		tables = append(tables, mt)
	}
	if format == "markdown" && scope != "" {
		fmt.Fprintf(a.stdout, "# Validation against published measurements: %s\n\nA selection of the suite (`mlsysim validate`); the whole suite under every profile is\ndocs/VALIDATION.md (`make validation`). Cases, sources and tolerances: testdata/validation/\n(README.md there). Error = (predicted − measured) / measured.\n\n", scope)
	} else if format == "markdown" {
		fmt.Fprintf(a.stdout, "# Validation against published measurements\n\nGenerated by `make validation` (`mlsysim validate --all-profiles -o markdown`); a test fails\nif a case that passed stops passing or a profile's median |error| grows. Cases, sources and\ntolerances: testdata/validation/ (README.md there). Error = (predicted − measured) / measured.\nProfiles: docs/PHYSICS.md \"Profiles\". The last table explains each miss of the default profile\n(the case file's miss_analysis, written after the run; tolerances are never changed).\n\n")
	}
	return renderTables(a.stdout, format, tables)
}
