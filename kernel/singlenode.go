package kernel

import "math"

// SingleNode is the roofline model of one workload on one accelerator
// (physics.md §5.1, Engine.solve; Walls 1 and 2). For each point:
//
//	ops       = ops₁ · mult · B          mult = 1 inference, 3 training, 4 with recomputation
//	footprint = W (inference) | weights + grads + optimizer + activations (training, §2.1);
//	            activations: transformers (ActivationBytes), and under calibrated a CNN
//	            that lists its convolutions (CNNFeatureMaps: stored maps for training, the
//	            live peak for inference); other models count none (ActivationsKnown false)
//	feasible  = footprint ≤ HBM capacity
//	BW_eff    = min(HBM BW, host link or 64 GB/s) if not feasible (offload),
//	            SRAM BW if W fits SRAM, flash BW if the device has flash, else HBM BW
//	t_comp    = ops / (F·η)              t_mem = W·(1 + 0.1·B) / BW_eff
//	busy      = max(t_comp, t_mem), or under calibrated for a CNN that lists its
//	            convolutions (and fits in HBM) CNNStep's per-layer time, and in training
//	            the optimizer's pass P·(OptimizerPassBytes + b) / stream BW after it (§36)
//	latency   = busy + dispatch tax + L · 0.01 ms · (3 if training), or under calibrated
//	            for a CNN's graph-engine inference KernelS per fused kernel (§36)
//	MFU       = model FLOPs / latency / F;  HFU = executed FLOPs / latency / F
//	energy    = TDP · (0.30 + 0.70 · HFU) · latency
//
// Bottleneck classification uses the efficiency-derated F, MFU the raw peak, as the seed.
// MFU counts 3× forward FLOPs for training and HFU the 4× actually executed with
// recomputation (Profile C's rule; see docs/PHYSICS.md for why not the seed's 1.1·MFU),
// except in the calibrated CNN step, which prices no recomputation (HFU = MFU there).
func SingleNode(out *NodeOut, in *NodeIn) {
	n := len(in.Ops)
	out.resize(n)
	var maps cnnMaps
	for i := 0; i < n; i++ {
		b := in.Bytes[i]
		w := in.WeightBytes[i]
		batch := in.Batch[i]
		training := in.Training[i]
		recompute := in.Recompute[i]

		mult, modelMult := 1.0, 1.0
		footprint, act := w, 0.0
		actKnown := false
		cnn := in.Calibrated && len(in.Conv[i]) > 0
		if training {
			mult, modelMult = 3, 3
			// The calibrated CNN step stores every feature map and runs no second
			// forward (docs/PHYSICS.md §36–37), so recomputation executes nothing
			// there: counting it raised HFU and energy at the same time and memory.
			if recompute && !cnn {
				mult = 4
			}
			var states float64
			states, act = trainingFootprint(in, i, b, w)
			actKnown = in.IsTransformer[i]
			if cnn {
				stored, _, indices := maps.of(in.Conv[i], CNNExecution(in.CNNExec[i]))
				act, actKnown = batch*(stored*b+indices*PoolIndexBytes), true
			}
			footprint = states + act
		} else if cnn {
			_, live, _ := maps.of(in.Conv[i], CNNExecution(in.CNNExec[i]))
			act, actKnown = batch*live*b, true
			footprint = w + act
		}
		feasible := footprint <= in.MemCapacity[i]

		f := in.PeakFLOPS[i]
		fEff := f * in.Efficiency[i]
		bw := in.MemBandwidth[i]
		spill := 0.0
		switch {
		case !feasible:
			host := in.HostBandwidth[i]
			if host == 0 {
				host = OffloadFallbackBytesPerS
			}
			bw = math.Min(bw, host)
			spill = footprint - in.MemCapacity[i]
		case in.SRAMCapacity[i] > 0 && in.SRAMBandwidth[i] > 0 && w <= in.SRAMCapacity[i]:
			bw = in.SRAMBandwidth[i]
		case in.FlashBandwidth[i] > 0:
			bw = in.FlashBandwidth[i]
		}

		ops := in.Ops[i] * mult * batch
		traffic := w + ActivationTrafficFraction*w*batch
		tComp, tMem, bn, intensity := Roofline(ops, traffic, fEff, bw)
		if ops == 0 {
			tComp = 0
		}
		if bw == 0 {
			tMem = 0
		}
		busy := math.Max(tComp, tMem)
		layered := false
		if cnn && feasible && bw == in.MemBandwidth[i] {
			// The calibrated CNN path (docs/PHYSICS.md §36): each convolution and the
			// feature-map passes of the elementwise layers after it, at the measured
			// matmul rate and streaming bandwidth.
			rate := in.MatmulRate[i]
			if rate == 0 {
				rate = fEff
			}
			bw = in.StreamBandwidth[i]
			tComp, tMem, busy = CNNStep(in.Conv[i], CNNExecution(in.CNNExec[i]), batch, training, b, rate, in.SMs[i], bw)
			if training {
				// The optimizer's pass over the model states the footprint counts
				// (mixed-precision Adam, §35's OptimizerPassBytes, weights written
				// back at b bytes), after the backward (docs/PHYSICS.md §36).
				opt := optimizerPass(in.Params[i], b, bw)
				tMem += opt
				busy += opt
			}
			layered = true
			bn, intensity = Compute, 0
			if tMem > tComp {
				bn = Memory
			}
			if tMem > 0 {
				intensity = ops / (tMem * bw)
			}
		}

		layers := in.Layers[i]
		if layers == 0 {
			layers = 1
		}
		tax := LayerTaxS * layers
		if training {
			tax *= 3
		}
		if layered && !training && CNNExecution(in.CNNExec[i]) == CNNGraph {
			// A compiled engine dispatches no layer from a framework: each of its fused
			// kernels pays the fixed cost of a kernel (docs/PHYSICS.md §36).
			tax = KernelS * CNNGraphKernels(in.Conv[i])
		}
		overhead := in.DispatchTax[i] + tax
		latency := busy + overhead

		var thr, mfu, hfu float64
		if latency > 0 {
			thr = batch / latency
			hfu = clamp01(ops / latency / f)
			mfu = clamp01(in.Ops[i] * modelMult * batch / latency / f)
		}
		energy := 0.0
		if tdp := in.TDP[i]; tdp > 0 {
			energy = tdp * (IdlePowerFraction + DynamicPowerFraction*hfu) * latency
		}

		out.Latency[i] = latency
		out.ComputeTime[i] = tComp
		out.MemoryTime[i] = tMem
		out.OverheadTime[i] = overhead
		out.Throughput[i] = thr
		out.Bottleneck[i] = bn
		out.Intensity[i] = intensity
		out.MFU[i] = mfu
		out.HFU[i] = hfu
		out.Energy[i] = energy
		out.Footprint[i] = footprint
		out.Activations[i] = act
		out.ActivationsKnown[i] = actKnown
		out.EffectiveFLOPS[i] = fEff
		out.EffectiveBandwidth[i] = bw
		out.SpillBytes[i] = spill
		out.Feasible[i] = feasible
		out.Layered[i] = layered
		out.OverheadDominated[i] = overhead > busy
	}
}

