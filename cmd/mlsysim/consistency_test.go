package main

// Metamorphic tests across the commands: one point through every surface that can name
// it — eval's flags, a plan, a one-point sweep streamed as JSON lines and CSV or written
// as Parquet and read back by DuckDB, serve — gives the same numbers, bit for bit; a
// sweep's output does not depend on its worker count, part size or batch size; and
// what an optimizer recommends is what the study says of that point.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeSpec writes a grid spec into the test's folder and returns its path.
func writeSpec(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonLines decodes a sweep's JSON lines, numbers kept as float64.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		rows = append(rows, m)
	}
	return rows
}

// csvRows decodes a sweep's CSV into header → cell maps.
func csvRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := mlsysim(t, args...)
	if r.code != 0 {
		t.Fatalf("mlsysim %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// sameNumber: a surface's value (JSON number, CSV text) against the reference float,
// exactly: every surface writes the float64 in full.
func sameNumber(t *testing.T, what string, got any, want float64) {
	t.Helper()
	var g float64
	switch v := got.(type) {
	case float64:
		g = v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Errorf("%s: %q is not a number", what, v)
			return
		}
		g = f
	default:
		t.Errorf("%s: %#v is not a number", what, got)
		return
	}
	if g != want && !(math.IsNaN(g) && math.IsNaN(want)) {
		t.Errorf("%s = %.17g, want %.17g", what, g, want)
	}
}

// TestNodePointEverySurface: Llama-3 8B at batch 8 on an H100 through eval's flags,
// eval of a plan, a one-point node sweep as JSON lines, as CSV and as Parquet queried
// by DuckDB, under both profiles.
func TestNodePointEverySurface(t *testing.T) {
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			flags := oneObject(t, mustRun(t, "--profile", profile, "eval", "Llama3_8B", "H100", "-b", "8", "-p", "fp16", "--efficiency", "0.5", "-o", "json"))
			plan := oneObject(t, mustRun(t, "--profile", profile, "eval", fixture("../plans/single-h100.yaml"), "-o", "json"))
			spec := writeSpec(t, "node.yaml", "version: 1\nstudy: node\nfixed:\n  hardware: H100\n  batch_size: 8\n  precision: fp16\n  efficiency: 0.5\naxes:\n  model: [Llama3_8B]\n")
			jl := jsonLines(t, mustRun(t, "--profile", profile, "sweep", spec, "--out", "-", "--format", "jsonl", "-q"))
			cs := csvRows(t, mustRun(t, "--profile", profile, "sweep", spec, "--out", "-", "--format", "csv", "-q"))
			dir := filepath.Join(t.TempDir(), "out")
			mustRun(t, "--profile", profile, "sweep", spec, "--out", dir, "-q")
			pq := oneRow(t, mustRun(t, "query", "--sql", "SELECT * FROM results", dir, "-o", "json"))
			if len(jl) != 1 || len(cs) != 1 {
				t.Fatalf("%d JSON lines, %d CSV rows, want one each", len(jl), len(cs))
			}
			for _, c := range [][2]string{
				{"p_latency", "latency_ms"}, {"p_throughput", "throughput_per_s"}, {"p_tokens_per_s", "tokens_per_s"},
				{"p_mfu", "mfu"}, {"p_hfu", "hfu"}, {"p_energy_j", "energy_j"}, {"f_memory_used_gb", "memory_footprint_gb"},
				{"f_memory_utilization", "memory_utilization"}, {"f_memory_capacity_gb", "memory_capacity_gb"},
			} {
				want, ok := jl[0][c[1]].(float64)
				if !ok {
					t.Fatalf("sweep column %s: %#v", c[1], jl[0][c[1]])
				}
				sameNumber(t, "eval flags "+c[0], flags[c[0]], want)
				sameNumber(t, "eval plan "+c[0], plan[c[0]], want)
				sameNumber(t, "csv "+c[1], cs[0][c[1]], want)
				sameNumber(t, "parquet "+c[1], pq[c[1]], want)
			}
		})
	}
}

