package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sweep"
)

// commonFlags are the scenario flags eval and serve share.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 1, Usage: "samples (or sequences) per step, ≥ 1"},
		&cli.StringFlag{Name: "precision", Aliases: []string{"p"}, Value: "fp16", Usage: "fp32, tf32, fp16, bf16, fp8, int8, int4, fp4"},
		&cli.FloatFlag{Name: "efficiency", Aliases: []string{"e"}, Value: 0.5, Usage: "achieved fraction of peak FLOP/s, in [1e-06, 1]"},
		&cli.IntFlag{Name: "seq-len", Aliases: []string{"s"}, Value: 2048, Usage: "training (a transformer's step): sequence length in tokens; inference here counts no KV cache (mlsysim serve does)"},
		&cli.BoolFlag{Name: "strict", Usage: "exit 2 when the scenario cannot run (e.g. out of memory)"},
	}
}

func (a *app) evalCommand() *cli.Command {
	return &cli.Command{
		Name:          "eval",
		Usage:         "evaluate a model on an accelerator, or a plan file: the scorecard (and the plan's asserts)",
		ArgsUsage:     "MODEL HARDWARE | PLAN.yaml",
		ShellComplete: a.completeArgs(modelKeys, hardwareKeys, noKeys),
		Description: `With a PLAN.yaml (docs/PLAN.md) it evaluates the plan — one accelerator on the
node study, a fleet on the fleet study — as the 3-lens scorecard (feasibility,
performance, macro: cost, carbon, water) and checks its constraints.assert:
a violated assertion exits 3 ({"status":"sla_failed","violations":[…]} in json).

MODEL is a catalog key (mlsysim zoo models), a model YAML file (docs/CATALOG.md)
or a Hugging Face config.json; HARDWARE a catalog key or hardware YAML file.
It runs the node study (physics.md §5.1 of the seed: roofline, memory wall,
dispatch and layer tax, offload, SRAM/flash tiers) as a sweep of one point.

Formats: text (a scorecard that says what bounds the step and what would help),
json (one flat object with the seed's keys: scenario, f_status, p_status, m_status,
f_memory_used_gb, …, p_latency in ms, p_throughput in 1/s, p_mfu, plus p_bottleneck,
p_latency_compute, p_latency_memory, p_latency_overhead, p_arithmetic_intensity,
p_energy_j (null when the accelerator states no TDP), p_hfu, p_tokens_per_step, p_tokens_per_s, f_activation_memory_gb and
f_activation_memory: counted, or why not; efficiency is the fraction of peak the matmuls
ran at — the header's rate, the measured one for a calibrated layered step, which reads no
--efficiency — and efficiency_fp8 the FP8 GEMMs' under --fp8-recipe), markdown, html (a
standalone page).

Memory: under calibrated a CNN that lists its convolutions counts its feature maps
(stored for training, the live peak for inference; docs/PHYSICS.md §37). Where no
activations are counted (other non-transformers, the seed profile's CNNs, transformer
inference without its KV cache) the scorecard says so: the memory PASS is a lower bound.

A transformer's training step under the calibrated profile is the fleet study's step on
one accelerator (docs/PHYSICS.md §35): batch × seq-len tokens, each layer's GEMMs at the
measured matmul rate, fused attention and elementwise passes, then the optimizer's pass;
memory counted tensor by tensor (Korthikanti et al.; FlashAttention stores no s² scores;
FP32 gradients and Adam state). --dp-size and --zero-stage shard that memory, and under
ZeRO ≥ 1 the optimizer's pass; the data-parallel collectives are not priced here (they
need a fabric: the fleet study). Under hybrid sharding (HSDP) --dp-size is the shard
group, the ranks the state is split over (the fleet study's dp_shard). --fp8-recipe
delayed|current runs the layers' linear GEMMs in FP8 as Transformer Engine does (the
measured FP8 matmul rate, the casts and amax passes as memory traffic, FP8 weight copies
and FP8-saved GEMM inputs in memory; everything else in --precision, e.g. bf16;
docs/PHYSICS.md §35, "FP8 mixed precision"); with it --fp8-params keeps the linear layers'
primary weights as FP8 tensors (Megatron-Core's fp8_param_gather, the fleet study's
fp8_params): no 16-bit copy in memory, and their transpose rebuilt once a step instead of
a cast from --precision ("FP8 primary weights"). --transformer-execution eager runs each layer's
norms, activation, rotary embedding and residual adds op by op as a PyTorch eager Llama
block (FP32 norms and rotary, autograd's gradient accumulations, a fixed cost per kernel)
instead of fused (the default), and --transformer-execution gpt-neox as GPT-NeoX v1.0's layer
runs them (LayerNorm, unfused bias adds, the partial rotary's slices and cats, the copies
around Flash Attention, one tensor-parallel all-reduce forward for the parallel residual),
as the fleet study's transformer_execution does. The seed profile counts one
token per sequence at efficiency × peak. MFU counts model FLOPs (3 × forward, attention
over all s² scores as PaLM and Megatron-LM count it, so at long context it can pass 100 %),
HFU the FLOPs executed (the recomputed forward added; fused causal attention computes half
the scores); both over the peak at --precision, or with --fp8-recipe the linear
GEMMs' FLOPs over the FP8 peak and the rest over the precision's (PaLM's "at peak FLOPs").

A CNN that lists its convolutions (ResNet50, ResNet18, AlexNet, MobileNetV2) is priced
under calibrated layer by layer: each convolution (and fully connected layer) at the
measured matmul rate and streaming bandwidth, plus the feature-map passes of the
batch-norm, ReLU, residual and max-pool layers that --cnn-execution leaves unfused:
eager (PyTorch, the default), fused_bn_act (batch-norm statistics in the convolution,
batch norm and ReLU applied by the next convolution as it loads its input, one
scale-bias-add-ReLU pass at a residual add) or graph (an inference engine such as TensorRT;
docs/PHYSICS.md §36).

A flag that would not change the answer is refused (exit 1), not ignored: the training
flags without --training, --seq-len outside a transformer's training step (inference
here counts no KV cache: mlsysim serve does), --cnn-execution for a model without a
convolution list or under the seed profile, --activation-recomputation or --lora for
such a CNN under calibrated (its step stores every feature map and recomputes none; it
has no attention to adapt), --efficiency for such a CNN, or for a transformer's training
step, on an accelerator with a measured matmul rate (calibrated: the rate, not a
fraction, prices it), --dp-size without a ZeRO stage and a ZeRO stage without --dp-size
(eval prices one accelerator: the ranks only divide ZeRO's shards), --fp8-recipe for a model
without a transformer's layered step, on an accelerator without a measured FP8 matmul rate,
beside an 8-bit --precision or under the seed profile, --fp8-params without --fp8-recipe
delayed, current or blockwise (so under the seed profile too), --transformer-execution for a model
without a transformer's layered step or under the seed profile.

A precision the accelerator states no rate for (fp8 on an A100) is priced at its default
peak with a warning for inference, as the seed does (weight-only formats are dequantised);
with --training it is refused (exit 1): the backward's matmuls run in the format, at a rate
the device does not have (docs/PHYSICS.md, "Training needs the format's rate"). Under
calibrated --training refuses int8 and int4 on every accelerator, an H100's int8 rate
included: no training stack trains in integers (docs/PHYSICS.md, "No training in integers").

Examples:
   mlsysim eval Llama3_8B H100 --batch-size 32
   mlsysim eval ResNet50 A100 --output json
   mlsysim eval ResNet50 H100 --precision int8 --batch-size 2048 --cnn-execution graph
   mlsysim eval Llama3_70B H100 --training --seq-len 4096 --zero-stage 3 --dp-size 64 --activation-recomputation
   mlsysim eval Llama3_8B H100 --training --precision bf16 --fp8-recipe current --zero-stage 3 --dp-size 8
   mlsysim eval Llama3_8B H100 --training --precision bf16 --fp8-recipe current --fp8-params --zero-stage 3 --dp-size 8
   mlsysim eval Llama3_8B H100 --training --precision bf16 --transformer-execution eager --zero-stage 3 --dp-size 8
   mlsysim eval Llama3_8B H100 --batch-size 32 --plot roofline.svg`,
		Flags: append(commonFlags(),
			&cli.BoolFlag{Name: "training", Usage: "a training step (forward + backward) instead of inference; not in int8 or int4 under calibrated (no training stack trains in integers)"},
			&cli.BoolFlag{Name: "activation-recomputation", Usage: "training: recompute activations (+1 forward pass, less memory)"},
			&cli.IntFlag{Name: "zero-stage", Value: 0, Usage: "training: ZeRO stage 0–3 (1–3 with --dp-size > 1)"},
			&cli.IntFlag{Name: "dp-size", Value: 1, Usage: "training: data-parallel ranks ZeRO shards over (with --zero-stage 1–3; under hybrid sharding, the shard group)"},
			&cli.BoolFlag{Name: "lora", Usage: "training: LoRA fine-tuning (rank 16 on Q, K, V, O)"},
			&cli.StringFlag{Name: "fp8-recipe", Value: "none", Usage: "training (calibrated, transformers): FP8 mixed precision as Transformer Engine runs it, the linear GEMMs in FP8 with per-tensor scales, delayed (amax history) or current (each tensor's own amax), or per-block ones, blockwise (one scale per 1×128 activation tile and 128×128 weight block, DeepSeek-V3's); --precision stays what is stored and moved (bf16); none: no FP8 GEMMs"},
			&cli.BoolFlag{Name: "fp8-params", Usage: "training (calibrated, with --fp8-recipe delayed, current or blockwise): FP8 primary weights, the linear layers' weights kept as FP8 tensors (Megatron-Core's fp8_param_gather): no 16-bit copy in memory, their transpose rebuilt once a step instead of a cast; the fleet study's fp8_params"},
			&cli.StringFlag{Name: "transformer-execution", Value: "fused", Usage: "training (calibrated, transformers): how each layer's norms, activation and residual adds run — fused (one pass each: Megatron-LM's fused kernels, torch.compile), eager (op by op as a PyTorch eager Llama block, a fixed cost per kernel) or gpt-neox (GPT-NeoX v1.0's layer); the fleet study's transformer_execution"},
			&cli.StringFlag{Name: "cnn-execution", Value: "eager", Usage: "calibrated CNNs: eager, fused_bn_act or graph (how the framework runs batch norm, ReLU and residual adds)"},
			&cli.StringFlag{Name: "plot", Usage: "also draw the point on its accelerator's roofline: FILE.svg, FILE.pdf or FILE.png"},
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown", "html")
			if err != nil {
				return err
			}
			if c.Args().Len() == 1 && isFile(c.Args().First()) {
				if c.IsSet("plot") {
					return badInputf("--plot", "draws a MODEL HARDWARE point; for a plan's sweep use mlsysim plot roofline")
				}
				for _, f := range c.Flags {
					// A plan states its scenario; a flag beside it would be silently ignored.
					if name := f.Names()[0]; c.IsSet(name) {
						return badInputf("--"+name, "does not apply to a plan: write it in %s (docs/PLAN.md)", c.Args().First())
					}
				}
				return a.evalPlan(c.Args().First(), format)
			}
			if !c.Bool("training") {
				// Inference ignores them: refuse rather than print a scorecard they did not shape.
				for _, f := range trainingFlags {
					if c.IsSet(f) {
						return badInputf("--"+f, "applies to a training step only; add --training (or drop --%s)", f)
					}
				}
			}
			if err := a.fp8ParamsFlag(c); err != nil {
				return err
			}
			plot, err := a.pointPlot(c)
			if err != nil {
				return err
			}
			model, hw, err := a.targets(c, "eval")
			if err != nil {
				return err
			}
			axes := append(a.scenarioAxes(c, model, hw),
				axis("training", strconv.FormatBool(c.Bool("training")), "--training"),
				axis("activation_recomputation", strconv.FormatBool(c.Bool("activation-recomputation")), "--activation-recomputation"),
				axis("zero_stage", strconv.Itoa(c.Int("zero-stage")), "--zero-stage"),
				axis("dp_size", strconv.Itoa(c.Int("dp-size")), "--dp-size"),
				axis("lora", strconv.FormatBool(c.Bool("lora")), "--lora"),
				axis("fp8_recipe", c.String("fp8-recipe"), "--fp8-recipe"),
				axis("fp8_params", strconv.FormatBool(c.Bool("fp8-params")), "--fp8-params"),
				axis("transformer_execution", c.String("transformer-execution"), "--transformer-execution"),
				axis("cnn_execution", c.String("cnn-execution"), "--cnn-execution"),
			)
			row, err := a.evalOne("node", axes)
			if err != nil {
				return err
			}
			if err := a.unshapedEvalFlag(c, model, hw); err != nil {
				return err
			}
			if err := zeroFlags(c); err != nil {
				return err
			}
			if c.Bool("training") {
				if err := sweep.TrainingPrecisionPath(a.cat, hw, c.String("precision"), a.String("profile")); err != nil {
					return badInput("--precision", err)
				}
			}
			if err := a.precisionFlag(hw, c.String("precision"), format); err != nil {
				return err
			}
			name := fmt.Sprintf("%s on %s", model, hw)
			if format == "html" {
				a.withContext(row)
				err = renderScorecardHTML(a.stdout, name, planLenses("node", row, false), nil, row["binding_wall"])
			} else {
				sc := newScorecard(name, row, a.infeasibleWhy(row))
				if h, err := a.cat.HardwareByKey(hw); err == nil && a.String("profile") != "seed" {
					_, sc.measuredEff, _ = h.MeasuredMatmul(c.String("precision"))
					_, sc.fp8Eff, _ = h.MeasuredMatmul("fp8")
					sc.sustainedEff = sustainedEff(h, c.String("precision"))
					sc.sustainedFP8Eff = sustainedEff(h, "fp8")
				}
				if m, err := a.cat.ModelByKey(model); err == nil {
					sc.transformer = m.Family.IsTransformer()
					sc.layeredCNN = len(m.ConvLayers) > 0 && a.String("profile") != "seed"
					if a.String("profile") != "seed" {
						sc.inferredFFN, _ = sweep.InferredMLPWidth(m)
						sc.inferredPerExpert = m.Experts > 0
					}
				}
				err = sc.render(a.stdout, format)
			}
			if err != nil {
				return err
			}
			if plot != nil {
				if err := plot(name, hw, row); err != nil {
					return err
				}
			}
			return a.strictCheck(c, row)
		},
	}
}

