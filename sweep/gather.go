package sweep

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// The gather step: catalog attributes become per-code tables once per plan, and
// per-point columns are filled by indexing those tables with the point's codes.

var precisionParam = Param{Name: "precision", Kind: KindEnum, Default: "fp16", Enum: precisionNames(),
	Doc: "numeric format of weights and math"}

func precisionNames() []string {
	n := make([]string, len(kernel.Precisions))
	for i, p := range kernel.Precisions {
		n[i] = p.String()
	}
	return n
}

var (
	modelParam    = Param{Name: "model", Kind: KindModel, Doc: "catalog model key (mlsysim zoo models)"}
	hardwareParam = Param{Name: "hardware", Kind: KindHardware, Doc: "catalog hardware key (mlsysim zoo hardware)"}
	effParam      = Param{Name: "efficiency", Kind: KindFloat, Default: "0.5", Min: MinEfficiency, Max: 1,
		Doc: "achieved fraction of peak FLOP/s (MFU-like), in [1e-06, 1]"}
	// stepEffParam is effParam for the studies whose calibrated steps price GEMMs at an
	// accelerator's measured matmul rate where it has one: there the value is not read.
	stepEffParam = Param{Name: effParam.Name, Kind: effParam.Kind, Default: effParam.Default, Min: effParam.Min, Max: effParam.Max,
		Doc: "achieved fraction of peak FLOP/s (MFU-like), in [1e-06, 1]; calibrated: a layered step (a transformer's training step, a CNN that lists its convolutions) runs its GEMMs at the accelerator's measured matmul rate at the precision where the catalog has one and does not read this value (docs/PHYSICS.md §35–36)"}
	batchParam = Param{Name: "batch_size", Kind: KindInt, Default: "1", Min: 1, Doc: "samples or sequences per step"}
	seqParam   = Param{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Unit: "tokens", Doc: "sequence length in tokens"}
	// dpShardParam is hybrid sharding's shard group (docs/PHYSICS.md §35), shared by the
	// studies that price ZeRO's memory or traffic.
	dpShardParam = Param{Name: "dp_shard", Kind: KindInt, Default: "0", Min: 0, Max: MaxCount,
		Doc: "calibrated, ZeRO ≥ 1: data-parallel ranks the ZeRO state is sharded over (hybrid sharding, HSDP: sharded within a group, replicated across dp / dp_shard groups whose gradient shards are all-reduced); 0 = all of dp; it divides dp and ep divides it (else dp_shard_does_not_divide_dp); at most 2^24, a count of ranks"}
	// fp8RecipeParam is a knob of its own beside precision, which stays the format of
	// what is stored and moved: FP8 training keeps BF16 weights, activations and
	// collectives and runs only the linear GEMMs in FP8 (docs/PHYSICS.md §35).
	fp8RecipeParam = Param{Name: "fp8_recipe", Kind: KindEnum, Default: "none", Enum: []string{"none", "delayed", "current", "blockwise"},
		Doc: "calibrated training: FP8 mixed precision as Transformer Engine runs it — the transformer layers' linear GEMMs on FP8 inputs with per-tensor scales from the amax history (delayed) or from each tensor's own amax (current), or one scale per 1×128 activation tile and 128×128 weight block (blockwise, DeepSeek-V3's), everything else in precision (bf16, fp16 or fp32); needs an accelerator with a measured FP8 matmul rate, catalog gemm_efficiency fp8 (else unsupported_by_hardware); none: every GEMM in precision"}
	// fp8ParamsParam is FP8 primary weights (kernel.StepIn.FP8Params,
	// kernel.TrainMemIn.FP8Params), one parameter of the fleet, node and train-memory
	// studies so that eval --training --fp8-params, train-memory and a fleet grid price
	// the same run alike (docs/PHYSICS.md §35, "FP8 primary weights").
	fp8ParamsParam = Param{Name: "fp8_params", Kind: KindBool, Default: "false",
		Doc: "calibrated, with fp8_recipe delayed, current or blockwise: the linear layers' primary weights are FP8 tensors (Megatron-Core's fp8_param_gather, TE's fp8_model_init; Megatron-Bridge's FP8 recipes set it) — no 16-bit copy of them in memory, ZeRO gathers them in 1 byte (fleet), and a step rebuilds their transpose once instead of casting them from the training precision (fleet, node); refused where fp8_recipe is none everywhere (so under seed too)"}
)

// transformerExecutionParam is how a calibrated transformer training step runs its layers'
// elementwise work (kernel.StepIn.Eager), one parameter of the fleet and node studies so
// that eval --training and a fleet grid take the same values.
var transformerExecutionParam = Param{Name: "transformer_execution", Kind: KindEnum, Default: "fused", Enum: []string{"fused", "eager", "gpt-neox"},
	Doc: "calibrated transformer training: how the layer's norms, activation and residual adds run — fused (one pass each: Megatron-LM's fused kernels, torch.compile), eager (op by op as a PyTorch eager Llama block: FP32 norms, FP32 rotary on Q and K, autograd's gradient accumulations, a fixed cost per kernel) or gpt-neox (GPT-NeoX v1.0's layer as the Pythia and 20B configurations run it: LayerNorm, unfused bias adds, the partial rotary's slices and cats, the copies around Flash Attention, one tensor-parallel all-reduce forward for the parallel residual, a fixed cost per kernel)"}

// transformer_execution's codes for eager and gpt-neox (its Enum order: fused, eager, gpt-neox).
const (
	execEager = 1
	execNeoX  = 2
)

