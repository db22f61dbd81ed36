package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// End-to-end tests of the CLI through run(), the same entry point main uses.
// Golden numbers come from the seed's physics.md (G1, G4, G7) or are worked out
// here from the equations in kernel/singlenode.go and kernel/serving.go.

type cliResult struct {
	code           int
	stdout, stderr string
}

// mlsysim runs the CLI in-process; a panic fails the test instead of the binary.
func mlsysim(t *testing.T, args ...string) (r cliResult) {
	t.Helper()
	var out, errb bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("mlsysim %s panicked: %v", strings.Join(args, " "), p)
		}
	}()
	r.code = run(t.Context(), append([]string{"mlsysim"}, args...), &out, &errb)
	r.stdout, r.stderr = out.String(), errb.String()
	return r
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "cli", name) }

// oneObject decodes stdout as exactly one JSON object and nothing else.
func oneObject(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON value (next: %v, err %v)\n%s", extra, err, stdout)
	}
	return obj
}

// near checks a JSON number against want within a relative tolerance.
func near(t *testing.T, obj map[string]any, key string, want, rel float64) {
	t.Helper()
	got, ok := obj[key].(float64)
	if !ok {
		t.Errorf("%s = %#v, want number %v", key, obj[key], want)
		return
	}
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.17g, want %.17g (rel tol %g)", key, got, want, rel)
	}
}

func equal(t *testing.T, obj map[string]any, key string, want any) {
	t.Helper()
	if obj[key] != want {
		t.Errorf("%s = %#v, want %#v", key, obj[key], want)
	}
}

func hasKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
}

const tol = 1e-9

func TestEvalJSON(t *testing.T) {
	for _, args := range [][]string{
		{"--output", "json", "--profile", "seed", "eval", "ResNet50", "A100"},
		{"eval", "ResNet50", "A100", "-o", "json", "--profile", "seed"},
		{"-o", "json", "--profile=seed", "eval", "ResNet50", "A100"},
		{"eval", "--output=json", "--profile", "seed", "ResNet50", "A100"},
		{"-o", "JSON", "--profile", "seed", "eval", "ResNet50", "A100"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, args...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("want exit 0 and empty stderr\n%v", r)
			}
			obj := oneObject(t, r.stdout)
			hasKeys(t, obj, "scenario", "f_status", "p_status", "m_status", "f_memory_used_gb",
				"f_memory_capacity_gb", "f_memory_utilization", "p_latency", "p_throughput", "p_mfu",
				"p_bottleneck", "p_latency_compute", "p_latency_memory", "p_latency_overhead",
				"p_arithmetic_intensity", "p_energy_j", "p_hfu")
			if _, ok := obj["macro"]; ok {
				t.Errorf("unexpected key macro: the macro lens is SKIPPED, not emitted")
			}
			// physics.md G1 (ResNet-50 on A100, fp16, batch 1, η 0.5), the seed's golden:
			// under calibrated ResNet-50 takes the layer-by-layer CNN step (TestEvalCNNCalibrated).
			near(t, obj, "p_latency", 0.5675641025641026, tol)
			near(t, obj, "p_throughput", 1761.915518409758, tol)
			near(t, obj, "p_arithmetic_intensity", 145.5965909090909, tol)
			// 25.6e6 parameters × 2 B.
			near(t, obj, "f_memory_used_gb", 0.0512, tol)
			// physics.md G7.
			near(t, obj, "p_mfu", 0.046306754009487236, tol)
			near(t, obj, "p_energy_j", 0.07546666666666667, tol)
			equal(t, obj, "p_bottleneck", "Compute")
			equal(t, obj, "f_status", "PASS")
			equal(t, obj, "p_status", "PASS")
			equal(t, obj, "m_status", "SKIPPED")
			equal(t, obj, "scenario", "ResNet50 on A100")
		})
	}
}

func TestServeJSON(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "serve", "Llama3_8B", "H100", "--output", "json", "--profile", "seed")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("want exit 0 and empty stderr\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	hasKeys(t, obj, "model", "hardware", "seq_len", "batch_size", "precision", "efficiency", "feasible",
		"ttft_ms", "itl_ms", "tokens_per_sec", "kv_cache_gb", "memory_utilization", "weights_gb", "total_memory_gb")
	for _, k := range []string{"prefill_chunks", "prefill_chunk_time_ms", "decode_stall_bound_ms"} {
		if _, ok := obj[k]; ok {
			t.Errorf("key %q present without --prefill-chunk-tokens", k)
		}
	}
	// physics.md G4 (Llama-3.1-8B on H100, fp16, seq 2048, batch 1, η 0.5), the seed profile.
	near(t, obj, "ttft_ms", 70.97037058756726, tol)
	near(t, obj, "itl_ms", 5.194159837611941, tol)
	// KV cache = 2 (K, V) · 32 layers · 8 KV heads · 128 head dim · 2048 tokens · 2 B.
	kv := 2.0 * 32 * 8 * 128 * 2048 * 2 / 1e9
	weights := 8.03e9 * 2 / 1e9
	near(t, obj, "kv_cache_gb", kv, tol)
	near(t, obj, "weights_gb", weights, tol)
	near(t, obj, "total_memory_gb", kv+weights, tol)
	near(t, obj, "memory_utilization", (kv+weights)/(80*(1<<30)/1e9), tol) // H100: 80 GiB
	near(t, obj, "tokens_per_sec", 1000/5.194159837611941, tol)
	equal(t, obj, "feasible", true)
	equal(t, obj, "model", "Llama3_8B")
	equal(t, obj, "hardware", "H100")
	equal(t, obj, "seq_len", 2048.0)
	equal(t, obj, "batch_size", 1.0)
	equal(t, obj, "precision", "fp16")
}

