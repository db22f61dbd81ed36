package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mlsysim/mlsysim/results"
)

// Faults done to a finished part before --resume. Each must be found and the
// part rewritten, so the resumed folder equals an uninterrupted run byte for
// byte. meta: found only through the file's metadata (Parquet and Arrow carry
// it; CSV and JSON lines do not, so there such a fault goes unseen).
var partFaults = []struct {
	name string
	meta bool
	do   func(t *testing.T, path string, other []byte)
}{
	{"empty", false, func(t *testing.T, path string, _ []byte) { writeBytes(t, path, nil) }},
	{"half", false, func(t *testing.T, path string, _ []byte) { b := mustRead(t, path); writeBytes(t, path, b[:len(b)/2]) }},
	{"last byte cut", false, func(t *testing.T, path string, _ []byte) { b := mustRead(t, path); writeBytes(t, path, b[:len(b)-1]) }},
	{"tail overwritten", false, func(t *testing.T, path string, _ []byte) {
		b := mustRead(t, path)
		for i := len(b) - 12; i < len(b); i++ {
			b[i] = 0xff
		}
		writeBytes(t, path, b)
	}},
	{"garbage", false, func(t *testing.T, path string, _ []byte) { writeBytes(t, path, []byte("No magic bytes here\n")) }},
	{"another part's file", true, func(t *testing.T, path string, other []byte) { writeBytes(t, path, other) }},
}

func writeBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		writeBytes(t, filepath.Join(dir, name), b)
	}
	return dir
}

// TestResumeRewritesDamagedParts: issue 9 item 1. Before, --resume kept any
// part file that existed and called the run complete.
func TestResumeRewritesDamagedParts(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	for _, format := range []string{"parquet", "arrow", "csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			ref := t.TempDir()
			opt := e2eOptions(ref)
			opt.Format = format
			mustWrite(t, p, opt)
			refFiles := dirFiles(t, ref)
			// Part 6 is the last and shorter one: its file in part 1's place has
			// the wrong row count too, which CSV and JSON lines can see.
			other := refFiles[results.PartName(6, format)]
			dir := copyDir(t, refFiles)
			var want []string
			for i, f := range partFaults {
				if f.meta && (format == "csv" || format == "jsonl") {
					continue
				}
				name := results.PartName(uint64(i), format)
				f.do(t, filepath.Join(dir, name), other)
				want = append(want, name)
			}
			opt.Dir, opt.Resume = dir, true
			m := mustWrite(t, p, opt)
			var got []string
			for _, r := range m.Rewritten {
				got = append(got, strings.Fields(r)[0])
			}
			if !slices.Equal(got, want) {
				t.Errorf("rewrote %v, want the damaged %v\n%s", got, want, strings.Join(m.Rewritten, "\n"))
			}
			sameFiles(t, dirFiles(t, dir), refFiles)
		})
	}
	t.Run("another spec's part", func(t *testing.T) {
		ref := t.TempDir()
		mustWrite(t, p, e2eOptions(ref))
		refFiles := dirFiles(t, ref)
		otherDir := t.TempDir()
		mustWrite(t, mustPlan(t, strings.Replace(e2eGrid, "[0.3, 0.6]", "[0.3, 0.7]", 1)), e2eOptions(otherDir))
		dir := copyDir(t, refFiles)
		name := results.PartName(2, "parquet")
		writeBytes(t, filepath.Join(dir, name), mustRead(t, filepath.Join(otherDir, name)))
		opt := e2eOptions(dir)
		opt.Resume = true
		m := mustWrite(t, p, opt)
		if len(m.Rewritten) != 1 || !strings.Contains(m.Rewritten[0], "written for spec") {
			t.Errorf("rewritten %v, want %s for its spec hash", m.Rewritten, name)
		}
		sameFiles(t, dirFiles(t, dir), refFiles)
	})
}

