package sweep

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// TestNodeCNNExecution: the enum's order is kernel.CNNExecution's; under calibrated the
// ResNet-50 training step slows from graph to fused_bn_act to eager (more feature-map
// passes), while seed ignores the parameter and keeps its 0.1 × weights traffic.
func TestNodeCNNExecution(t *testing.T) {
	st, err := StudyByName("node")
	if err != nil {
		t.Fatal(err)
	}
	p, _, _ := st.Param("cnn_execution")
	for name, want := range map[string]kernel.CNNExecution{"eager": kernel.CNNEager, "fused_bn_act": kernel.CNNFusedBNAct, "graph": kernel.CNNGraph} {
		if got := slices.Index(p.Enum, name); got != int(want) {
			t.Errorf("cnn_execution %q has code %d, kernel.CNNExecution %d", name, got, want)
		}
	}
	thr := func(profile, exec string) float64 {
		row := evalOne(t, fmt.Sprintf("version: 1\nstudy: node\nprofile: %s\naxes:\n  model: ResNet50\n  hardware: A100\n  precision: fp16\n  batch_size: 256\n  training: true\n  cnn_execution: %s\n", profile, exec))
		return row["throughput_per_s"].(float64)
	}
	eager, fused, graph := thr("calibrated", "eager"), thr("calibrated", "fused_bn_act"), thr("calibrated", "graph")
	if !(eager < fused && fused < graph) {
		t.Errorf("calibrated images/s: eager %g, fused_bn_act %g, graph %g; want increasing", eager, fused, graph)
	}
	if a, b := thr("seed", "eager"), thr("seed", "graph"); a != b {
		t.Errorf("seed images/s depend on cnn_execution: %g vs %g", a, b)
	}
}

// TestNodeResNet50FeatureMaps checks the catalog ResNet-50's feature maps against a count
// made here from He et al. (2016) Table 1, not from the catalog's layer list: a 224×224×3
// image; the 7×7 stem writes 64×112², its 3×3 stride-2 max pool 64×56² (kept with its
// int64 argmax indices for the backward); stages of 3, 4, 6, 3 bottleneck blocks of width
// 64, 128, 256, 512 at 56², 28², 14², 7², each block's 1×1, 3×3 and 1×1 (4× width)
// convolutions followed by batch norm and ReLU (the last after the residual add), and a
// projection (batch norm only) in each stage's first block.
func TestNodeResNet50FeatureMaps(t *testing.T) {
	image, stem := 3.0*224*224, 64.0*112*112
	pooled := 64.0 * 56 * 56
	stored := image + 2*stem + pooled // the image (the stem's saved input), its output, ReLU output and pooled map
	indices := pooled                 // int64, 8 bytes each
	liveEager, liveGraph, residual := image+2*stem, image+stem, 0.0
	prevOut, prevSide := 64.0, 56.0 // after the stem's max-pool
	for s, blocks := range []int{3, 4, 6, 3} {
		width, side := 64.0*float64(int(1)<<s), 56.0/float64(int(1)<<s)
		for b := 0; b < blocks; b++ {
			// v1.5: a stage's first block keeps its first 1×1 at the input side and
			// strides in the 3×3.
			in, inSide := prevOut*prevSide*prevSide, prevSide
			if b > 0 {
				in, inSide = prevOut*side*side, side
			}
			c1, c2, c3 := width*inSide*inSide, width*side*side, 4*width*side*side
			stored += 2 * (c1 + c2 + c3) // each convolution's output and its ReLU's
			layers := [][2]float64{{in, c1}, {c1, c2}, {c2, c3}}
			if b == 0 {
				stored += c3 // the projection's output, batch norm's saved input
				layers = append(layers, [2]float64{in, c3})
			}
			for _, l := range layers {
				liveEager = max(liveEager, l[0]+2*l[1])
				liveGraph = max(liveGraph, l[0]+l[1])
			}
			residual = max(residual, c3)
			prevOut = 4 * width
		}
		prevSide = side
	}
	if stored != 21073920 {
		t.Fatalf("hand count of stored elements = %g; the test's own arithmetic drifted from 21,073,920", stored)
	}
	row := func(profile, exec string, training bool, batch int) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nstudy: node\nprofile: %s\naxes:\n  model: ResNet50\n  hardware: A100\n  precision: fp16\n  batch_size: %d\n  training: %v\n  cnn_execution: %s\n", profile, batch, training, exec))
	}
	for _, tc := range []struct {
		exec     string
		training bool
		bytes    float64 // per image, FP16
	}{
		{"eager", true, stored*2 + indices*8}, {"graph", true, stored*2 + indices*8},
		{"eager", false, (liveEager + residual) * 2}, {"graph", false, (liveGraph + residual) * 2},
	} {
		r := row("calibrated", tc.exec, tc.training, 8)
		checkGolden(t, r, []golden{{"activation_memory_gb", 8 * tc.bytes / 1e9, 1e-12}})
		if r["activation_memory"] != "counted" {
			t.Errorf("%s training=%v: activation_memory %v, want counted", tc.exec, tc.training, r["activation_memory"])
		}
	}
}

