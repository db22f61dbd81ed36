package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/PYTHON.md's standard-library recipes run against this binary: each python
// block whose imports are only json and subprocess runs with `mlsysim` on the PATH
// (a wrapper that execs the test binary as mlsysim) and must exit 0 and print.
// Blocks needing duckdb, polars or pyarrow are not run (not in the CI image).
func TestPythonDocRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3 and sweeps")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; CI needs it for the docs/PYTHON.md recipes")
		}
		t.Skip("python3 is not installed: the docs/PYTHON.md recipes are not run")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "PYTHON.md"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	writeSelf(t, filepath.Join(bin, "mlsysim"))
	imports := regexp.MustCompile(`(?m)^import (.+)$`)
	ran := 0
	for i, block := range regexp.MustCompile("(?s)```python\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		code := block[1]
		stdlib := true
		for _, m := range imports.FindAllStringSubmatch(code, -1) {
			for _, mod := range strings.Split(m[1], ",") {
				if mod = strings.TrimSpace(mod); mod != "json" && mod != "subprocess" {
					stdlib = false
				}
			}
		}
		if !stdlib || strings.Contains(code, "\nfrom ") {
			continue
		}
		cmd := exec.Command(py, "-c", code)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) == 0 {
			t.Errorf("python block %d: %v\n%s\n--- code:\n%s", i+1, err, out, code)
		}
		ran++
	}
	if ran < 2 {
		t.Errorf("ran %d standard-library recipes from docs/PYTHON.md, want at least 2", ran)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