// unshapedEvalFlag refuses --seq-len, --cnn-execution, --efficiency,
// --activation-recomputation and --lora where the node study does not read them (study_node.go, gatherCNN), as the training flags are refused
// under inference: a scorecard must not look as if it answered a question the flag asked.
func (a *app) unshapedEvalFlag(c *cli.Command, model, hwKey string) error {
	m, err := a.cat.ModelByKey(model)
	if err != nil {
		return badInput("MODEL", err)
	}
	h, err := a.cat.HardwareByKey(hwKey)
	if err != nil {
		return badInput("HARDWARE", err)
	}
	calibrated := a.String("profile") != "seed"
	if _, _, measured := h.MeasuredMatmul(c.String("precision")); c.IsSet("efficiency") && calibrated && measured {
		switch {
		case len(m.ConvLayers) > 0:
			return badInputf("--efficiency", "%s's convolutions run at %s's measured %s matmul rate under the calibrated profile (docs/PHYSICS.md §36), so no efficiency enters the step; drop --efficiency, or use --profile seed for the seed's efficiency × peak", model, hwKey, c.String("precision"))
		case c.Bool("training") && m.Family.IsTransformer() && m.HiddenDim > 0:
			return badInputf("--efficiency", "%s's training step runs its GEMMs at %s's measured %s matmul rate under the calibrated profile (the fleet study's step on one accelerator, docs/PHYSICS.md §35), so no efficiency enters it; drop --efficiency, or use --profile seed for the seed's efficiency × peak", model, hwKey, c.String("precision"))
		}
	}
	if c.IsSet("seq-len") {
		switch {
		case !m.Family.IsTransformer():
			return badInputf("--seq-len", "%s is not a transformer (family %s): its step has no sequence length; drop --seq-len", model, m.Family)
		case !c.Bool("training"):
			return badInputf("--seq-len", "shapes only a training step here: eval's inference streams the weights once per step and counts no KV cache; for a sequence length use mlsysim serve %s HARDWARE --seq-len %d (or add --training)", model, c.Int("seq-len"))
		}
	}
	if c.Bool("lora") && calibrated && len(m.ConvLayers) > 0 {
		return badInputf("--lora", "LoRA's adapters sit on attention's Q, K, V and O projections, which %s (a CNN) lacks: under the calibrated profile it trains in full, so the flag would change nothing; drop it, or use --profile seed for the seed's 1.1 × weights", model)
	}
	if c.Bool("activation-recomputation") && calibrated && len(m.ConvLayers) > 0 {
		return badInputf("--activation-recomputation", "%s's training step under the calibrated profile stores every feature map and prices no recomputed forward (docs/PHYSICS.md §36–37), so the flag would change nothing; drop it, or use --profile seed", model)
	}
	if r := c.String("fp8-recipe"); r != "none" && calibrated {
		switch _, _, measured := h.MeasuredMatmul("fp8"); {
		case !m.Family.IsTransformer() || m.HiddenDim == 0:
			return badInputf("--fp8-recipe", "FP8 mixed precision is a term of a transformer's layered training step (docs/PHYSICS.md §35), which %s has not; drop --fp8-recipe", model)
		case !measured:
			return badInputf("--fp8-recipe", "%s has no measured FP8 matmul rate (catalog gemm_efficiency fp8) to run the GEMMs at; choose an accelerator that has one (H100, H200, B200: mlsysim zoo hardware), or drop --fp8-recipe", hwKey)
		}
	}
	if c.IsSet("transformer-execution") {
		switch {
		case !calibrated:
			return badInputf("--transformer-execution", "the seed profile's training step is one roofline with no per-layer elementwise work to run fused or eager (docs/PHYSICS.md §35); use --profile calibrated (or drop --transformer-execution)")
		case !m.Family.IsTransformer() || m.HiddenDim == 0:
			return badInputf("--transformer-execution", "only a transformer's layered training step runs its norms, activation and residual adds fused or eager (docs/PHYSICS.md §35), which %s has not; drop --transformer-execution", model)
		}
	}
	if c.IsSet("cnn-execution") {
		switch {
		case len(m.ConvLayers) == 0:
			return badInputf("--cnn-execution", "%s lists no convolutions, so no layer is priced by how it runs (docs/PHYSICS.md §36); drop --cnn-execution", model)
		case !calibrated:
			return badInputf("--cnn-execution", "the seed profile prices a CNN as one roofline, whatever the execution; use --profile calibrated (or drop --cnn-execution)")
		}
	}
	return nil
}

