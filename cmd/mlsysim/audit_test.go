package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

func auditFixture(name string) string { return filepath.Join("..", "..", "testdata", "audit", name) }

func obj(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object: %#v", p, v)
		}
		v = m[p]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v: not an object: %#v", path, v)
	}
	return m
}

func list(t *testing.T, v any) []map[string]any {
	t.Helper()
	xs, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %#v", v)
	}
	out := make([]map[string]any, len(xs))
	for i, x := range xs {
		out[i] = obj(t, x)
	}
	return out
}

// The audit's numbers come from the node study: the same scenario through eval
// must give the same latency.
func evalLatency(t *testing.T, args ...string) float64 {
	t.Helper()
	r := mlsysim(t, append(args, "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("eval: %v", r)
	}
	return oneObject(t, r.stdout)["p_latency"].(float64)
}

func TestAuditJSONThisMachine(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "audit", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	o := oneObject(t, r.stdout)
	hasKeys(t, o, "workload", "reference_hardware", "baseline_hardware", "settings", "environment", "baseline",
		"baseline_same_precision", "comparison", "speedup_vs_baseline", "speedup_vs_baseline_same_precision")
	equal(t, o, "workload", "Llama3_8B")
	equal(t, o, "baseline_hardware", "H100")
	s := obj(t, o, "settings")
	equal(t, s, "precision", "int4") // the seed's audit settings
	equal(t, s, "baseline_precision", "fp16")
	near(t, s, "efficiency", 0.45, 0)
	base := obj(t, o, "baseline")
	near(t, base, "latency_ms", evalLatency(t, "eval", "Llama3_8B", "H100", "-e", "0.45"), tol)
	devs := list(t, o["comparison"])
	cpu := devs[len(devs)-1]
	equal(t, obj(t, cpu, "device"), "kind", "cpu")
	first := devs[0]
	equal(t, o, "reference_hardware", obj(t, first, "match")["key"])
	near(t, o, "speedup_vs_baseline", base["latency_ms"].(float64)/obj(t, first, "local")["latency_ms"].(float64), tol)
	near(t, first, "catalog_entry_speedup_vs_baseline", base["latency_ms"].(float64)/obj(t, first, "catalog_entry")["latency_ms"].(float64), tol)
	env := obj(t, o, "environment")
	if c := obj(t, env, "cpu"); !(c["cores"].(float64) >= 1) || c["model"] == "" {
		t.Errorf("cpu %v", c)
	}
}

// Captured machines: what each maps to, and the local entry evaluated with what
// detection read.
func TestAuditFromCapturedFiles(t *testing.T) {
	for _, c := range []struct {
		dir          string
		ref          string
		conf         string
		devices      int
		firstCount   float64
		firstMemB    float64 // detected memory of the primary device, bytes
		cpuPeakTFLOP float64 // the CPU local entry's peak (0: not derived, ReferenceCPU's 1 TFLOP/s)
	}{
		// 4 cores × 3.8 GHz × 64 FP32 FLOP/cycle = 972.8 GFLOP/s, kept to 4 digits.
		{"dgx-h100", "H100", "exact-key", 2, 8, 81559 << 20, 0.9728},
		// RTX 4090 (not in the catalog) first; Zen 4: 2 cores × 4.5 GHz × 32 = 288 GFLOP/s.
		{"workstation", "V100", "family-fallback", 4, 1, 24564 << 20, 0.288},
		{"macbook-m3max", "MacBookM3Max", "name-similarity", 2, 1, 128 << 30, 1},
		{"intel-mac", "ReferenceCPU", "family-fallback", 1, 1, 32 << 30, 8 * 2.3e9 * 32 / 1e12},
		{"riscv", "ReferenceCPU", "family-fallback", 1, 1, 8039424 * 1024, 1},
	} {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, "audit", "--from", auditFixture(c.dir), "-o", "json")
			if r.code != exitOK {
				t.Fatalf("want exit 0\n%v", r)
			}
			o := oneObject(t, r.stdout)
			equal(t, o, "reference_hardware", c.ref)
			devs := list(t, o["comparison"])
			if len(devs) != c.devices {
				t.Fatalf("%d devices, want %d", len(devs), c.devices)
			}
			equal(t, obj(t, devs[0], "match"), "confidence", c.conf)
			equal(t, obj(t, devs[0], "device"), "count", c.firstCount)
			// The node study reports capacity in decimal GB.
			near(t, obj(t, devs[0], "local"), "memory_capacity_gb", c.firstMemB/1e9, tol)
			cpu := devs[len(devs)-1]
			near(t, obj(t, cpu, "local"), "peak_flops_tflops", c.cpuPeakTFLOP, 1e-12)
			// The comparison is the seed's: local at int4, baseline at fp16.
			equal(t, obj(t, devs[0], "local"), "precision", "int4")
			equal(t, obj(t, o, "baseline"), "precision", "fp16")
			equal(t, obj(t, o, "baseline_same_precision"), "precision", "int4")
			// The same files give the same bytes, on any day.
			if again := mlsysim(t, "audit", "--from", auditFixture(c.dir), "-o", "json"); again.stdout != r.stdout {
				t.Error("a second audit of the same files printed something else")
			}
		})
	}
}

