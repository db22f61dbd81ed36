package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim/catalog"
)

// Hostile inputs from issue 9, class by class: each must end with a clear error
// and a non-zero exit, never a wrong result with exit 0.

// badRun runs the CLI and wants exit code with every want string in stderr (or,
// for json, stdout).
func badRun(t *testing.T, code int, want []string, args ...string) cliResult {
	t.Helper()
	r := mlsysim(t, args...)
	if r.code != code {
		t.Fatalf("mlsysim %s: exit %d, want %d\n%v", strings.Join(args, " "), r.code, code, r)
	}
	if miss, ok := containsAll(r.stderr+r.stdout, want...); !ok {
		t.Errorf("mlsysim %s: output lacks %q\n%v", strings.Join(args, " "), miss, r)
	}
	return r
}

func containsAll(s string, subs ...string) (string, bool) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return sub, false
		}
	}
	return "", true
}

// Integer flags past 2^53 (and past each parameter's physical maximum) are
// refused naming the flag, instead of wrapping to −2^63 in the result.
func TestHugeIntegerFlags(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"eval", "Llama3_8B", "H100", "-b", "9223372036854775807"}, []string{"--batch-size", "9223372036854775807", "≤ 16777216"}},
		{[]string{"eval", "Llama3_8B", "H100", "--batch-size", "16777217"}, []string{"--batch-size", "≤ 16777216"}},
		{[]string{"serve", "Llama3_8B", "H100", "-s", "9223372036854775807"}, []string{"--seq-len", "≤ 134217728"}},
		{[]string{"serve", "Llama3_8B", "H100", "--tp", "9007199254740993"}, []string{"--tp", "[1, 1024]"}},
		{[]string{"serve", "Llama3_8B", "H100", "--prefill-chunk-tokens", "4611686018427387904"}, []string{"--prefill-chunk-tokens", "≤ 134217728"}},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--dp-size", "99999999999"}, []string{"--dp-size", "≤ 16777216"}},
		{[]string{"eval", "Llama3_8B", "H100", "-b", "99999999999999999999"}, []string{"invalid value \"99999999999999999999\""}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--batch-size", "9223372036854775807"}, []string{"batch-size", "1048576"}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--part-points", "0"}, []string{"part-points"}},
		{[]string{"sweep", "roofline", "--out", "-", "--format", "csv", "--workers", "1000000"}, []string{"workers", "1024"}},
		{[]string{"optimize", "batching", "--max-batch", "9223372036854775807", "--sla-ms", "10", "--qps", "1", planFixture("g5-research256.yaml")}, []string{"max-batch", "65536"}},
		{[]string{"optimize", "parallelism", "--top", "0", planFixture("g5-research256.yaml")}, []string{"top"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			badRun(t, exitBadInput, c.want, c.args...)
		})
	}
}