// oneRow decodes a query's JSON answer and returns its only row.
func oneRow(t *testing.T, out string) map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("query output: %v\n%s", err, out)
	}
	var rows []any
	switch x := v.(type) {
	case []any:
		rows = x
	case map[string]any:
		rows, _ = x["rows"].([]any)
	}
	if len(rows) != 1 {
		t.Fatalf("want one row, got %d:\n%s", len(rows), out)
	}
	return rows[0].(map[string]any)
}

// TestServePointEverySurface: serve's answer for a layout is the serve study's row for
// the same point (a one-point sweep as JSON lines), its simulated percentiles the
// serve-sim study's, and the serve-sla study prices the same TTFT and ITL — for a
// single accelerator, a tp × pp layout with 8-bit weights and KV cache, and an MoE
// model, each with and without a request rate, under both profiles.
func TestServePointEverySurface(t *testing.T) {
	layouts := []struct {
		model, hw string
		extra     map[string]string // serve flag (without --) → grid parameter value
	}{
		{"Llama3_8B", "H100", map[string]string{"batch-size": "16", "seq-len": "1024"}},
		{"Llama3_70B", "H100", map[string]string{"precision": "fp8", "tp": "4", "pp": "2", "kv-precision": "fp8", "batch-size": "64"}},
		{"Mixtral_8x7B", "MI300X", map[string]string{"tp": "2", "batch-size": "32", "seq-len": "4096"}},
	}
	same := [][2]string{ // serve's JSON key, the study's column
		{"ttft_ms", "ttft_ms"}, {"itl_ms", "itl_ms"}, {"tokens_per_sec", "tokens_per_s"}, {"kv_cache_gb", "kv_cache_gb"},
		{"weights_gb", "weights_gb"}, {"total_memory_gb", "total_memory_gb"}, {"memory_utilization", "memory_utilization"},
		{"accelerators", "accelerators"}, {"tokens_per_s_per_accelerator", "tokens_per_s_per_accelerator"},
		{"tokens_per_s_per_user", "tokens_per_s_per_user"}, {"power_w", "power_w"}, {"joules_per_token", "joules_per_token"},
		{"usd_per_million_tokens", "usd_per_million_tokens"}, {"efficiency", "efficiency_used"},
	}
	load := [][2]string{
		{"load_ttft_ms", "load_ttft_ms"}, {"load_tpot_ms", "load_tpot_ms"}, {"load_capacity_qps", "load_capacity_qps"},
		{"load_utilization", "load_utilization"}, {"load_concurrency", "load_concurrency"}, {"load_max_batch", "load_max_batch"},
	}
	sim := [][2]string{
		{"sim_ttft_p50_ms", "sim_ttft_p50_ms"}, {"sim_ttft_p99_ms", "sim_ttft_p99_ms"}, {"sim_tpot_p90_ms", "sim_tpot_p90_ms"},
		{"sim_e2e_p99_ms", "sim_e2e_p99_ms"}, {"sim_capacity_qps", "capacity_qps"}, {"sim_poisson_capacity_qps", "poisson_capacity_qps"}, {"sim_usd_per_million_tokens", "usd_per_million_tokens"},
		{"sim_joules_per_token", "joules_per_token"},
	}
	for _, profile := range []string{"calibrated", "seed"} {
		for _, l := range layouts {
			for _, qps := range []string{"0", "2"} {
				t.Run(fmt.Sprintf("%s/%s/%s/qps%s", profile, l.model, l.hw, qps), func(t *testing.T) {
					args := []string{"--profile", profile, "serve", l.model, l.hw, "-o", "json"}
					fixed := "  engine: vllm\n"
					for _, f := range slices.Sorted(maps.Keys(l.extra)) {
						args = append(args, "--"+f, l.extra[f])
						fixed += fmt.Sprintf("  %s: %s\n", strings.ReplaceAll(f, "-", "_"), l.extra[f])
					}
					if qps != "0" {
						args = append(args, "--qps", qps)
						fixed += "  qps: " + qps + "\n"
					}
					srv := oneObject(t, mustRun(t, args...))
					if _, ok := l.extra["seq-len"]; !ok { // the studies' defaults differ (serve-sim: 1024)
						fixed += fmt.Sprintf("  seq_len: %v\n", srv["seq_len"])
					}
					spec := writeSpec(t, "serve.yaml", fmt.Sprintf("version: 1\nstudy: serve\nfixed:\n%saxes:\n  hardware: [%s]\n  model: [%s]\n", fixed, l.hw, l.model))
					row := jsonLines(t, mustRun(t, "--profile", profile, "sweep", spec, "--out", "-", "--format", "jsonl", "-q"))[0]
					cols := same
					if qps != "0" {
						cols = append(slices.Clip(cols), load...)
					}
					for _, c := range cols {
						if c[0] == "tokens_per_s_per_accelerator" || strings.HasPrefix(c[0], "load_") || c[0] == "memory_utilization" ||
							c[0] == "power_w" || c[0] == "joules_per_token" || c[0] == "usd_per_million_tokens" || c[0] == "tokens_per_s_per_user" {
							if _, ok := srv[c[0]]; !ok {
								continue // not printed for this point
							}
						}
						want, ok := row[c[1]].(float64)
						if !ok {
							t.Errorf("serve study column %s: %#v", c[1], row[c[1]])
							continue
						}
						sameNumber(t, "serve "+c[0], srv[c[0]], want)
					}
					if feasible, _ := row["feasible"].(bool); srv["feasible"] != feasible {
						t.Errorf("serve feasible %v, study %v", srv["feasible"], feasible)
					}
					if qps == "0" {
						// serve-sla prices a batch with the same Serving step.
						sla := writeSpec(t, "sla.yaml", fmt.Sprintf("version: 1\nstudy: serve-sla\nfixed:\n%s  qps: 0.01\naxes:\n  hardware: [%s]\n  model: [%s]\n", fixed, l.hw, l.model))
						s := jsonLines(t, mustRun(t, "--profile", profile, "sweep", sla, "--out", "-", "--format", "jsonl", "-q"))[0]
						for _, c := range []string{"ttft_ms", "itl_ms"} {
							sameNumber(t, "serve-sla "+c, s[c], row[c].(float64))
						}
						return
					}
					if _, ok := srv["sim_ttft_p50_ms"]; !ok {
						return
					}
					simSpec := writeSpec(t, "sim.yaml", fmt.Sprintf("version: 1\nstudy: serve-sim\nfixed:\n%saxes:\n  hardware: [%s]\n  model: [%s]\n", fixed, l.hw, l.model))
					s := jsonLines(t, mustRun(t, "--profile", profile, "sweep", simSpec, "--out", "-", "--format", "jsonl", "-q"))[0]
					for _, c := range sim {
						want, ok := s[c[1]].(float64)
						if !ok {
							t.Errorf("serve-sim column %s: %#v", c[1], s[c[1]])
							continue
						}
						sameNumber(t, "serve "+c[0], srv[c[0]], want)
					}
				})
			}
		}
	}
}