// fp8ParamsFlag refuses --fp8-params where nothing is FP8, as the fleet study refuses
// fp8_params (checkFP8Params) and a plan hardware.fp8_params: FP8 primary weights are the
// FP8 GEMMs' weights, so without --fp8-recipe (and under the seed profile, which has no
// FP8 GEMMs) the flag would change nothing (docs/PHYSICS.md §35, "FP8 primary weights").
func (a *app) fp8ParamsFlag(c *cli.Command) error {
	if !c.Bool("fp8-params") {
		return nil
	}
	if a.String("profile") == "seed" {
		return badInputf("--fp8-params", "FP8 primary weights are the weights of the calibrated training step's FP8 GEMMs, and the seed profile has none (its precision sets the bytes of everything); drop --fp8-params, or use --profile calibrated with --fp8-recipe delayed, current or blockwise")
	}
	if c.String("fp8-recipe") == "none" {
		return badInputf("--fp8-params", "FP8 primary weights are the linear layers' weights kept as FP8 tensors for the FP8 GEMMs, and --fp8-recipe is none, so it would change nothing; add --fp8-recipe delayed, current or blockwise, or drop --fp8-params")
	}
	return nil
}

// zeroFlags refuses a ZeRO stage without ranks to shard over and data-parallel ranks
// without a ZeRO stage: eval prices one accelerator, so --dp-size only divides ZeRO's
// shards (no all-reduce is priced) and either flag alone leaves the answer unchanged.
func zeroFlags(c *cli.Command) error {
	stage, dp := c.Int("zero-stage"), c.Int("dp-size")
	switch {
	case c.IsSet("dp-size") && dp > 1 && stage == 0:
		return badInputf("--dp-size", "only divides the ZeRO shards here (eval prices one accelerator, no gradient all-reduce), so with --zero-stage 0 it changes nothing; add --zero-stage 1–3, or sweep the fleet study for data parallelism")
	case c.IsSet("zero-stage") && stage > 0 && dp == 1:
		return badInputf("--zero-stage", "ZeRO %d shards over --dp-size ranks, and with 1 rank it changes nothing; add --dp-size N (N > 1)", stage)
	}
	return nil
}

