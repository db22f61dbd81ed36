package sweep

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// The shared serving input: the parameters every LLM serving study takes (layout, KV
// precision, speculative decoding, engine overhead, prices), gathered into
// kernel.ServeIn once per batch, the layout checks, and the per-token economics
// columns. serve, serve-sla, batching, serve-capacity and serve-deploy all use it.

// KVAuto and KVSame are the kv_precision values that name no format of their own. KVAuto
// (the parameter's default, serve's --kv-precision auto) is the cache the serving engines
// keep unless told otherwise; KVSame stores it in the weights' own precision. KVFormat and
// kvPrecision are the one place that resolves them: a name for what is printed, a
// precision for the bytes; the serving studies write the result as the kv_format column.
const (
	KVAuto = "auto"
	KVSame = "same"
)

// kvAutoFormat is the KV cache a calibrated point keeps under weights of precision w when
// kv_precision is auto: the engine's default, checkpoint saying whether that default
// follows the checkpoint's own KV scheme (the engine's kv_cache_auto, catalog/data/systems/
// engines.yaml, each sourced there at a pinned commit; docs/PHYSICS.md §33, "The KV cache
// under auto"). Every engine of the catalog follows it: vLLM resolves "auto" from a ModelOpt
// checkpoint's kv_cache_quant_algo (vllm-project/vllm@0024350b vllm/utils/torch_utils.py,
// resolve_kv_cache_dtype_string) and from a compressed-tensors kv_cache_scheme (@0014ca6b
// vllm/model_executor/layers/attention/attention.py, Attention.__init__), SGLang from
// kv_cache_quant_algo FP8 (sgl-project/sglang@0005834c model_runner.py,
// configure_kv_cache_dtype), TensorRT-LLM leaves the checkpoint's kv_cache_quant_algo in
// force (NVIDIA/TensorRT-LLM@b51992a3 _torch/pyexecutor/model_loader.py,
// validate_and_set_kv_cache_quant); with no KV scheme named the cache is the model's
// dtype. The point names the weights' precision, not the checkpoint, so auto takes an int8,
// int4 or fp4 checkpoint to name no KV scheme (a 16-bit cache: fp16, 2 bytes an element,
// as bf16) and an FP8 checkpoint to name an FP8 one, as NVIDIA's ModelOpt FP8 checkpoints
// do (docs/PHYSICS.md §33, "KV cache of the perf-overview checkpoints"); an FP8 checkpoint
// without one (DeepSeek-V3's own) is stated with kv_precision bf16. Under
// an engine whose auto is the model's dtype whatever the checkpoint says (checkpoint
// false; none in the catalog) an FP8 checkpoint's cache is 16-bit too. 16- and 32-bit
// weights keep their own format. The seed profile keeps the weights' format throughout
// (its goldens' kv_precision_bytes).
func kvAutoFormat(w kernel.Precision, calibrated, checkpoint bool) kernel.Precision {
	if calibrated && (w == kernel.INT8 || w == kernel.INT4 || w == kernel.FP4 || (w == kernel.FP8 && !checkpoint)) {
		return kernel.FP16
	}
	return w
}

// KVFormat names the format a point's KV cache is stored in: kv itself, the weights'
// precision when kv is KVSame ("same" under int4 weights is an int4 cache), or the
// engine's default when kv is KVAuto (calibrated: a 16-bit cache under int8, int4 and
// fp4 weights, and under fp8 weights unless checkpoint, the engine's auto following the
// checkpoint's KV scheme, as every catalog engine's does). An unknown weights name is
// returned as it is.
func KVFormat(kv, weights string, calibrated, checkpoint bool) string {
	switch kv {
	case KVSame:
		return weights
	case KVAuto:
		if w, err := kernel.ParsePrecision(weights); err == nil {
			return kvAutoFormat(w, calibrated, checkpoint).String()
		}
		return weights
	}
	return kv
}

// kvPrecision is KVFormat over the codes of a batch: kv_precision's code (0 = KVAuto,
// 1 = KVSame, else 2 + the kernel.Precision, the parameter's Enum order) beside the
// precision column's, and whether the point's engine's auto follows the checkpoint.
func kvPrecision(kv, weights float64, calibrated, checkpoint bool) kernel.Precision {
	switch kv {
	case 0:
		return kvAutoFormat(kernel.Precision(weights), calibrated, checkpoint)
	case 1:
		return kernel.Precision(weights)
	}
	return kernel.Precision(kv - 2)
}

// DefaultEngine is the serving engine a study assumes unless told: vLLM, the engine that
// runs on every accelerator of the catalog (NVIDIA and AMD).
const DefaultEngine = "vllm"

// MaxParallel is the largest tp, pp, ep or node size a serving layout may state: one
// replica of 1024 accelerators is past every catalog model's heads, layers and experts.
const MaxParallel = 1024

