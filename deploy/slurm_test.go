package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireSlurm skips unless a Slurm controller answers; in CI (CI=true) a
// missing Slurm is a failure: .ci/run installs and starts one.
func requireSlurm(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("sbatch"); err != nil {
		why = "sbatch is not installed (apt-get install slurm-wlm munge; then deploy/slurm/localhost-up.sh as root)"
	} else if out, err := exec.Command("scontrol", "ping").CombinedOutput(); err != nil || !strings.Contains(string(out), "is UP") {
		why = "no Slurm controller answers (start one with deploy/slurm/localhost-up.sh as root): " + strings.TrimSpace(string(out))
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Slurm is needed in CI: " + why)
	}
	t.Skip(why)
}

// TestSlurmArraySweep submits the sweep as a 4-task job array and the merge
// after it (deploy/slurm/submit.sh), waits, and compares the merged result
// with the same sweep run on one machine, row for row.
func TestSlurmArraySweep(t *testing.T) {
	requireSlurm(t)
	bin := binary(t)
	// Slurm's tasks run as this user on this machine, so a temporary folder is
	// a shared file system here.
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "run")
	log := run(t, []string{"MLSYSIM=" + bin}, "slurm/submit.sh", grid, out, "4", "--wait")
	if !strings.Contains(log, "4 tasks") {
		t.Errorf("submit.sh said: %s", log)
	}
	var shards []string
	for i := range 4 {
		shards = append(shards, filepath.Join(out, "shard-"+string(rune('0'+i))))
	}
	checkShards(t, shards)
	if t.Failed() {
		logs, _ := filepath.Glob(filepath.Join(out, "logs", "*"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
	}
	single := filepath.Join(root, "single")
	run(t, nil, bin, "sweep", grid, "--out", single, "-q")
	sameRows(t, filepath.Join(out, "all"), single)
}

// TestSlurmScripts: the scripts parse, and submit.sh refuses bad arguments
// before submitting anything.
func TestSlurmScripts(t *testing.T) {
	for _, f := range []string{"slurm/submit.sh", "slurm/sweep.sbatch", "slurm/merge.sbatch", "slurm/localhost-up.sh", "k8s/render.sh"} {
		if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
	for _, args := range [][]string{{}, {"g.yaml", "out"}, {"g.yaml", "out", "0"}, {"g.yaml", "out", "four"}, {"g.yaml", "out", "-1"},
		{"g.yaml", "out", "010"}, {"g.yaml", "out", "08"}, {"g.yaml", "out", "4", "--wiat"}, {"g.yaml", "out", "4", "--wait", "x"}} {
		cmd := exec.Command("slurm/submit.sh", args...)
		cmd.Dir = t.TempDir()
		cmd.Path, _ = filepath.Abs("slurm/submit.sh")
		out, err := cmd.CombinedOutput()
		want := "SHARDS"
		if len(args) > 3 {
			want = "--wait"
		}
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("submit.sh %v: err %v, %s; want it refused, naming %s", args, err, out, want)
		}
	}
}