// trainingFlags are eval's flags that only a training step uses.
var trainingFlags = []string{"activation-recomputation", "zero-stage", "dp-size", "lora", "fp8-recipe", "fp8-params", "transformer-execution"}

func axis(name, value, where string) sweep.Axis {
	return sweep.Axis{Name: name, Where: where, Values: []sweep.AxisValue{{Text: value, Where: where}}}
}

// scenarioAxes are the inputs eval and serve share.
func (a *app) scenarioAxes(c *cli.Command, model, hw string) []sweep.Axis {
	return []sweep.Axis{
		axis("model", model, "MODEL"),
		axis("hardware", hw, "HARDWARE"),
		axis("precision", c.String("precision"), "--precision"),
		axis("efficiency", strconv.FormatFloat(c.Float("efficiency"), 'g', -1, 64), "--efficiency"),
		axis("batch_size", strconv.Itoa(c.Int("batch-size")), "--batch-size"),
		axis("seq_len", strconv.Itoa(c.Int("seq-len")), "--seq-len"),
	}
}

func (a *app) evalOne(study string, axes []sweep.Axis) (map[string]any, error) {
	st, err := sweep.StudyByName(study)
	if err != nil {
		return nil, err
	}
	plan, err := sweep.NewPlan(a.cat, st, axes, nil)
	if err != nil {
		return nil, badInput("", err)
	}
	if err := a.applyProfile(plan); err != nil {
		return nil, err
	}
	row, err := sweep.EvalPoint(plan)
	if row != nil {
		row["profile"] = plan.Profile
	}
	return row, err
}

