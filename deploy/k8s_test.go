package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// jobSchema is the part of the Kubernetes batch/v1 Job schema our manifests
// use: each field path (list items as []) with its type, from the Kubernetes
// API reference (v1.30: Job, JobSpec, PodTemplateSpec, PodSpec, Container,
// EnvVar, EnvVarSource, ObjectFieldSelector, ResourceRequirements,
// VolumeMount, Volume, PersistentVolumeClaimVolumeSource,
// ConfigMapVolumeSource, ObjectMeta). A field not listed here is a typo or a
// field we have not checked; either fails the test.
var jobSchema = map[string]string{
	"":           "object",
	"apiVersion": "string", "kind": "string",
	"metadata": "object", "metadata.name": "string", "metadata.labels": "map",
	"spec": "object", "spec.completionMode": "string", "spec.completions": "int", "spec.parallelism": "int",
	"spec.backoffLimit": "int",
	"spec.template":     "object", "spec.template.metadata": "object", "spec.template.metadata.labels": "map",
	"spec.template.spec": "object", "spec.template.spec.restartPolicy": "string",
	"spec.template.spec.containers": "list", "spec.template.spec.containers[]": "object",
	"spec.template.spec.containers[].name": "string", "spec.template.spec.containers[].image": "string",
	"spec.template.spec.containers[].args": "list", "spec.template.spec.containers[].args[]": "string",
	"spec.template.spec.containers[].env": "list", "spec.template.spec.containers[].env[]": "object",
	"spec.template.spec.containers[].env[].name": "string", "spec.template.spec.containers[].env[].value": "string",
	"spec.template.spec.containers[].env[].valueFrom":                    "object",
	"spec.template.spec.containers[].env[].valueFrom.fieldRef":           "object",
	"spec.template.spec.containers[].env[].valueFrom.fieldRef.fieldPath": "string",
	"spec.template.spec.containers[].resources":                          "object",
	"spec.template.spec.containers[].resources.requests":                 "map",
	"spec.template.spec.containers[].resources.limits":                   "map",
	"spec.template.spec.containers[].volumeMounts":                       "list",
	"spec.template.spec.containers[].volumeMounts[]":                     "object",
	"spec.template.spec.containers[].volumeMounts[].name":                "string",
	"spec.template.spec.containers[].volumeMounts[].mountPath":           "string",
	"spec.template.spec.containers[].volumeMounts[].readOnly":            "bool",
	"spec.template.spec.volumes":                                         "list", "spec.template.spec.volumes[]": "object",
	"spec.template.spec.volumes[].name":                            "string",
	"spec.template.spec.volumes[].persistentVolumeClaim":           "object",
	"spec.template.spec.volumes[].persistentVolumeClaim.claimName": "string",
	"spec.template.spec.volumes[].configMap":                       "object",
	"spec.template.spec.volumes[].configMap.name":                  "string",
}