// TestServeQPS: serve --qps under the seed profile, where every term is a closed form
// (physics.md §6.1): Llama3_8B FP16 on H100, 1024-token prompts, 256 generated tokens at
// 2 requests/s, batch at most 64. One prompt's prefill is (2·8.03e9·1024 + 4·32·32·128·
// 1024²)/(989 TFLOP/s · 0.5) + the 0.01 ms dispatch tax; a decode step of b sequences at
// the mean context 1024 + 256 − 255/2 = 1152.5 reads 16.06 GB of weights and 2·32·8·128
// KV elements of 2 bytes per token and sequence at 3.35 TB/s, plus 32 × 0.01 ms. The
// decode batch solves N = k·t_d(N + 1), k = 2·255/(1 − ρ): linear, N = k(a + c)/(1 − k·c).
func TestServeQPS(t *testing.T) {
	t.Parallel()
	args := []string{"--profile", "seed", "-o", "json", "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64", "--qps", "2", "--output-tokens", "256"}
	r := mlsysim(t, args...)
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	prefill := (2*8.03e9*1024+4*32*32*128*1024.0*1024)/(989e12*0.5) + 0.01e-3
	a, c := 8.03e9*2/3.35e12+32*0.01e-3, 2*32*8*128*1152.5*2/3.35e12
	rho := 2 * prefill
	k := 2 * 255 / (1 - rho)
	nd := k * (a + c) / (1 - k*c)
	step := a + c*(nd+1)
	tpot, ttft := step/(1-rho), step/2+prefill+rho*prefill/(2*(1-rho))
	near(t, obj, "load_decode_batch", nd, 1e-9)
	near(t, obj, "load_tpot_ms", tpot*1e3, 1e-9)
	near(t, obj, "load_ttft_ms", ttft*1e3, 1e-9)
	near(t, obj, "load_concurrency", 2*(ttft+255*tpot), 1e-9)
	near(t, obj, "load_prefill_utilization", rho, 1e-9)
	near(t, obj, "load_capacity_qps", 64/(255*(a+64*c)+64*prefill), 1e-9)
	near(t, obj, "tokens_per_s_per_accelerator", 2*256, 1e-12)
	equal(t, obj, "qps", 2.0)
	equal(t, obj, "load_max_batch", 64.0)

	plain := oneObject(t, mlsysim(t, "-o", "json", "serve", "Llama3_8B", "H100").stdout)
	for _, key := range []string{"qps", "output_tokens", "load_tpot_ms"} {
		if _, ok := plain[key]; ok {
			t.Errorf("key %q present without --qps", key)
		}
	}
	over := mlsysim(t, "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64", "--qps", "50")
	if over.code != exitOK || !strings.Contains(over.stdout, "Feasible          no (overloaded)") || !strings.Contains(over.stdout, "none: overloaded") {
		t.Errorf("50 requests/s on a batch of 64: want an overloaded row, exit 0\n%v", over)
	}
	// The text names what the loaded TTFT adds up: the calibrated profile's includes the
	// wait for a batch slot (§34.3), the seed's does not.
	for _, c := range []struct {
		profile string
		slot    bool
	}{{"calibrated", true}, {"seed", false}} {
		out := mlsysim(t, "--profile", c.profile, "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64", "--qps", "14", "--output-tokens", "256").stdout
		if !strings.Contains(out, "running step + prompt queue + prefill") || strings.Contains(out, "wait for a free batch slot") != c.slot {
			t.Errorf("%s: TTFT (loaded) line should name the slot wait: %v\n%s", c.profile, c.slot, out)
		}
	}
	if strict := mlsysim(t, "serve", "Llama3_8B", "H100", "-s", "1024", "-b", "64", "--qps", "50", "--strict"); strict.code != exitPhysics {
		t.Errorf("--strict on an overloaded replica: exit %d, want %d", strict.code, exitPhysics)
	}
}

// TestServeCapacityCoversSteadyStates: a steady state under --qps is a rate the replica
// sustains, so load_utilization never passes 1 on a feasible row. Stall-free, the decode
// step rises in steps with the matmuls' tiles (kernel gemmTiming), so a batch below the
// largest can sustain more than it: Llama3_8B FP8 on an H100, 1024-token prompts in chunks
// of 2048, batch 128, reported a steady state at 32 requests/s at utilization 1.06 against a
// capacity of 30.2 taken at the largest batch (serve-sim's simulated capacity: 32.8).
func TestServeCapacityCoversSteadyStates(t *testing.T) {
	t.Parallel()
	for _, qps := range []string{"8", "20", "30", "31", "32", "33"} {
		obj := oneObject(t, mlsysim(t, "-o", "json", "serve", "Llama3_8B", "H100", "-p", "fp8", "-b", "128", "-s", "1024",
			"--output-tokens", "256", "--prefill-chunk-tokens", "2048", "--qps", qps).stdout)
		util, _ := obj["load_utilization"].(float64)
		if obj["feasible"] == true && !(util <= 1) {
			t.Errorf("--qps %s: steady (feasible) at load_utilization %v, capacity %v", qps, util, obj["load_capacity_qps"])
		}
		if qps == "32" && obj["feasible"] != true {
			t.Errorf("--qps 32: %v, want the steady state the fixed point finds", obj["infeasible_reason"])
		}
	}
}

// TestServeDecodeBound: the text output says what bounds decode. Llama3_8B fp8 on H100 at
// batch 2048 and 256 tokens: the step's FLOPs (≈ 33 ms at 1979 TFLOP/s · 0.5) outlast its
// bytes (≈ 12.7 ms at 3.35 TB/s) under the default profile; the seed profile has no floor.
func TestServeDecodeBound(t *testing.T) {
	t.Parallel()
	args := []string{"serve", "Llama3_8B", "H100", "-b", "2048", "--seq-len", "256", "-p", "fp8"}
	cal := mlsysim(t, args...)
	seed := mlsysim(t, append([]string{"--profile", "seed"}, args...)...)
	if cal.code != exitOK || seed.code != exitOK {
		t.Fatalf("%v\n%v", cal, seed)
	}
	if !strings.Contains(cal.stdout, "Decode bound      compute") {
		t.Errorf("calibrated: want a compute-bound decode\n%s", cal.stdout)
	}
	if !strings.Contains(seed.stdout, "Decode bound      memory bandwidth") {
		t.Errorf("seed: want a memory-bound decode\n%s", seed.stdout)
	}
}

// An out-of-memory batch's rate and price are not a reachable answer: the lines say so
// (OPT_13B in fp16 at 256 × 2048 tokens needs 429.5 GB of KV cache on an 80 GB A100).
func TestServeInfeasibleNotPriced(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "serve", "OPT_13B", "A100", "-b", "256", "-s", "2048")
	if r.code != exitOK {
		t.Fatalf("%v", r)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if (strings.HasPrefix(line, "  Per accelerator") || strings.HasPrefix(line, "  Cost")) &&
			!strings.Contains(line, "not reachable: out_of_memory") {
			t.Errorf("an infeasible point's %q does not say it is unreachable", line)
		}
	}
	fits := mlsysim(t, "serve", "OPT_13B", "A100", "-b", "8", "-s", "2048")
	if fits.code != exitOK || strings.Contains(fits.stdout, "not reachable") {
		t.Errorf("a point that fits is marked unreachable\n%v", fits)
	}
}