var (
	servingEffParam = Param{Name: "efficiency", Kind: KindFloat, Default: "0", Min: 0, Gap: true, Least: MinEfficiency, Max: 1,
		Doc: "fraction of peak FLOP/s the matmuls reach; 0 = the profile's: the accelerator's measured large-matmul efficiency at the precision (calibrated; docs/CATALOG.md) or 0.5 (seed)"}
	kvPrecisionParam = Param{Name: "kv_precision", Kind: KindEnum, Default: KVAuto, Enum: append([]string{KVAuto, KVSame}, precisionNames()...),
		Doc: "numeric format of the KV cache; auto = the engine's default, the checkpoint's KV scheme (calibrated: taken as FP8 under fp8 weights and none, the model's 16-bit dtype, under int8, int4 and fp4 weights; else the weights' precision; seed: the weights'), same = the weights' precision; kv_format says which (state bf16 for an FP8 checkpoint that names no KV scheme)"}
	tpParam = Param{Name: "tp", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel,
		Doc: "tensor-parallel accelerators per pipeline stage, over the scale-up link (must divide the heads, and divide the KV heads or be a multiple of them: a rank holds whole KV heads)"}
	servingParams = []Param{
		kvPrecisionParam, tpParam,
		{Name: "pp", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel, Doc: "pipeline stages of a replica (at most the layers)"},
		{Name: "ep", Kind: KindInt, Default: "1", Min: 1, Max: MaxParallel,
			Doc: "expert-parallel ranks a MoE model's experts are spread over, among a stage's tp accelerators (must divide the experts and tp; 1 for dense models)"},
		{Name: "node_size", Kind: KindInt, Default: "8", Min: 1, Max: MaxParallel,
			Doc: "accelerators on one scale-up link (8: HGX/DGX H100 and H200, MI300X platforms; 72: an NVL72 rack)"},
		{Name: "tp_across_nodes", Kind: KindBool, Default: "false", Doc: "allow a tensor-parallel group larger than node_size (its all-reduces then cross the fabric)"},
		{Name: "fabric", Kind: KindFabric, Default: "InfiniBand_NDR",
			Doc: "scale-out fabric, one link per accelerator: pipeline stages and tensor parallelism across nodes, disaggregated KV transfer"},
		{Name: "draft_model", Kind: KindDraft, Default: DraftNone,
			Doc: "speculative decoding: none, mtp (a multi-token-prediction module, one layer of the model) or a catalog model key as the draft"},
		{Name: "spec_tokens", Kind: KindInt, Default: "4", Min: 1, Max: 64, Doc: "tokens drafted per step when draft_model is set (the seed's γ = 4)"},
		{Name: "spec_acceptance", Kind: KindFloat, Default: "0.7", Min: 0, Max: 1, Doc: "probability each drafted token is accepted (the seed's default 0.7)"},
		{Name: "engine", Kind: KindEngine, Default: DefaultEngine,
			Doc: "serving engine (mlsysim zoo engines): its kernels per layer, tensor-parallel all-reduce latency, step overhead and measured host time per step (vLLM V0: a function of the step's sequences and tp), and default memory share for weights and KV cache (calibrated; docs/PHYSICS.md §33)"},
		{Name: "step_overhead_ms", Kind: KindFloat, Default: "0", Min: 0, Max: 1000, Unit: "ms",
			Doc: "engine time per step not overlapped with the accelerator, added to the engine's own (calibrated)"},
		{Name: "region", Kind: KindRegion, Default: "US_Avg", Doc: "grid region (mlsysim zoo regions): the PUE that scales energy cost"},
		{Name: "electricity_usd_per_kwh", Kind: KindFloat, Default: "0.12", Min: 0, Max: MaxUSDPerKWh, Unit: "USD/kWh", Doc: "electricity price (seed: cloud baseline 0.12)"},
		{Name: "amortization_years", Kind: KindFloat, Default: "3", Min: MinYears, Max: 100, Unit: "y", Doc: "CapEx amortisation period"},
		{Name: "unit_cost_usd", Kind: KindFloat, Default: "0", Min: 0, Max: MaxUSD, Unit: "USD", Doc: "price per accelerator; 0 uses the catalog's (0 when it states none: energy only)"},
		{Name: "accelerator_hour_usd", Kind: KindFloat, Default: "0", Min: 0, Max: MaxUSDPerHour, Unit: "USD/h",
			Doc: "rental price per accelerator-hour (power included); 0 = owned: amortised unit cost + 5 %/y maintenance + energy"},
	}
	servingColumns = []Column{
		{Name: "kv_format", Type: Enum, Labels: precisionNames(), Doc: "the format the KV cache is stored in: kv_precision, with auto and same resolved"},
		{Name: "efficiency_used", Doc: "efficiency the matmuls ran at: the efficiency parameter, or the profile's when it is 0"},
		{Name: "accelerators", Doc: "accelerators the point occupies (tp · pp per replica, times replicas or instances; a packaged system's entry counts its accelerator_count each, sharing its price and draw)"},
		{Name: "tokens_per_s_per_accelerator", Unit: "1/s", Doc: "generated tokens per second per accelerator (serve under qps > 0: the offered load, qps · output_tokens / accelerators, and power, energy and cost at it)"},
		{Name: "tokens_per_s_per_user", Unit: "1/s", Doc: "generated tokens per second one sequence sees: 1000 / itl_ms (serve under qps > 0: 1000 / load_tpot_ms, or 1000 / load_ttft_ms when each request generates one token; serve-sim: 1000 / sim_tpot_mean_ms, or 1000 / sim_ttft_mean_ms when each request generates one token)"},
		{Name: "power_w", Unit: "W", Doc: "mean draw per accelerator: calibrated, activity-based (compute and memory, docs/PHYSICS.md §33); seed, TDP · min(1, 0.3 + 0.7 · HFU)"},
		{Name: "joules_per_token", Unit: "J", Doc: "accelerator energy per generated token (before PUE)"},
		{Name: "usd_per_million_tokens", Unit: "USD", Doc: "accelerator-hours per million generated tokens at accelerator_hour_usd, or amortised unit cost + maintenance + energy at the region's PUE"},
	}
)

// withServing appends the shared serving parameters to a study's own.
func withServing(own ...Param) []Param {
	return append(own, servingParams...)
}