func TestAuditText(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "audit", "--from", auditFixture("dgx-h100"))
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	for _, want := range []string{"8 × NVIDIA H100 80GB HBM3 (one evaluated)", "exact-key", "Local_NVIDIA_H100_80GB_HBM3",
		"memory 79.65 GiB (memory.total in", "the seed's comparison", "CPU peak", "973 GFLOP/s FP32", "This machine's NVIDIA H100 80GB HBM3 runs Llama3_8B"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "states no int4 rate") {
		t.Errorf("want the precision warning on stderr, got %q", r.stderr)
	}
	md := mlsysim(t, "audit", "--from", auditFixture("riscv"), "-o", "markdown")
	if md.code != exitOK || !strings.Contains(md.stdout, "### Machine") || !strings.Contains(md.stdout, "| Catalog match | ReferenceCPU") {
		t.Errorf("markdown:\n%v", md)
	}
}

func TestAuditBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-w", "Llama3_8b"}, `--workload: unknown model "Llama3_8b" (did you mean Llama3_8B`},
		{[]string{"-w", "NoSuchModel"}, "NoSuchModel"},
		{[]string{"--baseline", "H10"}, "--baseline: unknown hardware \"H10\" (did you mean H100"},
		{[]string{"-p", "int3"}, "--precision"},
		{[]string{"-e", "0"}, "--efficiency"},
		{[]string{"--baseline-precision", "fp9"}, "--baseline-precision"},
		{[]string{"--peak-from", "matmul"}, "--peak-from: matmul needs --measure"},
		{[]string{"--measure", "--peak-from", "fast"}, "want derived or matmul"},
		{[]string{"--measure", "--from", auditFixture("riscv")}, "cannot measure a machine audited --from"},
		{[]string{"--measure-time", "1s"}, "--measure-time: only applies with --measure"},
		{[]string{"--measure", "--measure-time", "2m"}, "want a duration in (0, 1m0s]"},
		{[]string{"--triad-mib", "8"}, "--triad-mib: only applies with --measure"},
		{[]string{"--matrix-n", "64"}, "--matrix-n: only applies with --measure"},
		{[]string{"--measure", "--matrix-n", "66"}, "want a multiple of 4 in 4–4096"},
		{[]string{"--measure", "--triad-mib", "0"}, "want 1–16384 MiB"},
		{[]string{"--measure", "--triad-mib", "99999999999"}, "want 1–16384 MiB"},
		{[]string{"--from", auditFixture("bad-smi")}, "nvidia-smi.csv:2: want 5 comma-separated fields"},
		{[]string{"--from", filepath.Join(dir, "nothing")}, "--from: "},
		{[]string{"--catalog-out", filepath.Join(dir, "no", "such", "x.yaml")}, "its folder does not exist"},
		{[]string{"--catalog-out", dir}, "not a regular file"},
		{[]string{"H100"}, "takes no arguments"},
		// The node study's inference counts no KV cache: --seq-len changed nothing but
		// the echoed setting (docs-QA), so it is refused as eval refuses it.
		{[]string{"-s", "8192", "--from", auditFixture("riscv")}, "--seq-len: changes nothing here"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, append([]string{"audit"}, c.args...)...)
			if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 1 and %q on stderr\n%v", c.want, r)
			}
			if r.stdout != "" {
				t.Errorf("bad input printed a result:\n%s", r.stdout)
			}
		})
	}
	// In json mode the error is the one object on stdout, naming the workload.
	r := mlsysim(t, "-o", "json", "audit", "-w", "NoSuchModel")
	if o := oneObject(t, r.stdout); r.code != exitBadInput || !strings.Contains(o["reason"].(string), "NoSuchModel") {
		t.Errorf("json error:\n%v", r)
	}
	if r := mlsysim(t, "-o", "csv", "audit"); r.code != exitBadInput {
		t.Errorf("csv: want exit 1\n%v", r)
	}
}