// Float flags given "nan", "inf", "1e400" or a value outside their meaning (a
// rate or a latency target ≤ 0, a share outside (0, 1], a negative tax) are
// refused naming the flag before any work. optimize batching took --sla-ms nan
// through its "≤ 0" check (NaN compares false), swept the plan and failed in
// the query's parameter max, naming neither the flag nor its range.
func TestMeaninglessFloatFlags(t *testing.T) {
	batching := planFixture("batching-h100.yaml")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"optimize", "batching", batching, "--sla-ms", "nan", "--qps", "10"}, []string{"--sla-ms", "finite number > 0, got NaN"}},
		{[]string{"optimize", "batching", batching, "--sla-ms", "inf", "--qps", "10"}, []string{"--sla-ms", "finite number > 0, got +Inf"}},
		{[]string{"optimize", "batching", batching, "--sla-ms", "-5", "--qps", "10"}, []string{"--sla-ms", "got -5"}},
		{[]string{"optimize", "batching", batching, "--sla-ms", "50", "--qps", "nan"}, []string{"--qps", "finite number > 0, got NaN"}},
		{[]string{"optimize", "batching", batching, "--sla-ms", "50", "--qps", "inf"}, []string{"--qps", "got +Inf"}},
		{[]string{"optimize", "batching", batching, "--sla-ms", "50", "--qps", "1e400"}, []string{"-qps", "1e400"}},
		{[]string{"--profile", "seed", "optimize", "placement", planFixture("placement-research256.yaml"), "--carbon-tax", "nan"}, []string{"--carbon-tax", "not a number"}},
		{[]string{"--profile", "seed", "optimize", "placement", planFixture("placement-research256.yaml"), "--carbon-tax", "-5"}, []string{"--carbon-tax", "≥ 0"}},
		{[]string{"eval", "Llama3_8B", "H100", "--efficiency", "nan"}, []string{"--efficiency", "not a number"}},
		{[]string{"eval", "Llama3_8B", "H100", "--efficiency", "inf"}, []string{"--efficiency", "not a number"}},
		{[]string{"eval", "Llama3_8B", "H100", "--efficiency", "0"}, []string{"--efficiency", "[1e-06, 1]"}},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "inf"}, []string{"--qps", "not a number"}},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "0"}, []string{"--qps", "> 0"}},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--ttft-ms", "nan"}, []string{"--ttft-ms", "> 0"}},
		{[]string{"serve", "Llama3_8B", "H100", "-b", "64", "--ttft-ms", "500", "--attainment", "nan"}, []string{"--attainment", "(0, 1]"}},
		{[]string{"serve", "Llama3_8B", "H100", "--draft-model", "mtp", "--spec-acceptance", "1.5"}, []string{"--spec-acceptance", "[0, 1]"}},
		{[]string{"serve", "Llama3_8B", "H100", "--step-overhead-ms", "-1"}, []string{"--step-overhead-ms", "≥ 0"}},
		{[]string{"optimize", "serving", "Llama3_8B", "--qps", "nan", "--ttft-ms", "500", "--itl-ms", "50"}, []string{"--qps", "finite number > 0"}},
		{[]string{"optimize", "serving", "Llama3_8B", "--qps", "10", "--ttft-ms", "500", "--itl-ms", "-inf"}, []string{"--itl-ms", "finite number > 0"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := badRun(t, exitBadInput, c.want, c.args...)
			if r.stdout != "" {
				t.Errorf("stdout not empty: %s", r.stdout)
			}
		})
	}
}

// Inputs must be regular files of at most 64 MiB: /dev/zero, a FIFO nobody
// writes to, a folder or a huge file are refused at once, not read forever.
func TestInputFilesBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "spec.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	hfFifo := filepath.Join(dir, "config.json")
	if err := syscall.Mkfifo(hfFifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, catalog.MaxInputBytes+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.yaml")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "/dev/zero", "--dry-run"}, "a device"},
		{[]string{"--catalog", "/dev/zero", "zoo"}, "a device"},
		{[]string{"--catalog", fifo, "zoo"}, "a named pipe"},
		{[]string{"sweep", fifo, "--dry-run"}, "a named pipe"},
		{[]string{"eval", fifo}, "a named pipe"},
		{[]string{"eval", hfFifo, "H100"}, "a named pipe"},
		{[]string{"eval", "Llama3_8B", fifo}, "a named pipe"},
		{[]string{"sweep", big, "--dry-run"}, "64 MiB"},
		{[]string{"--catalog", big, "zoo"}, "64 MiB"},
		{[]string{"eval", big}, "64 MiB"},
		{[]string{"sweep", folder, "--dry-run"}, "a folder"},
		{[]string{"--catalog", folder, "zoo"}, "a folder"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			done := make(chan cliResult, 1)
			go func() { done <- mlsysim(t, c.args...) }()
			select {
			case r := <-done:
				if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
					t.Errorf("want exit 1 saying %q\n%v", c.want, r)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("still reading after 20 s")
			}
		})
	}
}