// ServingLayoutError says why model m cannot be split as tp × pp (× ep) on nodes of
// nodeSize accelerators, or returns nil: the heads must divide by tp, the layers be at
// least pp, the experts divide by ep (ep = 1 for a dense model), and a tensor-parallel
// group stay within a node unless acrossNodes.
func ServingLayoutError(m *catalog.Model, tp, pp, ep, nodeSize int, acrossNodes bool) error {
	heads := m.Heads
	if heads == 0 {
		heads = kernel.DefaultHeads
	}
	switch {
	case heads%tp != 0:
		return fmt.Errorf("tp %d does not divide the %d attention heads of %s (try %s)", tp, heads, m.Key, divisors(heads))
	case !splitsKVHeads(m, tp):
		return fmt.Errorf("tp %d does not split the %d KV heads of %s: each rank holds whole KV heads, so tp must divide them or be a multiple of them (each head then replicated on tp/KV ranks); %d on %d ranks would cut a head (try %s)",
			tp, m.KVHeads, m.Key, m.KVHeads, tp, kvSplits(m, heads))
	case pp > m.Layers:
		return fmt.Errorf("pp %d exceeds the %d layers of %s", pp, m.Layers, m.Key)
	case ep > 1 && m.Experts == 0:
		return fmt.Errorf("ep %d needs a mixture-of-experts model; %s is dense (use ep 1)", ep, m.Key)
	case m.Experts > 0 && m.Experts%ep != 0:
		return fmt.Errorf("ep %d does not divide the %d experts of %s (try %s)", ep, m.Experts, m.Key, divisors(m.Experts))
	case tp%ep != 0:
		// A replica's expert-parallel ranks are a stage's tp accelerators (the kernel
		// shards over tp · pp only; TensorRT-LLM's moe_tp × moe_ep = tp, vLLM's EP = TP
		// within a replica): ep 8 at tp 1 would be an all-to-all among devices that do not exist.
		return fmt.Errorf("ep %d does not divide tp %d: a replica's expert-parallel ranks are the tensor-parallel accelerators of a stage (try ep %s, or tp a multiple of %d)", ep, tp, divisors(tp), ep)
	case tp > nodeSize && !acrossNodes:
		return fmt.Errorf("tp %d spans more than one node of %d accelerators; tensor parallelism stays on the scale-up link unless tp_across_nodes is set", tp, nodeSize)
	}
	return nil
}

// splitsKVHeads reports whether tp ranks can share a grouped-query model's KV heads: a
// rank holds whole heads, so tp divides them, or each head is copied onto tp/KV ranks
// (kernel.KVSplits; vLLM's QKVParallelLinear asserts exactly this). A latent-attention
// cache (kv_lora_rank) is replicated and takes any tp.
func splitsKVHeads(m *catalog.Model, tp int) bool {
	if m.KVLoraRank > 0 {
		return true
	}
	return kernel.KVSplits(float64(m.KVHeads), float64(tp))
}

// kvSplits lists the tp up to 64 that divide the heads and split the KV heads.
func kvSplits(m *catalog.Model, heads int) string {
	return divisorsWhere(heads, func(tp int) bool { return splitsKVHeads(m, tp) })
}

// divisors lists n's divisors up to 64 for a suggestion.
func divisors(n int) string {
	return divisorsWhere(n, func(int) bool { return true })
}

// divisorsWhere lists n's divisors d up to 64 for which keep(d) holds.
func divisorsWhere(n int, keep func(int) bool) string {
	var ok []string
	for d := 1; d <= n && d <= 64; d++ {
		if n%d == 0 && keep(d) {
			ok = append(ok, fmt.Sprint(d))
		}
	}
	return strings.Join(ok, ", ")
}

// Draft kinds, per draft code (servingTables.draftKind).
const (
	draftNone  = 0.0
	draftMTP   = 1.0
	draftModel = 2.0 // a catalog model (draft* hold its shape)
)

// servingTables are the per-plan tables the serving studies share.
type servingTables struct {
	m          *modelTable
	h          *hwTable
	calibrated bool
	// per draft code: draftNone, draftMTP or draftModel
	draftKind                                              []float64
	draftParams, draftLayers, draftCoef, draftKV, draftHid []float64
	draftKVHeads                                           []float64
	fabricBW, fabricLat                                    []float64    // per fabric code
	pue                                                    []float64    // per region code
	modelExperts, modelKVHeads                             []float64    // per model code (active and top-k: m)
	modelUpMats                                            []float64    // per model code: 2 for a gated MLP, else 1
	modelFFN                                               []float64    // per model code: the MLP width the serving pass times (servingFFN)
	modelMLA                                               [5][]float64 // per model code: latent attention's widths (kernel.ServeIn's QLoraRank … VHead; 0 = not latent)
	mla                                                    [5][]float64 // the batch's latent attention widths, when the plan has a latent model
	latent                                                 bool         // some model of the plan has latent attention
	engineKernels, engineMoE, engineAR, engineARRank       []float64    // per engine code
	engineStep                                             []float64    // per engine code, s
	engineMem, engineMemFree                               []float64    // per engine code: memory fraction, 1 = of free memory
	engineFP8Attn                                          []float64    // per engine code: 1 = attention at 8 bits for 8-bit weights
	engineKVCkpt                                           []bool       // per engine code: its auto KV cache follows the checkpoint's KV scheme
	engineNCCL                                             []float64    // per engine code: 1 = all-reduce through NCCL
	engineDenseMoE                                         []float64    // per engine code: 1 = whole experts per rank, every token through each
	denseMoE                                               []float64
	hwL2                                                   []float64         // per hardware code: measured L2 load bandwidth, bytes/s (0 = none)
	engineMoETiles                                         []bool            // per engine code: its fused MoE falls back to vLLM's default tiles
	engineMoETuned                                         [][]moeShape      // per engine code: the shapes it ships a tuned fused MoE configuration for
	l2, moeDefault                                         []float64         // per point: kernel.ServeIn's L2Bandwidth and FusedMoEDefault
	engineHost                                             []float64         // per engine code: 1 + its index in hostSteps (0 = no measured host time)
	hostSteps                                              []kernel.HostStep // the plan's engines' measured host times per step (kernel.ServeIn.HostSteps)
	hostStep                                               []float64
	engineARMax, engineARMaxTwo                            []float64 // per engine code: the own kernel's largest message (> 2 ranks, 2 ranks), bytes
	enginePass                                             []float64 // per engine code: prompt tokens per prefill pass (with enginePassCtx its floor; 0 = no limit)
	enginePassCtx                                          []bool    // per engine code: the pass budget is the model's context window
	passTokens                                             []float64 // per point: the engine's prompt tokens per prefill pass (kernel.ServeIn.PrefillTokens)
	models                                                 []*catalog.Model
	drafts                                                 []*catalog.Model
	effUsed, kvBytes, active, experts, topk                []float64
	kvFormat                                               []uint8 // per point: the kernel.Precision its KV cache is stored in
	kvHeads, fabBW, fabLat, specK, stepOH                  []float64
	heads, ffn, upMats, sms, vocab                         []float64
	kernels, moeKernels, arLat, arRank, arNCCL, nvlink     []float64
	nvls                                                   []float64
	arMax, arMaxTwo                                        []float64
	memFrac, memFree, fp8Attn, rate16, attn16, sus, sus16  []float64
	draftP, draftL, draftC, draftKVE, draftH, draftKH      []float64
	reasons                                                []uint8   // layoutReasons of the batch
	tokens                                                 []float64 // a study's longest sequence per point, when summed
}

