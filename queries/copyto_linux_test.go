//go:build linux && cgo

package queries

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCopyToFailedWrite: a write that fails (here a file size limit, as a full
// disk would: both are the system refusing the write, not the input) leaves no
// file behind, neither the target nor a temporary one, and the error carries the
// errno, so the command exits 4 (I/O), not 1 (bad input). DuckDB wrote to a
// tmp_ file of its own beside ours and left it, half-written, and its message
// was text only ("bad input: … No space left on device", exit 1).
func TestCopyToFailedWrite(t *testing.T) {
	db := mustOpen(t, fixture(t, paretoRows))
	out := t.TempDir()
	file := filepath.Join(out, "big.parquet")
	// ~300K distinct 64-bit hashes: megabytes of Parquet, past the 64 KiB limit.
	st := SQL("SELECT hash(i) AS h, i FROM range(300000) t(i)")

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skip(err)
	}
	signal.Ignore(syscall.SIGXFSZ) // the write fails with EFBIG instead of the signal ending the process
	defer signal.Reset(syscall.SIGXFSZ)
	small := lim
	small.Cur = 64 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Skip(err)
	}
	_, err := db.CopyTo(context.Background(), st, file, "v7")
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("CopyTo past the file size limit: no error")
	}
	if !errors.Is(err, syscall.EFBIG) {
		t.Errorf("CopyTo past the file size limit: %v; want it to carry EFBIG (an I/O error, exit 4)", err)
	}
	// The message names the file the user asked for, never the temporary one.
	if msg := err.Error(); !strings.HasPrefix(msg, "writing "+file+": ") || strings.Contains(msg, ".tmp-") {
		t.Errorf("CopyTo past the file size limit: %q; want it to name %s alone", msg, file)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		t.Errorf("left behind after the failed write: %s", e.Name())
	}
	// The limit lifted, the same copy writes the file.
	if n, err := db.CopyTo(context.Background(), st, file, "v7"); err != nil || n != 300000 {
		t.Fatalf("CopyTo = %d, %v; want 300000 rows", n, err)
	}
}

// TestCopyToMode: a query's output file is 0644 like every file mlsysim
// writes (sinks.Create); the temporary file's 0600 was kept by the rename.
func TestCopyToMode(t *testing.T) {
	db := mustOpen(t, fixture(t, paretoRows))
	file := filepath.Join(t.TempDir(), "q.parquet")
	if _, err := db.CopyTo(context.Background(), SQL("SELECT 1 AS x"), file, "v7"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o644 {
		t.Errorf("mode %v, want -rw-r--r--", m)
	}
}