// targets resolves the MODEL and HARDWARE arguments to catalog keys, loading
// model/hardware files into the catalog when paths are given.
func (a *app) targets(c *cli.Command, cmd string) (model, hw string, err error) {
	if c.Args().Len() != 2 {
		return "", "", badInputf(cmd, "want MODEL and HARDWARE, got %d argument(s); example: mlsysim %s Llama3_8B H100", c.Args().Len(), cmd)
	}
	model, hw = c.Args().Get(0), c.Args().Get(1)
	for _, arg := range []struct{ what, path string }{{"MODEL", model}, {"HARDWARE", hw}} {
		if err := folderArg(arg.what, arg.path); err != nil {
			return "", "", err
		}
	}
	if isFile(model) {
		if model, err = a.addModelFile(model); err != nil {
			return "", "", err
		}
	}
	if isFile(hw) {
		keys, err := a.addFile(hw)
		if err != nil {
			return "", "", err
		}
		if len(keys) != 1 {
			return "", "", badInputf("HARDWARE", "%s must hold exactly one hardware entry, it holds %d entries", hw, len(keys))
		}
		if _, err := a.cat.HardwareByKey(keys[0]); err != nil {
			return "", "", badInputf("HARDWARE", "%s holds a model (%s), not hardware", hw, keys[0])
		}
		hw = keys[0]
	}
	return model, hw, nil
}