func newServingTables(p *Plan) *servingTables {
	t := &servingTables{m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), calibrated: p.Calibrated(), models: p.Models, drafts: p.Drafts}
	if v := p.valuesOf("draft_model"); v != nil {
		for ci, label := range v.Labels {
			m := p.Drafts[ci]
			kind := draftModel
			switch label {
			case DraftNone:
				kind = draftNone
			case DraftMTP:
				kind = draftMTP
			}
			var params, layers, coef, kv, hid, kvh float64
			if m != nil {
				l, h, hd := float64(m.Layers), float64(m.HiddenDim), float64(m.Heads)
				params, layers, coef, hid, kvh = m.Parameters, l, kernel.AttentionFLOPsCoef(l, hd, h), h, float64(m.KVHeads)
				kv = kernel.KVElemsPerToken(l, hd, float64(m.KVHeads), h, float64(m.KVLoraRank), float64(m.QKRopeHeadDim))
				if kvh == 0 && m.KVLoraRank == 0 {
					kvh = hd
				}
			}
			t.draftKind = append(t.draftKind, kind)
			t.draftParams, t.draftLayers, t.draftCoef = append(t.draftParams, params), append(t.draftLayers, layers), append(t.draftCoef, coef)
			t.draftKV, t.draftHid, t.draftKVHeads = append(t.draftKV, kv), append(t.draftHid, hid), append(t.draftKVHeads, kvh)
		}
	}
	for _, f := range p.Fabrics {
		bw, lat := 0.0, kernel.InfiniBandNDRLatencyS
		if f != nil {
			bw, lat = f.BytesPerS, f.LatencyS
		}
		t.fabricBW, t.fabricLat = append(t.fabricBW, bw), append(t.fabricLat, lat)
	}
	for _, g := range p.Grids {
		t.pue = append(t.pue, g.PUE)
	}
	for _, m := range p.Models {
		t.modelExperts = append(t.modelExperts, float64(m.Experts))
		t.modelKVHeads = append(t.modelKVHeads, kvHeadsOf(m))
		up := 1.0
		if _, gated, _ := mlpShape(m); gated {
			up = 2
		}
		t.modelUpMats = append(t.modelUpMats, up)
	}
	for i, m := range p.Models {
		ffn, w := servingFFN(m, t.m.ffn[i], &t.m.arch[i])
		t.modelFFN = append(t.modelFFN, ffn)
		for j := range t.modelMLA {
			t.modelMLA[j] = append(t.modelMLA[j], w[j])
		}
		t.latent = t.latent || w[1] > 0
	}
	for _, e := range p.Engines {
		t.engineKernels = append(t.engineKernels, kernel.GEMMsPerLayer+float64(e.NonMatmulKernels))
		t.engineMoE = append(t.engineMoE, float64(e.MoEKernels))
		t.engineAR, t.engineARRank = append(t.engineAR, e.AllReduceS), append(t.engineARRank, e.AllReducePerRankS)
		t.engineStep = append(t.engineStep, e.StepOverheadS)
		free := 0.0
		if e.MemoryOfFree {
			free = 1
		}
		t.engineMem, t.engineMemFree = append(t.engineMem, e.MemoryFraction), append(t.engineMemFree, free)
		fp8 := 0.0
		if e.FP8Attention {
			fp8 = 1
		}
		t.engineFP8Attn = append(t.engineFP8Attn, fp8)
		t.engineKVCkpt = append(t.engineKVCkpt, e.KVAutoCheckpoint)
		nccl := 0.0
		if e.NCCLAllReduce {
			nccl = 1
		}
		t.engineNCCL = append(t.engineNCCL, nccl)
		dense := 0.0
		if e.MoEDenseExperts {
			dense = 1
		}
		t.engineDenseMoE = append(t.engineDenseMoE, dense)
		t.engineARMax, t.engineARMaxTwo = append(t.engineARMax, e.AllReduceMaxBytes), append(t.engineARMaxTwo, e.AllReduceMaxBytesTwoRanks)
		t.enginePass, t.enginePassCtx = append(t.enginePass, float64(e.PrefillTokens)), append(t.enginePassCtx, e.PrefillTokensContext)
		host := 0.0
		if h := e.HostStep; h != nil {
			t.hostSteps = append(t.hostSteps, kernel.HostStep{Batches: h.Batches, TPs: h.TPs, S: h.Total()})
			host = float64(len(t.hostSteps))
		}
		t.engineHost = append(t.engineHost, host)
		var tuned []moeShape
		for _, sh := range e.FusedMoETuned {
			for hc, h := range p.Hardware {
				if h.Key == sh.Hardware {
					tuned = append(tuned, moeShape{hw: float64(hc), experts: float64(sh.Experts), width: float64(sh.Width)})
				}
			}
		}
		t.engineMoETiles, t.engineMoETuned = append(t.engineMoETiles, e.FusedMoEDefaultTiles), append(t.engineMoETuned, tuned)
	}
	for _, h := range p.Hardware {
		t.hwL2 = append(t.hwL2, h.L2BandwidthBytesPerS)
	}
	return t
}

// moeShape is a tuned fused MoE configuration as a hardware code, the layer's experts
// and one expert's MLP width on one tensor-parallel rank (catalog.FusedMoEShape).
type moeShape struct{ hw, experts, width float64 }

