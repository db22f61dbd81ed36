package results

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// ReadManifest reads only a regular file of bounded size: a FIFO in the manifest's
// place is refused instead of blocking the command, a file past the input limit is
// refused instead of read into memory, and a missing one is ErrNoManifest.
func TestReadManifestRefusesNonFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadManifest(dir); !errors.Is(err, ErrNoManifest) {
		t.Errorf("no manifest: %v, want ErrNoManifest", err)
	}
	path := filepath.Join(dir, ManifestName)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	if _, err := ReadManifest(dir); err == nil || errors.Is(err, ErrNoManifest) {
		t.Errorf("FIFO manifest: %v, want a refusal", err)
	}
	os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file past 64 MiB costs no disk.
	if err := f.Truncate(65 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized manifest: %v, want a size refusal", err)
	}
}
