// Package deploy holds the recipes for running sharded sweeps on cluster
// engines (slurm/, k8s/); its tests run them: a real single-node Slurm where
// one is up, and the Kubernetes manifests rendered, checked against the Job
// schema and their commands executed as the pods would run them.
package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/results"
)

// grid is the bundled roofline example: 381,888 points, about a third of the
// largest part (2^20), so 24 parts of the smallest (2^14) and 6 per shard
// of 4.
const grid = "roofline"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds mlsysim without cgo (as `make static` does: sweeps and merges
// need no DuckDB), once for the package's tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mlsysim-deploy-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mlsysim")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/mlsysim")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sameRows compares a merged result with a single-machine run row for row
// through DuckDB: equal counts and nothing in one that is not in the other
// (EXCEPT ALL keeps duplicates, so the rows match as multisets; point_id is
// unique, so as rows).
func sameRows(t *testing.T, merged, single string) {
	t.Helper()
	if !queries.Available {
		t.Skip("built without cgo: DuckDB is needed to compare the rows")
	}
	db, err := queries.Open(context.Background(), merged)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other := "read_parquet('" + filepath.Join(single, "part-*.parquet") + "')"
	rows, err := db.Query(context.Background(), queries.SQL(
		"SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM "+other+"), "+
			"(SELECT count(*) FROM (SELECT * FROM results EXCEPT ALL SELECT * FROM "+other+")), "+
			"(SELECT count(*) FROM (SELECT * FROM "+other+" EXCEPT ALL SELECT * FROM results))"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no result: %v", rows.Err())
	}
	v := rows.Values()
	if fmt.Sprint(v[0]) != fmt.Sprint(v[1]) || fmt.Sprint(v[2]) != "0" || fmt.Sprint(v[3]) != "0" || fmt.Sprint(v[0]) == "0" {
		t.Errorf("merged %v rows, single run %v; %v rows only in the merge, %v only in the single run", v[0], v[1], v[2], v[3])
	}
}

// checkShards says how many parts each shard folder holds; every shard must
// have had work.
func checkShards(t *testing.T, dirs []string) {
	t.Helper()
	for _, d := range dirs {
		m, err := results.ReadManifest(d)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != results.StatusComplete || len(m.Parts) == 0 {
			t.Errorf("%s: status %s, %d parts; every shard should have written some", d, m.Status, len(m.Parts))
		}
	}
}