// TestNodeCNNMemoryFeasibility: NVIDIA DeepLearningExamples trains ResNet-50 v1.5 with
// AMP at batch 256 on a 16 GB T4 (PyTorch/Classification/ConvNets/configs.yml), so that
// point must fit; batch 1024 stores four times the feature maps (≈ 43 GB) and must not.
// Under seed the footprint stays the seed's weights + gradients + Adam state, and says
// it counts no activations.
func TestNodeCNNMemoryFeasibility(t *testing.T) {
	point := func(profile string, batch int, training bool) map[string]any {
		return evalOne(t, fmt.Sprintf("version: 1\nstudy: node\nprofile: %s\naxes:\n  model: ResNet50\n  hardware: T4\n  precision: fp16\n  batch_size: %d\n  training: %v\n", profile, batch, training))
	}
	checkInfeasible(t, point("calibrated", 256, true), "", "2 Memory")
	checkInfeasible(t, point("calibrated", 1024, true), "out_of_memory", "2 Memory")
	seed := point("seed", 1024, true)
	checkInfeasible(t, seed, "", "1 Compute")
	checkGolden(t, seed, []golden{{"memory_footprint_gb", (2*2.56e7*2 + 12*2.56e7) / 1e9, 1e-12}, {"activation_memory_gb", 0, 0}})
	if seed["activation_memory"] != "seed_profile" {
		t.Errorf("seed activation_memory %v, want seed_profile", seed["activation_memory"])
	}
	// Inference: the live feature maps grow with the batch, the weights do not.
	small, large := point("calibrated", 64, false), point("calibrated", 256, false)
	a, b := small["activation_memory_gb"].(float64), large["activation_memory_gb"].(float64)
	if a <= 0 || math.Abs(b-4*a) > 1e-12*b {
		t.Errorf("inference activations %g GB at batch 64, %g GB at 256; want positive and ×4", a, b)
	}
	if d := large["memory_footprint_gb"].(float64) - small["memory_footprint_gb"].(float64); math.Abs(d-(b-a)) > 1e-9 {
		t.Errorf("footprint grew by %g GB from batch 64 to 256, activations by %g GB", d, b-a)
	}
}

// TestNodeActivationMemoryReasons: a footprint without activations says why.
func TestNodeActivationMemoryReasons(t *testing.T) {
	for _, tc := range []struct{ model, training, want string }{
		{"ResNet18", "true", "counted"},
		{"AlexNet", "false", "counted"},
		{"EfficientNetB0", "true", "no_layer_list"},
		{"MobileNetV2", "false", "counted"},
		{"Llama3_8B", "false", "inference_kv_cache"},
		{"Llama3_8B", "true", "counted"},
	} {
		row := evalOne(t, fmt.Sprintf("version: 1\nstudy: node\naxes:\n  model: %s\n  hardware: H100\n  training: %s\n", tc.model, tc.training))
		if row["activation_memory"] != tc.want {
			t.Errorf("%s training=%s: activation_memory %v, want %s", tc.model, tc.training, row["activation_memory"], tc.want)
		}
	}
}

