package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/cmd/mlsysim/internal/handoff"
	"github.com/mlsysim/mlsysim/reports"
)

// TestLeanBuild: `make lean` builds bin/mlsysim without DuckDB and the figure
// stack. It answers eval and serve itself and hands query, plot, optimize and
// eval --plot to the mlsysim-full beside it — here this test binary, running as
// mlsysim — so every command prints what the full build prints, with its exit
// code; without mlsysim-full those commands say how to get it.
func TestLeanBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("make is missing in CI")
		}
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mlsysim")
	if out, err := exec.Command("make", "-s", "-C", "../..", "lean", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make lean: %v\n%s", err, out)
	}
	mods, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"github.com/duckdb/duckdb-go", "gonum.org/v1/plot", "CGO_ENABLED=1"} {
		if bytes.Contains(mods, []byte(heavy)) {
			t.Errorf("the lean binary links %s:\n%s", heavy, mods)
		}
	}
	full := filepath.Join(dir, handoff.FullName)
	writeSelf(t, full)
	lean := func(args ...string) cliResult {
		var out, errb bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%v: %v", args, err)
		}
		return cliResult{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	}

	frontier := swept(t, "serving-frontier")
	figDir := t.TempDir()
	roofline, pareto := filepath.Join(figDir, "roofline.svg"), filepath.Join(figDir, "pareto.svg")
	for _, c := range []struct {
		args []string
		file string // written by the command: the same bytes from both builds
	}{
		{args: []string{"--help"}},
		{args: []string{"eval", "Llama3_8B", "H100", "-o", "json"}},
		{args: []string{"serve", "Llama3_70B", "H100", "-p", "fp8", "--tp", "4"}},
		{args: []string{"eval", "Llama3_8B", "Nope"}},
		{args: []string{"query", "top", frontier, "--param", "by=itl_ms"}},
		{args: []string{"-o", "json", "query", "top", frontier, "--param", "by=nope"}},
		{args: []string{"--catalog", filepath.Join(figDir, "missing.yaml"), "query", "top", frontier, "--param", "by=itl_ms"}},
		{args: []string{"--bogus", "query", "top", frontier}},
		{args: []string{"--output=markdown", "--profile", "seed", "query", "--list"}},
		{args: []string{"query", "pareto", frontier, "--param", "objectives=itl_ms:min,usd_per_million_tokens:min", "--param", "group=model", "-o", "csv"}},
		{args: []string{"optimize", "--help"}},
		{args: []string{"optimize", "--generate-shell-completion"}},
		{args: []string{"eval", "Llama3_8B", "H100", "--plot", roofline}, file: roofline},
		{args: []string{"plot", "pareto", frontier, "--objectives", "itl_ms:min,usd_per_million_tokens:min", "--out", pareto}, file: pareto},
	} {
		want := mlsysim(t, c.args...)
		var wantFile []byte
		if c.file != "" {
			wantFile = readFile(t, c.file)
			os.Remove(c.file)
		}
		got := lean(c.args...)
		if got.code != want.code || comparable(got.stdout) != comparable(want.stdout) || comparable(got.stderr) != comparable(want.stderr) {
			t.Errorf("%v through the lean build:\n%v\nwant (the full build):\n%v", c.args, got, want)
		}
		if c.file != "" && !bytes.Equal(readFile(t, c.file), wantFile) {
			t.Errorf("%v: %s differs between the builds", c.args, c.file)
		}
	}
	// A command line that starts with a delegated command is handed over by
	// the entry point before the Go runtime starts (linux/amd64: no init trace
	// of the lean process at all), or else by the handoff package's
	// initialiser before any other package of ours is initialised (its own
	// trace line would follow its init, which never returns); global flags
	// first always take the initialiser's path. The lean process's part of an
	// init trace, up to where the full build's starts again from the runtime,
	// names no package of ours.
	first := "init internal/bytealg "
	for _, args := range [][]string{{"query", "--list"}, {"-o", "json", "query", "--list"}} {
		traced := exec.Command(bin, args...)
		traced.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		trace, _ := traced.CombinedOutput()
		starts := strings.Count(string(trace), first)
		entry := runtime.GOOS == "linux" && runtime.GOARCH == "amd64" && args[0] == "query"
		if entry {
			if starts != 1 {
				t.Errorf("%v through the lean build: want the full build started before the lean one's runtime; init trace:\n%s", args, trace)
			}
			continue
		}
		parts := strings.SplitAfterN(string(trace), first, 3)
		if len(parts) != 3 || strings.Contains(parts[1], "github.com/mlsysim/mlsysim/") || !strings.Contains(parts[1], "init os ") {
			t.Errorf("%v through the lean build: want the full build started before any package of ours is initialised; init trace:\n%s", args, trace)
		}
	}
	if r := lean("version", "-o", "json"); r.code != exitOK {
		t.Errorf("version: %v", r)
	} else {
		equal(t, oneObject(t, r.stdout), "queries", true)
	}

	// A full build that cannot start (here not executable) is not beside the
	// lean one: execve's failure leaves the entry point for the usual path.
	if err := os.Chmod(full, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir) // not found on PATH either
	if r := lean("query", "top", frontier, "--param", "by=itl_ms"); r.code != exitBadInput || r.stdout != "" || !strings.Contains(r.stderr, "mlsysim-full") {
		t.Errorf("query with a mlsysim-full that is not executable: %v\nwant exit 1 naming mlsysim-full", r)
	}
	if err := os.Remove(full); err != nil {
		t.Fatal(err)
	}
	r := lean("query", "top", frontier, "--param", "by=itl_ms")
	if r.code != exitBadInput || r.stdout != "" || !strings.Contains(r.stderr, "mlsysim-full") || !strings.Contains(r.stderr, "make build") {
		t.Errorf("query without mlsysim-full: %v\nwant exit 1 naming mlsysim-full and make build", r)
	}
	if r := lean("eval", "Llama3_8B", "H100", "--plot", filepath.Join(figDir, "x.svg")); r.code != exitBadInput || !strings.Contains(r.stderr, "mlsysim-full") {
		t.Errorf("eval --plot without mlsysim-full: %v", r)
	}
	if r := lean("eval", "Llama3_8B", "H100", "-o", "json"); r.code != exitOK {
		t.Errorf("eval without mlsysim-full: %v", r)
	}
	r = lean("version", "-o", "json")
	var v struct{ Queries *bool }
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Queries == nil || *v.Queries {
		t.Errorf("version without mlsysim-full: %v; want queries false", r)
	}
}

