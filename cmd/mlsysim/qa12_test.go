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