// attentionKernelParam is the fused attention kernel a calibrated training step runs,
// one parameter of the fleet study: its measured rate is the accelerator's for that
// kernel (docs/PHYSICS.md §35, "Attention kernel").
var attentionKernelParam = Param{Name: "attention_kernel", Kind: KindEnum, Default: "flash2", Enum: []string{"flash2", "flash1"},
	Doc: "calibrated, with flash_attention: the fused attention kernel and so its measured rate — flash2 (FlashAttention-2, catalog attention_efficiency) or flash1 (FlashAttention-1, the kernel of stacks before July 2023, xformers' among them: catalog attention_efficiency_flash1; an accelerator without that measurement is unsupported_by_hardware)"}

// attnFlash1 is attention_kernel's code for flash1 (its Enum order: flash2, flash1).
const attnFlash1 = 1

// checkFP8Recipe refuses FP8 mixed precision where it has no meaning: under the seed
// profile, whose step has no FP8 GEMMs, and beside a precision of 8 bits or fewer,
// where there is nothing wider left to keep.
func checkFP8Recipe(p *Plan) error {
	r := p.valuesOf("fp8_recipe")
	if r == nil || !slices.ContainsFunc(r.Nums, func(v float64) bool { return v != float64(kernel.FP8None) }) {
		return nil
	}
	if !p.Calibrated() {
		return fmt.Errorf("axis fp8_recipe: FP8 mixed precision is a term of the calibrated training step; the seed profile has none (its precision sets the bytes of everything); use fp8_recipe none, or --profile calibrated")
	}
	prec := p.valuesOf("precision")
	for i, v := range prec.Nums {
		if kernel.Precision(v).Bytes() < 2 {
			return fmt.Errorf("axis precision: %s beside fp8_recipe: FP8 mixed precision keeps weights, activations and collectives in a 16- or 32-bit precision and runs only the linear GEMMs in FP8; use precision bf16 (or fp16, fp32) with fp8_recipe, or fp8_recipe none", prec.text(i))
		}
	}
	return nil
}

// checkFP8Params refuses FP8 primary weights where nothing is FP8: fp8_params true on a
// grid whose fp8_recipe is none everywhere (the seed profile refuses every other
// recipe), which would otherwise price BF16 weights and say nothing (docs/PHYSICS.md §35).
func checkFP8Params(p *Plan) error {
	f := p.valuesOf("fp8_params")
	if f == nil || !slices.Contains(f.Nums, 1) {
		return nil
	}
	if r := p.valuesOf("fp8_recipe"); r != nil && slices.ContainsFunc(r.Nums, func(v float64) bool { return v != float64(kernel.FP8None) }) {
		return nil
	}
	return fmt.Errorf("axis fp8_params: FP8 primary weights need FP8 GEMMs, but fp8_recipe is none; add fp8_recipe delayed, current or blockwise (calibrated profile), or drop fp8_params")
}

// modelTable holds per-model attributes indexed by model code.
type modelTable struct {
	family                                []kernel.Family
	isTransformer                         []bool
	params, active, layers, hidden, heads []float64
	inferenceFLOPs, modelSize, steps      []float64
	attnCoef, kvPerToken                  []float64
	expertsPerToken                       []float64
	routingGroups, routingGroupTopK       []float64 // group-limited routing (n_group, topk_group); 0 = none
	context                               []float64 // context_tokens, 0 when the catalog does not know it
	window, windowLayers                  []float64 // sliding_window (tokens) and sliding_window_layers; 0 = none
	windowed                              bool      // some model of the plan has a sliding window

	// The calibrated training step's shape of each model (mlpShape), and its FLOP
	// conventions: forward FLOPs per token of a layer without the attention scores, of
	// the output layer, and the active parameters (6·P·tokens).
	kvHeads, vocab, ffn, experts, expertParams    []float64
	gated                                         []bool
	trainLayerFLOPs, trainLogitFLOPs, trainActive []float64
	// arch is a structured model's layers (archShape; the zero value for a plain one),
	// with its expert width, gating and routed experts' parameters for the training step.
	arch                      []kernel.Arch
	archFFN, archExpertParams []float64
	archGated                 []bool

	conv [][]kernel.ConvShape // a CNN's convolutions for the calibrated node study (nil: none listed)
}

// exceedsContext reports a sequence of model code m longer than the model's context
// window. A model whose window the catalog does not know (context_tokens 0) is not checked.
func (t *modelTable) exceedsContext(m int, tokens float64) bool {
	return t.context[m] > 0 && tokens > t.context[m]
}

// checkTrainingProfile is the profile check of a study that prices training steps (node,
// fleet, train-memory): its FP8 recipe and FP8 primary weights, then, where the plan has a
// training point (training), the calibrated step's model shapes.
func checkTrainingProfile(p *Plan, training bool) error {
	if err := checkFP8Recipe(p); err != nil {
		return err
	}
	if err := checkFP8Params(p); err != nil {
		return err
	}
	return calibratedTrainingShape(p, training)
}

// calibratedTrainingShape refuses, under the calibrated profile, a transformer whose
// entry lacks the width or heads the calibrated training step and its activation memory
// (Korthikanti et al. 2022) are computed from: without them those come out NaN and the
// point would read as out of memory. The seed profile assumes a width of 4096, as the
// seed does. training reports whether the plan has a training point at all.
func calibratedTrainingShape(p *Plan, training bool) error {
	if !p.Calibrated() || !training {
		return nil
	}
	for _, m := range p.Models {
		var missing []string
		if m.HiddenDim == 0 {
			missing = append(missing, "hidden_dim")
		}
		if m.Heads == 0 {
			missing = append(missing, "heads")
		}
		if m.Family.IsTransformer() && len(missing) > 0 {
			return fmt.Errorf("the calibrated training step needs %s of %s, which its entry does not state; add them (docs/CATALOG.md, or a Hugging Face config.json's hidden_size and num_attention_heads), or use --profile seed", strings.Join(missing, " and "), m.Key)
		}
	}
	return nil
}