// Plans: values a grid would refuse, and splits the physics cannot run, are bad
// input with the plan's file:line, not a scorecard that passes.
func TestHostilePlans(t *testing.T) {
	base := "version: \"1.0\"\nname: p\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"
	fleet := base + "hardware: {cluster: Research_256, precision: fp16, efficiency: 0.45}\n"
	cases := []struct {
		name, src, want string
	}{
		{"assert max nan", fleet + "constraints:\n  assert:\n    - {metric: performance.step_latency, max: .nan}\n", ":7: constraints.assert.0.max: want a finite number"},
		{"assert min inf", fleet + "constraints:\n  assert:\n    - {metric: performance.mfu, min: .inf}\n", ":7: constraints.assert.0.min"},
		{"assert max -inf", fleet + "constraints:\n  assert:\n    - {metric: performance.mfu, max: -.Inf}\n", ":7: constraints.assert.0.max"},
		{"microbatches above the batch", fleet + "parallelism: {tp: 8, pp: 4, microbatches: 4096}\n", ":5: microbatches = 4096 exceed the 128 sample(s)"},
		{"microbatches above the local batch", base + "hardware: {name: H100, accelerators: 64}\nparallelism: {microbatches: 32}\n", ":5: microbatches = 32 exceed the 16 sample(s) each of the 64"},
		{"pp above the layers", fleet + "parallelism: {pp: 64}\n", ":5: pp = 64 pipeline stages exceed Llama3_8B's 32 layers"},
		{"virtual stages above the layers", fleet + "parallelism: {pp: 8, virtual_stages: 8, microbatches: 8}\n", ":5: pp · virtual_stages = 8 · 8 = 64"},
		{"integer batch given 1.5", "version: \"1.0\"\nname: p\nworkload: {name: Llama3_8B, batch_size: 1.5}\nhardware: {name: H100}\n", ":3: workload.batch_size: want a whole number, got \"1.5\""},
		{"tp 1.5", fleet + "parallelism: {tp: 1.5}\n", ":5: parallelism.tp: want a whole number"},
		{"accelerators 2.5", base + "hardware: {name: H100, accelerators: 2.5}\n", ":4: hardware.accelerators: want a whole number"},
		{"zero stage 1.5", fleet + "parallelism: {zero_stage: 1.5}\n", ":5: parallelism.zero_stage: want a whole number"},
		{"tp 1e30", fleet + "parallelism: {tp: 1e30}\n", ":5: parallelism.tp: want a whole number"},
		{"tp 2^40", fleet + "parallelism: {tp: 1099511627776}\n", ":5: parallelism.tp must be in [1, 16777216]"},
		{"accelerators 2^53", base + "hardware: {name: H100, accelerators: 9007199254740992}\n", ":4: hardware.accelerators must be ≤ 16777216"},
		{"node count overflow", base + "hardware: {name: H100, node_count: 16777216, accelerators_per_node: 16777216}\n", ":4: node_count × accelerators_per_node"},
		{"dp huge", fleet + "parallelism: {dp: \"99999999999999999999\"}\n", ":5: dp \"99999999999999999999\""},
		{"duration 1e308", fleet + "ops: {region: US_Avg, duration_days: 1e308}\n", ":5: duration_days = 1e+308 is out of range"},
		{"duration inf", fleet + "ops: {region: US_Avg, duration_days: .inf}\n", ":5: ops.duration_days: want a finite number"},
		{"efficiency nan", base + "hardware: {name: H100, efficiency: .nan}\n", ":4: hardware.efficiency: want a finite number"},
		{"electricity nan", fleet + "ops: {region: US_Avg, electricity_usd_per_kwh: .NaN}\n", ":5: ops.electricity_usd_per_kwh: want a finite number"},
		{"mtbf inf", fleet + "ops: {mtbf_hours: .inf}\n", ":5: ops.mtbf_hours: want a finite number"},
		{"a second document", fleet + "---\nversion: \"2.0\"\n", ":6: a second YAML document"},
		{"workload as a list", "version: \"1.0\"\nname: p\nworkload: [Llama3_8B]\nhardware: {name: H100}\n", ":3: workload: want a mapping with keys batch_size, name, seq_len, got a list"},
		{"escape in the name", "version: \"1.0\"\nname: \"x\\e]0;owned\\ay\"\nworkload: {name: Llama3_8B}\nhardware: {name: H100}\n", ":2: a control character (U+001B)"},
		{"bidi override in a key", fleet + "constraints:\n  assert:\n    - {metric: \"perf\u202eormance.mfu\", min: 0}\n", ":7: a control character (U+202E)"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
			if err := os.WriteFile(path, []byte(c.src), 0o600); err != nil {
				t.Fatal(err)
			}
			badRun(t, exitBadInput, []string{path + c.want}, "eval", path)
		})
	}
}

