package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/results"
)

// A resumed sweep evaluates only the parts it rewrites, so its summary must not
// present those rows' findings as the whole run's: it names the kept rows and
// scopes the feasibility line and the best points to the rows written now.
func TestResumeFindingsAreScoped(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.yaml")
	spec := `version: 1
study: serve
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100]
  batch_size: {range: [1, 64]}
`
	if err := os.WriteFile(grid, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"sweep", grid, "--out", out, "--part-points", "64"}
	first := mlsysim(t, args...)
	if first.code != exitOK {
		t.Fatalf("sweep: %v", first)
	}
	if strings.Contains(first.stderr, "kept") {
		t.Errorf("an uninterrupted run mentions kept rows:\n%s", first.stderr)
	}
	m, err := results.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Parts) != 4 {
		t.Fatalf("%d parts, want 4 (256 points in parts of 64)", len(m.Parts))
	}
	if err := os.Remove(filepath.Join(out, m.Parts[1].File)); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, append(args, "--resume")...)
	if r.code != exitOK {
		t.Fatalf("--resume: %v", r)
	}
	kept := m.Rows - m.Parts[1].Rows
	for _, want := range []string{
		fmt.Sprintf("resumed: %d rows kept from the interrupted run, %d written now", kept, m.Parts[1].Rows),
		fmt.Sprintf("the %d kept rows are not counted", kept),
		fmt.Sprintf("of %d rows written now (", m.Parts[1].Rows),
		"among the rows written now",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--resume output lacks %q:\n%s", want, r.stderr)
		}
	}
	if after, err := results.ReadManifest(out); err != nil || after.Rows != m.Rows {
		t.Errorf("after --resume the manifest has %v rows (%v), want %d", after.Rows, err, m.Rows)
	}
}