// Values the API accepts for the enumerated fields, and the DNS-label rule
// for names (RFC 1123, at most 63 characters).
var (
	enums = map[string][]string{
		"spec.completionMode":              {"NonIndexed", "Indexed"},
		"spec.template.spec.restartPolicy": {"Never", "OnFailure"}, // a Job's pods may not use Always
		"apiVersion":                       {"batch/v1"},
		"kind":                             {"Job"},
	}
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$`)
)

// checkSchema walks a decoded manifest and reports every field outside
// jobSchema or of the wrong type.
func checkSchema(t *testing.T, file, path string, v any) {
	t.Helper()
	want, ok := jobSchema[path]
	if !ok {
		t.Errorf("%s: field %s is not in the Job schema this test knows", file, path)
		return
	}
	got := "string"
	switch v := v.(type) {
	case map[string]any:
		got = "object"
		if want == "map" {
			for k, x := range v {
				if _, isStr := x.(string); !isStr {
					t.Errorf("%s: %s.%s: want a string value, got %T", file, path, k, x)
				}
			}
			return
		}
		for k, x := range v {
			child := k
			if path != "" {
				child = path + "." + k
			}
			checkSchema(t, file, child, x)
		}
	case []any:
		got = "list"
		for _, x := range v {
			checkSchema(t, file, path+"[]", x)
		}
	case int:
		got = "int"
	case bool:
		got = "bool"
	case string:
		if vals, ok := enums[path]; ok && !slices.Contains(vals, v) {
			t.Errorf("%s: %s = %q; valid: %v", file, path, v, vals)
		}
	}
	if got != want && !(want == "map" && got == "object") {
		t.Errorf("%s: %s is a %s, the schema says %s", file, path, got, want)
	}
}

func render(t *testing.T, file string, env ...string) map[string]any {
	t.Helper()
	out := run(t, env, "k8s/render.sh", file)
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%s rendered is not YAML: %v\n%s", file, err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "${") {
			t.Errorf("%s: unrendered value in %q", file, line)
		}
	}
	return doc
}

// get follows a dotted path through maps (and the first element of lists).
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		if l, ok := v.([]any); ok && len(l) > 0 {
			v = l[0]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestKubernetesManifests(t *testing.T) {
	const shards = 4
	env := []string{"NAME=frontier", "SHARDS=" + strconv.Itoa(shards), "IMAGE=registry.example/mlsysim:0.1", "PVC=shared-data", "CPUS=2"}
	sweep, merge := render(t, "sweep-job.yaml", env...), render(t, "merge-job.yaml", env...)
	for name, doc := range map[string]map[string]any{"sweep-job.yaml": sweep, "merge-job.yaml": merge} {
		checkSchema(t, name, "", doc)
		if n, _ := get(doc, "metadata.name").(string); !dnsLabel.MatchString(n) {
			t.Errorf("%s: name %q is not a DNS label", name, n)
		}
		// Every mount names a volume of the pod, and every volume is mounted.
		var vols, mounts []string
		for _, v := range get(doc, "spec.template.spec.volumes").([]any) {
			vols = append(vols, v.(map[string]any)["name"].(string))
		}
		for _, m := range get(doc, "spec.template.spec.containers.volumeMounts").([]any) {
			mounts = append(mounts, m.(map[string]any)["name"].(string))
		}
		slices.Sort(vols)
		slices.Sort(mounts)
		if !slices.Equal(vols, mounts) {
			t.Errorf("%s: volumes %v, mounts %v", name, vols, mounts)
		}
		for _, k := range []string{"requests", "limits"} {
			if m, ok := get(doc, "spec.template.spec.containers.resources."+k).(map[string]any); ok {
				for r, q := range m {
					if !quantity.MatchString(q.(string)) {
						t.Errorf("%s: resources.%s.%s = %q is not a quantity", name, k, r, q)
					}
				}
			}
		}
	}
	if get(sweep, "spec.completionMode") != "Indexed" || get(sweep, "spec.completions") != shards || get(sweep, "spec.parallelism") != shards {
		t.Errorf("sweep Job: mode %v, completions %v, parallelism %v; want Indexed with %d", get(sweep, "spec.completionMode"), get(sweep, "spec.completions"), get(sweep, "spec.parallelism"), shards)
	}
	if c, m := get(sweep, "spec.template.spec.volumes.persistentVolumeClaim.claimName"), get(merge, "spec.template.spec.volumes.persistentVolumeClaim.claimName"); c != m || c != "shared-data" {
		t.Errorf("the sweep writes claim %v, the merge reads %v", c, m)
	}

	// Run the pods as Kubernetes would: the Job controller sets
	// JOB_COMPLETION_INDEX and the annotation the SHARD_INDEX variable reads;
	// $(VAR) in args expands from the container's env. The volume paths are
	// moved under a temporary folder.
	bin := binary(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "grid"), 0o755); err != nil {
		t.Fatal(err)
	}
	grids := run(t, nil, bin, "sweep", grid, "--dry-run")
	if !strings.Contains(grids, "parts: 24 ") {
		t.Fatalf("the test expects %s to have 24 parts: %s", grid, grids)
	}
	// The ConfigMap's grid.yaml: the bundled example, as a file.
	src, err := os.ReadFile(filepath.Join("..", "grids", grid+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "grid", "grid.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	podArgs := func(doc map[string]any, env map[string]string) []string {
		var args []string
		for _, a := range get(doc, "spec.template.spec.containers.args").([]any) {
			s := a.(string)
			for k, v := range env {
				s = strings.ReplaceAll(s, "$("+k+")", v)
			}
			s = strings.ReplaceAll(s, "/data/", root+"/data/")
			s = strings.ReplaceAll(s, "/grid/", root+"/grid/")
			args = append(args, s)
		}
		return args
	}
	var shardDirs []string
	for i := range shards {
		podEnv := map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i)}
		for _, e := range get(sweep, "spec.template.spec.containers.env").([]any) {
			e := e.(map[string]any)
			switch {
			case e["value"] != nil:
				podEnv[e["name"].(string)] = e["value"].(string)
			case get(e, "valueFrom.fieldRef.fieldPath") == "metadata.annotations['batch.kubernetes.io/job-completion-index']":
				podEnv[e["name"].(string)] = strconv.Itoa(i)
			default:
				t.Fatalf("env %v: the test does not know how Kubernetes fills it", e)
			}
		}
		var osEnv []string
		for k, v := range podEnv {
			osEnv = append(osEnv, k+"="+v)
		}
		run(t, osEnv, bin, podArgs(sweep, podEnv)...)
		shardDirs = append(shardDirs, filepath.Join(root, "data", "frontier", fmt.Sprintf("shard-%d", i)))
	}
	checkShards(t, shardDirs)
	run(t, nil, bin, podArgs(merge, nil)...)
	single := filepath.Join(root, "single")
	run(t, nil, bin, "sweep", grid, "--out", single, "-q")
	sameRows(t, filepath.Join(root, "data", "frontier", "all"), single)
}

// TestRenderRefuses: render.sh refuses values that would break the YAML or
// Kubernetes names, before printing anything.
func TestRenderRefuses(t *testing.T) {
	base := map[string]string{"NAME": "run1", "SHARDS": "4", "IMAGE": "r/m:1", "PVC": "data"}
	for _, c := range []struct{ key, value, want string }{
		{"NAME", "Run_1", "DNS label"}, {"SHARDS", "0", "positive integer"}, {"SHARDS", "x", "positive integer"},
		{"IMAGE", "r/m:1|x", "image reference"}, {"PVC", "a b", "claim name"}, {"CPUS", "2 cores", "CPU quantity"},
	} {
		var env []string
		for k, v := range base {
			if k != c.key {
				env = append(env, k+"="+v)
			}
		}
		cmd := exec.Command("k8s/render.sh", "sweep-job.yaml")
		cmd.Env = append(os.Environ(), append(env, c.key+"="+c.value)...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "apiVersion") {
			t.Errorf("%s=%q: err %v, output %s; want it refused with %q", c.key, c.value, err, out, c.want)
		}
	}
}
