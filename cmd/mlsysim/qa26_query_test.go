//go:build cgo && !lean

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestQueryOutFolderMissing: query --out into a folder that does not exist said "bad
// input: query top: open …/.q.parquet.tmp-2251378739: no such file or directory" after
// running the query; it is refused naming --out and the folder, as plot and report refuse
// theirs, and nothing is created. A file where the folder should be is named too.
func TestQueryOutFolderMissing(t *testing.T) {
	res := smallSweep(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "nodir", "q.parquet")
	r := badRun(t, exitBadInput, []string{"--out: " + missing + ": the folder " + filepath.Dir(missing) + " does not exist"},
		"query", "top", res, "--param", "by=itl_ms", "--out", missing)
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Errorf("%s was created", filepath.Dir(missing))
	}
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	badRun(t, exitBadInput, []string{"--out: " + filepath.Join(file, "q.parquet") + ": " + file + " is a file, not a folder"},
		"query", "top", res, "--param", "by=itl_ms", "--out", filepath.Join(file, "q.parquet"))
}
