package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestServeCalibrated: the serve study wires the calibrated physics with the catalog's
// measured H100 attributes (BabelStream Triad 2.97 TB/s; FP8 matmul efficiency 0.709 when
// efficiency is 0) and the default engine, vLLM: 4 matmuls and 6 other kernels per layer
// (vllm/model_executor/models/llama.py), no step overhead (async scheduling). Llama3_8B
// FP8, batch 4096, S 256: the step's FLOPs at 1979 TFLOP/s · 0.709 outlast its bytes, so
// ITL is that plus 32 layers × 10 kernels and compute binds; the seed runs at η 0.5 and
// stays memory-bound.
func TestServeCalibrated(t *testing.T) {
	eval := func(profile string) map[string]any {
		return evalOne(t, "version: 1\nstudy: serve\nprofile: "+profile+
			"\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp8]\n  batch_size: 4096\n  seq_len: 256\n")
	}
	cal, seed := eval("calibrated"), eval("seed")
	cat := catalog.MustDefault()
	m, err := cat.ModelByKey("Llama3_8B")
	if err != nil {
		t.Fatal(err)
	}
	h, err := cat.HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	peak, _ := h.PeakFor("fp8")
	eff, ok := h.GEMMEfficiencyFor("fp8")
	if !ok || eff != 0.709 || h.AchievableBandwidth() != 2.97e12 {
		t.Fatalf("catalog H100: fp8 efficiency %v (%v), bandwidth %v", eff, ok, h.AchievableBandwidth())
	}
	coef := kernel.AttentionFLOPsCoef(float64(m.Layers), float64(m.Heads), float64(m.HiddenDim))
	flops := (2*m.Parameters + coef*256) * 4096 / (peak * eff)
	kv := kernel.KVElemsPerToken(32, 32, 8, 4096, 0, 0) * 256 * 4096
	if bytes := (m.Parameters + kv) / 2.97e12; !(flops > bytes) {
		t.Fatalf("the fixture should be compute-bound: %v vs %v", flops, bytes)
	}
	e, err := cat.EngineByKey(DefaultEngine)
	if err != nil || e.NonMatmulKernels != 6 || e.StepOverheadS != 0 {
		t.Fatalf("catalog vllm engine: %+v, %v", e, err)
	}
	// Each matmul on its own (docs/PHYSICS.md §33): at 4096 rows every weight matmul of
	// Llama 3 8B (QKV 6144, output 4096, gate and up 28672, down 4096 wide) is a whole
	// number of 256×128-tile rows over 6, 4, 28 and 4 waves of the H100's 132 SMs, each
	// wave 128 of 132 busy, and the output layer (4096 × 128256) 16,032 tiles in 122
	// waves; each writes its FP8 result (epilogue). The output layer stays 16-bit (an FP8
	// checkpoint quantises the layers' linear operators only): its weights and logits at 2
	// bytes, its math at the BF16 rate 989 TFLOP/s · 0.803, as vLLM's attention core
	// (FLOP-bound), which computes on 16-bit queries. Then the 16-bit activations the other kernels read and write per token and layer: two
	// residual-add RMSNorms (4 × 4096 each), the attention's query and output (2 × 4096),
	// SiLU-and-multiply (2 × 14336 in, 14336 out), at the measured bandwidth.
	rate, bw := peak*eff, 2.97e12
	const T, hd = 4096.0, 4096.0
	var gemms float64
	for _, g := range [][2]float64{{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}} {
		gemms += 2*T*g[0]*g[1]/(rate*128/132) + T*g[0]/bw
	}
	rate16 := 989e12 * 0.803
	qHead := T * 128256 / (122 * 132 * 256 * 128)
	head := 2*T*128256*hd/(rate16*qHead) + T*128256*2/bw
	attn := math.Max(coef*256*4096/rate16, kv/bw)
	act := T * float64(m.Layers) * (8*hd + 2*hd + 3*14336) * 2 / bw
	want := (float64(m.Layers)*gemms + head + attn + act + float64(m.Layers)*10*kernel.KernelS) * 1e3
	if got := cal["itl_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("calibrated itl_ms %v, want %v", got, want)
	}
	if cal["efficiency_used"] != 0.709 || seed["efficiency_used"] != 0.5 {
		t.Errorf("efficiency used: calibrated %v, seed %v; want 0.709, 0.5", cal["efficiency_used"], seed["efficiency_used"])
	}
	if cal["binding_wall"] != "1 Compute" || seed["binding_wall"] != "2 Memory" {
		t.Errorf("binding wall calibrated %v, seed %v; want 1 Compute, 2 Memory", cal["binding_wall"], seed["binding_wall"])
	}
}