// fullWriter fails every write as a full disk does (> /dev/full).
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// Every command that prints a result fails with exit 4 and says what failed
// when stdout cannot take it, instead of exit 0 with the result lost.
func TestWriteErrorsExitNonZero(t *testing.T) {
	out := smallSweep(t)
	plan := planFixture("g5-research256.yaml")
	for _, args := range [][]string{
		{"eval", "Llama3_8B", "H100"},
		{"eval", "Llama3_8B", "H100", "-o", "json"},
		{"eval", "Llama3_8B", "H100", "-o", "markdown"},
		{"eval", "Llama3_8B", "H100", "-o", "html"},
		{"--profile", "seed", "eval", plan}, // G5 states the seed's efficiency
		{"--profile", "seed", "eval", plan, "-o", "json"},
		{"serve", "Llama3_8B", "H100"},
		{"serve", "Llama3_8B", "H100", "-o", "json"},
		{"zoo", "hardware"},
		{"zoo", "models", "-o", "csv"},
		{"walls"},
		{"walls", "-o", "json"},
		{"validate", "--cases", "../../testdata/validation", "--kind", "training_mfu"},
		{"--profile", "seed", "optimize", "placement", plan},                 // as eval: G5 states the seed's efficiency
		{"--profile", "seed", "optimize", "parallelism", plan, "-o", "json"}, // as eval: G5 states the seed's efficiency
		{"sweep", "roofline", "--dry-run"},
		{"sweep", "--columns", "serve"},
		{"sweep", "roofline", "--out", "-", "--format", "csv"},
		{"sweep", "roofline", "--out", "-", "--format", "arrow"},
		{"schema"},
		{"query", "summary", out, "-o", "markdown"},
		{"query", "--sql", "SELECT * FROM results", out},
		{"query", "--sql", "SELECT * FROM results", out, "-o", "csv"},
		{"query", "--list"},
		{"--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var errb strings.Builder
			code := run(t.Context(), append([]string{"mlsysim"}, args...), fullWriter{}, &errb)
			// In json mode the error is the JSON object ("title":"I/O error") on stderr.
			if code != exitIO || !strings.Contains(strings.ToLower(errb.String()), "i/o error") || !strings.Contains(errb.String(), "no space left on device") {
				t.Errorf("exit %d, want %d with the cause on stderr; stderr:\n%s", code, exitIO, errb.String())
			}
		})
	}
}

// The same through a real file descriptor: stdout on /dev/full.
func TestWriteToDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer f.Close()
	var errb strings.Builder
	if code := run(t.Context(), []string{"mlsysim", "eval", "Llama3_8B", "H100"}, f, &errb); code != exitIO {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitIO, errb.String())
	}
}