// fusedMoEDefault fills the batch's FusedMoEDefault column (calibrated; docs/PHYSICS.md
// §33, "The fused MoE kernel's default tiles"): 1 where the point's engine falls back to
// vLLM's default tiles and ships no tuned configuration for the point's accelerator,
// experts and per-rank expert width (the MLP width over tp). nil when no engine of the
// plan falls back, or in the seed.
func (t *servingTables) fusedMoEDefault(in *kernel.ServeIn, ec, hc, tp []float64, n int) {
	in.L2Bandwidth, in.FusedMoEDefault = nil, nil
	if !t.calibrated || !slices.Contains(t.engineMoETiles, true) {
		return
	}
	t.l2, t.moeDefault = grow(t.l2, n), grow(t.moeDefault, n)
	for k := 0; k < n; k++ {
		h, e := hc[k], int(ec[k])
		t.l2[k], t.moeDefault[k] = t.hwL2[int(h)], 0
		if !t.engineMoETiles[e] || t.experts[k] <= 0 {
			continue
		}
		width := t.ffn[k] / max(1, tp[k])
		tuned := false
		for _, sh := range t.engineMoETuned[e] {
			tuned = tuned || (sh.hw == h && sh.experts == t.experts[k] && sh.width == width)
		}
		if !tuned {
			t.moeDefault[k] = 1
		}
	}
	in.L2Bandwidth, in.FusedMoEDefault = t.l2, t.moeDefault
}

// valuesOf is the resolved values of a parameter, or nil when the study has none.
func (p *Plan) valuesOf(name string) *Values {
	if _, i, ok := p.Study.Param(name); ok {
		return p.Values[i]
	}
	return nil
}

// servingFFN is the MLP width the calibrated serving pass times for model m (ffn, its
// mlpShape width, otherwise) and its latent attention's widths (QLoraRank, KVLoraRank,
// QKNope, QKRope, VHead; zeros when its attention is not latent), from its layer
// structure a (archShape). A latent model whose MLP width is inferred from its parameters
// counts its attention as MLA's projections (Arch.AttentionLinearParams), so the layers'
// matmuls add up to its active parameters as the serving pass times them.
func servingFFN(m *catalog.Model, ffn float64, a *kernel.Arch) (float64, [5]float64) {
	if a.KVLoraRank <= 0 || a.QKNope <= 0 || a.VHead <= 0 {
		return ffn, [5]float64{}
	}
	if m.IntermediateDim == 0 {
		ffn, _, _ = mlpShapeWith(m, a.AttentionLinearParams(float64(m.HiddenDim), float64(m.Heads), float64(m.KVHeads)))
	}
	return ffn, [5]float64{a.QLoraRank, a.KVLoraRank, a.QKNope, a.QKRope, a.VHead}
}

// kvHeadsOf is the KV heads tensor parallelism can shard a model's cache over: its
// KV heads (its heads when it states none), or 0 for a latent-attention cache.
func kvHeadsOf(m *catalog.Model) float64 {
	switch {
	case m.KVLoraRank > 0:
		return 0
	case m.KVHeads > 0:
		return float64(m.KVHeads)
	case m.Heads > 0:
		return float64(m.Heads)
	}
	return kernel.DefaultHeads
}

// gatherServeBase fills the model, precision and hardware columns of a serving input that
// every study timing a serving point reads (the seed's ServingModel inputs).
func gatherServeBase(in *kernel.ServeIn, c cols, m *modelTable, h *hwTable) {
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	m1, h1 := oneCode(mc), oneCode(hc)
	in.Params = gatherOne(in.Params, mc, m.params, m1)
	in.Layers = gatherOne(in.Layers, mc, m.layers, m1)
	in.AttnCoef = gatherOne(in.AttnCoef, mc, m.attnCoef, m1)
	in.KVElemsPerToken = gatherOne(in.KVElemsPerToken, mc, m.kvPerToken, m1)
	in.Bytes = bytesOf(in.Bytes, prec)
	in.PeakFLOPS = peaksOf(in.PeakFLOPS, h, hc, prec)
	in.MemBandwidth = gatherOne(in.MemBandwidth, hc, h.bandwidth, h1)
	in.MemCapacity = gatherOne(in.MemCapacity, hc, h.capacity, h1)
	in.DispatchTax = gatherOne(in.DispatchTax, hc, h.dispatch, h1)
	// Sliding-window attention (calibrated; docs/PHYSICS.md §33): left out, as the kernel's
	// "none", when no model of the plan has a window.
	if m.windowed {
		in.SlidingWindow = gatherOne(in.SlidingWindow, mc, m.window, m1)
		in.SlidingLayers = gatherOne(in.SlidingLayers, mc, m.windowLayers, m1)
	} else {
		in.SlidingWindow, in.SlidingLayers = nil, nil
	}
}

