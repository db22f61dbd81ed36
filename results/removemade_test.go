package results_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mlsysim/mlsysim/results"
)

// TestRemoveMadeWithoutTheLock: a writer that did not get the folder's lock (another
// run created the folder after MissingDirs looked, and holds it) removes no file in
// it — they are the other run's — and no folder that is not empty; with the lock, the
// result it wrote, its lock file and the folders it made go.
func TestRemoveMadeWithoutTheLock(t *testing.T) {
	base := t.TempDir()
	if err := os.WriteFile(filepath.Join(base, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(base, "a", "b")
	made := results.MissingDirs(out)
	if len(made) != 2 {
		t.Fatalf("MissingDirs(%s) = %v; want the 2 folders", out, made)
	}
	if under := results.MissingDirs(filepath.Join(base, "notes.txt", "x")); len(under) != 0 {
		t.Errorf("MissingDirs under a file = %v, want none (creating it fails there)", under)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	theirs := []string{"part-00000.parquet", results.ManifestName, results.LockName}
	for _, n := range theirs {
		if err := os.WriteFile(filepath.Join(out, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	results.RemoveMade(made, false)
	for _, n := range theirs {
		if _, err := os.Stat(filepath.Join(out, n)); err != nil {
			t.Errorf("without the lock, RemoveMade removed %s: %v", n, err)
		}
	}
	results.RemoveMade(made, true)
	if _, err := os.Stat(filepath.Join(base, "a")); !os.IsNotExist(err) {
		t.Errorf("with the lock, RemoveMade left %s: %v", filepath.Join(base, "a"), err)
	}
}
