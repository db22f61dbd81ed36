package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v3"
)

// Input handling across commands (issue qa19): input that was silently read as
// something the user did not write, class by class.

// Integer flags are decimal. urfave/cli parsed them in base 0, so "-b 010" was
// batch 8 (octal), "-s 0100" a 64-token sequence and "0x10" 16, each a result
// with exit 0 for a number nobody typed.
func TestIntegerFlagsAreDecimal(t *testing.T) {
	// A leading zero is decimal, as query parameters (k=010) read it.
	r := mlsysim(t, "serve", "Llama3_8B", "H100", "-b", "010", "-s", "0100", "-o", "json")
	if r.code != 0 {
		t.Fatalf("serve -b 010 -s 0100: %v", r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "batch_size", 10.0) // not 8, octal 010
	equal(t, obj, "seq_len", 100.0)   // not 64, octal 0100

	// Go's other integer forms are refused, naming the flag and the value.
	for _, tc := range []struct {
		flag  string
		value string
		args  []string
	}{
		{"-b", "0x10", []string{"eval", "Llama3_8B", "H100"}},
		{"-b", "0b11", []string{"eval", "Llama3_8B", "H100"}},
		{"-b", "0o17", []string{"eval", "Llama3_8B", "H100"}},
		{"-b", "1_000", []string{"eval", "Llama3_8B", "H100"}},
		{"-s", "0x800", []string{"serve", "Llama3_8B", "H100"}},
		{"-tp", "0b10", []string{"serve", "Llama3_70B", "H100"}},
		{"-part-points", "0x100", []string{"sweep", "roofline", "--dry-run"}},
		{"-top", "0x2", []string{"optimize", "parallelism", planFixture("g5-research256.yaml")}},
	} {
		args := append(append([]string{}, tc.args...), tc.flag, tc.value)
		badRun(t, exitBadInput, []string{"invalid value \"" + tc.value + "\"", "flag " + tc.flag}, args...)
	}
}

// Every integer flag of every command is read in base 10, including those a
// command added later brings (the walk reaches subcommands: optimize serving).
func TestEveryIntegerFlagDecimal(t *testing.T) {
	a := newApp(io.Discard, io.Discard)
	var n int
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		for _, f := range c.Flags {
			if f, ok := f.(*cli.IntFlag); ok {
				n++
				if f.Config.Base != 10 {
					t.Errorf("%s --%s: base %d, want 10", c.FullName(), f.Name, f.Config.Base)
				}
			}
		}
		for _, sub := range c.Commands {
			walk(sub)
		}
	}
	walk(a.Command)
	if n < 30 {
		t.Errorf("found %d integer flags; the walk missed commands", n)
	}
}

// A command that takes no argument (or one) refuses another instead of
// dropping it: "validate training_mfu" ran every case and "walls 1 2" printed
// wall 1 alone, each with exit 0.
func TestExtraArgumentsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"walls", "1", "2"}, []string{"walls: takes at most one wall number, got 2 arguments (1 2)"}},
		{[]string{"version", "extra"}, []string{"version: takes no arguments", `"extra"`}},
		{[]string{"validate", "training_mfu"}, []string{"validate: takes no arguments", `"training_mfu"`, "--kind"}},
		{[]string{"completion", "bash", "extra"}, []string{"completion bash: takes no arguments", `"extra"`}},
	} {
		badRun(t, exitBadInput, c.want, c.args...)
	}
	// One argument where one is taken still works.
	for _, args := range [][]string{{"walls", "2"}, {"version"}, {"completion", "bash"}} {
		if r := mlsysim(t, args...); r.code != 0 || r.stdout == "" {
			t.Errorf("mlsysim %v: %v", args, r)
		}
	}
}