var familyCode = map[catalog.Family]kernel.Family{
	catalog.Transformer: kernel.Transformer, catalog.MoE: kernel.MoE, catalog.CNN: kernel.CNN,
	catalog.SSM: kernel.SSM, catalog.Diffusion: kernel.Diffusion, catalog.Embodied: kernel.Generic, catalog.Generic: kernel.Generic,
}

func newModelTable(ms []*catalog.Model) *modelTable {
	t := &modelTable{}
	for _, m := range ms {
		l, h, hd := float64(m.Layers), float64(m.HiddenDim), float64(m.Heads)
		t.family = append(t.family, familyCode[m.Family])
		t.isTransformer = append(t.isTransformer, m.Family.IsTransformer())
		t.params = append(t.params, m.Parameters)
		t.active = append(t.active, m.ActiveParameters)
		t.layers = append(t.layers, l)
		t.hidden = append(t.hidden, h)
		t.heads = append(t.heads, hd)
		t.inferenceFLOPs = append(t.inferenceFLOPs, m.InferenceFLOPs)
		t.modelSize = append(t.modelSize, m.ModelSizeBytes)
		t.steps = append(t.steps, float64(m.DenoisingSteps))
		t.expertsPerToken = append(t.expertsPerToken, float64(m.ActiveExpertsPerToken))
		t.routingGroups = append(t.routingGroups, float64(m.RoutingGroups))
		t.routingGroupTopK = append(t.routingGroupTopK, float64(m.RoutingGroupTopK))
		t.context = append(t.context, float64(m.ContextTokens))
		t.window, t.windowLayers = append(t.window, float64(m.SlidingWindow)), append(t.windowLayers, float64(m.SlidingWindowLayers))
		t.windowed = t.windowed || m.SlidingWindow > 0
		t.attnCoef = append(t.attnCoef, kernel.AttentionFLOPsCoef(l, hd, h))
		t.kvPerToken = append(t.kvPerToken, kernel.KVElemsPerToken(l, hd, float64(m.KVHeads), h,
			float64(m.KVLoraRank), float64(m.QKRopeHeadDim)))
		ffn, gated, expertParams := mlpShape(m)
		t.kvHeads = append(t.kvHeads, float64(m.KVHeads))
		t.vocab = append(t.vocab, float64(m.VocabSize))
		t.ffn = append(t.ffn, ffn)
		t.gated = append(t.gated, gated)
		t.experts = append(t.experts, float64(m.Experts))
		t.expertParams = append(t.expertParams, expertParams)
		t.trainLayerFLOPs = append(t.trainLayerFLOPs, kernel.LayerForwardFLOPs(h, cmp.Or(hd, kernel.DefaultHeads), float64(m.KVHeads), ffn, float64(m.ActiveExpertsPerToken), gated))
		t.trainLogitFLOPs = append(t.trainLogitFLOPs, 2*h*float64(m.VocabSize))
		t.trainActive = append(t.trainActive, cmp.Or(m.ActiveParameters, m.Parameters))
		t.conv = append(t.conv, convShapes(m.ConvLayers))
		a, affn, agated, arouted := archShape(m)
		t.arch = append(t.arch, a)
		t.archFFN, t.archGated, t.archExpertParams = append(t.archFFN, affn), append(t.archGated, agated), append(t.archExpertParams, arouted)
	}
	return t
}

// trainShape is model code m's MLP width, gating and routed experts' parameters as the
// calibrated training step and its memory price them, and its layer structure: a
// structured model's (archShape; its expert width) or nil for a plain one. The fleet,
// node and train-memory studies share it, so one model keeps one shape in all three.
func (t *modelTable) trainShape(m int) (ffn float64, gated bool, expertParams float64, arch *kernel.Arch) {
	if a := &t.arch[m]; !a.Plain() {
		return t.archFFN[m], t.archGated[m], t.archExpertParams[m], a
	}
	return t.ffn[m], t.gated[m], t.expertParams[m], nil
}