// TestTwoSweepsOneFolder: issue 9 item 2. A second run into a folder a sweep
// is writing is refused, names the holder, and leaves the first run's
// temporary files alone; the first run finishes with the right result.
func TestTwoSweepsOneFolder(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	ref := t.TempDir()
	mustWrite(t, p, e2eOptions(ref))
	refFiles := dirFiles(t, ref)

	dir := t.TempDir()
	opt := e2eOptions(dir)
	opt.Workers = 1
	inPart, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	opt.Progress = func(done uint64) {
		if done > 0 { // called after a batch, so a part's temporary file is open
			once.Do(func() { close(inPart); <-release })
		}
	}
	first := make(chan error, 1)
	go func() {
		_, err := WriteParts(context.Background(), p, opt)
		first <- err
	}()
	<-inPart
	temps, _ := filepath.Glob(filepath.Join(dir, ".part-*.tmp"))
	if len(temps) == 0 {
		t.Fatal("the first run has no temporary part file open; the test cannot see whether the second touches it")
	}
	for _, edit := range []struct {
		name string
		do   func(*WriteOptions)
	}{
		{"plain", func(*WriteOptions) {}},
		{"resume", func(o *WriteOptions) { o.Resume = true }},
		{"overwrite", func(o *WriteOptions) { o.Overwrite = true }},
	} {
		second := e2eOptions(dir)
		edit.do(&second)
		_, err := WriteParts(context.Background(), p, second)
		if !errors.Is(err, results.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(err.Error(), "sweep, started") {
			t.Errorf("second run (%s) into a folder being written: err = %v, want it refused naming pid %d", edit.name, err, os.Getpid())
		}
	}
	for _, tmp := range temps {
		if _, err := os.Stat(tmp); err != nil {
			t.Errorf("the second run removed the first run's %s: %v", filepath.Base(tmp), err)
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the first run failed: %v", err)
	}
	sameFiles(t, dirFiles(t, dir), refFiles)
	// The lock is free again.
	opt.Progress, opt.Overwrite = nil, true
	mustWrite(t, p, opt)
}

// TestOverwriteDeletesOnlyOurs: issue 9 item 3. --overwrite removed every
// file whose name began with "part-".
func TestOverwriteDeletesOnlyOurs(t *testing.T) {
	p := mustPlan(t, runGrid)
	dir := t.TempDir()
	opt := WriteOptions{Dir: dir, PartPoints: 1000, Format: "csv"}
	mustWrite(t, p, opt)
	foreign := []string{"part-of-thesis.docx", "part-1.parquet", "part-000001.csv", "part-00001.csv.bak", ".part-00001.csv.tmp",
		".thesis.docx.123.tmp", "notes.txt", "_manifest.json.bak"}
	for _, n := range foreign {
		writeBytes(t, filepath.Join(dir, n), []byte("mine: "+n))
	}
	// A stray part of ours beyond this run's parts, and a temporary file of an
	// interrupted run: both ours, both go.
	ours := []string{"part-99999.csv", ".part-00002.csv.4242.tmp"}
	for _, n := range ours {
		writeBytes(t, filepath.Join(dir, n), []byte("stale"))
	}
	opt.Overwrite, opt.PartPoints = true, 100000
	mustWrite(t, p, opt)
	for _, n := range foreign {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(b) != "mine: "+n {
			t.Errorf("--overwrite touched %s: %q, %v", n, b, err)
		}
	}
	for _, n := range ours {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is ours and should be gone: %v", n, err)
		}
	}
	if parts := partFiles(t, dir); len(parts) != 5 { // the result part plus four foreign "part-…" files
		t.Errorf("files named part-* after --overwrite: %v", parts)
	}
}

// TestPartPoints: the part size comes from the grid and the shard count only.
func TestPartPoints(t *testing.T) {
	for _, c := range []struct {
		points uint64
		shards int
		want   uint64
	}{
		{1, 0, MinPartPoints},
		{123552, 0, MinPartPoints},                        // make run: 8 parts
		{1 << 20, 0, 1 << 15},                             // 1M points: 32 parts of 32768
		{1 << 20, 4, MinPartPoints},                       // 64 parts, 16 per shard
		{10_000_000, 0, 20 * MinPartPoints},               // ⌈10^7/32⌉ = 312,500 → 327,680
		{100_000_000, 0, DefaultPartPoints},               // capped: 96 parts
		{10_000_000, 64, MinPartPoints},                   // 611 parts, ~9.5 per shard
		{1 << 62, 0, DefaultPartPoints},                   // no overflow
		{1<<64 - 1, results.MaxShards, DefaultPartPoints}, // nor here
	} {
		got := PartPoints(c.points, c.shards)
		if got != c.want {
			t.Errorf("PartPoints(%d, %d) = %d, want %d", c.points, c.shards, got, c.want)
		}
	}
}
