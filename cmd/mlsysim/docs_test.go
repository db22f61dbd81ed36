package main

import (
	"os"
	"testing"
)

// TestColumnsDocIsCurrent keeps docs/COLUMNS.md equal to what the code declares;
// `make docs` regenerates it.
func TestColumnsDocIsCurrent(t *testing.T) {
	want, err := os.ReadFile("../../docs/COLUMNS.md")
	if err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "sweep", "--columns", "all", "-o", "markdown")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != string(want) {
		t.Errorf("docs/COLUMNS.md is out of date: run `make docs`")
	}
}