// gather fills the shared serving input for a batch: the model, precision and hardware
// columns, the layout, drafting and engine overhead. The batch- and sequence-shaped
// columns (SeqLen, Batch, CachedPrefix, ChunkTokens) are the study's.
func (t *servingTables) gather(c cols, in *kernel.ServeIn) {
	n := c.b.N
	gatherServeBase(in, c, t.m, t.h)
	mc, hc, prec := c.get("model"), c.get("hardware"), c.get("precision")
	ec, dc := c.get("engine"), c.get("draft_model")
	m1, h1, e1 := oneCode(mc), oneCode(hc), oneCode(ec)
	in.Hidden = gatherOne(in.Hidden, mc, t.m.hidden, m1)
	// Calibrated, exchanges run at the link's measured bus bandwidth (nccl-tests), as bytes
	// stream at the measured HBM rate; the seed keeps the line rate.
	if t.calibrated {
		in.TPBandwidth = gatherOne(in.TPBandwidth, hc, t.h.scaleBus, h1)
	} else {
		in.TPBandwidth = gatherOne(in.TPBandwidth, hc, t.h.tpBW, h1)
	}
	in.AchievableBW = gatherOne(in.AchievableBW, hc, t.h.achievable, h1)
	in.TDP = gatherOne(in.TDP, hc, t.h.tdp, h1)
	in.TP, in.PP, in.EP, in.NodeSize = c.get("tp"), c.get("pp"), c.get("ep"), c.get("node_size")
	in.Calibrated = t.calibrated

	t.effUsed = grow(t.effUsed, n)
	t.kvBytes = grow(t.kvBytes, n)
	t.kvFormat = grow(t.kvFormat, n)
	t.fabBW, t.fabLat, t.specK, t.stepOH = grow(t.fabBW, n), grow(t.fabLat, n), grow(t.specK, n), grow(t.stepOH, n)
	eff, kvp, fc := c.get("efficiency"), c.get("kv_precision"), c.get("fabric")
	spec, oh := c.get("spec_tokens"), c.get("step_overhead_ms")
	drafting := false
	for k := 0; k < n; k++ {
		t.effUsed[k] = eff[k]
		if eff[k] == 0 {
			t.effUsed[k] = kernel.SeedEfficiency
			if t.calibrated {
				t.effUsed[k] = t.h.gemmFor(hc[k], prec[k])
			}
		}
		kf := kvPrecision(kvp[k], prec[k], t.calibrated, t.engineKVCkpt[int(ec[k])])
		t.kvFormat[k], t.kvBytes[k] = uint8(kf), kf.Bytes()
		f := int(fc[k])
		t.fabBW[k], t.fabLat[k] = t.fabricBW[f], t.fabricLat[f]
		t.specK[k] = 0
		if t.draftKind[int(dc[k])] > 0 {
			t.specK[k] = spec[k]
			drafting = true
		}
		t.stepOH[k] = t.engineStep[int(ec[k])] + oh[k]*1e-3
	}
	in.Rate16, in.AttentionRate16 = nil, nil
	in.SustainedRate, in.SustainedRate16 = nil, nil
	if t.calibrated {
		// 16-bit matmuls (docs/PHYSICS.md §33): the output layer of weights below 16 bits
		// and, unless the engine runs it at 8 bits, their attention core; a 16-bit
		// attention core at the fused attention kernel's measured rate, unless the point
		// fixes the efficiency of everything it computes.
		t.rate16, t.attn16 = grow(t.rate16, n), grow(t.attn16, n)
		// The power limit (docs/PHYSICS.md §33, "Power-limited matmul rate"): the
		// sustained matmul rates of the weights' precision and of 16 bits where the
		// catalog measured them, unless the point fixes the efficiency.
		t.sus, t.sus16 = grow(t.sus, n), grow(t.sus16, n)
		bf16, fp16 := float64(kernel.BF16), float64(kernel.FP16)
		for k := 0; k < n; k++ {
			p16, c16 := t.h.peakFor(hc[k], bf16), bf16
			if p16 == 0 {
				p16, c16 = t.h.peakFor(hc[k], fp16), fp16
			}
			e16 := eff[k]
			t.attn16[k], t.sus[k], t.sus16[k] = 0, 0, 0
			if e16 == 0 {
				e16 = t.h.gemmFor(hc[k], c16)
				t.attn16[k] = t.h.attentionFor(hc[k], c16)
				t.sus[k], t.sus16[k] = t.h.sustainedFor(hc[k], prec[k]), t.h.sustainedFor(hc[k], c16)
			}
			t.rate16[k] = p16 * e16
		}
		in.Rate16, in.AttentionRate16 = t.rate16, t.attn16
		in.SustainedRate, in.SustainedRate16 = t.sus, t.sus16
	}
	t.active = gatherOne(t.active, mc, t.m.active, m1)
	t.experts = gatherOne(t.experts, mc, t.modelExperts, m1)
	t.topk = gatherOne(t.topk, mc, t.m.expertsPerToken, m1)
	t.kvHeads = gatherOne(t.kvHeads, mc, t.modelKVHeads, m1)
	in.Efficiency, in.KVBytes = t.effUsed, t.kvBytes
	in.ActiveParams, in.Experts, in.ExpertsPerToken, in.KVHeads = t.active, t.experts, t.topk, t.kvHeads
	// The layer's shape, for timing each matmul on its own (calibrated).
	t.heads, t.ffn = gatherOne(t.heads, mc, t.m.heads, m1), gatherOne(t.ffn, mc, t.modelFFN, m1)
	t.upMats, t.sms = gatherOne(t.upMats, mc, t.modelUpMats, m1), gatherOne(t.sms, hc, t.h.sms, h1)
	t.vocab = gatherOne(t.vocab, mc, t.m.vocab, m1)
	in.Heads, in.FFN, in.UpMatrices, in.SMs, in.Vocab = t.heads, t.ffn, t.upMats, t.sms, t.vocab
	// Latent attention's widths (calibrated; docs/PHYSICS.md §33): left out, as the
	// kernel's "not latent", when no model of the plan has them.
	in.QLoraRank, in.KVLoraRank, in.QKNope, in.QKRope, in.VHead = nil, nil, nil, nil, nil
	if t.latent && t.calibrated {
		for j := range t.mla {
			t.mla[j] = gatherOne(t.mla[j], mc, t.modelMLA[j], m1)
		}
		in.QLoraRank, in.KVLoraRank, in.QKNope, in.QKRope, in.VHead = t.mla[0], t.mla[1], t.mla[2], t.mla[3], t.mla[4]
	}
	in.FabricBandwidth, in.FabricLatency = t.fabBW, t.fabLat
	in.SpecTokens, in.SpecAcceptance = t.specK, c.get("spec_acceptance")
	in.StepOverhead = t.stepOH
	t.kernels, t.moeKernels = gatherOne(t.kernels, ec, t.engineKernels, e1), gatherOne(t.moeKernels, ec, t.engineMoE, e1)
	t.arLat, t.arRank = gatherOne(t.arLat, ec, t.engineAR, e1), gatherOne(t.arRank, ec, t.engineARRank, e1)
	in.KernelsPerLayer, in.MoEKernels, in.AllReduceLatency, in.AllReducePerRank = t.kernels, t.moeKernels, t.arLat, t.arRank
	t.arNCCL, t.nvlink = gatherOne(t.arNCCL, ec, t.engineNCCL, e1), gatherOne(t.nvlink, hc, t.h.scaleUp, h1)
	in.AllReduceNCCL, in.ScaleUpNVLink = t.arNCCL, t.nvlink
	t.nvls = gatherOne(t.nvls, hc, t.h.nvls, h1)
	in.ScaleUpNVLS = t.nvls
	t.denseMoE = gatherOne(t.denseMoE, ec, t.engineDenseMoE, e1)
	in.MoEDenseExperts = t.denseMoE
	t.fusedMoEDefault(in, ec, hc, in.TP, n)
	in.HostStep, in.HostSteps = nil, nil
	if len(t.hostSteps) > 0 {
		t.hostStep = gatherOne(t.hostStep, ec, t.engineHost, e1)
		in.HostStep, in.HostSteps = t.hostStep, t.hostSteps
	}
	t.arMax, t.arMaxTwo = gatherOne(t.arMax, ec, t.engineARMax, e1), gatherOne(t.arMaxTwo, ec, t.engineARMaxTwo, e1)
	in.AllReduceMax, in.AllReduceMaxTwo = t.arMax, t.arMaxTwo
	t.memFrac, t.memFree = gatherOne(t.memFrac, ec, t.engineMem, e1), gatherOne(t.memFree, ec, t.engineMemFree, e1)
	in.MemoryFraction, in.MemoryOfFree = t.memFrac, t.memFree
	// The engine's prompt tokens per prefill pass (docs/PHYSICS.md §34.7): its fixed budget,
	// or the model's context window (vLLM's max_model_len, at least the engine's floor; a
	// model of unknown window is taken at the floor, or without a limit).
	t.passTokens = grow(t.passTokens, n)
	budget := func(e, mdl int) float64 {
		if t.enginePassCtx[e] {
			return max(t.enginePass[e], t.m.context[mdl])
		}
		return t.enginePass[e]
	}
	if e1 && m1 {
		setAll(t.passTokens, budget(int(ec[0]), int(mc[0])))
	} else {
		for k := 0; k < n; k++ {
			t.passTokens[k] = budget(int(ec[k]), int(mc[k]))
		}
	}
	in.PrefillTokens = t.passTokens
	// An engine's FP8 attention (TensorRT-LLM's FP8 context FMHA) comes with FP8 weights
	// and an FP8 KV cache only: its attention reads the cache in the cache's format, and
	// TensorRT-LLM asks for FP8 output of the attention only when the cache is FP8 too
	// (docs/PHYSICS.md §33). int8 and 4-bit weights, or a 16-bit cache under FP8 weights,
	// leave the attention at 16 bits.
	t.fp8Attn = grow(t.fp8Attn, n)
	for k := 0; k < n; k++ {
		t.fp8Attn[k] = 0
		if kernel.Precision(prec[k]) == kernel.FP8 && kernel.Precision(t.kvFormat[k]) == kernel.FP8 {
			t.fp8Attn[k] = t.engineFP8Attn[int(ec[k])]
		}
	}
	in.FP8Attention = t.fp8Attn
	// The kernel reads a draft's shape only where spec_tokens > 0: a batch without
	// drafting leaves the columns out.
	in.DraftParams, in.DraftLayers, in.DraftCoef, in.DraftKVElems, in.DraftHidden, in.DraftKVHeads = nil, nil, nil, nil, nil, nil
	if drafting {
		d1 := oneCode(dc)
		t.draftP, t.draftL, t.draftC = gatherOne(t.draftP, dc, t.draftParams, d1), gatherOne(t.draftL, dc, t.draftLayers, d1), gatherOne(t.draftC, dc, t.draftCoef, d1)
		t.draftKVE, t.draftH, t.draftKH = gatherOne(t.draftKVE, dc, t.draftKV, d1), gatherOne(t.draftH, dc, t.draftHid, d1), gatherOne(t.draftKH, dc, t.draftKVHeads, d1)
		in.DraftParams, in.DraftLayers, in.DraftCoef = t.draftP, t.draftL, t.draftC
		in.DraftKVElems, in.DraftHidden, in.DraftKVHeads = t.draftKVE, t.draftH, t.draftKH
	}
}