// trainingFootprint is the memory Engine.solve needs for training (physics.md §2.1,
// training_memory): the model states (weights + gradients + Adam state, with LoRA and
// ZeRO sharding) and, for a transformer, the activations. Non-transformers keep
// weights, gradients and Adam state, P·(2b + 12) — the seed's audit B3 (2026-06-10,
// golden G8); Profile B used 3·W. With LoRA, or without a parameter count, the seed's
// 1.1·W and 3·W remain. The seed counts no activations for a non-transformer (the
// calibrated CNN adds its stored feature maps, CNNFeatureMaps). LoRA's adapters sit on
// attention's Q, K, V and O, which a CNN lacks, so the calibrated CNN step trains in
// full (the seed's 1.1·W for it has no source; eval refuses --lora there).
func trainingFootprint(in *NodeIn, i int, b, w float64) (states, act float64) {
	lora := in.LoRA[i]
	if !in.IsTransformer[i] {
		lora = lora && !(in.Calibrated && len(in.Conv[i]) > 0)
		switch {
		case lora:
			return 1.1 * w, 0
		case in.Params[i] > 0:
			return 2*w + AdamBytesPerParam*in.Params[i], 0
		}
		return 3 * w, 0
	}
	p := in.Params[i]
	weights, grads, opt := p*b, p*b, p*AdamBytesPerParam
	hidden := in.Hidden[i]
	if hidden == 0 {
		hidden = DefaultHidden
	}
	if lora && p > 0 {
		frac := math.Min(LoRAParams(in.Layers[i], hidden)/p, 1)
		grads *= frac
		opt *= frac
	}
	weights, grads, opt = ZeROShard(in.ZeROStage[i], in.DPSize[i], weights, grads, opt)
	heads := in.Heads[i]
	if heads == 0 {
		heads = DefaultHeads
	}
	strategy := RecomputeNone
	if in.Recompute[i] {
		strategy = RecomputeSelective
	}
	return weights + grads + opt, ActivationBytes(in.Layers[i], in.SeqLen[i], in.Batch[i], hidden, heads, b, strategy)
}

// ZeROShard divides training state over dp data-parallel ranks by ZeRO stage:
// stage 1 shards the optimizer state, stage 2 also the gradients, stage 3 also
// the weights (Rajbhandari et al. 2020; physics.md §2.1, §7.1).
func ZeROShard(stage, dp, weights, grads, opt float64) (float64, float64, float64) {
	switch {
	case stage >= 3:
		weights /= dp
		fallthrough
	case stage >= 2:
		grads /= dp
		fallthrough
	case stage >= 1:
		opt /= dp
	}
	return weights, grads, opt
}

