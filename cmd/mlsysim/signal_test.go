package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// With MLSYSIM_RUN_MAIN=1 the test binary runs as mlsysim itself (main exits
// before any test), so a test can send signals to a real process.
func init() {
	if os.Getenv("MLSYSIM_RUN_MAIN") == "1" {
		main()
	}
}

// writeSelf writes an executable script at path that runs this test binary as
// mlsysim (through MLSYSIM_RUN_MAIN).
func writeSelf(t *testing.T, path string) {
	t.Helper()
	wrapper := "#!/bin/sh\nMLSYSIM_RUN_MAIN=1 exec " + shellQuote(os.Args[0]) + " \"$@\"\n"
	if err := os.WriteFile(path, []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
}

// signalGrid is a serve grid of 2·26·4·batches·3 points written in parts of
// 4,096: long enough to stop in the middle, short enough to finish on --resume
// (about a second; the race detector makes sweeps ~100× slower, so it gets
// fewer batches, but still ~20 parts: parts are finished beside the workers, so
// by the time the first one is on disk a grid of five was already done on a
// quiet machine and the signal came too late to stop it).
func signalGrid() string {
	batches := 256
	if raceEnabled {
		batches = 128
	}
	return fmt.Sprintf(`version: 1
study: serve
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: {tier: Cloud}
  precision: [fp16, fp8, int8, int4]
  batch_size: {range: [1, %d]}
  seq_len: [1024, 4096, 16384]
`, batches)
}

// SIGTERM stops a sweep like SIGINT: exit 1 with a message, complete parts kept,
// no temporary files left, and --resume finishes the same result.
func TestSIGTERMStopsSweepCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep in a child process")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			grid := filepath.Join(dir, "grid.yaml")
			if err := os.WriteFile(grid, []byte(signalGrid()), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			args := []string{"sweep", grid, "--out", out, "-q", "--part-points", "4096"}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "MLSYSIM_RUN_MAIN=1")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if parts, _ := filepath.Glob(filepath.Join(out, "part-*.parquet")); len(parts) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no part after 60 s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != exitBadInput {
				t.Fatalf("exit %v after %v, want code %d (a stop, not a kill); stderr:\n%s", err, sig, exitBadInput, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "--resume") {
				t.Errorf("stderr lacks the stop message:\n%s", stderr.String())
			}
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
			if m := manifestStatus(t, out); m != "running" {
				t.Errorf("manifest status %q after the stop, want running", m)
			}
			if r := mlsysim(t, append(args, "--resume")...); r.code != exitOK {
				t.Fatalf("--resume: %v", r)
			}
			if m := manifestStatus(t, out); m != "complete" {
				t.Errorf("manifest status %q after --resume, want complete", m)
			}
		})
	}
}

func manifestStatus(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Status
}