// archShape is a model's layer structure for the calibrated training step where its
// entry states one (DeepSeek-V3's dense first layers, shared experts, latent attention
// widths; docs/PHYSICS.md §35, "DeepSeek-V3's layers"): the structure, a routed expert's
// width, whether its MLPs are gated (SwiGLU: the count of kernel.ArchParams nearer the
// entry's parameters, as mlpShape decides) and the routed experts' parameters. A plain
// model gives the zero Arch.
func archShape(m *catalog.Model) (a kernel.Arch, ffn float64, gated bool, routed float64) {
	structured := m.DenseLayers > 0 || m.SharedExperts > 0 || m.ExpertIntermediateDim > 0 || m.QKNopeHeadDim > 0
	if !structured || !m.Family.IsTransformer() || m.HiddenDim == 0 || m.Layers == 0 || m.Heads == 0 {
		return kernel.Arch{}, 0, false, 0
	}
	a = kernel.Arch{DenseLayers: float64(m.DenseLayers), DenseFFN: float64(m.DenseIntermediateDim), SharedExperts: float64(m.SharedExperts),
		MTP: float64(m.MTPLayers)}
	if m.QKNopeHeadDim > 0 {
		a.QLoraRank, a.KVLoraRank = float64(m.QLoraRank), float64(m.KVLoraRank)
		a.QKNope, a.QKRope, a.VHead = float64(m.QKNopeHeadDim), float64(m.QKRopeHeadDim), float64(m.VHeadDim)
	}
	ffn = float64(cmp.Or(m.ExpertIntermediateDim, m.IntermediateDim))
	if ffn == 0 {
		ffn, _, _ = mlpShape(m)
	}
	L, h, heads := float64(m.Layers), float64(m.HiddenDim), float64(m.Heads)
	experts, topk := float64(m.Experts), float64(m.ActiveExpertsPerToken)
	best := math.Inf(1)
	for _, mats := range []float64{2, 3} {
		total, r, _, _ := kernel.ArchParams(L, h, heads, float64(m.KVHeads), float64(m.VocabSize), experts, topk, ffn, mats, &a)
		if d := math.Abs(total/m.Parameters - 1); d < best {
			best, gated, routed = d, mats == 3, r
		}
	}
	return a, ffn, gated, routed
}

// convShapes turns a CNN's catalog convolutions into the per-sample shapes
// kernel.CNNStep prices.
func convShapes(ls []catalog.ConvLayer) []kernel.ConvShape {
	if len(ls) == 0 {
		return nil
	}
	out := make([]kernel.ConvShape, len(ls))
	for i, l := range ls {
		side, in := float64(l.Size), float64(l.In)
		inSide := side * float64(l.Stride)
		pool, groups := float64(l.Pool), float64(max(l.Groups, 1))
		out[i] = kernel.ConvShape{Pixels: side * side, In: in, Out: float64(l.Out), Taps: float64(l.Kernel * l.Kernel),
			InElems: in * inSide * inSide, Count: float64(l.Count), Groups: groups, BN: strings.HasPrefix(l.After, "bn"), Shortcut: l.Shortcut,
			ReLU: strings.HasSuffix(l.After, "relu"), Add: strings.Contains(l.After, "add"), PoolPixels: pool * pool}
	}
	return out
}

// InferredMLPWidth reports whether the calibrated training step infers m's MLP width
// from its parameter count, because the entry states no intermediate_dim (GPT4, whose
// architecture is not public), and the width mlpShape then uses: per expert for a MoE,
// plain (two matmuls). The scorecard says so, so an inferred shape does not read as a
// published one. A model whose entry states its layer structure (DeepSeek_V3: dense and
// expert widths, archShape) is priced with those widths, not an inferred one.
func InferredMLPWidth(m *catalog.Model) (ffn float64, inferred bool) {
	if !m.Family.IsTransformer() || m.IntermediateDim > 0 || m.HiddenDim == 0 || m.Layers == 0 {
		return 0, false
	}
	if a, _, _, _ := archShape(m); !a.Plain() {
		return 0, false
	}
	ffn, _, _ = mlpShape(m)
	return ffn, true
}

// mlpShape resolves a transformer's MLP for the calibrated training step, so that
// its GEMMs add up to the catalog's parameter count (and 6·P FLOPs per token):
//
//   - with a stated intermediate width, gated (SwiGLU: gate, up and down, 3·h·ffn per
//     layer) or plain (GeLU: 2·h·ffn), whichever count, with tied or untied
//     embeddings, lands nearer the model's parameters;
//   - without one, a plain MLP whose width makes the layers' parameters
//     (P − embeddings − attention) add up: the same FLOPs per token, whatever the
//     real gating.
//
// expertParams is the experts' share of the parameters (0 for a dense model).
func mlpShape(m *catalog.Model) (ffn float64, gated bool, expertParams float64) {
	return mlpShapeWith(m, attentionParams(m))
}

// attentionParams is a layer's attention weights from the model's widths: the query and
// output projections (h² each) and the key and value projections (h · h·kv/heads each,
// grouped-query attention's narrower K and V; heads unset is kernel.DefaultHeads, kv
// unset is heads).
func attentionParams(m *catalog.Model) float64 {
	h := float64(m.HiddenDim)
	heads := float64(m.Heads)
	if heads == 0 {
		heads = kernel.DefaultHeads
	}
	kv := float64(m.KVHeads)
	if kv == 0 {
		kv = heads
	}
	return h*(h+2*kv*h/heads) + h*h
}

// mlpShapeWith is mlpShape with a layer's attention weights counted as attn.
func mlpShapeWith(m *catalog.Model, attn float64) (ffn float64, gated bool, expertParams float64) {
	h, L := float64(m.HiddenDim), float64(m.Layers)
	if h == 0 || L == 0 {
		return 0, false, 0
	}
	emb := float64(m.VocabSize) * h
	experts := math.Max(1, float64(m.Experts))
	if f := float64(m.IntermediateDim); f > 0 {
		best, bestErr := 2.0, math.Inf(1)
		for _, mats := range []float64{2, 3} {
			for _, tied := range []float64{1, 2} {
				if d := math.Abs((L*(attn+experts*mats*h*f)+tied*emb)/m.Parameters - 1); d < bestErr {
					best, bestErr = mats, d
				}
			}
		}
		if m.Experts > 0 {
			expertParams = L * experts * best * h * f
		}
		return f, best == 3, expertParams
	}
	mlp := m.Parameters - emb - L*attn // every layer's MLP (all experts)
	if m.Experts > 0 && m.ActiveParameters > 0 {
		k := math.Max(1, float64(m.ActiveExpertsPerToken))
		ffn = (m.ActiveParameters - emb - L*attn) / (L * k * 2 * h)
		expertParams = mlp
	} else {
		ffn = mlp / (L * 2 * h)
	}
	if ffn <= 0 {
		return 4 * h, false, 0 // an inconsistent count: the GPT width
	}
	return ffn, false, expertParams
}