// TestNodeTrainingIsOneAcceleratorFleet: under calibrated, eval --training (the node
// study) prices a transformer's step and memory as the fleet study does on a cluster of
// one accelerator (built as a plan builds its cluster, catalog.AddFleet), output for
// output and bit for bit. The seed keeps its roofline (its goldens: validate --profile seed).
func TestNodeTrainingIsOneAcceleratorFleet(t *testing.T) {
	cat := testCatalog().Clone()
	cases := []struct{ model, hw, extra string }{
		{"Llama3_8B", "H100", "  seq_len: 8192\n"},
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 4\n  activation_recomputation: true\n"},
		{"GPT2", "A100", "  seq_len: 1024\n  batch_size: 8\n"},
		{"Mixtral_8x7B", "H200", "  seq_len: 4096\n  precision: bf16\n"},
		{"GPT2_Small", "T4", "  seq_len: 1024\n  batch_size: 2\n  zero_stage: 1\n"},
		// Both values of transformer_execution, which eval --training takes as a flag.
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 2\n  precision: bf16\n  transformer_execution: fused\n"},
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 2\n  precision: bf16\n  transformer_execution: eager\n"},
		{"Mixtral_8x7B", "H200", "  seq_len: 1024\n  precision: bf16\n  transformer_execution: eager\n"},
		// FP8 GEMMs with and without FP8 primary weights (eval --fp8-recipe, --fp8-params).
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 2\n  precision: bf16\n  fp8_recipe: delayed\n"},
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 2\n  precision: bf16\n  fp8_recipe: delayed\n  fp8_params: true\n"},
		{"Llama3_8B", "H100", "  seq_len: 2048\n  batch_size: 2\n  precision: bf16\n  fp8_recipe: current\n  fp8_params: true\n"},
		{"Mixtral_8x7B", "H200", "  seq_len: 1024\n  precision: bf16\n  fp8_recipe: current\n  fp8_params: true\n"},
	}
	for i, c := range cases {
		key, err := cat.AddFleet(catalog.FleetSpec{Key: fmt.Sprintf("one_%d", i), Accelerator: c.hw, AcceleratorsPerNode: 1, Nodes: 1, FabricBytesPerS: 50e9, Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		node := evalOneIn(t, cat, fmt.Sprintf("version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: %s\n  hardware: %s\n  training: true\n%s", c.model, c.hw, c.extra))
		fleet := evalOneIn(t, cat, fmt.Sprintf("version: 1\nstudy: fleet\nprofile: calibrated\naxes:\n  model: %s\n  cluster: %s\n%s", c.model, key, c.extra))
		name := c.model + " on " + c.hw
		if node["transformer_layered"] != true {
			t.Errorf("%s: transformer_layered %v, want true", name, node["transformer_layered"])
		}
		for _, pair := range [][2]string{{"latency_ms", "step_latency_ms"}, {"latency_compute_ms", "node_latency_ms"},
			{"latency_memory_ms", "optimizer_ms"}, {"throughput_per_s", "fleet_throughput_per_s"}, {"tokens_per_step", "tokens_per_step"},
			{"tokens_per_s", "tokens_per_s"}, {"mfu", "mfu"}, {"hfu", "hfu"}, {"memory_footprint_gb", "memory_per_accelerator_gb"},
			{"activation_memory_gb", "activations_gb"}, {"memory_utilization", "memory_utilization"}, {"feasible", "feasible"}} {
			if node[pair[0]] != fleet[pair[1]] {
				t.Errorf("%s: node %s = %v, fleet %s = %v", name, pair[0], node[pair[0]], pair[1], fleet[pair[1]])
			}
		}
	}
}

// TestNodeFP8Params: the node study reads fp8_params, so the FP8 cases of the equality
// above test two steps each. Llama-3 8B's linear weights per layer, by hand: QKV
// h·(h + 2·kv·d) = 4096·6144, the output projection 4096², the gated MLP 3·4096·14336,
// 218,103,808 in all; × 32 layers = 6,979,321,856. FP8 primary weights drop their BF16
// copy, 2 bytes each: 13.958643712 GB less in the footprint (docs/PHYSICS.md §35, "FP8
// primary weights"); activations are unchanged, and the step is shorter (the weights'
// transpose rebuilt from 1 byte instead of a cast from 2). Without a recipe the axis is
// refused, naming it.
func TestNodeFP8Params(t *testing.T) {
	src := "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  precision: bf16\n  seq_len: 2048\n  batch_size: 2\n  fp8_recipe: current\n  fp8_params: %v\n"
	bf16, fp8 := evalOne(t, fmt.Sprintf(src, false)), evalOne(t, fmt.Sprintf(src, true))
	const linear = 32 * (4096*6144 + 4096*4096 + 3*4096*14336)
	checkGolden(t, fp8, []golden{{"memory_footprint_gb", bf16["memory_footprint_gb"].(float64) - linear*2*1e-9, 1e-12},
		{"activation_memory_gb", bf16["activation_memory_gb"].(float64), 0}})
	if f, b := fp8["latency_compute_ms"].(float64), bf16["latency_compute_ms"].(float64); !(f < b) {
		t.Errorf("layers' time with FP8 primary weights %v ms, with BF16 ones %v ms: want shorter (no cast from BF16)", f, b)
	}
	p := mustPlan(t, "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  precision: bf16\n  fp8_params: true\n")
	if err := p.SetProfile(p.Profile); err == nil || !strings.Contains(err.Error(), "axis fp8_params") {
		t.Errorf("fp8_params true with fp8_recipe none: error %v, want one naming axis fp8_params", err)
	}
}

// TestNodeTransformerExecutionMatters: the node study reads transformer_execution: an
// eager step (PyTorch's op-by-op elementwise kernels, docs/PHYSICS.md §35) is slower than
// the fused one and stores more, so the equality above for both values tests two steps.
func TestNodeTransformerExecutionMatters(t *testing.T) {
	src := "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  precision: bf16\n  seq_len: 2048\n  batch_size: 2\n  transformer_execution: %s\n"
	fused, eager := evalOne(t, fmt.Sprintf(src, "fused")), evalOne(t, fmt.Sprintf(src, "eager"))
	if f, e := fused["latency_compute_ms"].(float64), eager["latency_compute_ms"].(float64); !(e > f) {
		t.Errorf("layers' time eager %v ms, fused %v ms: the eager step runs more elementwise passes and kernels", e, f)
	}
	if fused["latency_memory_ms"] != eager["latency_memory_ms"] {
		t.Errorf("optimizer pass fused %v, eager %v: the execution changes the layers only", fused["latency_memory_ms"], eager["latency_memory_ms"])
	}
	// GPT-NeoX's layer (kernel.NeoXLayerElementwise) moves more than the fused passes and,
	// with no FP32 norms or rotary, less than the eager Llama block on this shape.
	neox := evalOne(t, fmt.Sprintf(src, "gpt-neox"))
	if f, n, e := fused["latency_compute_ms"].(float64), neox["latency_compute_ms"].(float64), eager["latency_compute_ms"].(float64); !(f < n && n < e) {
		t.Errorf("layers' time fused %v, gpt-neox %v, eager %v ms: want gpt-neox between", f, n, e)
	}
}

// TestNodeTrainingMemoryByHand: Llama-3.1-8B, one 8,192-token sequence on an H100, by
// hand from Korthikanti et al. 2022 §4.1 (per layer, FlashAttention storing no s²
// scores nor dropout masks: s·(4h·2 [QKV, MLP and two norm inputs] + 2·(2h + 2h·kv/a
// [Q, projection input, K, V] + 3·ffn [gate, up, down inputs]))), plus the embedding's
// 1-byte mask s·h, the last norm, output-layer input and FP32 logits 4·s·h·(1 + V/h)·2/2,
// and the training state: BF16 weights, FP32 gradients, FP32 Adam (2 + 4 + 12 bytes per
// parameter) with a 5 % gradient bucket. The optimizer's step reads and writes
// 48 + 2 bytes per parameter at the H100's measured HBM rate. The earlier node path
// counted 380 GB here (unfused attention scores, 5·a·s/h bytes per element).
func TestNodeTrainingMemoryByHand(t *testing.T) {
	m, err := testCatalog().ModelByKey("Llama3_8B")
	if err != nil {
		t.Fatal(err)
	}
	h100, err := testCatalog().HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	const s, h, a, kv, ffn, L, V = 8192.0, 4096.0, 32.0, 8.0, 14336.0, 32.0, 128256.0
	if float64(m.HiddenDim) != h || float64(m.Heads) != a || float64(m.KVHeads) != kv || float64(m.Layers) != L || float64(m.VocabSize) != V {
		t.Fatalf("catalog Llama3_8B shape changed: h %d a %d kv %d L %d V %d", m.HiddenDim, m.Heads, m.KVHeads, m.Layers, m.VocabSize)
	}
	P := m.Parameters
	perLayer := s * (4*h*2 + 2*(2*h+2*h*kv/a+3*ffn))
	act := L*perLayer + s*h + 4*s*h*(1+V/h)*2/2
	total := 18*P + 0.05*4*P + act
	row := evalOne(t, "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  seq_len: 8192\n")
	checkGolden(t, row, []golden{{"activation_memory_gb", act * 1e-9, 1e-12}, {"memory_footprint_gb", total * 1e-9, 1e-12},
		{"latency_memory_ms", P * 50 / h100.AchievableBandwidth() * 1e3, 1e-12}, {"tokens_per_step", 8192, 0}})
	// Power follows the step's HFU between 30 % and 100 % of the H100's 700 W (§5.1's rule).
	hfu, step := row["hfu"].(float64), row["latency_ms"].(float64)/1e3
	checkGolden(t, row, []golden{{"energy_j", h100.TDPW * (0.3 + 0.7*hfu) * step, 1e-12},
		{"latency_ms", (row["latency_compute_ms"].(float64) + row["latency_memory_ms"].(float64)), 1e-12}})
	if row["feasible"] != false || row["infeasible_reason"] != "out_of_memory" {
		t.Errorf("feasible %v, reason %v: 8B with FP32 gradients and Adam (%.0f GB) does not fit 80 GB", row["feasible"], row["infeasible_reason"], total*1e-9)
	}
}

// TestNodeTrainingZeROShardsTheOptimizer: with ZeRO ≥ 1 over dp_size ranks each rank's
// optimizer pass reads and writes its 1/dp_size shard (Rajbhandari et al. 2020): for
// Llama-3.1-8B on an H100, P·(48 + 2) bytes / 8 at the measured HBM rate, by hand; the
// layers' time does not change, and the step is their sum.
func TestNodeTrainingZeROShardsTheOptimizer(t *testing.T) {
	m, _ := testCatalog().ModelByKey("Llama3_8B")
	h100, _ := testCatalog().HardwareByKey("H100")
	src := "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: Llama3_8B\n  hardware: H100\n  training: true\n  seq_len: 4096\n  zero_stage: %d\n  dp_size: 8\n"
	alone, sharded := evalOne(t, fmt.Sprintf(src, 0)), evalOne(t, fmt.Sprintf(src, 1))
	opt := m.Parameters * 50 / h100.AchievableBandwidth() / 8 * 1e3
	layers := alone["latency_compute_ms"].(float64)
	checkGolden(t, sharded, []golden{{"latency_memory_ms", opt, 1e-12}, {"latency_compute_ms", layers, 0},
		{"latency_ms", layers + opt, 1e-12}, {"throughput_per_s", 1 / ((layers + opt) / 1e3), 1e-12}})
	if a, s := alone["mfu"].(float64), sharded["mfu"].(float64); math.Abs(s/a-alone["latency_ms"].(float64)/(layers+opt)) > 1e-12 {
		t.Errorf("mfu %v sharded, %v alone: want the ratio of the steps", s, a)
	}
}