// Unclear or silently ignored input (items 15 and 16): each case is refused
// with a message that says what would be valid.
func TestClearRefusals(t *testing.T) {
	plan := planFixture("g5-research256.yaml")
	shapeless := filepath.Join(t.TempDir(), "shapeless.yaml")
	if err := os.WriteFile(shapeless, []byte("key: Shapeless\nname: layers only\nfamily: transformer\nparameters: 3.2e9\nlayers: 28\nsource: {kind: estimate, ref: test}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"swep", "x.yaml"}, []string{`unknown command "swep" (did you mean sweep?)`, "commands: zoo, eval"}},
		{[]string{"evl", "Llama3_8B", "H100"}, []string{`(did you mean eval?)`}},
		{[]string{"optimize", "placment", plan}, []string{`unknown command "placment" (did you mean placement?)`}},
		{[]string{"xyzzy"}, []string{`unknown command "xyzzy"`, "see mlsysim --help"}},
		{[]string{"eval", "Llama3_8B", "H100", "--zero-stage", "3"}, []string{"--zero-stage: applies to a training step only; add --training"}},
		{[]string{"eval", "Llama3_8B", "H100", "--dp-size", "8"}, []string{"--dp-size"}},
		{[]string{"eval", "Llama3_8B", "H100", "--lora"}, []string{"--lora"}},
		// eval prices one accelerator: its ranks only divide ZeRO's shards, so either flag alone changes nothing.
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--dp-size", "8"}, []string{"--dp-size: only divides the ZeRO shards", "add --zero-stage 1–3"}},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--zero-stage", "2"}, []string{"--zero-stage: ZeRO 2 shards over --dp-size ranks", "add --dp-size N"}},
		// The calibrated training step needs the model's width and heads (sweep/gather.go).
		{[]string{"eval", shapeless, "H100", "--training"}, []string{"the calibrated training step needs hidden_dim and heads of Shapeless", "--profile seed"}},
		{[]string{"eval", "Llama3_8B", "H100", "--activation-recomputation"}, []string{"--activation-recomputation"}},
		// Flags the node study does not read for this model, mode or profile.
		{[]string{"eval", "Llama3_8B", "H100", "--seq-len", "8192"}, []string{"--seq-len: shapes only a training step here", "mlsysim serve Llama3_8B HARDWARE --seq-len 8192"}},
		{[]string{"eval", "BERT_Base", "A100", "-s", "512"}, []string{"--seq-len: shapes only a training step here"}},
		{[]string{"eval", "ResNet50", "A100", "--training", "-s", "4096"}, []string{"--seq-len: ResNet50 is not a transformer (family cnn)"}},
		{[]string{"eval", "Mamba_130M", "A100", "-s", "4096"}, []string{"--seq-len: Mamba_130M is not a transformer"}},
		{[]string{"eval", "Llama3_8B", "H100", "--cnn-execution", "graph"}, []string{"--cnn-execution: Llama3_8B lists no convolutions"}},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "--cnn-execution", "eager"}, []string{"--cnn-execution: Llama3_8B lists no convolutions"}},
		{[]string{"--profile", "seed", "eval", "ResNet50", "A100", "--cnn-execution", "graph"}, []string{"--cnn-execution: the seed profile prices a CNN as one roofline"}},
		{[]string{"eval", "ResNet50", "A100", "-e", "0.9"}, []string{"--efficiency: ResNet50's convolutions run at A100's measured fp16 matmul rate"}},
		{[]string{"eval", "ResNet50", "H100", "--training", "--efficiency", "0.3"}, []string{"--efficiency: ResNet50's convolutions run at H100's measured fp16 matmul rate"}},
		{[]string{"eval", "Llama3_8B", "A100", "--training", "-e", "0.3"}, []string{"--efficiency: Llama3_8B's training step runs its GEMMs at A100's measured fp16 matmul rate"}},
		{[]string{"serve", "Llama3_8B", "H100", "--spec-tokens", "8"}, []string{"--spec-tokens: applies to speculative decoding only; add --draft-model"}},
		{[]string{"serve", "Llama3_8B", "H100", "--draft-model", "none", "--spec-acceptance", "0.2"}, []string{"--spec-acceptance: applies to speculative decoding only"}},
		{[]string{"eval", plan, "-b", "32"}, []string{"--batch-size: does not apply to a plan"}},
		{[]string{"eval", plan, "--training"}, []string{"--training: does not apply to a plan"}},
		{[]string{"eval", plan, "--strict"}, []string{"--strict: does not apply to a plan"}},
		{[]string{"serve", "Llama3_8B", "H100", "--tp", "3"}, []string{"tp 3 does not divide the 32 attention heads of Llama3_8B", "try 1, 2, 4, 8, 16, 32"}},
		{[]string{"serve", "Llama3_70B", "H100", "--tp", "48"}, []string{"tp 48 does not divide the 64 attention heads of Llama3_70B"}},
		{[]string{"serve", "Llama3_70B", "H100", "--pp", "81"}, []string{"--tp/--pp/--ep: pp 81 exceeds the 80 layers of Llama3_70B"}},
		{[]string{"serve", "Mixtral_8x7B", "H100", "-p", "fp8", "--ep", "8"}, []string{"--tp/--pp/--ep: ep 8 does not divide tp 1", "try ep 1"}},
		{[]string{"serve", "Mixtral_8x7B", "H100", "--ep", "3"}, []string{"ep 3 does not divide the 8 experts of Mixtral_8x7B (try 1, 2, 4, 8)"}},
		{[]string{"serve", "Llama3_70B", "H100", "--draft-model", "mtp", "--spec-acceptance", "1.5"}, []string{"--spec-acceptance: spec_acceptance = 1.5 is out of range", "[0, 1]"}},
		{[]string{"serve", "Llama3_70B", "H100", "--draft-model", "mtp", "--spec-acceptance", "-0.1"}, []string{"--spec-acceptance: spec_acceptance = -0.1 is out of range", "[0, 1]"}},
		{[]string{"--profile", "seed", "optimize", "placement", plan, "--regions", "Quebec,US_Avg,Quebec"}, []string{"region lists Quebec twice"}},
		// One generated token has no inter-token latency: exit 0 with an ITL and a
		// disaggregated decode pool before.
		{[]string{"optimize", "serving", "Llama3_8B", "--qps", "4", "--ttft-ms", "300", "--itl-ms", "30", "--osl", "1"}, []string{"--osl: 1 generates only the first token", "--output-tokens 1"}},
		// A CNN cannot draft tokens: exit 0 with a bare "draft_not_a_transformer" before.
		{[]string{"serve", "Llama3_70B", "H100", "--tp", "4", "--draft-model", "ResNet50"}, []string{"--draft-model: ResNet50 is a cnn model, not a language model", "Llama3_8B", "or mtp"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			badRun(t, exitBadInput, c.want, c.args...)
		})
	}
	for _, ok := range [][]string{
		{"eval", "Llama3_8B", "H100", "--training", "--zero-stage", "3", "--dp-size", "8"},
		{"eval", "Llama3_8B", "H100", "--training", "--zero-stage", "0", "--dp-size", "1"},
		{"--profile", "seed", "eval", shapeless, "H100", "--training"},
		{"eval", shapeless, "H100"},
		{"serve", "Llama3_70B", "H100", "--tp", "8"},
		{"eval", "Llama3_8B", "H100", "--training", "--seq-len", "4096"},
		{"eval", "ResNet50", "A100", "--cnn-execution", "graph"},
		{"eval", "ResNet50", "T4", "-e", "0.3"},                // no measured matmul rate: efficiency × peak
		{"eval", "Llama3_8B", "A100", "-e", "0.3"},             // inference reads it
		{"eval", "Llama3_8B", "T4", "--training", "-e", "0.3"}, // no measured matmul rate: efficiency × peak
		{"--profile", "seed", "eval", "Llama3_8B", "A100", "--training", "-e", "0.3"},
		{"--profile", "seed", "eval", "ResNet50", "A100", "-e", "0.3"}, // the seed's efficiency × peak
		{"serve", "DeepSeek_V3", "H100", "-p", "fp8", "--tp", "8", "--pp", "2", "--draft-model", "mtp", "--spec-tokens", "2", "--spec-acceptance", "0.5"},
		{"eval", plan, "-o", "json", "--profile", "seed"},
	} {
		if r := mlsysim(t, ok...); r.code != exitOK {
			t.Errorf("mlsysim %s: %v", strings.Join(ok, " "), r)
		}
	}
}