func clamp01(x float64) float64 {
	if x < 0 || math.IsNaN(x) {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// Constants of the single-node model, with their seed names (physics.md §10).
const (
	// ActivationTrafficFraction: activations move ≈ 10 % of the weights per sample.
	ActivationTrafficFraction = 0.1
	// LayerTaxS is FRAMEWORK_LAYER_TAX_MS = 0.01 ms per layer.
	LayerTaxS = 0.01e-3
	// OffloadFallbackBytesPerS is FALLBACK_PCIE_BANDWIDTH_GB_S = 64 GB/s.
	OffloadFallbackBytesPerS = 64e9
	// IdlePowerFraction and DynamicPowerFraction: ENERGY_IDLE_FRACTION 0.30, ENERGY_DYNAMIC_FRACTION 0.70.
	IdlePowerFraction    = 0.30
	DynamicPowerFraction = 0.70
	// AdamBytesPerParam is TRAINING_OPTIMIZER_BYTES_ADAM: FP32 master + two moments.
	AdamBytesPerParam = 12.0
	// LoRARank is the default adapter rank (adapters on Q, K, V, O of every layer).
	LoRARank = 16
)

// LoRAParams is the trainable parameter count of LoRA adapters of rank LoRARank on
// Q, K, V and O of every layer: an h×r and an r×h matrix each, 2·r·h·4·layers
// (physics.md §2.1, TransformerWorkload.training_memory).
func LoRAParams(layers, hidden float64) float64 {
	return 2 * LoRARank * hidden * 4 * layers
}

// NodeIn holds the input columns of SingleNode. All slices have one length.
type NodeIn struct {
	Ops         []float64 // FLOP per unit of work, one forward pass (WorkloadOps)
	WeightBytes []float64 // resident weights (WeightBytes)
	Params      []float64 // parameter count (training memory)
	Layers      []float64 // 0 = not stated
	Hidden      []float64 // 0 = not stated (4096)
	Heads       []float64 // 0 = not stated (32)
	Bytes       []float64 // bytes per element of the precision

	IsTransformer []bool
	Training      []bool
	Recompute     []bool // activation recomputation (training)
	LoRA          []bool
	ZeROStage     []float64
	DPSize        []float64
	SeqLen        []float64 // tokens, training memory only

	Batch      []float64
	Efficiency []float64

	PeakFLOPS      []float64 // FLOP/s at the run's precision
	MemCapacity    []float64 // bytes
	MemBandwidth   []float64 // bytes/s
	SRAMCapacity   []float64 // 0 = none
	SRAMBandwidth  []float64
	FlashBandwidth []float64 // 0 = none
	HostBandwidth  []float64 // 0 = none (offload falls back to 64 GB/s)
	DispatchTax    []float64 // s
	TDP            []float64 // W, 0 = not stated

	// The calibrated CNN path (CNNStep), taken where Calibrated is set, the point fits
	// and Conv lists the model's convolutions; else the seed's 0.1 × weights traffic.
	Calibrated      bool
	Conv            [][]ConvShape // per point: the model's convolutions (nil: none listed)
	CNNExec         []float64     // CNNExecution code
	MatmulRate      []float64     // FLOP/s of large GEMMs, measured (0: PeakFLOPS · Efficiency)
	SMs             []float64     // streaming multiprocessors (0: no wave quantisation)
	StreamBandwidth []float64     // bytes/s, measured streaming rate (else the datasheet's)
}

// NodeOut holds the output columns of SingleNode; times in seconds, energy in J.
type NodeOut struct {
	Latency, ComputeTime, MemoryTime, OverheadTime []float64
	Throughput                                     []float64 // units of work per second
	Bottleneck                                     []Bottleneck
	Intensity                                      []float64 // FLOP/byte
	MFU, HFU                                       []float64
	Energy                                         []float64 // J per batch
	Footprint                                      []float64 // bytes
	Activations                                    []float64 // bytes of the footprint that are activations
	ActivationsKnown                               []bool    // the footprint counts activations (transformer training, calibrated CNN)
	EffectiveFLOPS, EffectiveBandwidth             []float64
	SpillBytes                                     []float64
	Feasible, OverheadDominated                    []bool
	Layered                                        []bool // priced by CNNStep
}

func (o *NodeOut) resize(n int) {
	for _, p := range []*[]float64{&o.Latency, &o.ComputeTime, &o.MemoryTime, &o.OverheadTime, &o.Throughput,
		&o.Intensity, &o.MFU, &o.HFU, &o.Energy, &o.Footprint, &o.Activations, &o.EffectiveFLOPS, &o.EffectiveBandwidth, &o.SpillBytes} {
		*p = grow(*p, n)
	}
	o.Bottleneck = grow(o.Bottleneck, n)
	o.Feasible = grow(o.Feasible, n)
	o.OverheadDominated = grow(o.OverheadDominated, n)
	o.Layered = grow(o.Layered, n)
	o.ActivationsKnown = grow(o.ActivationsKnown, n)
}

// grow returns s with length n, reusing its storage when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
