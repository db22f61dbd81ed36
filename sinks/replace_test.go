package sinks

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// An output path that is a folder, a device, a pipe or a link to one is refused
// before anything is written, and left as it was: the temporary file's rename put a
// regular file in its place ('validate --baseline-out /dev/full', run as root,
// replaced the device). A regular file, and a link to one, are still replaced.
func TestCreateRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	toPipe := filepath.Join(dir, "to-pipe")
	if err := os.Symlink(fifo, toPipe); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:   "is a named pipe",
		folder: "is a folder",
		toPipe: "is a named pipe",
	} {
		// (No /dev/null or /dev/full here: run as root, a regression would replace them.)
		before, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(path, []byte("x\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("WriteFileAtomic(%s): %v, want an error saying it %s", path, err, want)
		}
		after, err := os.Lstat(path)
		if err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s was %v, is %v (%v)", path, before.Mode(), after.Mode(), err)
		}
	}
	// Made between Create and Commit: Commit refuses it too.
	late := filepath.Join(dir, "late")
	f, err := Create(late)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(late, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("Commit onto a folder made meanwhile: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".late.*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}

	file := filepath.Join(dir, "file.json")
	link := filepath.Join(dir, "link.json")
	for _, p := range []string{file, link} {
		if p == link {
			if err := os.Symlink(file, link); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteFileAtomic(p, []byte(p)); err != nil {
			t.Fatalf("WriteFileAtomic(%s): %v", p, err)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != p {
			t.Errorf("%s holds %q (%v)", p, b, err)
		}
	}
}