// layoutReasons fills t.reasons with the infeasibility each point's layout, draft or
// sequence length causes (reasonNone if none), looking the columns up once for the
// batch. tokens is each point's longest sequence, prompt and generated tokens together.
func (t *servingTables) layoutReasons(c cols, tokens []float64) []uint8 {
	mc, tpc, ppc, epc := c.get("model"), c.get("tp"), c.get("pp"), c.get("ep")
	nodes, across, dc, spec := c.get("node_size"), c.get("tp_across_nodes"), c.get("draft_model"), c.get("spec_tokens")
	prec, hc, ec := c.get("precision"), c.get("hardware"), c.get("engine")
	t.reasons = grow(t.reasons, c.b.N)
	// A grid varies the layout slower than batch and sequence, so most points repeat
	// the previous point's layout: its reason is reused rather than recomputed, and in
	// a chunk whose layout columns each hold one value (most chunks) not compared either.
	one := oneCode(mc) && oneCode(tpc) && oneCode(ppc) && oneCode(epc) && oneCode(nodes) && oneCode(across) && oneCode(dc)
	var last [7]float64
	reason := uint8(0)
	for k := range t.reasons {
		m, d := int(mc[k]), int(dc[k])
		if k == 0 || !one {
			if layout := [7]float64{mc[k], tpc[k], ppc[k], epc[k], nodes[k], across[k], dc[k]}; k == 0 || layout != last {
				reason, last = t.layoutReason(t.models[m], int(tpc[k]), int(ppc[k]), int(epc[k]), int(nodes[k]), across[k] != 0, d), layout
			}
		}
		t.reasons[k] = reason
		if reason == reasonNone && t.h.precisionUnsupported(prec[k], int(hc[k])) {
			// fp4 is ours, not the seed's: both profiles refuse it where serve does.
			t.reasons[k] = reasonUnsupported
		}
		// The seed (the registry's framework) has no such checks; its goldens keep their verdicts.
		switch {
		case t.reasons[k] != reasonNone || !t.calibrated:
		case t.m.exceedsContext(m, tokens[k]):
			t.reasons[k] = reasonContext
		case t.drafts[d] != nil && t.drafts[d].ContextTokens > 0 && tokens[k]+spec[k] > float64(t.drafts[d].ContextTokens):
			// The draft reads the whole sequence too, and runs spec_tokens past it before
			// the target verifies them.
			t.reasons[k] = reasonDraftContext
		case t.engineDenseMoE[int(ec[k])] != 0 && t.models[m].Experts > 0 && int(tpc[k]) > t.models[m].Experts:
			// An engine that splits the experts whole over the tp ranks (vllm-0.2: vLLM's
			// MixtralMoE of pull request #2090) refuses more ranks than experts ("Tensor
			// parallel size ... is greater than the number of experts").
			t.reasons[k] = reasonEPExperts
		}
	}
	return t.reasons
}