// readParts concatenates a sweep folder's part files in name order.
func readParts(t *testing.T, dir, ext string) ([]byte, map[string][]byte) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "part-*."+ext))
	if err != nil || len(names) == 0 {
		t.Fatalf("no parts in %s (%v)", dir, err)
	}
	slices.Sort(names)
	var all []byte
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
		files[filepath.Base(n)] = b
	}
	return all, files
}

// TestSweepBytesIndependentOfWorkers: a sweep's files are the same bytes whatever the
// worker count and however often it runs, and its rows the same whatever the part and
// batch sizes — for a serving grid that mixes feasible and infeasible points and a
// fleet grid, whose evaluator groups points within a batch.
func TestSweepBytesIndependentOfWorkers(t *testing.T) {
	specs := map[string]string{
		"serve": "version: 1\nstudy: serve\nfixed:\n  seq_len: 2048\naxes:\n  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]\n  hardware: [H100, A100, MI300X, T4]\n  precision: [fp16, fp8, int4]\n  tp: [1, 2, 8]\n  batch_size: [1, 16, 256]\n  qps: [0, 3]\n",
		"fleet": "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 1024\n  seq_len: 2048\n  microbatches: 16\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  nodes: [8, 32, 64]\n  tp: [1, 2, 4, 8]\n  pp: [1, 2, 4]\n  region: [Quebec, France, Iceland]\n",
	}
	for name, src := range specs {
		t.Run(name, func(t *testing.T) {
			spec := writeSpec(t, name+".yaml", src)
			run := func(format string, extra ...string) ([]byte, map[string][]byte) {
				dir := filepath.Join(t.TempDir(), "out")
				mustRun(t, append([]string{"sweep", spec, "--out", dir, "--format", format, "-q"}, extra...)...)
				return readParts(t, dir, format)
			}
			_, one := run("parquet", "--workers", "1", "--part-points", "100", "--batch-size", "37")
			_, three := run("parquet", "--workers", "3", "--part-points", "100", "--batch-size", "37")
			_, again := run("parquet", "--workers", "3", "--part-points", "100", "--batch-size", "37")
			for n, b := range one {
				if !bytes.Equal(b, three[n]) || !bytes.Equal(b, again[n]) {
					t.Errorf("%s: bytes differ between 1 worker, 3 workers and a second run", n)
				}
			}
			if len(one) < 3 || len(one) != len(three) || len(one) != len(again) {
				t.Errorf("parts: %d, %d, %d (want the same, at least 3)", len(one), len(three), len(again))
			}
			a, _ := run("jsonl", "--workers", "1", "--part-points", "100", "--batch-size", "37")
			b, _ := run("jsonl", "--workers", "2", "--part-points", "1000000", "--batch-size", "1000")
			c, _ := run("jsonl", "--workers", "3", "--part-points", "7", "--batch-size", "3")
			if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
				t.Errorf("JSON lines differ with the part and batch sizes (%d, %d, %d bytes)", len(a), len(b), len(c))
			}
		})
	}
}