// hwTable holds per-hardware attributes indexed by hardware code; peak is
// indexed by code·len(Precisions) + precision.
type hwTable struct {
	peak                                                  []float64
	capacity, bandwidth, sramCap, sramBW, flashBW, hostBW []float64
	dispatch, tdp                                         []float64
	tpBW                                                  []float64 // per-direction link between accelerators
	achievable, unitCost                                  []float64 // measured streaming bandwidth (peak if none), USD
	devices                                               []float64 // accelerators an entry is: 1, or a packaged system's accelerator_count
	gemm                                                  []float64 // measured matmul efficiency by code·len(Precisions) + precision (0.5 if none)

	// The calibrated training step's view: the measured matmul rate (gemm_efficiency ×
	// peak, indexed as peak, 0 = none), SMs, and the scale-up link's measured bus
	// bandwidth (else its per-direction rate) and NCCL per-step latency.
	matmul, sms, scaleBus, scaleHop []float64
	// scaleUp is 1 where the accelerator has a scale-up link (NCCL's NVLink latencies
	// apply, as for scaleHop), 0 where peers talk over PCIe or the host link.
	scaleUp []float64
	// nvls is 1 where the scale-up link reduces in the switch (catalog scale_up.nvls,
	// NCCL's NVLS all-reduce; kernel.NVLSEnabled), 0 elsewhere and in the seed view.
	nvls []float64
	// attention is the measured fused-attention rate (attention_efficiency × peak,
	// indexed as peak, 0 = none: the step then uses the matmul rate).
	attention []float64
	// attentionFlash1 is FlashAttention-1's measured rate (attention_efficiency_flash1 ×
	// peak, indexed as peak, 0 = none: a step asking for it is unsupported_by_hardware).
	attentionFlash1 []float64
	// sustained is the measured matmul rate at the power limit (MSMF:
	// gemm_sustained_efficiency × peak, indexed as peak, 0 = none: the training step
	// then runs at matmul, the burst rate).
	sustained []float64
	// refused is true, indexed as peak, where PrecisionPath refuses the precision on
	// the accelerator (precisionRefused: fp4 without an fp4 rate, or a format its entry
	// lists in unsupported_precisions — not in the seed view): every point there is
	// unsupported_by_hardware (precisionUnsupported).
	refused []bool
	// noRate is true, indexed as peak, where the accelerator states rates but none
	// for the precision (catalog.Hardware.PeakFor fell back to the default peak), or
	// refused is: a training step there is unsupported_by_hardware (trainUnsupported).
	noRate []bool
}

// precisionUnsupported reports whether a point at precision code prec on hardware code
// h asks for a format PrecisionPath refuses there (its rule in a grid).
func (t *hwTable) precisionUnsupported(prec float64, h int) bool {
	return t.refused[h*len(kernel.Precisions)+int(prec)]
}

// fp8Unsupported reports whether a point asks for FP8 mixed precision (fp8_recipe code
// recipe) on hardware code h, which has no measured FP8 matmul rate to run its GEMMs at.
func (t *hwTable) fp8Unsupported(recipe float64, h int) bool {
	return recipe != float64(kernel.FP8None) && t.matmulFor(float64(h), float64(kernel.FP8)) == 0
}

// trainUnsupported reports whether a training point at precision code prec on hardware
// code h asks for a format the accelerator states no rate for (TrainingPrecisionPath's
// rule in a grid).
func (t *hwTable) trainUnsupported(prec float64, h int) bool {
	return t.noRate[h*len(kernel.Precisions)+int(prec)]
}