// pooledReason is layoutReasons' verdict r for one point of a study with pools (serve-deploy,
// serve-sim), with their two checks on top: a cached prefix cannot hold more of the prompt
// than the prompt (such a point would be priced as a one-token prefill; serve refuses it as
// cached_prefix_too_long too), and a prefill pool (pool) is a tensor-parallel group of
// prefillTP of its own, without a draft.
func (t *servingTables) pooledReason(r uint8, cached, prompt float64, pool bool, model, prefillTP, ep, nodes float64, across bool) uint8 {
	switch {
	case r != reasonNone:
		return r
	case cached >= prompt:
		return reasonPrefix
	case pool:
		return t.layoutReason(t.models[int(model)], int(prefillTP), 1, int(ep), int(nodes), across, 0)
	}
	return reasonNone
}

// sumInto returns dst holding a + b, point by point.
func sumInto(dst, a, b []float64) []float64 {
	dst = grow(dst, len(a))
	for k := range a {
		dst[k] = a[k] + b[k]
	}
	return dst
}

func (t *servingTables) layoutReason(m *catalog.Model, tp, pp, ep, nodeSize int, across bool, draft int) uint8 {
	if err := ServingLayoutError(m, tp, pp, ep, nodeSize, across); err != nil {
		heads := m.Heads
		if heads == 0 {
			heads = kernel.DefaultHeads
		}
		switch {
		case heads%tp != 0, !splitsKVHeads(m, tp):
			return reasonTPHeads
		case pp > m.Layers:
			return reasonPPLayers
		case ep > 1 && m.Experts == 0, m.Experts > 0 && m.Experts%ep != 0:
			return reasonEPDivide
		case tp%ep != 0:
			return reasonSplit
		default:
			return reasonTPNodes
		}
	}
	if d := t.drafts[draft]; d != nil && !d.Family.IsTransformer() {
		return reasonDraftNotLLM
	}
	if d := t.drafts[draft]; d != nil && d.VocabSize > 0 && m.VocabSize > 0 && d.VocabSize != m.VocabSize {
		// The target verifies the draft's tokens by their ids: both must index one vocabulary
		// (Leviathan et al. 2023 §2.3 compare the two models' distributions token by token;
		// vLLM's SpecDecodeWorker._vocab_size asserts the sizes equal). Llama-2-7B (32,000)
		// drafting for Llama-3.1-70B (128,256) was priced 1.4× faster with exit 0.
		return reasonDraftVocab
	}
	if d := t.drafts[draft]; d != nil && d.Parameters >= m.Parameters {
		// Drafting pays off only when a draft step costs less than a target step; a draft as
		// large as the target is not speculative decoding (and, on one tensor-parallel group
		// beside a pipelined target, would be priced as if it skipped the pipeline).
		return reasonDraftNotSmall
	}
	if t.draftKind[draft] == draftMTP && m.MTPLayers == 0 {
		// docs/PHYSICS.md: the mtp draft is the model's own prediction module; a model
		// without one has nothing to draft with.
		return reasonNoMTP
	}
	return reasonNone
}

// econCols are the columns economics reads and writes, looked up once per batch.
type econCols struct {
	hardware, region, unitCost, hourUSD, years, electricity []float64
	effUsed, accels, perAccel, perUser, power, joules, usd  []float64
	kvFormat                                                []uint8
}

func (t *servingTables) econ(c cols, w outs) econCols {
	return econCols{
		hardware: c.get("hardware"), region: c.get("region"), unitCost: c.get("unit_cost_usd"),
		hourUSD: c.get("accelerator_hour_usd"), years: c.get("amortization_years"),
		electricity: c.get("electricity_usd_per_kwh"),
		effUsed:     w.f("efficiency_used"), kvFormat: w.c("kv_format"), accels: w.f("accelerators"),
		perAccel: w.f("tokens_per_s_per_accelerator"), perUser: w.f("tokens_per_s_per_user"),
		power: w.f("power_w"), joules: w.f("joules_per_token"), usd: w.f("usd_per_million_tokens"),
	}
}

// economics writes the per-token columns of one point: accelerators, generated tokens/s
// of those accelerators together, their mean draw per accelerator, and the time per
// generated token one sequence sees.
func (t *servingTables) economics(e *econCols, k int, accels, tokensPerS, powerW, itl float64) {
	// A catalog entry may be a packaged system of n accelerators (accelerator_count, a user
	// file's server or rack): the physics runs it as one device, but the per-accelerator
	// columns count its accelerators, with its price and draw shared among them (an 8-GPU
	// box reported all of its tokens/s and watts for "one accelerator").
	n := t.h.devices[int(e.hardware[k])]
	accels, powerW = accels*n, powerW/n
	unit := e.unitCost[k]
	if unit == 0 {
		unit = t.h.unitCost[int(e.hardware[k])] / n
	}
	hour := kernel.AcceleratorHourUSD(e.hourUSD[k], unit, e.years[k], powerW, t.pue[int(e.region[k])], e.electricity[k])
	e.effUsed[k], e.kvFormat[k] = t.effUsed[k], t.kvFormat[k]
	e.accels[k] = accels
	e.perAccel[k] = tokensPerS / accels
	e.perUser[k] = 1 / itl
	e.power[k] = powerW
	e.joules[k] = math.Inf(1)
	if tokensPerS > 0 {
		e.joules[k] = powerW * accels / tokensPerS
	}
	e.usd[k] = kernel.USDPerMillionTokens(accels, hour, tokensPerS)
}
