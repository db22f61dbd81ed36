//go:build cgo && !lean

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryParamWithoutFlag: `query batching OUT max=50` (the parameter written as a word, as
// many CLIs take it) said "max=50: no such folder"; it names --param now. A folder that is
// really called NAME=VALUE is still read as a result.
func TestQueryParamWithoutFlag(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if r := mlsysim(t, "sweep", "serving-frontier", "--out", out, "-q"); r.code != exitOK {
		t.Fatalf("%v", r)
	}
	r := mlsysim(t, "query", "batching", out, "max=50")
	if r.code != exitBadInput || !strings.Contains(r.stderr, `"max=50" is not a folder or file`) || !strings.Contains(r.stderr, "--param max=50") {
		t.Errorf("%v", r)
	}
	r = mlsysim(t, "query", "--sql", "SELECT 1", out, "k=3")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "--sql takes no parameters") {
		t.Errorf("%v", r)
	}
	named := filepath.Join(dir, "k=3")
	if err := os.Rename(out, named); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "query", "--sql", "SELECT count(*) AS n FROM results", named, "-o", "json"); r.code != exitOK {
		t.Errorf("a result folder named k=3: %v", r)
	}
}