// folderArg refuses a MODEL or HARDWARE argument that names a folder, saying what to
// give: a Hugging Face model folder, given for its config.json, was "unknown model
// <path>" with a catalog key's hint.
func folderArg(what, path string) error { return folderArgAt(what, what, path) }

// folderArgAt is folderArg with the error naming where (a flag) instead of what.
func folderArgAt(what, where, path string) error {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() || !strings.ContainsRune(path, filepath.Separator) {
		return nil
	}
	hint := "give a catalog key (mlsysim zoo hardware) or a .yaml hardware file"
	if what == "MODEL" {
		hint = "give a catalog key (mlsysim zoo models), a .yaml model file or a Hugging Face config.json"
		if st, err := os.Stat(filepath.Join(path, "config.json")); err == nil && st.Mode().IsRegular() {
			hint = "for the Hugging Face model in it give its config.json: " + filepath.Join(path, "config.json")
		}
	}
	return badInputf(where, "%s is a folder; %s", path, hint)
}

func isFile(arg string) bool {
	ext := strings.ToLower(filepath.Ext(arg))
	return ext == ".yaml" || ext == ".yml" || ext == ".json"
}

func (a *app) addFile(path string) ([]string, error) {
	a.cat = a.cat.Clone()
	keys, err := a.cat.AddUserFile(path)
	if err != nil {
		return nil, badInput("", err)
	}
	a.warnWidths(path, keys)
	return keys, nil
}