// TestServeEngine: the engine parameter reaches the kernel. vLLM launches 6 kernels per
// layer besides the matmuls and TensorRT-LLM 4 (systems/engines.yaml), so on one H100 the
// decode step of Llama3_8B differs by 32 layers × 2 kernels × KernelS; step_overhead_ms
// adds to the engine's own; an unknown engine is refused with the closest key.
func TestServeEngine(t *testing.T) {
	row := func(extra string) map[string]any {
		return evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: 8\n  seq_len: 256\n"+extra)
	}
	vllm, trt := row("  engine: vllm\n"), row("  engine: trtllm\n")
	if vllm["engine"] != "vllm" || trt["engine"] != "trtllm" {
		t.Fatalf("engine columns %v, %v", vllm["engine"], trt["engine"])
	}
	diff := vllm["itl_ms"].(float64) - trt["itl_ms"].(float64)
	if want := 32 * 2 * kernel.KernelS * 1e3; math.Abs(diff-want) > 1e-9 {
		t.Errorf("vllm − trtllm ITL %v ms, want %v", diff, want)
	}
	extra := row("  engine: vllm\n  step_overhead_ms: 1.5\n")
	if d := extra["itl_ms"].(float64) - vllm["itl_ms"].(float64); math.Abs(d-1.5) > 1e-9 {
		t.Errorf("step_overhead_ms 1.5 added %v ms", d)
	}
	_, err := planErr("g.yaml", []byte("version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  engine: [vlm]\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown engine "vlm" (did you mean vllm?)`) || !strings.Contains(err.Error(), "g.yaml:") {
		t.Errorf("unknown engine: %v", err)
	}
}

// TestServeExchangeBandwidth: calibrated, the tensor-parallel all-reduces run at the
// scale-up link's measured bus bandwidth (H100: 370 GB/s, nccl-tests issue #212), the seed
// at its per-direction line rate (450 GB/s). Llama3_70B BF16 at tp 4, batch 1: a decode
// step all-reduces one token's 8192 16-bit activations twice in each of 80 layers, each
// by vLLM's one-shot kernel (8.7 µs + 2 × 0.52 µs at tp 4) plus 2·3/4 of the message at
// the bus bandwidth; by NCCL for TensorRT-LLM v0.5.
func TestServeExchangeBandwidth(t *testing.T) {
	row := evalOne(t, "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n"+
		"  precision: [bf16]\n  tp: 4\n  batch_size: 1\n  seq_len: 1024\n")
	msg := 8192.0 * 2
	want := 2 * 80 * (2*3.0/4*msg/370e9 + 8.7e-6 + 2*0.52e-6) * 1e3
	if got := row["tp_comm_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("tp_comm_ms %v, want %v (the all-reduces at the measured bus bandwidth)", got, want)
	}
	// TensorRT-LLM v0.5 all-reduces through NCCL (allreduce: nccl): its LL protocol for
	// 16 KiB at 4 NVLink ranks, 6.6 µs + 6 × 0.6 µs and 2·3/4 of the message at LL's
	// 87.7 GB/s (NVIDIA/nccl v2.20.3 tuning.cc).
	row = evalOne(t, "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_70B]\n  hardware: [H100]\n"+
		"  precision: [bf16]\n  tp: 4\n  batch_size: 1\n  seq_len: 1024\n  engine: trtllm-0.5\n")
	want = 2 * 80 * (6.6e-6 + 6*0.6e-6 + 2*3.0/4*msg/87.7e9) * 1e3
	if got := row["tp_comm_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("trtllm-0.5 tp_comm_ms %v, want %v (NCCL's LL ring)", got, want)
	}
	// vLLM's V0 engine of December 2023 to April 2024 (vllm-0.3) all-reduced with NCCL
	// too. Llama2_70B FP16 on A100 at tp 4, batch 64: a decode step all-reduces
	// 64 × 8192 × 2 B = 1 MiB twice in each of 80 layers; NCCL's cheapest ring protocol
	// for it over NVLink 3 (bus 230 GB/s) is LL128, 14 µs + 6 × 1.9 µs + 2·3/4 · 1 MiB at
	// 0.92 × 230 GB/s = 32.83 µs (LL: 6.6 + 3.6 + 27.4 = 37.6 µs; Simple: 8.4 + 20.4 + 6.8
	// = 35.6 µs), so 160 × 32.83 µs = 5.253 ms a step, where vLLM's later one-shot kernel
	// (the vllm entry) gives 160 × (8.7 + 2 × 0.52 + 6.84) µs = 2.653 ms.
	row = evalOne(t, "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama2_70B]\n  hardware: [A100]\n"+
		"  precision: [fp16]\n  tp: 4\n  batch_size: 64\n  seq_len: 384\n  engine: vllm-0.3\n")
	msg = 64 * 8192 * 2
	want = 2 * 80 * (14e-6 + 6*1.9e-6 + 2*3.0/4*msg/(0.92*230e9)) * 1e3
	if got := row["tp_comm_ms"].(float64); math.Abs(got-want) > 1e-9*want || math.Abs(got-5.253) > 1e-3 {
		t.Errorf("vllm-0.3 tp_comm_ms %v, want %v (NCCL's LL128 ring)", got, want)
	}
	row = evalOne(t, "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama2_70B]\n  hardware: [A100]\n"+
		"  precision: [fp16]\n  tp: 4\n  batch_size: 64\n  seq_len: 384\n  engine: vllm\n")
	want = 2 * 80 * (2*3.0/4*msg/230e9 + 8.7e-6 + 2*0.52e-6) * 1e3
	if got := row["tp_comm_ms"].(float64); math.Abs(got-want) > 1e-9*want {
		t.Errorf("vllm tp_comm_ms %v, want %v (its one-shot kernel)", got, want)
	}
	// vllm-0.2 splits Mixtral's 8 experts whole over the tp ranks and refuses more ranks
	// than experts (vLLM's MixtralMoE of pull request #2090); vllm-0.3's routed layer
	// shards the experts over 16 ranks.
	for engine, want := range map[string]string{"vllm-0.2": "ep_exceeds_experts", "vllm-0.3": ""} {
		row = evalOne(t, "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Mixtral_8x7B]\n  hardware: [H100]\n"+
			"  precision: [bf16]\n  tp: 16\n  tp_across_nodes: true\n  batch_size: 1\n  seq_len: 1024\n  engine: "+engine+"\n")
		if got, _ := row["infeasible_reason"].(string); got != want {
			t.Errorf("%s at tp 16: infeasible_reason %q, want %q", engine, got, want)
		}
	}
}

// TestServeAllReduceWorkspace: TensorRT-LLM's own all-reduce kernels take a message up to
// their workspace, 8 × 10⁶ bytes beyond two ranks (catalog allreduce_max_message,
// customAllReduceUtils.h), and NCCL takes a larger one. Llama3_405B FP8 at tp 8 on H100:
// a decode step all-reduces batch · 16384 · 2 bytes twice in each of 126 layers, so 244
// sequences (7,995,392 bytes) stay on the kernel (4.5 µs + 6 × 0.55 µs plus 2·7/8 of the
// message at 370 GB/s) and 245 (8,028,160 bytes) go to NCCL, the fastest of its ring
// protocols (NVIDIA/nccl v2.20.3 tuning.cc: LL 6.6 + 14 × 0.6 µs at 87.7 GB/s, LL128
// 14 + 14 × 1.9 µs at 0.92 of the bus, Simple 8.4 + 14 × 3.4 µs at the bus) and NVLS, which
// the H100's NVSwitch runs at eight ranks (v2.20.5: 23 µs + m / (5/6 · 8/9 · 370 GB/s));
// NVLS it is, 23 + 29.3 µs against Simple's 56 + 38.0, and it is charged its pipelined run
// (kernel.NVLSAllReduceRun: below 8 MiB 16 KiB chunks, one step of 16 · 8 · 16 KiB = 2 MiB
// over all channels, two more through the link: 23 µs + (m + 4 MiB) / 274.07 GB/s).
func TestServeAllReduceWorkspace(t *testing.T) {
	comm := func(batch int) float64 {
		row := evalOne(t, fmt.Sprintf("version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [Llama3_405B]\n  hardware: [H100]\n"+
			"  precision: [fp8]\n  tp: 8\n  batch_size: %d\n  seq_len: 1024\n  engine: trtllm\n", batch))
		return row["tp_comm_ms"].(float64)
	}
	ring := 2 * 7.0 / 8
	m := 244 * 16384 * 2.0
	want := 2 * 126 * (ring*m/370e9 + 4.5e-6 + 6*0.55e-6) * 1e3
	if got := comm(244); math.Abs(got-want) > 1e-9*want {
		t.Errorf("244 sequences: tp_comm_ms %v, want %v (the engine's kernel)", got, want)
	}
	m = 245 * 16384 * 2.0
	nccl := min(6.6e-6+14*0.6e-6+ring*m/87.7e9, 14e-6+14*1.9e-6+ring*m/(0.92*370e9), 8.4e-6+14*3.4e-6+ring*m/370e9,
		23e-6+m*9/(8*5.0/6*370e9))
	if nvls := 23e-6 + m*9/(8*5.0/6*370e9); nccl != nvls {
		t.Fatalf("245 sequences: NVLS %g is not NCCL's choice %g", nvls, nccl)
	}
	want = 2 * 126 * (23e-6 + (m+2*2<<20)*9/(8*5.0/6*370e9)) * 1e3
	if got := comm(245); math.Abs(got-want) > 1e-9*want {
		t.Errorf("245 sequences: tp_comm_ms %v, want %v (NCCL above the workspace)", got, want)
	}
}

// TestServeAttentionPrecision: the engine decides whether FP8 weights bring FP8
// attention. Llama3_8B FP8 on one H100, a 2048-token prompt: TensorRT-LLM as trtllm-bench
// builds it runs the attention core (causal: 4·32·4096·2048·1024.5 FLOPs, compute-bound) at
// the FP8 matmul rate (1979 TFLOP/s · 0.709; the catalog has no FP8 attention kernel
// measurement), TensorRT-LLM v0.5 at the H100's 16-bit fused attention rate (989 · 0.35,
// FlashAttention-3's abstract on FlashAttention-2), and launches one more kernel per
// layer (its unfused MLP); nothing else differs at tp 1. With int8 weights (W8A8)
// neither runs FP8 attention: only the kernel differs.
func TestServeAttentionPrecision(t *testing.T) {
	row := func(engine, prec string) float64 {
		r := evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: ["+prec+"]\n"+
			"  batch_size: 1\n  seq_len: 2048\n  engine: "+engine+"\n")
		return r["ttft_ms"].(float64)
	}
	flops := kernel.AttentionFLOPsCoef(32, 32, 4096) * 2048 * 1024.5
	kernels := 32 * kernel.KernelS * 1e3
	want := (flops/(989e12*0.35)-flops/(1979e12*0.709))*1e3 + kernels
	if d := row("trtllm-0.5", "fp8") - row("trtllm", "fp8"); math.Abs(d-want) > 1e-9*want {
		t.Errorf("fp8: trtllm-0.5 − trtllm TTFT %v ms, want %v", d, want)
	}
	if d := row("trtllm-0.5", "int8") - row("trtllm", "int8"); math.Abs(d-kernels) > 1e-9*kernels {
		t.Errorf("int8: trtllm-0.5 − trtllm TTFT %v ms, want %v (the kernel only)", d, kernels)
	}
}

// TestServeAttentionRate: with the efficiency left to the catalog (0), a 16-bit attention
// core runs at the accelerator's measured fused-attention rate (H100: 0.35 of 989 TFLOP/s,
// FlashAttention-3's abstract on FlashAttention-2); a point that fixes the efficiency runs
// everything at it. Llama3_8B BF16 on one H100, one 2048-token prompt: fixing the
// efficiency at the catalog's own BF16 matmul value (0.803) leaves the matmuls and the
// output layer as they were, so the TTFTs differ by the causal attention's
// 4·32·4096·2048·1024.5 FLOPs at the two rates (compute-bound at both).
func TestServeAttentionRate(t *testing.T) {
	ttft := func(eff string) float64 {
		r := evalOne(t, "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [bf16]\n"+
			"  batch_size: 1\n  seq_len: 2048\n  efficiency: "+eff+"\n")
		return r["ttft_ms"].(float64)
	}
	flops := kernel.AttentionFLOPsCoef(32, 32, 4096) * 2048 * 1024.5
	want := (flops/(989e12*0.35) - flops/(989e12*0.803)) * 1e3
	if d := ttft("0") - ttft("0.803"); math.Abs(d-want) > 1e-9*want {
		t.Errorf("auto − fixed efficiency TTFT %v ms, want %v", d, want)
	}
}

// TestServeUnderLoad: serve's qps. Without it the load columns are 0 and the fixed batch
// decides; under it a batch_size memory cannot hold at full context is only the engine's
// cap (the load's largest batch is what memory holds), a rate past capacity is
// overloaded, and the per-token cost is the steady state's: qps · output_tokens tokens/s.
// The capacity is checked against serve's own rows: one prompt's prefill (ttft_ms at
// batch 1, seq_len 1024) and the decode step at the mean context of 257 generated tokens,
// 1024 + 257 − 256/2 = 1153 (itl_ms at batch 64, seq_len 1153), as 64 requests over 64
// prefills and 256 steps.
func TestServeUnderLoad(t *testing.T) {
	const head = "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  precision: [fp16]\n"
	rows := checkStudyGrid(t, head+"  seq_len: 1024\n  output_tokens: 257\n  batch_size: [64, 4096]\n  qps: [0, 2, 50]\n",
		"out_of_memory", "overloaded")
	at := func(batch, qps float64) map[string]any {
		for _, r := range rows {
			if r["batch_size"] == batch && r["qps"] == qps {
				return r
			}
		}
		t.Fatalf("no row at batch %v, qps %v", batch, qps)
		return nil
	}
	loadCols := []string{"load_concurrency", "load_decode_batch", "load_ttft_ms", "load_tpot_ms",
		"load_prefill_utilization", "load_max_batch", "load_capacity_qps", "load_poisson_capacity_qps", "load_utilization"}
	for _, b := range []float64{64, 4096} {
		for _, c := range loadCols {
			if v := at(b, 0)[c]; v != 0.0 {
				t.Errorf("batch %v without qps: %s = %v, want 0", b, c, v)
			}
		}
		for _, q := range []float64{2, 50} {
			if at(b, q)["itl_ms"] != at(b, 0)["itl_ms"] || at(b, q)["ttft_ms"] != at(b, 0)["ttft_ms"] {
				t.Errorf("batch %v, qps %v: the fixed batch's columns changed", b, q)
			}
		}
	}
	checkInfeasible(t, at(4096, 0), "out_of_memory", "4 Serving")
	checkInfeasible(t, at(64, 50), "overloaded", "4 Serving")
	steady := at(4096, 2)
	checkInfeasible(t, steady, "", "2 Memory")
	if m := steady["load_max_batch"].(float64); !(m > 64 && m < 4096) {
		t.Errorf("largest batch %v: want what 80 GB holds at 1281 tokens, between 64 and 4096", m)
	}
	// Its memory is the load's, b̄ + 1 sequences at the full context 1024 + 257 = 1281 (the
	// wall's slack already was), from serve's own rows: memory is linear in the batch, so
	// u(b) = u(1) + (b − 1)·(u(2) − u(1)). The cap's 4096 sequences put this feasible row at
	// several times the memory.
	u1 := evalOne(t, head+"  seq_len: 1281\n  batch_size: 1\n")["memory_utilization"].(float64)
	u2 := evalOne(t, head+"  seq_len: 1281\n  batch_size: 2\n")["memory_utilization"].(float64)
	seqs := steady["load_decode_batch"].(float64) + 1
	// The wall's slack is what is left of the default engine's budget, vLLM's 0.9 of the
	// memory (gpu_memory_utilization; catalog engines.yaml), as a share of the memory.
	checkGolden(t, steady, []golden{{"memory_utilization", u1 + (seqs-1)*(u2-u1), 1e-12},
		{"wall_4_serving_slack", 0.9 - (u1 + (seqs-1)*(u2-u1)), 1e-12}})
	if u := at(4096, 0)["memory_utilization"].(float64); !(u > 1) {
		t.Errorf("the fixed batch of 4096 at 1024 tokens uses %v of memory, want > 1 (out of memory)", u)
	}
	low := at(64, 2)
	checkGolden(t, low, []golden{{"tokens_per_s_per_accelerator", 2 * 257, 1e-15}, {"tokens_per_s_per_user", 1e3 / low["load_tpot_ms"].(float64), 1e-15}})

	prefill := evalOne(t, head+"  seq_len: 1024\n  batch_size: 1\n")["ttft_ms"].(float64) / 1e3
	step := evalOne(t, head+"  seq_len: 1153\n  batch_size: 64\n")["itl_ms"].(float64) / 1e3
	// At capacity a pass takes the prompts vLLM's budget allows (its max_model_len with
	// chunked prefill off, Llama 3's 131,072 tokens: all 64 of 1024), so a prompt's share is
	// the fixed batch of 64's TTFT over 64 (docs/PHYSICS.md §34.7); under the load's mean
	// state a prompt is prefilled alone.
	pass := evalOne(t, head+"  seq_len: 1024\n  batch_size: 64\n")["ttft_ms"].(float64) / 1e3
	capacity := 64 / (256*step + pass)
	// Under Poisson arrivals (§34.8) the replica turns overloaded where the slots' hold fills
	// them, between one prompt a pass's rate, 64/(256·step + 64·prefill), and the queued
	// capacity; load_utilization is qps over it.
	poisson := low["load_poisson_capacity_qps"].(float64)
	if onePass := 64 / (256*step + 64*prefill); !(onePass < poisson && poisson < capacity) {
		t.Errorf("Poisson capacity %v, want between one prompt a pass's %v and the queued %v", poisson, onePass, capacity)
	}
	checkGolden(t, low, []golden{{"load_capacity_qps", capacity, 1e-12}, {"load_utilization", 2 / poisson, 1e-12},
		{"load_prefill_utilization", 2 * prefill, 1e-12}})
	for _, r := range []map[string]any{low, steady} {
		if ttft := r["load_ttft_ms"].(float64); !(ttft > prefill*1e3) {
			t.Errorf("batch %v: loaded TTFT %v ms, want above one prompt's prefill %v ms", r["batch_size"], ttft, prefill*1e3)
		}
	}
}

// TestServeUnderLoadContext: under a request rate each request holds its prompt and its
// generated tokens, so the context window must hold seq_len + output_tokens, as serve-sim
// and serve-deploy require: 130,000 + 2,000 = 132,000 tokens exceed Llama3_8B's 131,072
// (a feasible row before, beside serve-sim's exceeds_context), while the fixed batch of
// 130,000 tokens fits, and 129,000 + 2,000 = 131,000 fits under the rate.
func TestServeUnderLoadContext(t *testing.T) {
	const head = "version: 1\nstudy: serve\nfixed:\n  hardware: H100\n  batch_size: 1\n  output_tokens: 2000\naxes:\n  model: [Llama3_8B]\n"
	rows := checkStudyGrid(t, head+"  seq_len: [129000, 130000]\n  qps: [0, 0.01]\n", "exceeds_context")
	for _, r := range rows {
		want := ""
		if r["seq_len"] == 130000.0 && r["qps"] == 0.01 {
			want = "exceeds_context"
		}
		if got, _ := r["infeasible_reason"].(string); got != want {
			t.Errorf("seq_len %v, qps %v: infeasible_reason %q, want %q", r["seq_len"], r["qps"], got, want)
		}
	}
	sim := evalOne(t, "version: 1\nstudy: serve-sim\nfixed:\n  hardware: H100\n  batch_size: 1\n  output_tokens: 2000\n  seq_len: 130000\n  qps: 0.01\naxes:\n  model: [Llama3_8B]\n")
	checkInfeasible(t, sim, "exceeds_context", "") // refused before any wall (binding.go)
}