// newHWTable gathers the accelerators' attributes by hardware code. Under the seed
// profile (seed true) every entry is read as the registry had it
// (catalog.Hardware.SeedView): a link added since with its source is not seen there,
// and a corrected peak, rate, memory or link bandwidth is the registry's number.
func newHWTable(hs []*catalog.Hardware, seed bool) *hwTable {
	t := &hwTable{}
	for _, h := range hs {
		if seed {
			h = h.SeedView()
		}
		hostLink, scaleUp := h.HostLink, h.ScaleUp
		for _, p := range kernel.Precisions {
			f, ok := h.PeakFor(p.String())
			refused := precisionRefused(h, p.String())
			t.peak = append(t.peak, f)
			t.refused = append(t.refused, refused)
			t.noRate = append(t.noRate, !ok || refused)
			rate, e, ok := h.MeasuredMatmul(p.String())
			if !ok {
				e = kernel.SeedEfficiency
			}
			t.gemm = append(t.gemm, e)
			t.matmul = append(t.matmul, rate)
			a, _ := h.AttentionEfficiencyFor(p.String())
			t.attention = append(t.attention, a*f)
			a1, _ := h.AttentionEfficiencyFlash1For(p.String())
			t.attentionFlash1 = append(t.attentionFlash1, a1*f)
			sus, _ := h.SustainedMatmul(p.String())
			t.sustained = append(t.sustained, sus)
		}
		t.achievable = append(t.achievable, h.AchievableBandwidth())
		t.unitCost = append(t.unitCost, h.UnitCostUSD)
		t.devices = append(t.devices, float64(max(1, h.AcceleratorCount)))
		t.sms = append(t.sms, float64(h.SMCount))
		t.capacity = append(t.capacity, h.MemCapacityBytes)
		t.bandwidth = append(t.bandwidth, h.MemBandwidthBytesPerS)
		t.sramCap = append(t.sramCap, h.SRAMCapacityBytes)
		t.sramBW = append(t.sramBW, h.SRAMBandwidthBytesPerS)
		t.flashBW = append(t.flashBW, h.FlashBandwidthBytesPerS)
		host := 0.0
		if hostLink != nil {
			host = hostLink.BytesPerS
		}
		t.hostBW = append(t.hostBW, host)
		t.dispatch = append(t.dispatch, h.DispatchTaxS)
		t.tdp = append(t.tdp, h.TDPW)
		// Tensor-parallel peers talk over the scale-up link, else the host link, else PCIe's 64 GB/s.
		link, bus, hop, up := kernel.OffloadFallbackBytesPerS, kernel.OffloadFallbackBytesPerS, kernel.NCCLHopPCIeS, 0.0
		switch {
		case scaleUp != nil:
			link, bus, hop, up = scaleUp.PerDirectionBytesPerS(), scaleUp.AchievedBusBytesPerS(), kernel.NCCLHopNVLinkS, 1
		case hostLink != nil:
			link = hostLink.PerDirectionBytesPerS()
			bus = link
		}
		t.tpBW = append(t.tpBW, link)
		t.scaleBus = append(t.scaleBus, bus)
		t.scaleHop = append(t.scaleHop, hop)
		t.scaleUp = append(t.scaleUp, up)
		nvls := 0.0
		if scaleUp != nil && scaleUp.NVLS && !seed {
			nvls = 1
		}
		t.nvls = append(t.nvls, nvls)
	}
	return t
}

func (t *hwTable) peakFor(hw, prec float64) float64 {
	return t.peak[int(hw)*len(kernel.Precisions)+int(prec)]
}

// gemmFor is the measured large-matmul efficiency of a hardware code at a precision code.
func (t *hwTable) gemmFor(hw, prec float64) float64 {
	return t.gemm[int(hw)*len(kernel.Precisions)+int(prec)]
}

// matmulFor is the measured large-matmul rate (FLOP/s) of a hardware code at a precision
// code, 0 when the catalog has none.
func (t *hwTable) matmulFor(hw, prec float64) float64 {
	return t.matmul[int(hw)*len(kernel.Precisions)+int(prec)]
}

// trainMatmulFor is the matmul rate a training step runs its GEMMs at: the sustained
// rate at the power limit (MSMF) where the catalog has one, else the measured burst
// (matmulFor), else 0 (docs/PHYSICS.md §35, "Sustained matmul rate").
func (t *hwTable) trainMatmulFor(hw, prec float64) float64 {
	i := int(hw)*len(kernel.Precisions) + int(prec)
	if t.sustained[i] > 0 {
		return t.sustained[i]
	}
	return t.matmul[i]
}

// sustainedFor is the measured matmul rate at the power limit (MSMF) of a hardware code
// at a precision code, 0 when the catalog has none.
func (t *hwTable) sustainedFor(hw, prec float64) float64 {
	return t.sustained[int(hw)*len(kernel.Precisions)+int(prec)]
}

func (t *hwTable) attentionFor(hw, prec float64) float64 {
	return t.attention[int(hw)*len(kernel.Precisions)+int(prec)]
}

// attentionFlash1For is FlashAttention-1's measured rate at a precision on hardware code
// hw, 0 where the catalog has none.
func (t *hwTable) attentionFlash1For(hw, prec float64) float64 {
	return t.attentionFlash1[int(hw)*len(kernel.Precisions)+int(prec)]
}

// flash1Unsupported reports whether a calibrated training point asks for FlashAttention-1
// (attention_kernel code kern, with flash_attention flash) on hardware code h at
// precision code prec, where the catalog has no measured rate for it.
func (t *hwTable) flash1Unsupported(kern, flash, prec float64, h int) bool {
	return kern == attnFlash1 && flash != 0 && t.attentionFlash1For(float64(h), prec) == 0
}

// cols gives an evaluator named access to a batch's input columns.
type cols struct {
	st *Study
	b  *Batch
}

func (c cols) get(name string) []float64 {
	_, i, ok := c.st.Param(name)
	if !ok {
		panic("sweep: study " + c.st.Name + " has no parameter " + name)
	}
	return c.b.In[i][:c.b.N]
}

// getOr returns a parameter's column, or a column of def when the study has no
// such parameter (scratch owned by the batch, reused across calls).
func (c cols) getOr(name string, def float64) []float64 {
	if _, i, ok := c.st.Param(name); ok {
		return c.b.In[i][:c.b.N]
	}
	if c.b.scratch == nil {
		c.b.scratch = map[string][]float64{}
	}
	col := grow(c.b.scratch[name], c.b.N)
	setAll(col, def)
	c.b.scratch[name] = col
	return col
}

func gatherF(dst []float64, codes []float64, table []float64) []float64 {
	return gatherOne(dst, codes, table, oneCode(codes))
}

// gatherOne is gatherF where the caller has told whether codes is one code (oneCode),
// once for the several tables it gathers by the same codes: the serving studies gather
// about thirty columns by four code columns, and a test per gather was one scan of the
// chunk's codes each.
func gatherOne(dst []float64, codes []float64, table []float64, one bool) []float64 {
	dst = grow(dst, len(codes))
	if one {
		// Catalog keys vary slower than the batch and sequence axes, so a chunk's
		// codes are mostly one code: a fill, without a conversion, bounds check and
		// dependent load per point.
		setAll(dst, table[int(codes[0])])
		return dst
	}
	for k, c := range codes {
		dst[k] = table[int(c)]
	}
	return dst
}