func (a *app) addModelFile(path string) (string, error) {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		m, err := catalog.ModelFromHFConfig(path)
		if err != nil {
			return "", badInput("MODEL", err)
		}
		a.cat = a.cat.Clone()
		if err := a.cat.AddModel(m); err != nil {
			return "", badInput("MODEL", err)
		}
		return m.Key, nil
	}
	if isPlan(path) {
		return "", badInputf("MODEL", "%s is a plan (it has workload: and hardware:); evaluate it alone: mlsysim eval %s", path, path)
	}
	keys, err := a.addFile(path)
	if err != nil {
		return "", err
	}
	if len(keys) != 1 {
		return "", badInputf("MODEL", "%s must hold exactly one model entry, it holds %d entries", path, len(keys))
	}
	if _, err := a.cat.ModelByKey(keys[0]); err != nil {
		return "", badInputf("MODEL", "%s holds hardware (%s), not a model", path, keys[0])
	}
	return keys[0], nil
}

// isPlan reports whether a YAML file looks like a seed plan (sweep.IsPlanFile).
func isPlan(path string) bool {
	b, err := catalog.ReadInput(path)
	return err == nil && sweep.IsPlanFile(b)
}

// precisionFlag refuses --precision where the accelerator has no path for it
// (sweep.PrecisionPath), and otherwise warns when it falls back to the default peak
// (or, under seed, runs a format the entry lists in unsupported_precisions).
func (a *app) precisionFlag(hwKey, precision, format string) error {
	if err := sweep.PrecisionPath(a.cat, hwKey, precision, a.String("profile")); err != nil {
		return badInput("--precision", err)
	}
	a.precisionWarning(hwKey, precision, format)
	return nil
}

func (a *app) precisionWarning(hwKey, precision, format string) {
	h, err := a.cat.HardwareByKey(hwKey)
	if err != nil {
		return
	}
	p := strings.ToLower(precision)
	if h.Unsupported(p) { // eval and serve: only under seed (PrecisionPath refused it under calibrated)
		how := "the seed prices it at its default peak %s, as the registry did"
		if a.String("profile") != sweep.Profiles[1] {
			how = "priced at its default peak %s, another format's rate"
		}
		a.warn("%s has no %s arithmetic (catalog unsupported_precisions); "+how, hwKey, p, fmtFLOPS(h.PeakFLOPS))
		return
	}
	if _, ok := h.PeakFor(p); !ok {
		a.warn("%s states no %s rate; using its default peak %s (the seed does the same)", hwKey, p, fmtFLOPS(h.PeakFLOPS))
	}
}

func (a *app) strictCheck(c *cli.Command, row map[string]any) error {
	if c.Bool("strict") && row["feasible"] == false {
		msg := fmt.Sprintf("the scenario cannot run: %s", a.infeasibleWhy(row))
		used, _ := row["memory_footprint_gb"].(float64)
		if used == 0 {
			used, _ = row["total_memory_gb"].(float64)
		}
		if capGB, ok := row["memory_capacity_gb"].(float64); ok && row["infeasible_reason"] == "out_of_memory" {
			msg = fmt.Sprintf("out of memory: needs %.1f GB, %v holds %.1f GB", used, row["hardware"], capGB)
		}
		return &cliError{code: exitPhysics, title: "Physics violation", payloadShown: true, err: fmt.Errorf("%s (--strict)", msg)}
	}
	return nil
}