// --measure writes the local entries as a catalog file; loaded back with --catalog
// (the catalog's own loader) the CPU entry evaluates to what the audit showed, and its
// memory time is the weights over the measured bandwidth.
func TestAuditMeasureRoundTrip(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "local.yaml")
	// Small arrays and matrices: the defaults would cost tens of seconds under -race.
	r := mlsysim(t, "audit", "--measure", "--measure-time", "500ms", "--triad-mib", "8", "--matrix-n", "64", "--catalog-out", out, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	o := oneObject(t, r.stdout)
	equal(t, o, "catalog_out", out)
	m := obj(t, o, "measurement")
	equal(t, m, "gpu_rates_measured", false)
	res := obj(t, m, "result")
	for _, k := range []string{"triad_bytes_per_s", "matmul_fp64_flops", "matmul_fp32_flops"} {
		if v := res[k].(float64); !(v > 0 && v < 1e15) {
			t.Errorf("%s = %g: want a positive, possible rate", k, v)
		}
	}
	devs := list(t, o["comparison"])
	cpu := devs[len(devs)-1]
	key := obj(t, cpu, "local_entry")["key"].(string)
	bw := obj(t, cpu, "local_entry")["memory_bandwidth_bytes_per_s"].(float64)
	if rel := math.Abs(bw-res["triad_bytes_per_s"].(float64)) / bw; rel > 5e-4 { // kept to 4 significant digits
		t.Errorf("entry bandwidth %g is not the measured %g", bw, res["triad_bytes_per_s"])
	}

	back := mlsysim(t, "--catalog", out, "eval", "Llama3_8B", key, "-p", "int4", "-e", "0.45", "-o", "json")
	if back.code != exitOK {
		t.Fatalf("the written catalog does not load\n%v", back)
	}
	e := oneObject(t, back.stdout)
	near(t, e, "p_latency", obj(t, cpu, "local")["latency_ms"].(float64), tol)
	llama, _ := catalog.MustDefault().ModelByKey("Llama3_8B")
	near(t, e, "p_latency_memory", llama.Parameters*0.5*1.1/bw*1e3, 1e-12) // int4: half a byte per weight

	text, _ := os.ReadFile(out)
	for _, want := range []string{"kind: measurement", "STREAM-style triad", "# Written by mlsysim audit"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("%s lacks %q:\n%s", out, want, text)
		}
	}
	// Editors check such files against `mlsysim schema hardware`.
	s, _ := compiledSchema(t, "hardware")
	for i, e := range entries(t, out, "hardware") {
		if err := s.Validate(yamlInstance(t, e)); err != nil {
			t.Errorf("entry %d does not validate against the hardware schema: %v", i, err)
		}
	}
}

// Without --measure, --catalog-out writes what detection knows; loading that file
// again, each device matches its own entry.
func TestAuditCatalogOutAndOwnEntry(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "dgx.yaml")
	r := mlsysim(t, "audit", "--from", auditFixture("dgx-h100"), "--catalog-out", out, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	gpu := list(t, oneObject(t, r.stdout)["comparison"])[0]
	local := obj(t, gpu, "local")["latency_ms"].(float64)
	near(t, map[string]any{"p_latency": local}, "p_latency",
		evalLatency(t, "--catalog", out, "eval", "Llama3_8B", "Local_NVIDIA_H100_80GB_HBM3", "-p", "int4", "-e", "0.45"), tol)

	again := mlsysim(t, "--catalog", out, "audit", "--from", auditFixture("dgx-h100"), "-o", "json")
	if again.code != exitOK {
		t.Fatalf("want exit 0\n%v", again)
	}
	gpu = list(t, oneObject(t, again.stdout)["comparison"])[0]
	equal(t, obj(t, gpu, "match"), "key", "Local_NVIDIA_H100_80GB_HBM3")
	equal(t, obj(t, gpu, "local_entry"), "key", "Local_NVIDIA_H100_80GB_HBM3_2") // the loaded key is taken
}

// A model file as the workload; a workload too big for a device is evaluated all the
// same and said not to fit.
func TestAuditWorkloads(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "audit", "-w", fixture("tinynet.yaml"), "--from", auditFixture("riscv"), "-o", "json")
	if r.code != exitOK {
		t.Fatalf("model file: want exit 0\n%v", r)
	}
	equal(t, oneObject(t, r.stdout), "workload", "TinyNet")

	r = mlsysim(t, "audit", "-w", "Llama3_70B", "--from", auditFixture("workstation"), "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	devs := list(t, oneObject(t, r.stdout)["comparison"])
	v100 := obj(t, devs[2], "local") // Tesla V100-PCIE-16GB: 70e9 × 0.5 B of int4 weights do not fit in 16 GiB
	if v100["feasible"] != false || !(v100["memory_footprint_gb"].(float64) > v100["memory_capacity_gb"].(float64)) {
		t.Errorf("V100 16 GB running Llama3_70B: %v", v100)
	}
	text := mlsysim(t, "audit", "-w", "Llama3_70B", "--from", auditFixture("workstation"))
	if !strings.Contains(text.stdout, "does not fit: needs") {
		t.Errorf("text does not say the model does not fit:\n%s", text.stdout)
	}
}