// Grid specs: filters that read missing attributes or the clock, repeated
// values, several documents and terminal escapes are refused with file:line.
func TestHostileGrids(t *testing.T) {
	head := "version: 1\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100, A100]\n"
	cases := []struct {
		name, src, want string
	}{
		{"missing hw attribute", head + "where: hw.nonexistent > 1\n", `:6: where "hw.nonexistent > 1": hw has no attribute "nonexistent"; hw.* attributes: bandwidth_gb_per_s`},
		{"misspelt model attribute", head + "where: model.layrs > 2\n", `model has no attribute "layrs" (did you mean model.layers?)`},
		{"indexed attribute", head + "where: 'hw[\"tdp\"] > 300'\n", `hw has no attribute "tdp" (did you mean hw.tdp_w?)`},
		{"the clock", head + "where: now().Year() > 2000\n", "now() depends on the clock"},
		{"the time zone", head + "where: 'date(\"2024-01-01\") != nil'\n", "date() depends on the clock or the machine's time zone"},
		{"repeated model", head[:len(head)-len("  hardware: [H100, A100]\n")] + "  hardware: [H100, A100, H100]\n", ":5: hardware lists H100 twice"},
		{"repeated number", head + "  batch_size: [1, 8, 8.0]\n", ":6: batch_size lists 8 twice"},
		{"repeated by a generator", head + "  efficiency: {linspace: [0.5, 0.5, 3]}\n", ":6: efficiency lists 0.5 twice"},
		// A zipped row twice repeats every point as a value twice does (it was
		// accepted: two points with the same inputs, every row doubled).
		{"repeated zipped row", head + "  batch_size: [1, 8, 1]\n  seq_len: [512, 1024, 512]\n  training: [true, true, true]\nzip: [[batch_size, seq_len, training]]\n",
			":9: zip: row 3 (batch_size 1, seq_len 512, training true) repeats row 1"},
		{"two documents", head + "---\nversion: 1\n", ":7: a second YAML document"},
		{"escape in the name", "name: \"\\e[2J\"\n" + head, ":1: a control character (U+001B)"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("g%d.yaml", i))
			if err := os.WriteFile(path, []byte(c.src), 0o600); err != nil {
				t.Fatal(err)
			}
			badRun(t, exitBadInput, []string{c.want}, "sweep", path, "--dry-run")
		})
	}
	// A zipped axis may repeat values: its partner tells the points apart.
	path := filepath.Join(dir, "zip.yaml")
	src := "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  seq_len: [2048, 2048]\n  prefill_chunk_tokens: [0, 512]\nzip: [[seq_len, prefill_chunk_tokens]]\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mlsysim(t, "sweep", path, "--dry-run"); r.code != exitOK {
		t.Errorf("zipped repeat refused: %v", r)
	}
}