// oneCode reports whether codes is not empty and holds one value only, comparing bits
// four at a time (codes are whole numbers: no NaN or −0).
func oneCode(codes []float64) bool {
	if len(codes) == 0 {
		return false
	}
	bits := arrow.Uint64Traits.CastFromBytes(arrow.Float64Traits.CastToBytes(codes))
	c := bits[0]
	for ; len(bits) >= 4; bits = bits[4:] {
		if bits[0] != c || bits[1] != c || bits[2] != c || bits[3] != c {
			return false
		}
	}
	for _, b := range bits {
		if b != c {
			return false
		}
	}
	return true
}

func bytesOf(dst []float64, prec []float64) []float64 {
	dst = grow(dst, len(prec))
	for k, p := range prec {
		dst[k] = kernel.Precision(p).Bytes()
	}
	return dst
}

func scaleInto(dst, src []float64, s float64) {
	for k, v := range src {
		dst[k] = v * s
	}
}

func divInto(dst, num, den []float64) {
	for k := range num {
		dst[k] = num[k] / den[k]
	}
}

// codeIs sets dst[k] where src[k] is an enum's code.
func codeIs(dst []bool, src []float64, code float64) []bool {
	dst = grow(dst, len(src))
	for k, v := range src {
		dst[k] = v == code
	}
	return dst
}

func boolsOf(dst []bool, src []float64) []bool {
	dst = grow(dst, len(src))
	for k, v := range src {
		dst[k] = v != 0
	}
	return dst
}

// Reasons a point is infeasible; the output column infeasible_reason uses these labels.
var reasonLabels = []string{"", "out_of_memory", "cached_prefix_too_long", "parallelism_does_not_divide", "queue_unstable",
	"p99_target_missed", "mean_request_longer_than_max", "ep_exceeds_experts", "ep_exceeds_cluster",
	"no_goodput", "checkpoint_exceeds_interval", "exceeds_size_limit", "accuracy_drop_too_large",
	"speedup_too_low", "unsupported_by_hardware", "latency_budget_exceeded",
	"ingestion_stalled", "preprocessing_bottleneck", "no_compute_budget", "target_latency_unreachable",
	"over_budget", "over_carbon_budget", "prompt_not_shorter_than_request",
	"tp_does_not_divide_heads", "pp_exceeds_layers", "ep_does_not_divide_experts", "tp_spans_nodes",
	"draft_not_a_transformer", "itl_target_missed", "ttft_target_missed", "over_accelerator_limit",
	"layers_do_not_fill_the_stages", "ep_does_not_divide_dp_or_experts",
	"batch_does_not_divide_into_microbatches", "seq_len_does_not_divide_by_cp", "exceeds_context",
	"draft_exceeds_context", "model_has_no_mtp_module", "virtual_stages_without_pipeline",
	"dp_shard_does_not_divide_dp", "draft_not_smaller_than_target", "overloaded", "not_a_training_format", "no_rate",
	"draft_vocabulary_differs", "microbatches_not_a_multiple_of_pp", "dualpipe_needs_even_pp_and_microbatches",
	"etp_does_not_divide_tp_or_moe_without_sp"}

const (
	reasonNone uint8 = iota
	reasonOOM
	reasonPrefix
	reasonSplit
	reasonUnstable
	reasonP99Missed      // serve-capacity: a stable queue still misses the p99 target at max_replicas
	reasonMeanTooLong    // batching: mean_request_tokens > seq_len
	reasonEPExperts      // moe: more expert-parallel ranks than experts
	reasonEPCluster      // moe: more expert-parallel ranks than the cluster's accelerators
	reasonNoGoodput      // reliability: failures and checkpoints leave no useful time
	reasonCheckpointLong // reliability: a checkpoint takes longer than its interval
	reasonSizeLimit      // compression guardrails, in the seed's order: size,
	reasonAccuracyDrop   // accuracy,
	reasonSpeedupLow     // speedup,
	reasonUnsupported    // hardware support
	reasonBudgetExceeded // reasoning: the query outlasts latency_budget_ms
	reasonStalled        // data: storage and I/O supply less than the demand
	reasonPreprocessing  // data: CPU preprocessing outlasts the accelerator step
	reasonNoBudget       // scaling: a compute budget of 0
	reasonUnreachable    // synthesis: the hardware falls short of the target latency's needs
	reasonOverBudget     // fleet: TCO above budget_usd
	reasonOverCarbon     // fleet: carbon above carbon_budget_kg
	reasonPromptTooLong  // batching: input_tokens leaves no output tokens in the request
	reasonTPHeads        // serving, and fleet and train-memory (calibrated): tp does not divide the attention heads or tp and the K/V heads neither divide the other
	reasonPPLayers       // serving: more pipeline stages than layers
	reasonEPDivide       // serving: ep does not divide the experts, or ep > 1 on a dense model
	reasonTPNodes        // serving: a tensor-parallel group larger than a node without tp_across_nodes
	reasonDraftNotLLM    // serving: the draft model is not a transformer
	reasonITLMissed      // serve-deploy: the decode step alone (calibrated: of one sequence) exceeds the ITL target
	reasonTTFTMissed     // serve-deploy: the prefill alone exceeds the TTFT target
	reasonOverLimit      // serve-deploy: more accelerators than max_accelerators
	reasonLayers         // fleet (calibrated): fewer layers than pp · virtual_stages, or interleaved chunks unequal
	reasonStepEP         // fleet and train-memory (calibrated): ep does not divide dp or the experts
	reasonBatchDivide    // fleet and train-memory (calibrated): batch not divisible by dp · microbatches · accumulation; fleet (seed): more microbatches than the local batch
	reasonSeqDivide      // fleet (calibrated): seq_len not a multiple of 2·cp (cp > 1)
	reasonContext        // serving and training: a sequence longer than the model's context_tokens
	reasonDraftContext   // serving (calibrated): the sequence and the drafted tokens exceed the draft model's context_tokens
	reasonNoMTP          // serving: draft_model mtp for a model that ships no multi-token-prediction module (mtp_layers)
	reasonNoPipeline     // fleet: virtual_stages > 1 at pp 1 (interleaving splits pipeline stages; a plan refuses it)
	reasonShard          // fleet and train-memory (calibrated): dp_shard does not divide dp, or ep does not divide dp_shard
	reasonDraftNotSmall  // serving: a draft model with at least the target's parameters
	reasonOverloaded     // serve under qps: no steady state (prefills fill the replica, or the batch passes its largest)
	reasonNotTrained     // training (calibrated): an integer precision, which no training stack trains in (IntegerTraining)
	reasonNoRate         // serve-sim: neither qps nor a target, so no rate to simulate at
	reasonDraftVocab     // serving: a draft model whose vocabulary is not the target's
	reasonInterleave     // fleet and train-memory (calibrated): virtual_stages > 1 with microbatches not a multiple of pp
	reasonDualPipe       // fleet (calibrated): pipeline_schedule dualpipe with an odd pp, virtual stages, or microbatches odd or below 2·pp
	reasonETP            // fleet (calibrated): etp does not divide tp, or an MoE model at tp > 1 without sequence_parallel
)

