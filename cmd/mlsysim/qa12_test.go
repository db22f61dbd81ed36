package main

import (
	"strings"
	"testing"
)

// TestSweepColumnsTakesNothingElse: sweep --columns STUDY prints that study's
// columns and nothing else, so a GRID or another sweep flag beside it is
// refused naming it (sweep --columns serve fleet.yaml printed serve's columns
// with exit 0, as if they were the grid's; --out, --format, -q changed
// nothing). The global flags stay (-o csv picks the rendering).
func TestSweepColumnsTakesNothingElse(t *testing.T) {
	spec := writeGrid(t, "version: 1\nname: tiny\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{spec}, "--columns: prints the columns of the study it names and reads no GRID (got " + spec},
		{[]string{"--out", t.TempDir()}, "--out: changes nothing with --columns"},
		{[]string{"--format", "csv"}, "--format: changes nothing with --columns"},
		{[]string{"-q"}, "--quiet: changes nothing with --columns"},
		{[]string{"--dry-run"}, "--dry-run: changes nothing with --columns"},
	} {
		r := mlsysim(t, append([]string{"sweep", "--columns", "serve"}, tc.args...)...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: want exit 1 with %q and nothing on stdout\n%v", tc.args, tc.want, r)
		}
	}
	if r := mlsysim(t, "sweep", "--columns", "serve", "-o", "csv"); r.code != exitOK || !strings.HasPrefix(r.stdout, "column,kind,type,unit,description\npoint_id,") {
		t.Errorf("sweep --columns serve -o csv: %v", r)
	}
}

// TestLeadingZeroRefused: an integer written with a leading zero is octal to
// the YAML decoder (a plan's tp: 010 ran as tp 8, exit 0; a generator's
// {range: [010, 16]} started at 8) and decimal to a grid's list values (010
// was 10): both are refused, naming the line, the two readings and how to
// write either. Explicit 0o10 and numbers such as 0.5 keep their meaning.
func TestLeadingZeroRefused(t *testing.T) {
	plan := func(tp string) string {
		return writePlanText(t, "version: \"1.0\"\nname: lz\nworkload: {name: Llama3_8B, batch_size: 64, seq_len: 2048}\n"+
			"hardware: {name: H100, accelerators: 16, accelerators_per_node: 8}\n"+
			"parallelism: {tp: "+tp+", pp: 1, dp: auto, microbatches: 1, zero_stage: 1}\n")
	}
	badRun(t, exitBadInput, []string{":5: parallelism.tp: 010 has a leading zero, which YAML 1.1 reads as octal (8) and YAML 1.2 as decimal (10): write 10, or 0o10 for octal"},
		"eval", plan("010"))
	// 0o10 is octal by its prefix: tp 8, the same answer as tp: 8.
	oct, eight := mlsysim(t, "eval", plan("0o10"), "-o", "json"), mlsysim(t, "eval", plan("8"), "-o", "json")
	if oct.code != exitOK || oct.stdout != eight.stdout {
		t.Errorf("tp: 0o10 = %v\nwant the answer of tp: 8 = %v", oct, eight)
	}
	head := "version: 1\nname: lz\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"
	for _, c := range []struct{ axis, want string }{
		{"  batch_size: [1, 010]\n", ":7: batch_size: 010 has a leading zero"},
		{"  batch_size: {range: [010, 16]}\n", ":7: batch_size.range: 010 has a leading zero"},
		{"  batch_size: {range: [1, 16], step: 03}\n", ":7: batch_size.step: 03 has a leading zero"},
	} {
		badRun(t, exitBadInput, []string{c.want}, "sweep", writeGrid(t, head+c.axis), "--dry-run")
	}
	// 0.5 and a 0 before a point are not leading zeros.
	if r := mlsysim(t, "sweep", writeGrid(t, head+"  efficiency: [0.5, 0.25]\n  batch_size: {range: [8, 16], step: 8.0}\n"), "--dry-run"); r.code != exitOK || !strings.Contains(r.stdout, "points: 4\n") {
		t.Errorf("plain numbers: %v", r)
	}
}