func TestServeChunkedPrefill(t *testing.T) {
	t.Parallel()
	plain := mlsysim(t, "-o", "json", "serve", "Llama3_8B", "H100", "--seq-len", "4096")
	chunked := mlsysim(t, "-o", "json", "serve", "Llama3_8B", "H100", "--seq-len", "4096", "--prefill-chunk-tokens", "512")
	if plain.code != exitOK || chunked.code != exitOK {
		t.Fatalf("want exit 0\n%v\n%v", plain, chunked)
	}
	p, c := oneObject(t, plain.stdout), oneObject(t, chunked.stdout)
	hasKeys(t, c, "prefill_chunk_time_ms", "decode_stall_bound_ms")
	equal(t, c, "prefill_chunks", 8.0) // ⌈4096 / 512⌉
	if c["prefill_chunk_time_ms"].(float64) <= 0 {
		t.Errorf("prefill_chunk_time_ms = %v, want > 0", c["prefill_chunk_time_ms"])
	}
	if tc, tp := c["ttft_ms"].(float64), p["ttft_ms"].(float64); tc < tp {
		t.Errorf("chunked TTFT %v ms < unchunked %v ms: chunking adds a dispatch per chunk, it cannot be faster", tc, tp)
	}
	// Chunking changes when the prefill runs, not what is decoded or stored.
	equal(t, c, "itl_ms", p["itl_ms"])
	equal(t, c, "kv_cache_gb", p["kv_cache_gb"])
}

func TestZoo(t *testing.T) {
	t.Run("hardware json", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "zoo", "hardware", "--output", "json")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		var got struct {
			Hardware []struct {
				Key, Name, Tier string
				PeakTFLOPS      float64  `json:"peak_tflops"`
				MemoryGB        float64  `json:"memory_gb"`
				BandwidthGBps   float64  `json:"bandwidth_gb_per_s"`
				TDPW            *float64 `json:"tdp_w"`
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("zoo hardware json: %v\n%s", err, r.stdout)
		}
		if len(got.Hardware) != 48 { // README: 48 accelerators
			t.Errorf("%d devices, want 48", len(got.Hardware))
		}
		tiers := []string{"Cloud", "Workstation", "Mobile", "Edge", "Tiny"}
		seen := map[string]bool{}
		for _, h := range got.Hardware {
			if h.Key == "" || h.Name == "" || !slices.Contains(tiers, h.Tier) || h.PeakTFLOPS <= 0 || h.MemoryGB <= 0 || h.BandwidthGBps <= 0 {
				t.Errorf("incomplete entry %+v", h)
			}
			if seen[h.Key] {
				t.Errorf("duplicate key %s", h.Key)
			}
			seen[h.Key] = true
		}
		for _, h := range got.Hardware {
			// Values in the unit the key names, as the catalog states them
			// (catalog/data/hardware/cloud.yaml), without float noise.
			switch h.Key {
			case "H100":
				if h.PeakTFLOPS != 989 || h.MemoryGB != 85.89934592 || h.BandwidthGBps != 3350 || h.TDPW == nil || *h.TDPW != 700 {
					t.Errorf("H100 = %+v, want 989 TFLOP/s, 80 GiB = 85.89934592 GB, 3350 GB/s, 700 W", h)
				}
			case "A100":
				if h.PeakTFLOPS != 312 || h.BandwidthGBps != 2039 {
					t.Errorf("A100 = %+v, want 312 TFLOP/s, 2039 GB/s", h)
				}
			}
		}
		for _, k := range []string{"H100", "A100", "T4", "B200"} {
			if !seen[k] {
				t.Errorf("%s missing", k)
			}
		}
	})

	t.Run("all categories", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "zoo", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		obj := oneObject(t, r.stdout)
		// README: 48 accelerators, 34 workloads, 12 grid regions.
		// systems/engines.yaml: vllm, vllm-0.2, vllm-0.2.7, vllm-0.3, sglang, trtllm, trtllm-0.5.
		for cat, n := range map[string]int{"hardware": 48, "models": 34, "regions": 12, "fabrics": -1, "clusters": -1, "engines": 7} {
			list, ok := obj[cat].([]any)
			if !ok || len(list) == 0 || (n > 0 && len(list) != n) {
				t.Errorf("%s: %d entries, want %d (non-empty)", cat, len(list), n)
			}
		}
		text := mlsysim(t, "zoo")
		for _, title := range []string{"Hardware (48)", "Models (34)", "Grid regions (12)", "Network fabrics (", "Clusters (", "LLM serving engines (docs/PHYSICS.md §33) (7)"} {
			if !strings.Contains(text.stdout, title) {
				t.Errorf("zoo text lacks %q", title)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "zoo", "hardware", "-o", "csv")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, r.stdout)
		}
		if want := []string{"key", "name", "tier", "peak_tflops", "memory_gb", "bandwidth_gb_per_s", "tdp_w"}; !slices.Equal(recs[0], want) { // raw numbers, units in the names (qa13)
			t.Errorf("header %q, want %q", recs[0], want)
		}
		if len(recs) != 1+48 {
			t.Errorf("%d records, want header + 48", len(recs))
		}

		all := mlsysim(t, "zoo", "-o", "csv")
		cr := csv.NewReader(strings.NewReader(all.stdout))
		cr.Comment, cr.FieldsPerRecord = '#', -1
		recs, err = cr.ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, all.stdout)
		}
		headers := 0
		for _, rec := range recs {
			if rec[0] == "key" {
				headers++
			}
		}
		if headers != len(zooCategories) {
			t.Errorf("%d header rows in `zoo -o csv`, want one per category (%d)", headers, len(zooCategories))
		}
	})

	t.Run("markdown", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "zoo", "models", "-o", "markdown")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		if !strings.Contains(r.stdout, "\n| key | name |") || !strings.Contains(r.stdout, "|---|") || !strings.Contains(r.stdout, "| Llama3_8B |") {
			t.Errorf("no markdown table:\n%s", r.stdout)
		}
	})

	t.Run("unknown category", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "zoo", "plants")
		if r.code != exitBadInput || r.stdout != "" {
			t.Fatalf("want exit 1 and empty stdout\n%v", r)
		}
		for _, w := range append([]string{`"plants"`}, zooCategories...) {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr lacks %q: %s", w, r.stderr)
			}
		}
	})
}

