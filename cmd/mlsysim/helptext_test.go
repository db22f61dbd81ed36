package main

import (
	"strings"
	"testing"
)

// TestHelpFlagDefaults holds every command's --help to one default per flag: a usage
// string that spells its own default ("(default: GOMAXPROCS)") beside the one the
// library prints ("(default: 0)") told a reader two different things; the default
// goes in DefaultText, and a required flag hides its zero (HideDefault).
func TestHelpFlagDefaults(t *testing.T) {
	commands := [][]string{
		{"zoo"}, {"eval"}, {"serve"}, {"sweep"}, {"walls"}, {"merge"}, {"query"}, {"plot"},
		{"report"}, {"schema"}, {"optimize"}, {"optimize", "serving"}, {"optimize", "placement"},
		{"optimize", "batching"}, {"optimize", "parallelism"}, {"validate"}, {"audit"},
		{"version"}, {"completion"},
	}
	for _, c := range commands {
		r := mlsysim(t, append(c, "--help")...)
		if r.code != exitOK || !strings.Contains(r.stdout, "OPTIONS:") {
			t.Errorf("mlsysim %s --help: %v", strings.Join(c, " "), r)
			continue
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			l := strings.TrimSpace(line)
			if !strings.HasPrefix(l, "-") {
				continue // description and examples, not a flag line
			}
			if n := strings.Count(l, "(default"); n > 1 {
				t.Errorf("mlsysim %s --help: %d defaults on one flag:\n%s", strings.Join(c, " "), n, l)
			}
			if strings.Contains(l, "required") && strings.Contains(l, "(default:") {
				t.Errorf("mlsysim %s --help: a required flag shows a default:\n%s", strings.Join(c, " "), l)
			}
		}
	}
}

// TestHelpExamplesRun runs the examples of eval's and serve's --help as a reader
// would copy them: each exits 0, and one that prices a fixed scenario shows it fitting
// (the 70B training and 70B fp8 serving examples were out of memory with exit 0). The
// serve examples that simulate (--ttft-ms, --qps) are held to exit 0 only: their
// fixed-batch lines may not fit while the simulation admits what memory holds.
func TestHelpExamplesRun(t *testing.T) {
	var ran int
	for _, cmd := range []string{"eval", "serve"} {
		r := mlsysim(t, cmd, "--help")
		_, ex, ok := strings.Cut(r.stdout, "Examples:\n")
		if !ok {
			t.Fatalf("mlsysim %s --help shows no examples", cmd)
		}
		ex, _, _ = strings.Cut(ex, "\n\n")
		for _, line := range strings.Split(ex, "\n") {
			line, _, _ = strings.Cut(line, "#")
			args := strings.Fields(line)
			if len(args) < 2 || args[0] != "mlsysim" || strings.Contains(line, "--plot") {
				continue // --plot writes a file: TestEvalPlot* run it
			}
			ran++
			r := mlsysim(t, args[1:]...)
			switch {
			case r.code != exitOK:
				t.Errorf("mlsysim %s --help example %q: %v", cmd, strings.TrimSpace(line), r)
			case strings.Contains(line, "--ttft-ms") || strings.Contains(line, "--qps"):
			case strings.Contains(r.stdout, "Feasibility  FAIL") || strings.Contains(r.stdout, "Feasible          no"):
				t.Errorf("mlsysim %s --help example %q does not fit:\n%s", cmd, strings.TrimSpace(line), r.stdout)
			}
		}
	}
	if ran < 12 {
		t.Errorf("ran %d help examples; eval and serve show more", ran)
	}
}

// TestFileCommandsRefuseTableFormats: sweep, plot and report write files and report on
// stderr, so -o markdown, csv or html changed nothing and was accepted; README says a
// command refuses a format it does not take (-o json stays: it renders their errors).
func TestFileCommandsRefuseTableFormats(t *testing.T) {
	for _, args := range [][]string{
		{"-o", "csv", "sweep", "roofline", "--dry-run"},
		{"-o", "markdown", "plot", "pareto", "no-such-result"},
		{"-o", "html", "report", "no-such-result"},
	} {
		r := mlsysim(t, args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, "--output: format \""+args[1]+"\" is not supported by this command; use one of text, json") {
			t.Errorf("mlsysim %s: want exit 1 refusing -o %s\n%v", strings.Join(args, " "), args[1], r)
		}
	}
}