// parallelismPick is one of optimize parallelism's top candidates as its JSON states it.
type parallelismPick struct {
	Config map[string]any `json:"config"`
	Step   float64        `json:"step_time"`
	MFU    float64        `json:"mfu"`
	Mem    float64        `json:"memory_per_accelerator_gb"`
}

// reevaluatePick writes candidate i's plan (plan, the candidate's layout written back),
// evaluates it with eval under the given global flags, and checks the step time, MFU and
// memory per accelerator against what the optimizer reported for it.
func reevaluatePick(t *testing.T, i int, c parallelismPick, plan string, globals ...string) {
	t.Helper()
	p := writeSpec(t, fmt.Sprintf("cand%d.yaml", i), plan)
	r := mlsysim(t, append(globals, "eval", p, "-o", "json")...)
	if r.code != 0 {
		t.Errorf("candidate %d (%v) re-evaluated: %v", i, c.Config, r)
		return
	}
	ev := oneObject(t, r.stdout)
	sameNumber(t, fmt.Sprintf("candidate %d step", i), ev["p_step_latency"], c.Step)
	sameNumber(t, fmt.Sprintf("candidate %d mfu", i), ev["p_mfu"], c.MFU)
	sameNumber(t, fmt.Sprintf("candidate %d memory", i), ev["f_memory_used_gb"], c.Mem)
}