func TestEvalTextExplains(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "eval", "Llama3_8B", "H100", "-b", "32")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("want exit 0 and empty stderr\n%v", r)
	}
	// Ridge point = F·η / BW = 989e12 · 0.5 / 3.35e12 FLOP/byte (H100 datasheet).
	ridge := fmt.Sprintf("ridge point %.4g", 989e12*0.5/3.35e12)
	for _, w := range []string{"Memory-bound", "Why:", "What would help:", ridge, "Llama3_8B on H100", "batch 32"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text scorecard lacks %q:\n%s", w, r.stdout)
		}
	}
}

// TestServePowerWithoutTDP: serving prices an accelerator without a catalog TDP at the
// seed's fallback (an H100's 700 W, physics.md "fallback TDP"); the text says the power is
// assumed, and says nothing of the kind for the H100, whose TDP is stated.
func TestServePowerWithoutTDP(t *testing.T) {
	t.Parallel()
	for hw, assumed := range map[string]bool{"IntelSGX": true, "Graphcore_GC200": true, "H100": false} {
		r := mlsysim(t, "serve", "GPT2_Small", hw)
		if r.code != exitOK {
			t.Fatalf("%s: %v", hw, r)
		}
		if got := strings.Contains(r.stdout, "(assumed: "+hw+" states no TDP"); got != assumed {
			t.Errorf("%s: power marked assumed = %v, want %v\n%s", hw, got, assumed, r.stdout)
		}
	}
}

// TestEvalEnergyWithoutTDP: the catalog states no TDP for Graphcore_GC200, IntelSGX and
// Untether_speedAI240 (registry-hardware.csv), so energy_j is 0; the scorecard must say the
// energy is unknown, not that a step of several microseconds took 0 J. H100's 700 W TDP
// gives a positive energy, printed as such.
func TestEvalEnergyWithoutTDP(t *testing.T) {
	t.Parallel()
	for _, hw := range []string{"Graphcore_GC200", "IntelSGX", "Untether_speedAI240"} {
		r := mlsysim(t, "eval", "ResNet50", hw)
		if r.code != exitOK {
			t.Fatalf("%s: %v", hw, r)
		}
		if want := "energy                 unknown: " + hw + " states no TDP"; !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, " 0 J per step") {
			t.Errorf("%s: scorecard lacks %q (or prints 0 J):\n%s", hw, want, r.stdout)
		}
	}
	r := mlsysim(t, "eval", "ResNet50", "H100")
	if r.code != exitOK || !strings.Contains(r.stdout, " J per step") || strings.Contains(r.stdout, "states no TDP") {
		t.Errorf("H100 (TDP 700 W): want an energy in J\n%v", r)
	}
}

// floatNoise matches fractions like 49.99999999999999 or 2039.0000000000002.
var floatNoise = regexp.MustCompile(`\d\.\d*(9{6,}|0{6,}[1-9])`)

