package results_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mlsysim/mlsysim/results"
)

// TestMergeFailureLeavesNothing: a merge into a new folder that failed with an
// I/O error left the folder behind (holding its lock file, and the parts
// placed before the error), so a retry found "a result" or a stray folder. It
// now removes what it made, parents included; a folder the user had keeps
// what it held.
func TestMergeFailureLeavesNothing(t *testing.T) {
	dirs := shards(t, plan(t, setGrid), 2)
	n := 0
	defer results.SetPlaceFile(func(src, dst string) error {
		if n++; n > 3 { // three parts placed, then the disk is full
			return syscall.ENOSPC
		}
		return os.Link(src, dst)
	})()

	base := t.TempDir()
	out := filepath.Join(base, "new", "all")
	if _, err := results.Merge(dirs, out, results.MergeOptions{}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("merge: %v, want ENOSPC", err)
	}
	if _, err := os.Stat(filepath.Join(base, "new")); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(out)
		t.Errorf("a failed merge into a new folder left %s behind (%v; out holds %d entries)", filepath.Join(base, "new"), err, len(entries))
	}

	// A folder the user had, with a file of theirs: it stays, with that file.
	had := filepath.Join(base, "had")
	if err := os.MkdirAll(had, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(had, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	n = 0
	if _, err := results.Merge(dirs, had, results.MergeOptions{}); err == nil {
		t.Fatal("merge into an existing folder did not fail")
	}
	if b, err := os.ReadFile(filepath.Join(had, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("a failed merge touched the user's file: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(had)
	for _, e := range entries {
		if e.Name() != "notes.txt" && e.Name() != results.LockName {
			t.Errorf("a failed merge left %s in the user's folder", e.Name())
		}
	}
}
