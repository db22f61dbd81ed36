package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestWritePartsFailureLeavesNothing: a sweep into a new folder that failed with an
// I/O error (ENOSPC injected when the third part is renamed into place) left the
// folder behind — its lock file, a "running" manifest and the parts placed so far —
// so the user found a folder they never had, and a retry found "a result" there. It
// now removes what it made, parents included, as merge does. A folder the user had
// keeps their files (and the run's complete parts, for --resume), and a cancelled run
// keeps its parts in a new folder too, for --resume.
func TestWritePartsFailureLeavesNothing(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	var placed atomic.Int64
	commitHook = func(uint64) error {
		if placed.Add(1) > 2 { // two parts placed, then the disk is full
			return syscall.ENOSPC
		}
		return nil
	}
	defer func() { commitHook = nil }()

	base := t.TempDir()
	out := filepath.Join(base, "new", "sweep")
	if _, err := WriteParts(context.Background(), p, e2eOptions(out)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteParts: %v, want ENOSPC", err)
	}
	if _, err := os.Stat(filepath.Join(base, "new")); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(out)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("a failed sweep into a new folder left %s behind (%v), holding %v", filepath.Join(base, "new"), err, names)
	}

	// A folder the user had, with a file of theirs: it stays, with that file; the
	// parts placed before the error stay too, for --resume.
	had := filepath.Join(base, "had")
	if err := os.MkdirAll(had, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(had, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	placed.Store(0)
	if _, err := WriteParts(context.Background(), p, e2eOptions(had)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteParts into an existing folder: %v, want ENOSPC", err)
	}
	if b, err := os.ReadFile(filepath.Join(had, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("a failed sweep touched the user's file: %q, %v", b, err)
	}
	if parts := partFiles(t, had); len(parts) != 2 {
		t.Errorf("a failed sweep into the user's folder kept %d parts, want the 2 placed before the error", len(parts))
	}

	// A cancelled run into a new folder keeps what it finished: --resume completes it.
	commitHook = nil
	ctx, cancel := context.WithCancel(context.Background())
	opt := e2eOptions(filepath.Join(base, "stopped", "sweep"))
	opt.Progress = func(done uint64) {
		if done >= p.N/2 {
			cancel()
		}
	}
	if _, err := WriteParts(ctx, p, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v, want context.Canceled", err)
	}
	if parts := partFiles(t, opt.Dir); len(parts) == 0 {
		t.Errorf("a cancelled sweep into a new folder kept no parts; --resume would redo them")
	}
	if _, err := os.Stat(filepath.Join(opt.Dir, ManifestName)); err != nil {
		t.Errorf("a cancelled sweep into a new folder has no manifest for --resume: %v", err)
	}
}