func TestTextHasNoFloatNoise(t *testing.T) {
	for _, args := range [][]string{
		{"zoo"},
		{"zoo", "-o", "markdown"},
		{"zoo", "-o", "csv"},
		{"eval", "ResNet50", "A100"},
		{"eval", "Llama3_8B", "H100", "-b", "32", "-o", "markdown"},
		{"eval", "Llama3_70B", "T4"},
		{"serve", "Llama3_8B", "H100", "--seq-len", "4096", "--prefill-chunk-tokens", "512"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, args...)
			if r.code != exitOK {
				t.Fatalf("want exit 0\n%v", r)
			}
			for _, line := range strings.Split(r.stdout, "\n") {
				if floatNoise.MatchString(line) {
					t.Errorf("unrounded float in human output: %q", line)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		want   []string // each must appear in the message
		noJSON bool     // the case is about -o itself
	}{
		{"unknown model", []string{"eval", "Llama3_8b", "H100"}, []string{"MODEL", `"Llama3_8b"`, "did you mean Llama3_8B", "zoo models"}, false},
		{"unknown hardware", []string{"eval", "Llama3_8B", "H10"}, []string{"HARDWARE", `"H10"`, "did you mean H100", "zoo hardware"}, false},
		{"bad precision", []string{"eval", "Llama3_8B", "H100", "-p", "fp7"}, []string{"--precision", `"fp7"`, "fp32, tf32, fp16, bf16, fp8, int8, int4, fp4"}, false},
		{"fp8 recipe without an FP8 rate", []string{"eval", "Llama3_8B", "A100", "--training", "--fp8-recipe", "current"}, []string{"--fp8-recipe", "A100 has no measured FP8 matmul rate"}, false},
		{"fp8 recipe without training", []string{"eval", "Llama3_8B", "H100", "--fp8-recipe", "delayed"}, []string{"--fp8-recipe", "training step only"}, false},
		{"fp8 recipe for a CNN", []string{"eval", "ResNet50", "H100", "--training", "--fp8-recipe", "delayed"}, []string{"--fp8-recipe", "ResNet50"}, false},
		{"fp8 recipe unknown", []string{"eval", "Llama3_8B", "H100", "--training", "--fp8-recipe", "mxfp8"}, []string{"fp8_recipe", `"mxfp8"`, "none, delayed, current"}, false},
		{"transformer execution without training", []string{"eval", "Llama3_8B", "H100", "--transformer-execution", "eager"}, []string{"--transformer-execution", "training step only"}, false},
		{"transformer execution for a CNN", []string{"eval", "ResNet50", "H100", "--training", "--transformer-execution", "eager"}, []string{"--transformer-execution", "ResNet50"}, false},
		{"transformer execution under seed", []string{"--profile", "seed", "eval", "Llama3_8B", "H100", "--training", "--transformer-execution", "eager"}, []string{"--transformer-execution", "seed profile"}, false},
		{"transformer execution unknown", []string{"eval", "Llama3_8B", "H100", "--training", "--transformer-execution", "compiled"}, []string{"transformer_execution", `"compiled"`, "fused, eager"}, false},
		{"batch 0", []string{"eval", "Llama3_8B", "H100", "-b", "0"}, []string{"--batch-size", "= 0", "≥ 1"}, false},
		{"batch -3", []string{"eval", "Llama3_8B", "H100", "--batch-size", "-3"}, []string{"--batch-size", "-3", "≥ 1"}, false},
		{"serve batch 0", []string{"serve", "Llama3_8B", "H100", "-b", "0"}, []string{"--batch-size", "≥ 1"}, false},
		{"efficiency 0", []string{"eval", "Llama3_8B", "H100", "-e", "0"}, []string{"--efficiency", "= 0", "1]"}, false},
		{"efficiency 1.5", []string{"eval", "Llama3_8B", "H100", "--efficiency", "1.5"}, []string{"--efficiency", "1.5", "≤ 1"}, false},
		{"negative seq-len", []string{"eval", "Llama3_8B", "H100", "--seq-len", "-5"}, []string{"--seq-len", "-5", "≥ 1"}, false},
		{"serve negative seq-len", []string{"serve", "Llama3_8B", "H100", "-s", "-5"}, []string{"--seq-len", "≥ 1"}, false},
		{"zero-stage 4", []string{"eval", "Llama3_8B", "H100", "--training", "--zero-stage", "4"}, []string{"--zero-stage", "4", "[0, 3]"}, false},
		{"unknown flag", []string{"eval", "Llama3_8B", "H100", "--bogus"}, []string{"bogus", "not defined", "eval --help"}, false},
		{"unknown root flag", []string{"--bogus", "zoo"}, []string{"bogus", "--help"}, false},
		{"one argument", []string{"eval", "Llama3_8B"}, []string{"MODEL and HARDWARE", "got 1"}, false},
		{"three arguments", []string{"serve", "Llama3_8B", "H100", "A100"}, []string{"MODEL and HARDWARE", "got 3"}, false},
		{"zoo two arguments", []string{"zoo", "hardware", "models"}, []string{"at most one", "got 2"}, false},
		{"unknown zoo category", []string{"zoo", "plants"}, []string{`"plants"`, "hardware, models, regions, fabrics, clusters"}, false},
		{"unsupported format", []string{"eval", "Llama3_8B", "H100", "-o", "xml"}, []string{"--output", `"xml"`, "text, json, markdown"}, true},
		{"format not for eval", []string{"eval", "Llama3_8B", "H100", "-o", "csv"}, []string{"--output", `"csv"`, "text, json, markdown"}, true},
		{"format not for serve", []string{"-o", "csv", "serve", "Llama3_8B", "H100"}, []string{"--output", `"csv"`, "text, json, markdown"}, true},
		{"serve non-transformer", []string{"serve", "ResNet50", "A100"}, []string{"ResNet50", "transformer", "eval"}, false},
		{"prefill chunk 0", []string{"serve", "Llama3_8B", "H100", "--prefill-chunk-tokens", "0"}, []string{"--prefill-chunk-tokens", "> 0"}, false},
		{"prefill chunk -1", []string{"serve", "Llama3_8B", "H100", "--prefill-chunk-tokens", "-1"}, []string{"--prefill-chunk-tokens", "> 0"}, false},
		{"qps 0", []string{"serve", "Llama3_8B", "H100", "--qps", "0"}, []string{"--qps", "> 0", "got 0"}, false},
		{"qps -2", []string{"serve", "Llama3_8B", "H100", "--qps", "-2"}, []string{"--qps", "> 0", "got -2"}, false},
		{"qps NaN", []string{"serve", "Llama3_8B", "H100", "--qps", "NaN"}, []string{"--qps", "> 0", "got NaN"}, false},
		{"qps 1e9", []string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "1e9"}, []string{"--qps", "≤ 10000000"}, false},
		{"output tokens without qps", []string{"serve", "Llama3_8B", "H100", "--output-tokens", "64"}, []string{"--output-tokens", "add --qps"}, false},
		{"output tokens 0", []string{"serve", "Llama3_8B", "H100", "-b", "64", "--qps", "2", "--output-tokens", "0"}, []string{"--output-tokens", "≥ 1"}, false},
		{"qps without batch", []string{"serve", "Llama3_8B", "H100", "--qps", "2"}, []string{"--batch-size", "largest decode batch", "-b 256"}, false},
		{"model YAML unknown field", []string{"eval", fixture("bad_field.yaml"), "A100"}, []string{"bad_field.yaml:5:", "paramters"}, false},
		{"model YAML syntax", []string{"eval", fixture("bad_syntax.yaml"), "A100"}, []string{"bad_syntax.yaml:4:", "did not find expected"}, false},
		{"malformed config.json", []string{"eval", fixture("bad_json/config.json"), "H100"}, []string{"MODEL", filepath.Join("bad_json", "config.json") + ":5:", "malformed JSON"}, false},
		{"missing model file", []string{"eval", fixture("nothere.yaml"), "H100"}, []string{"nothere.yaml", "no such file"}, false},
		{"hardware file holds a model", []string{"eval", "ResNet50", fixture("tinynet.yaml")}, []string{"HARDWARE", "tinynet.yaml", "model"}, false},
		{"model file holds hardware", []string{"eval", fixture("extra.yaml"), "A100"}, []string{"MODEL", "extra.yaml", "hardware"}, false},
		{"missing catalog file", []string{"--catalog", fixture("nothere.yaml"), "zoo"}, []string{"--catalog", "nothere.yaml"}, false},
		{"duplicate catalog key", []string{"--catalog", fixture("extra.yaml"), "--catalog", fixture("extra.yaml"), "zoo"}, []string{"--catalog", "Testium", "duplicate"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mlsysim(t, tc.args...)
			if r.code != exitBadInput {
				t.Errorf("exit %d, want %d", r.code, exitBadInput)
			}
			if r.stdout != "" {
				t.Errorf("text mode: stdout not empty: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "mlsysim: bad input: ") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("stderr is not one `mlsysim: bad input: …` line: %q", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
			if tc.noJSON {
				return
			}
			j := mlsysim(t, append([]string{"-o", "json"}, tc.args...)...)
			if j.code != exitBadInput {
				t.Errorf("json mode: exit %d, want %d", j.code, exitBadInput)
			}
			obj := oneObject(t, j.stdout)
			equal(t, obj, "status", "error")
			equal(t, obj, "title", "Bad input")
			reason, _ := obj["reason"].(string)
			for _, w := range tc.want {
				if !strings.Contains(reason, w) {
					t.Errorf("json reason lacks %q: %s", w, reason)
				}
			}
		})
	}
}

// yaml.v3 reports parser errors (unlike scanner errors) one line early: it prints
// the 0-based mark (go-yaml/yaml#205).
func TestModelYAMLSyntaxErrorLine(t *testing.T) {
	r := mlsysim(t, "eval", fixture("bad_syntax.yaml"), "A100")
	m := regexp.MustCompile(`bad_syntax\.yaml(?::|: line )(\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no file:line in %q", r.stderr)
	}
	if line, _ := strconv.Atoi(m[1]); line < 4 || line > 6 {
		t.Errorf("reported line %d, want the unclosed list on line 4 (or where parsing fails after it, ≤ 6): %s", line, r.stderr)
	}
}

func TestModelFiles(t *testing.T) {
	t.Run("model YAML", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "eval", fixture("tinynet.yaml"), "A100", "-b", "4", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		obj := oneObject(t, r.stdout)
		// kernel/singlenode.go on A100 (312 TFLOP/s, 2039 GB/s, dispatch 0.015 ms) with
		// TinyNet (1e8 params, 1e11 FLOP per input, 10 layers), fp16, η 0.5, batch 4.
		const batch, weightBytes = 4.0, 1e8 * 2
		tComp := 1e11 * batch / (312e12 * 0.5) * 1e3
		tMem := weightBytes * (1 + 0.1*batch) / 2039e9 * 1e3
		overhead := 0.015 + 10*0.01
		latency := max(tComp, tMem) + overhead
		equal(t, obj, "scenario", "TinyNet on A100")
		near(t, obj, "f_memory_used_gb", weightBytes/1e9, tol)
		near(t, obj, "p_latency_compute", tComp, tol)
		near(t, obj, "p_latency_memory", tMem, tol)
		near(t, obj, "p_latency_overhead", overhead, tol)
		near(t, obj, "p_latency", latency, tol)
		near(t, obj, "p_throughput", batch/(latency/1e3), tol)
		equal(t, obj, "p_bottleneck", "Compute")
	})

	t.Run("config.json", func(t *testing.T) {
		t.Parallel()
		// Llama-3.1-8B's shapes: embeddings and untied head 2·V·h, final norm h, and per
		// layer Q,O (h·h each), K,V (h·kv·hd each), a SwiGLU MLP 3·h·I and two norms.
		const h, L, V, I, kvDim = 4096.0, 32.0, 128256.0, 14336.0, 8 * 128.0
		params := 2*V*h + h + L*(2*h*h+2*h*kvDim+3*h*I+2*h)
		if params != 8030261248 {
			t.Fatalf("test arithmetic: %v parameters, want 8030261248", params)
		}
		weightsGB := params * 2 / 1e9 // fp16: 16.060522496 GB

		r := mlsysim(t, "eval", fixture("Llama-3.1-8B/config.json"), "H100", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		obj := oneObject(t, r.stdout)
		equal(t, obj, "scenario", "Llama-3.1-8B on H100")
		near(t, obj, "f_memory_used_gb", weightsGB, 1e-12)
		equal(t, obj, "p_bottleneck", "Memory")

		s := mlsysim(t, "serve", fixture("Llama-3.1-8B/config.json"), "H100", "-o", "json")
		if s.code != exitOK {
			t.Fatalf("want exit 0\n%v", s)
		}
		near(t, oneObject(t, s.stdout), "weights_gb", weightsGB, 1e-12)
	})
}

func TestStrict(t *testing.T) {
	// Llama3_70B: 70.6e9 parameters × 2 B = 141.2 GB > T4's 16 GiB = 17.179869184 GB.
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "eval", "Llama3_70B", "T4", "--strict")
		if r.code != exitPhysics {
			t.Errorf("exit %d, want %d\n%v", r.code, exitPhysics, r)
		}
		if !strings.Contains(r.stdout, "out of memory") {
			t.Errorf("the scorecard should still be shown:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "--strict") || !strings.Contains(r.stderr, "memory") {
			t.Errorf("stderr should say why --strict failed: %q", r.stderr)
		}
	})
	t.Run("without strict", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "eval", "Llama3_70B", "T4", "-o", "json")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		obj := oneObject(t, r.stdout)
		equal(t, obj, "f_status", "FAIL")
		near(t, obj, "f_memory_used_gb", 70.6e9*2/1e9, tol)
		near(t, obj, "f_memory_capacity_gb", 16*(1<<30)/1e9, tol)
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "-o", "json", "eval", "Llama3_70B", "T4", "--strict")
		if r.code != exitPhysics {
			t.Errorf("exit %d, want %d", r.code, exitPhysics)
		}
		obj := oneObject(t, r.stdout)
		equal(t, obj, "f_status", "FAIL")
		hasKeys(t, obj, "scenario", "p_latency")
		if !strings.Contains(r.stderr, "--strict") {
			t.Errorf("stderr should carry the --strict message: %q", r.stderr)
		}
	})
	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "-o", "json", "serve", "Llama3_70B", "T4", "--strict")
		if r.code != exitPhysics {
			t.Errorf("exit %d, want %d", r.code, exitPhysics)
		}
		equal(t, oneObject(t, r.stdout), "feasible", false)
	})
	t.Run("feasible", func(t *testing.T) {
		t.Parallel()
		if r := mlsysim(t, "eval", "ResNet50", "A100", "--strict"); r.code != exitOK {
			t.Errorf("a feasible scenario with --strict: want exit 0\n%v", r)
		}
	})
}

func TestCatalogFlag(t *testing.T) {
	t.Parallel()
	extra := fixture("extra.yaml")
	r := mlsysim(t, "--catalog", extra, "--profile", "seed", "eval", "ResNet50", "Testium", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	// kernel/singlenode.go (seed: the whole-model roofline) with Testium (100 TFLOP/s, 10 GB, 1 TB/s, 100 W, default
	// dispatch 0.01 ms) and ResNet50 (8.2 GFLOP per input, 25.6e6 params, 50 layers).
	const peak, ops = 100e12, 8.2e9
	tComp := ops / (peak * 0.5) * 1e3
	latency := tComp + 0.01 + 50*0.01
	hfu := ops / (latency / 1e3) / peak
	equal(t, obj, "scenario", "ResNet50 on Testium")
	near(t, obj, "f_memory_capacity_gb", 10, tol)
	near(t, obj, "p_latency_compute", tComp, tol)
	near(t, obj, "p_latency_memory", 25.6e6*2*1.1/1e12*1e3, tol)
	near(t, obj, "p_latency", latency, tol)
	near(t, obj, "p_energy_j", 100*(0.30+0.70*hfu)*latency/1e3, tol)

	zoo := mlsysim(t, "zoo", "hardware", "-o", "json", "--catalog", extra)
	if zoo.code != exitOK || !strings.Contains(zoo.stdout, `"key": "Testium"`) {
		t.Errorf("zoo with --catalog should list Testium\n%v", zoo)
	}
	// The user entry belongs to that run only, not to the shared embedded catalog.
	if r := mlsysim(t, "eval", "ResNet50", "Testium"); r.code != exitBadInput {
		t.Errorf("Testium outlived its --catalog run\n%v", r)
	}
}

func TestWarningsGoToStderr(t *testing.T) {
	t.Parallel()
	// A100 states no fp8 rate: a warning, and stdout is still just the scorecard.
	r := mlsysim(t, "eval", "ResNet50", "A100", "-p", "fp8", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	oneObject(t, r.stdout)
	if !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr, "fp8") {
		t.Errorf("want an fp8 warning on stderr, got %q", r.stderr)
	}
}

func TestHelp(t *testing.T) {
	t.Run("root", func(t *testing.T) {
		t.Parallel()
		r := mlsysim(t, "--help")
		if r.code != exitOK {
			t.Fatalf("want exit 0\n%v", r)
		}
		for _, w := range []string{"Exit codes", "0  ok", "1  bad input", "2  physics violation", "3  a plan's"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("root --help lacks %q", w)
			}
		}
	})
	// Every registered command, including ones added later.
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(cmd.Name+" "+flag, func(t *testing.T) {
				t.Parallel()
				r := mlsysim(t, cmd.Name, flag)
				if r.code != exitOK || r.stderr != "" {
					t.Fatalf("want exit 0 and empty stderr\n%v", r)
				}
				if !strings.Contains(r.stdout, "mlsysim "+cmd.Name) || !strings.Contains(r.stdout, "USAGE") {
					t.Errorf("%s %s: no usage:\n%s", cmd.Name, flag, r.stdout)
				}
			})
		}
	}
}

// TestServeEngine: --engine names a catalog engine (the JSON says which one ran), an
// unknown one is bad input with the closest key; the same for optimize serving.
func TestServeEngine(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "serve", "Llama3_8B", "H100", "--engine", "trtllm", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%v", r)
	}
	equal(t, oneObject(t, r.stdout), "engine", "trtllm")
	for _, args := range [][]string{
		{"serve", "Llama3_8B", "H100", "--engine", "vlm"},
		{"optimize", "serving", "Llama3_8B", "--qps", "1", "--ttft-ms", "500", "--itl-ms", "50", "--engine", "vlm"},
	} {
		bad := mlsysim(t, args...)
		if bad.code != exitBadInput || !strings.Contains(bad.stderr, `--engine: unknown engine "vlm" (did you mean vllm?)`) {
			t.Errorf("%v: want exit %d naming --engine and vllm\n%v", args, exitBadInput, bad)
		}
	}
}

// TestEvalCNNCalibrated: under calibrated, ResNet-50 (which lists its convolutions) is
// priced layer by layer; fusing the elementwise layers (--cnn-execution) shortens the
// step, the scorecard says what bounds it, and a misspelt execution is bad input.
func TestEvalCNNCalibrated(t *testing.T) {
	t.Parallel()
	latency := func(exec string) float64 {
		r := mlsysim(t, "-o", "json", "eval", "ResNet50", "A100", "--training", "-b", "256", "--cnn-execution", exec)
		if r.code != exitOK {
			t.Fatalf("%s: %v", exec, r)
		}
		return oneObject(t, r.stdout)["p_latency"].(float64)
	}
	if eager, fused := latency("eager"), latency("fused_bn_act"); !(fused < eager) {
		t.Errorf("fused_bn_act step %g ms is not shorter than eager %g ms", fused, eager)
	}
	r := mlsysim(t, "eval", "ResNet50", "A100", "--training", "-b", "256")
	if r.code != exitOK || !strings.Contains(r.stdout, "each layer's roofline in turn") || !strings.Contains(r.stdout, "--cnn-execution fused_bn_act") {
		t.Errorf("eager scorecard lacks the layer-by-layer step or the fusion advice:\n%v", r)
	}
	r = mlsysim(t, "eval", "ResNet50", "A100", "--cnn-execution", "fused")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "--cnn-execution") || !strings.Contains(r.stderr, "fused_bn_act") {
		t.Errorf("a misspelt --cnn-execution: want exit 1 naming the flag and the choices\n%v", r)
	}
}

// TestEvalCNNMemory: the two wrong answers with exit 0 this issue fixed. ResNet-50 at
// batch 1024 stores ≈ 43 GB of FP16 feature maps for training (docs/PHYSICS.md §37),
// more than a T4's 17.2 GB, so --strict exits 2 where it passed with 0.4 GB; batch-256
// inference on an A100 holds over a GB of live feature maps, not 0.1 × weights. A model
// without a layer list says its footprint leaves the activations out.
func TestEvalCNNMemory(t *testing.T) {
	t.Parallel()
	r := mlsysim(t, "eval", "ResNet50", "T4", "--training", "--batch-size", "1024", "--strict")
	if r.code != exitPhysics || !strings.Contains(r.stdout, "out of memory") || !strings.Contains(r.stdout, "stored for the backward pass") {
		t.Errorf("want exit 2 and an out-of-memory scorecard naming the stored activations\n%v", r)
	}
	// The advice names the largest batch that fits, and it does: one more does not.
	m := regexp.MustCompile(`so -b (\d+) fits`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no smaller-batch advice:\n%s", r.stdout)
	}
	fit, _ := strconv.Atoi(m[1])
	for b, want := range map[int]string{fit: "PASS", fit + 1: "FAIL"} {
		obj := oneObject(t, mlsysim(t, "-o", "json", "eval", "ResNet50", "T4", "--training", "-b", strconv.Itoa(b)).stdout)
		equal(t, obj, "f_status", want)
	}
	obj := oneObject(t, mlsysim(t, "-o", "json", "eval", "ResNet50", "A100", "--batch-size", "256").stdout)
	equal(t, obj, "f_activation_memory", "counted")
	if act := obj["f_activation_memory_gb"].(float64); !(act > 1 && act < obj["f_memory_used_gb"].(float64)) {
		t.Errorf("f_activation_memory_gb %g: want over 1 GB and within the %v GB footprint", act, obj["f_memory_used_gb"])
	}
	r = mlsysim(t, "eval", "EfficientNetB0", "T4", "--training", "--batch-size", "1024")
	if r.code != exitOK || !strings.Contains(r.stdout, "activations not counted (no activation model for EfficientNetB0") {
		t.Errorf("want a note that EfficientNetB0's activations are not counted\n%v", r)
	}
	r = mlsysim(t, "--profile", "seed", "eval", "ResNet50", "T4", "--training", "--batch-size", "1024")
	if r.code != exitOK || !strings.Contains(r.stdout, "the seed profile counts none for a CNN") {
		t.Errorf("under seed: want the seed's PASS with a note that it counts no activations\n%v", r)
	}
}

// TestEvalAlexNetMemory: AlexNet (torchvision's single tower, catalog conv_layers)
// trained in FP16 at batch 4096 on a T4, counted by hand from its layers (docs/PHYSICS.md
// §37): the 3·220² input, each convolution's in-place ReLU output (the fully connected
// layers' 4096 + 4096; the logits keep nothing), the three max pools' outputs and as many
// int64 indices, plus 6e7 parameters × (2 + 2 + 12) bytes of weights, gradients and Adam
// state. 9.8 GB fits the T4's 16 GiB; batch 8192 (18.7 GB) does not.
func TestEvalAlexNetMemory(t *testing.T) {
	t.Parallel()
	convOut := 64*55*55 + 192*27*27 + 384*13*13 + 256*13*13 + 256*13*13 + 4096 + 4096.0
	pooled := 64*27*27 + 192*13*13 + 256*6*6.0
	perImage := (3*220*220+convOut+pooled)*2 + pooled*8
	states := 6e7 * (2 + 2 + 12)
	obj := oneObject(t, mlsysim(t, "-o", "json", "eval", "AlexNet", "T4", "--training", "--batch-size", "4096").stdout)
	equal(t, obj, "f_status", "PASS")
	equal(t, obj, "f_activation_memory", "counted")
	for _, g := range []struct {
		key  string
		want float64
	}{{"f_activation_memory_gb", 4096 * perImage / 1e9}, {"f_memory_used_gb", (4096*perImage + states) / 1e9}} {
		if got := obj[g.key].(float64); math.Abs(got-g.want) > 1e-9*g.want {
			t.Errorf("%s = %.6f, counted by hand %.6f", g.key, got, g.want)
		}
	}
	r := mlsysim(t, "eval", "AlexNet", "T4", "--training", "--batch-size", "8192", "--strict")
	if r.code != exitPhysics || !strings.Contains(r.stdout, "out of memory") {
		t.Errorf("batch 8192 stores %.1f GB of feature maps: want exit 2, out of memory\n%v", 8192*perImage/1e9, r)
	}
}

// failingWriter refuses every write, like a full disk or a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOutputWriteError: stdout is buffered, and a write that fails when the
// buffer is flushed still fails the command.
func TestOutputWriteError(t *testing.T) {
	var errb bytes.Buffer
	code := run(t.Context(), []string{"mlsysim", "walls"}, failingWriter{}, &errb)
	if code != exitIO || !strings.Contains(errb.String(), "no space left on device") {
		t.Errorf("walls to a failing stdout: exit %d, stderr %q; want exit 4 naming the write error", code, errb.String())
	}
}

// TestFmtBytes: a binary unit where the value is a whole number of the largest one it
// reaches (vendors' 80 GiB HBM), else decimal SI; DGX Spark's 128 GB (decimal, NVIDIA's
// datasheet) printed as "1.25e+08 KiB" before.
func TestFmtBytes(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{80 * (1 << 30), "80 GiB"},
		{128e9, "128 GB"},
		{1 << 20, "1 MiB"},
		{4e6, "4 MB"},
		{238e6, "238 MB"},
		{16e9, "16 GB"},
		{3 * (1 << 40), "3 TiB"},
	} {
		if got := fmtBytes(c.v); got != c.want {
			t.Errorf("fmtBytes(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestFmtGB: the scorecards' memory in decimal GB, or below 0.1 GB in its own SI unit —
// the nRF52840's 1 MiB (1,048,576 B) was "0.0 GB" beside an 880 GB need.
func TestFmtGB(t *testing.T) {
	for _, c := range []struct {
		gb   float64
		want string
	}{
		{85.89934592, "85.9 GB"}, {0.1, "0.1 GB"}, {0.001048576, "1.05 MB"}, {2e-5, "20 kB"}, {0, "0 B"},
	} {
		if got := fmtGB(c.gb); got != c.want {
			t.Errorf("fmtGB(%g) = %q, want %q", c.gb, got, c.want)
		}
	}
	r := mlsysim(t, "eval", "LeNet1", "nRF52840")
	if r.code != exitOK || !strings.Contains(r.stdout, "of 1.05 MB memory used") {
		t.Errorf("want the nRF52840's capacity as 1.05 MB\n%v", r)
	}
}

// jsonRows runs a query with -o json and decodes the list of objects.
func jsonRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	r := mlsysim(t, append([]string{"query", "-o", "json"}, args...)...)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("query %v: %v", args, r)
	}
	var rows []map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("stdout is not a JSON list: %v\n%s", err, r.stdout)
	}
	return rows
}

const queryGrid = `version: 1
name: query-test
study: serve
axes:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100]
  precision: [fp16, int8]
  batch_size: {pow2: [1, 64]}
  seq_len: [2048, 8192]
`

// smallSweep writes the 112-point serve sweep above and returns its folder.
func smallSweep(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.yaml")
	if err := os.WriteFile(grid, []byte(queryGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if r := mlsysim(t, "sweep", grid, "--out", out, "-q"); r.code != exitOK {
		t.Fatalf("sweep: %v", r)
	}
	return out
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%#v is not a number", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}
