package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSweepCPUProfileRenamed: sweep --cpuprofile FILE writes the profile under a
// temporary name and renames it into place when the profile stops, as every other
// output does (sinks.Create). os.Create truncated FILE in place at the start of the run,
// so a run killed part-way left an empty profile where the last one had been: a hard
// link to the old file, which sees any write in place, keeps the old bytes; the new
// FILE is a whole gzip-compressed pprof profile, and no temporary file stays beside it.
// A sweep streamed to stdout is profiled as well. A folder, or a device, as FILE is
// refused (exit 1), and nothing is swept.
func TestSweepCPUProfileRenamed(t *testing.T) {
	grid := writeGrid(t, shardGrid)
	dir := t.TempDir()
	prof, link := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "old.pprof")
	old := []byte("the previous profile")
	if err := os.WriteFile(prof, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(prof, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	r := mlsysim(t, "sweep", grid, "--out", filepath.Join(dir, "out"), "-q", "--cpuprofile", prof)
	if r.code != exitOK {
		t.Fatalf("sweep: %v", r)
	}
	if b, err := os.ReadFile(link); err != nil || !bytes.Equal(b, old) {
		t.Errorf("the old profile was written in place: %d bytes, not the %d it held (%v)", len(b), len(old), err)
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("%s is not a gzip-compressed profile (%d bytes, %v)", prof, len(b), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".cpu.pprof.*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Streamed to stdout, the run is profiled too (--cpuprofile was ignored there).
	streamed := filepath.Join(dir, "stream.pprof")
	if r := mlsysim(t, "sweep", grid, "--out", "-", "--format", "jsonl", "-q", "--cpuprofile", streamed); r.code != exitOK {
		t.Fatalf("sweep --out -: %v", r)
	}
	if b, err := os.ReadFile(streamed); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("--out -: %s is not a gzip-compressed profile (%d bytes, %v)", streamed, len(b), err)
	}

	for _, bad := range []string{dir, "/dev/null"} {
		out := filepath.Join(t.TempDir(), "out")
		r := mlsysim(t, "sweep", grid, "--out", out, "-q", "--cpuprofile", bad)
		if r.code != exitBadInput {
			t.Errorf("--cpuprofile %s: exit %d, want 1\n%v", bad, r.code, r)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--cpuprofile %s: swept into %s anyway", bad, out)
		}
	}
}