// query --sql runs one read-only statement, never writes into the result (or
// anywhere) and never reaches the network for a DuckDB extension.
func TestHostileSQL(t *testing.T) {
	out := smallSweep(t)
	before := dirListing(t, out)
	elsewhere := filepath.Join(t.TempDir(), "x")
	q := func(s string) string { return strings.ReplaceAll(s, "OUT", out) }
	cases := []struct {
		sql, want string
		args      []string
	}{
		{q("COPY (SELECT 1) TO 'OUT/part-99999.parquet'"), "COPY is not allowed", nil},
		{q("COPY results TO 'OUT/results.csv'"), "COPY is not allowed", nil},
		{q("COPY (SELECT 1) TO '" + elsewhere + ".parquet'"), "COPY is not allowed", nil},
		{q("EXPORT DATABASE 'OUT/db'"), "EXPORT is not allowed", nil},
		{q("ATTACH 'OUT/x.db' AS x"), "ATTACH is not allowed", nil},
		{"INSTALL httpfs", "INSTALL is not allowed", nil},
		{"LOAD httpfs", "LOAD is not allowed", nil},
		{"SET autoinstall_known_extensions = true", "SET is not allowed", nil},
		{"CREATE TABLE t AS SELECT 1", "CREATE is not allowed", nil},
		{"PRAGMA enable_profiling", "", nil},
		{q("SELECT 1; COPY (SELECT 1) TO 'OUT/part-99998.parquet'"), "COPY is not allowed", nil},
		{"SELECT 1; SELECT 2", "give one statement", nil},
		{q("COPY (SELECT 1) TO 'OUT/part-99997.parquet'; SELECT 1"), "COPY is not allowed", nil},
		{"SELECT * FROM read_parquet('https://example.com/x.parquet')", "does not install or load DuckDB extensions", nil},
		{"SELECT * FROM read_csv('s3://bucket/x.csv')", "does not install or load DuckDB extensions", nil},
		{q("SELECT 1) TO 'OUT/part-77777.parquet' (FORMAT parquet); SELECT (1"), "", []string{"--out", elsewhere + ".parquet"}},
		{q("COPY (SELECT 1) TO 'OUT/part-66666.parquet'"), "COPY is not allowed", []string{"--out", elsewhere + "2.parquet"}},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			r := mlsysim(t, append([]string{"query", "--sql", c.sql, out}, c.args...)...)
			if r.code != exitBadInput || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 1 saying %q\n%v", c.want, r)
			}
		})
	}
	if after := dirListing(t, out); after != before {
		t.Errorf("the result folder changed:\nbefore %s\nafter  %s", before, after)
	}
	for _, f := range []string{elsewhere + ".parquet", elsewhere + "2.parquet"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	// Reading stays allowed: the result, in every read-only form, and local files.
	csv := filepath.Join(t.TempDir(), "local.csv")
	if err := os.WriteFile(csv, []byte("a\n1\n2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"SELECT count(*) FROM results", "FROM results LIMIT 1", "DESCRIBE results", "SUMMARIZE results",
		"EXPLAIN SELECT 1", "WITH x AS (SELECT 1 AS a) SELECT * FROM x", "SELECT sum(a) FROM read_csv('" + csv + "')"} {
		if r := mlsysim(t, "query", "--sql", sql, out); r.code != exitOK {
			t.Errorf("%s: %v", sql, r)
		}
	}
	// Strings in a result reach a terminal escaped, in text and markdown.
	for _, format := range []string{"text", "markdown"} {
		r := mlsysim(t, "query", "--sql", "SELECT chr(27) || ']0;owned' || chr(7) AS x, 'a' || chr(8238) || 'b' AS y", out, "-o", format)
		if r.code != exitOK || strings.ContainsAny(r.stdout, "\x1b\x07\u202e") || !strings.Contains(r.stdout, `\x1b]0;owned\a`) {
			t.Errorf("%s: control characters not escaped: %q (%v)", format, r.stdout, r)
		}
	}
}

func dirListing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		info, _ := e.Info()
		names = append(names, fmt.Sprintf("%s:%d", e.Name(), info.Size()))
	}
	return strings.Join(names, " ")
}