// TestDelegatedUsage: the lean build lists plot with the same usage line, so
// it must name every figure kind.
func TestDelegatedUsage(t *testing.T) {
	for _, k := range reports.Kinds {
		if !strings.Contains(plotUsage, k) {
			t.Errorf("plotUsage %q does not name the figure kind %s", plotUsage, k)
		}
	}
}

// comparable drops what differs between two runs of one build: the version
// block of --help (the lean binary carries a git revision, the test binary
// none) and the seconds a figure took.
func comparable(s string) string {
	s = regexp.MustCompile(`(?m)^VERSION:\n.*\n`).ReplaceAllString(s, "")
	return regexp.MustCompile(`(?m) in [0-9.]+ s$`).ReplaceAllString(s, "")
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNamesDelegated: the command lines the lean build hands over before
// parsing them — a delegated command after global flags and their values only
// (handoff.Command names it; the full build starts DuckDB early for query).
func TestNamesDelegated(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "top", "out"}, "query"},
		{[]string{"plot", "pareto", "out"}, "plot"},
		{[]string{"report", "out"}, "report"},
		{[]string{"optimize", "serving"}, "optimize"},
		{[]string{"-o", "json", "query", "top", "out"}, "query"},
		{[]string{"--output=csv", "--catalog", "my.yaml", "--profile", "seed", "query"}, "query"},
		{[]string{"-o=json", "--catalog=x.yaml", "optimize"}, "optimize"},
		{[]string{"-o", "query", "eval"}, ""}, // query is the value of -o
		{[]string{"eval", "Llama3_8B", "H100", "--plot", "x.svg"}, ""},
		{[]string{"zoo", "query"}, ""},
		{[]string{"--help", "query"}, ""},
		{[]string{"--version"}, ""},
		{[]string{"--bogus", "query"}, ""},
		{[]string{"-o"}, ""},
		{nil, ""},
	} {
		args := append([]string{"mlsysim"}, c.args...)
		if got := handoff.Command(args); got != c.want {
			t.Errorf("Command(%q) = %q, want %q", c.args, got, c.want)
		}
		if got := handoff.Delegated(args); got != (c.want != "") {
			t.Errorf("Delegated(%q) = %v, want %v", c.args, got, c.want != "")
		}
	}
}

// TestGlobalValueFlags: handoff.GlobalValueFlags are exactly the root command's flags
// that take a value, and handoff.Commands the commands the lean build lists
// with a delegated usage line.
func TestGlobalValueFlags(t *testing.T) {
	a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
	var want []string
	for _, f := range a.Command.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			continue
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				want = append(want, "-"+n)
			} else {
				want = append(want, "--"+n)
			}
		}
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(handoff.GlobalValueFlags))
	if !slices.Equal(got, want) {
		t.Errorf("handoff.GlobalValueFlags = %v; the root command's flags with a value are %v", got, want)
	}
	usages := map[string]string{"query": queryUsage, "plot": plotUsage, "report": reportUsage, "optimize": optimizeUsage}
	for _, name := range handoff.Commands {
		c := a.Command.Command(name)
		if c == nil || c.Usage != usages[name] {
			t.Errorf("delegated command %s: %v, want the usage %q", name, c, usages[name])
		}
		delete(usages, name)
	}
	if len(usages) > 0 {
		t.Errorf("commands with a delegated usage line missing from handoff.Commands: %v", usages)
	}
}