// A plan whose constraints.assert is left empty asserted nothing and exited 0,
// a CI gate that passed without a check; a block left empty (parallelism:)
// ran the defaults. Both are refused, naming the file:line.
func TestPlanEmptyKeyRefused(t *testing.T) {
	dir := t.TempDir()
	head := "version: \"1.0\"\nname: x\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\nhardware: {cluster: Research_256, precision: fp16}\n"
	for _, c := range []struct{ body, want string }{
		{"constraints:\n  assert:\n", "p.yaml:6: constraints.assert: no value (null)"},
		{"parallelism:\n", "p.yaml:5: parallelism: no value (null)"},
		{"parallelism: {tp: 8, pp: 4, dp: auto, microbatches: 16, zero_stage: ~}\n", "p.yaml:5: parallelism.zero_stage: no value (null)"},
	} {
		path := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(path, []byte(head+c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		badRun(t, exitBadInput, []string{c.want}, "eval", path)
	}
}

// --profile on a command that reads a stored result (query, plot, report,
// merge) was ignored: "--profile seed plot out/" drew the calibrated rows the
// sweep wrote, with exit 0. A profile other than the result's is refused, the
// result's own is accepted, and without --profile nothing changes.
func TestStoredResultProfile(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(grid, []byte("version: 1\nname: t\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n  batch_size: [1, 8]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "r")
	if r := mlsysim(t, "sweep", grid, "--out", res, "-q"); r.code != 0 {
		t.Fatalf("sweep: %v", r)
	}
	want := []string{"--profile", "holds calibrated numbers", "not re-evaluated under seed"}
	for _, args := range [][]string{
		{"--profile", "seed", "query", "top", res, "-p", "by=itl_ms"},
		{"query", "top", res, "-p", "by=itl_ms", "--profile", "seed"},
		{"--profile", "seed", "plot", "pareto", res, "--out", filepath.Join(dir, "p.svg")},
		{"--profile", "seed", "report", res, "--out", filepath.Join(dir, "p.html")},
		{"--profile", "seed", "merge", res, "--out", filepath.Join(dir, "m")},
	} {
		badRun(t, exitBadInput, want, args...)
	}
	for _, name := range []string{"p.svg", "p.html", "m"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s written after a refusal", name)
		}
	}
	for _, args := range [][]string{
		{"--profile", "calibrated", "query", "top", res, "-p", "by=itl_ms"},
		{"query", "top", res, "-p", "by=itl_ms"},
		{"--profile", "calibrated", "merge", res, "--out", filepath.Join(dir, "m")},
	} {
		if r := mlsysim(t, args...); r.code != 0 {
			t.Errorf("mlsysim %v: %v", args, r)
		}
	}
}

// An output path through a file was refused with the system's words alone
// ("mkdir afile: not a directory", or "the folder afile does not exist" for a
// file that exists): the error names the flag and says the path holds a file.
func TestOutPathThroughAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "r")
	grid := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(grid, []byte("version: 1\nname: t\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "sweep", grid, "--out", res, "-q"); r.code != 0 {
		t.Fatalf("sweep: %v", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", grid, "--out", file, "-q"}, "--out: " + file + " is a file; want a folder for the result"},
		{[]string{"sweep", grid, "--out", filepath.Join(file, "x", "y"), "-q"}, "--out: " + filepath.Join(file, "x", "y") + ": " + file + " is a file, not a folder"},
		{[]string{"merge", res, "--out", filepath.Join(file, "m")}, "--out: " + filepath.Join(file, "m") + ": " + file + " is a file, not a folder"},
		{[]string{"plot", "pareto", res, "--out", filepath.Join(file, "p.svg")}, file + " is a file, not a folder"},
		{[]string{"audit", "--from", filepath.Join("..", "..", "testdata", "audit", "dgx-h100"), "--catalog-out", filepath.Join(file, "x.yaml")}, "--catalog-out: " + filepath.Join(file, "x.yaml") + ": " + file + " is a file, not a folder"},
	} {
		badRun(t, exitBadInput, []string{c.want}, c.args...)
	}
}

// A query's boolean parameter, and a value matched against a boolean column,
// is true or false (any case): strconv's 1, 0, t and F were taken too, where a
// grid, a plan and plot --where refuse them.
func TestQueryBooleansTrueFalse(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(grid, []byte("version: 1\nname: t\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [1, 8]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "r")
	if r := mlsysim(t, "sweep", grid, "--out", res, "-q"); r.code != 0 {
		t.Fatalf("sweep: %v", r)
	}
	for _, v := range []string{"1", "0", "t", "F", "yes"} {
		badRun(t, exitBadInput, []string{"parameter feasible: want true or false", `"` + v + `"`}, "query", "top", res, "-p", "by=itl_ms", "-p", "feasible="+v)
		badRun(t, exitBadInput, []string{"column feasible holds true or false", `"` + v + `"`}, "query", "find", res, "-p", "column=feasible", "-p", "value="+v)
	}
	for _, v := range []string{"true", "TRUE", "False"} {
		if r := mlsysim(t, "query", "top", res, "-p", "by=itl_ms", "-p", "feasible="+v); r.code != 0 {
			t.Errorf("feasible=%s: %v", v, r)
		}
	}
}

// validate --baseline-out NAME.yaml in the --cases folder wrote JSON where the
// next run read it as a case (and failed); it is refused before any work.
func TestBaselineOutNotACase(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "validation", "training_throughput-megatron-1p7b.yaml")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "case.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "base.yaml")
	badRun(t, exitBadInput, []string{"--baseline-out", "is a .yaml file in the --cases folder"}, "validate", "--cases", dir, "--baseline-out", out)
	if _, err := os.Stat(out); err == nil {
		t.Error("base.yaml written")
	}
	if r := mlsysim(t, "validate", "--cases", dir, "--baseline-out", filepath.Join(dir, "base.json")); r.code != 0 {
		t.Errorf("--baseline-out base.json: %v", r)
	}
	if r := mlsysim(t, "validate", "--cases", dir); r.code != 0 {
		t.Errorf("validate after the baseline: %v", r)
	}
}