// validate runs its built-in suite from any directory, not only the checkout.
func TestValidateOutsideCheckout(t *testing.T) {
	t.Chdir(t.TempDir())
	r := mlsysim(t, "validate", "--kind", "training_mfu", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	obj := oneObject(t, r.stdout)
	if cases, _ := obj["cases"].([]any); len(cases) == 0 {
		t.Errorf("no cases ran: %v", r.stdout)
	}
	badRun(t, exitBadInput, []string{"--cases", "no_such_folder"}, "validate", "--cases", "no_such_folder")
}

// A failed write anywhere (a part file on a full disk, a pipe closed by the
// reader) is an I/O error, whatever the command wrapped it in, not bad input.
func TestIOErrorsAreNotBadInput(t *testing.T) {
	for _, err := range []error{
		badInput("", fmt.Errorf("part 3: %w", &os.PathError{Op: "write", Path: "out/.part-00003.parquet.tmp", Err: syscall.ENOSPC})),
		fmt.Errorf("writing: %w", syscall.EPIPE),
		badInput("--baseline-out", &os.PathError{Op: "open", Path: "/ro/b.json", Err: syscall.EROFS}),
	} {
		var out, errb strings.Builder
		if code := report(err, "json", &out, &errb); code != exitIO || !strings.Contains(out.String(), `"title":"I/O error"`) {
			t.Errorf("%v: exit %d, stdout %q", err, code, out.String())
		}
	}
	var out, errb strings.Builder
	if code := report(badInput("--catalog", os.ErrNotExist), "text", &out, &errb); code != exitBadInput {
		t.Errorf("a missing input file is bad input, got exit %d", code)
	}
}