// stepReasons maps kernel.StepSplit's verdicts to infeasible_reason codes.
var stepReasons = [...]uint8{kernel.StepValid: reasonNone, kernel.StepInvalidSplit: reasonSplit,
	kernel.StepInvalidLayers: reasonLayers, kernel.StepInvalidHeads: reasonTPHeads, kernel.StepInvalidEP: reasonStepEP,
	kernel.StepInvalidBatch: reasonBatchDivide, kernel.StepInvalidSeq: reasonSeqDivide,
	kernel.StepInvalidShard: reasonShard, kernel.StepInvalidInterleave: reasonInterleave, kernel.StepInvalidDualPipe: reasonDualPipe,
	kernel.StepInvalidETP: reasonETP}

var colReason = Column{Name: "infeasible_reason", Type: Enum, Labels: reasonLabels, Nullable: true,
	Doc: "why the point is infeasible (NULL when feasible)"}

// outs gives an evaluator named access to a batch's output columns.
type outs struct {
	st *Study
	o  *Outputs
}

func (w outs) idx(name string) int {
	for i := range w.st.Columns {
		if w.st.Columns[i].Name == name {
			return i
		}
	}
	panic("sweep: study " + w.st.Name + " has no column " + name)
}

func (w outs) f(name string) []float64 { return w.o.F64[w.idx(name)] }
func (w outs) b(name string) []bool    { return w.o.Bool[w.idx(name)] }
func (w outs) c(name string) []uint8   { return w.o.Code[w.idx(name)] }

// Wall columns (docs/COLUMNS.md, `mlsysim walls`): per applicable wall a pass flag
// where the wall can be violated and a slack (relative headroom: 1 − used/limit,
// or 1 − the wall's share of the step), plus the binding wall of the point.
var wallLabels = []string{"", "1 Compute", "2 Memory", "3 Software", "4 Serving", "14 Communication", "7 Tail Latency",
	"5 Batching", "6 Streaming", "12 Reasoning", "13 Fidelity", "15 Fragility", "19 Checkpoint",
	"8 Ingestion", "9 Transformation", "10 Locality", "11 Complexity", "16 Multi-tenant", "17 Capital",
	"18 Sustainability", "20 Safety", "22 Synthesis"}

const (
	wallNone uint8 = iota
	wallCompute
	wallMemory
	wallSoftware
	wallServing
	wallCommunication
	wallTailLatency
	wallBatching
	wallStreaming
	wallReasoning
	wallFidelity
	wallFragility
	wallCheckpoint
	wallIngestion
	wallTransformation
	wallLocality
	wallComplexity
	wallMultiTenant
	wallCapital
	wallSustainability
	wallSafety
	wallSynthesis
)

var colBindingWall = Column{Name: "binding_wall", Type: Enum, Labels: wallLabels,
	Doc: "the wall that limits the point: a violated wall, else the largest share of the step; a split the model cannot take is 14 Communication, and a point refused before any wall (exceeds_context, unsupported_by_hardware, not_a_training_format, no_rate, contradictory inputs, an unusable draft) names none (empty: none)"}

func wallPass(n int, name, doc string) Column {
	return Column{Name: fmt.Sprintf("wall_%d_%s_pass", n, name), Type: Bool, Doc: doc}
}

func wallSlack(n int, name, doc string) Column {
	return Column{Name: fmt.Sprintf("wall_%d_%s_slack", n, name), Doc: doc}
}

// oneMinusRatio writes 1 − a/b.
func oneMinusRatio(dst, a, b []float64) {
	for k := range dst {
		dst[k] = 1 - a[k]/b[k]
	}
}