// infeasibleWhy is a row's infeasible_reason, with the numbers behind it where the
// code alone would leave the user guessing.
func (a *app) infeasibleWhy(row map[string]any) string {
	reason := fmt.Sprint(row["infeasible_reason"])
	switch reason {
	case "exceeds_context":
		if m, err := a.cat.ModelByKey(fmt.Sprint(row["model"])); err == nil {
			seq := "the sequence"
			_, simulated := row["sim_qps"]
			if q, _ := row["qps"].(float64); (q > 0 || simulated) && row["output_tokens"] != nil {
				// Under a request rate (serve's study) or simulated, each request holds its
				// prompt and its generated tokens.
				seq = fmt.Sprintf("a request's %v prompt + %v generated tokens", row["seq_len"], row["output_tokens"])
			}
			return fmt.Sprintf("%s: %s is longer than %s's context window of %d tokens (catalog context_tokens)", reason, seq, m.Key, m.ContextTokens)
		}
	case "draft_not_smaller_than_target":
		m, errM := a.cat.ModelByKey(fmt.Sprint(row["model"]))
		d, errD := a.cat.ModelByKey(fmt.Sprint(row["draft_model"]))
		if errM == nil && errD == nil {
			return fmt.Sprintf("%s: the draft %s has %.3g parameters, the target %s %.3g; a draft step must cost less than a target step (name a smaller model of the family, or mtp where the model ships the module)",
				reason, d.Key, d.Parameters, m.Key, m.Parameters)
		}
	case "draft_vocabulary_differs":
		m, errM := a.cat.ModelByKey(fmt.Sprint(row["model"]))
		d, errD := a.cat.ModelByKey(fmt.Sprint(row["draft_model"]))
		if errM == nil && errD == nil {
			return fmt.Sprintf("%s: the draft %s has a vocabulary of %d tokens, the target %s %d; the target verifies the draft's token ids, so both must share one tokenizer (name a smaller model of the family, or mtp where the model ships the module)",
				reason, d.Key, d.VocabSize, m.Key, m.VocabSize)
		}
	case "draft_not_a_transformer":
		if d, err := a.cat.ModelByKey(fmt.Sprint(row["draft_model"])); err == nil {
			return fmt.Sprintf("%s: the draft %s is a %s model, not a language model that can draft tokens (name a smaller transformer, or mtp where the model ships the module)",
				reason, d.Key, d.Family)
		}
	case "draft_exceeds_context":
		if d, err := a.cat.ModelByKey(fmt.Sprint(row["draft_model"])); err == nil {
			return fmt.Sprintf("%s: the sequence and the %v drafted tokens are longer than the draft %s's context window of %d tokens (catalog context_tokens)",
				reason, row["spec_tokens"], d.Key, d.ContextTokens)
		}
	}
	return reason
}

// planOf plans a grid spec against the catalog under the profile applyProfile picks,
// and warns of the spec's parameters that change nothing at any point (EffectNotes).
func (a *app) planOf(spec *sweep.Spec) (*sweep.Plan, error) {
	plan, err := spec.Plan(a.cat)
	if err != nil {
		return nil, badInput("", err)
	}
	if err := a.applyProfile(plan); err != nil {
		return nil, err
	}
	for _, note := range plan.EffectNotes() {
		a.warn("%s", note)
	}
	return plan, nil
}

// applyProfile sets the plan's physics profile from --profile; a grid spec's own
// `profile:` holds unless the flag is given explicitly. It warns of the accelerators
// whose tensor-parallel exchanges cross a host link or the PCIe fallback (TPLinkNotes).
func (a *app) applyProfile(p *sweep.Plan) error {
	name := a.String("profile")
	if p.Spec != nil && p.Spec.Profile != "" && !a.IsSet("profile") {
		name = p.Spec.Profile
	}
	if err := sweep.CheckProfile(name); err != nil {
		return badInput("--profile", err)
	}
	if err := p.SetProfile(name); err != nil {
		return badInput("", err)
	}
	// Say which link tensor parallelism crosses where it is not a scale-up link (issue #15).
	for _, note := range p.TPLinkNotes() {
		a.warn("%s", note)
	}
	return nil
}

// sustainedEff is the catalog's matmul efficiency at the power limit for a precision
// (gemm_sustained_efficiency, aliases as the burst's), 0 where it has none.
func sustainedEff(h *catalog.Hardware, precision string) float64 {
	rate, ok := h.SustainedMatmul(precision)
	peak, _ := h.PeakFor(precision)
	if !ok || !(peak > 0) {
		return 0
	}
	return rate / peak
}