// TestOptimizeParallelismReevaluates: each of optimize parallelism's three best layouts,
// written back into the plan and evaluated by eval, has the step time, MFU and memory
// per accelerator the optimizer reported — under both profiles.
func TestOptimizeParallelismReevaluates(t *testing.T) {
	const base = "version: \"1.0\"\nname: Llama-3 8B on Research_256\nworkload: {name: Llama3_8B, batch_size: 1024, seq_len: 2048}\n"
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			hw := "hardware: {cluster: Research_256, precision: fp16}\n"
			if profile == "seed" {
				hw = "hardware: {cluster: Research_256, precision: fp16, efficiency: 0.45}\n"
			}
			plan := writeSpec(t, "plan.yaml", base+hw+"parallelism: {tp: 8, pp: 4, dp: auto, microbatches: 16, zero_stage: 1}\n")
			var opt struct {
				Top  []parallelismPick `json:"top_candidates"`
				Best float64           `json:"best_step_time"`
			}
			out := mustRun(t, "--profile", profile, "optimize", "parallelism", plan, "-o", "json")
			if err := json.Unmarshal([]byte(out), &opt); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(opt.Top) < 3 || opt.Top[0].Step != opt.Best {
				t.Fatalf("want ≥ 3 candidates, the first the best: %s", out)
			}
			for i, c := range opt.Top[:3] {
				par := fmt.Sprintf("parallelism: {tp: %v, pp: %v, dp: auto, microbatches: %v, zero_stage: %v", c.Config["tp"], c.Config["pp"], c.Config["microbatches"], c.Config["zero_stage"])
				if profile == "calibrated" {
					par += fmt.Sprintf(", virtual_stages: %v, activation_checkpointing: %v", c.Config["virtual_stages"], c.Config["activation_checkpointing"])
					// The answer names the interleaved schedule; a plan says 1f1b and
					// interleaves through virtual_stages.
					if s := fmt.Sprint(c.Config["schedule"]); s != "none" {
						par += ", pipeline_schedule: " + strings.TrimPrefix(s, "interleaved_")
					}
				}
				reevaluatePick(t, i, c, base+hw+par+"}\n", "--profile", profile)
			}
		})
	}
}

// TestOptimizeServingReevaluates: the deployment optimize serving recommends, one of its
// replicas evaluated by serve at its share of the request rate, with the same layout,
// batch and request lengths, is feasible within the TTFT and ITL targets and serves the
// same tokens per second per accelerator — under both profiles.
func TestOptimizeServingReevaluates(t *testing.T) {
	const qps, ttft, itl = 20.0, 500.0, 30.0
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			out := mustRun(t, "--profile", profile, "optimize", "serving", "Llama3_8B", "--qps", fmt.Sprint(qps), "--ttft-ms", fmt.Sprint(ttft),
				"--itl-ms", fmt.Sprint(itl), "--hardware", "H100,A100", "--precision", "fp16,fp8", "--kv-precision", "fp16",
				"--max-batch", "256", "--disaggregated", "off", "-o", "json")
			var opt struct {
				In   float64        `json:"input_tokens"`
				Out  float64        `json:"output_tokens"`
				Best map[string]any `json:"best"`
			}
			if err := json.Unmarshal([]byte(out), &opt); err != nil || opt.Best == nil {
				t.Fatalf("%v\n%s", err, out)
			}
			b := opt.Best
			replicas := b["replicas"].(float64)
			srv := oneObject(t, mustRun(t, "--profile", profile, "serve", "Llama3_8B", fmt.Sprint(b["hardware"]), "-p", fmt.Sprint(b["precision"]),
				"--kv-precision", fmt.Sprint(b["kv_precision"]), "--tp", fmt.Sprint(b["tp"]), "--pp", fmt.Sprint(b["pp"]),
				"-b", fmt.Sprint(b["batch_size"]), "-s", fmt.Sprint(opt.In), "--output-tokens", fmt.Sprint(opt.Out),
				"--qps", strconv.FormatFloat(qps/replicas, 'g', -1, 64), "-o", "json"))
			if srv["feasible"] != true {
				t.Fatalf("the recommendation %v is infeasible under serve: %v", b, srv["infeasible_reason"])
			}
			if v := srv["load_ttft_ms"].(float64); v > ttft {
				t.Errorf("serve's TTFT %.6g ms misses the %g ms target the recommendation met (%.6g ms)", v, ttft, b["ttft_ms"])
			}
			if v := srv["load_tpot_ms"].(float64); v > itl {
				t.Errorf("serve's TPOT %.6g ms misses the %g ms target the recommendation met (%.6g ms)", v, itl, b["itl_ms"])
			}
			if got, want := srv["tokens_per_s_per_accelerator"].(float64), b["tokens_per_s_per_accelerator"].(float64); math.Abs(got-want) > 1e-9*want {
				t.Errorf("tokens/s per accelerator: serve %.17g, optimize %.17g", got, want)
			}
			t.Logf("optimize TTFT %.9g / ITL %.9g ms; serve %.9g / %.9g ms", b["ttft_ms"], b["itl_ms"], srv["load_ttft_ms"], srv["load_tpot_ms"])
		})
	}
}
