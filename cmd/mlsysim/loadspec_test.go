package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bundled example is found by name even where a folder of that name exists
// (the natural --out of `mlsysim sweep roofline`); a file of that name is read
// as the spec instead.
func TestBundledGridBesideFolderOfItsName(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("roofline", 0o755); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "sweep", "roofline", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "study node") {
		t.Fatalf("bundled roofline beside a folder of its name:\n%s", r)
	}
	spec := "version: 1\nname: one\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n"
	if err := os.WriteFile(filepath.Join("serving-frontier"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mlsysim(t, "sweep", "serving-frontier", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "points: 1") {
		t.Fatalf("a file named like a bundled example is the spec:\n%s", r)
	}
}
