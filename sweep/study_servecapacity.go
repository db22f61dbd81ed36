package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

var capacityBottlenecks = []string{
	kernel.CapacityFeasible.String(), kernel.CapacityMemory.String(), kernel.CapacityLimit.String(), kernel.CapacityTailLatency.String(),
}

// The serve-capacity study: the replicas that serve a query rate within a p99
// target (kernel.ServingCapacity: the continuous batcher sizes a replica's
// batch, Serving its latency, an M/M/c queue with Kingman's correction the wait).
func init() {
	register(&Study{
		Name:      "serve-capacity",
		Doc:       "replicas for a query rate within a p99 latency target: batcher, serving latency and M/M/c queue (physics.md §6.3)",
		Objective: Objective{Column: "usd_per_million_tokens", Minimize: true}, // per token at the load: fewest replicas is always the lowest qps
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam,
			Param{Name: "qps", Kind: KindFloat, Min: MinQPS, Max: MaxQPS, Unit: "1/s", Doc: "offered load, requests per second"},
			Param{Name: "target_p99_ms", Kind: KindFloat, Min: MinMS, Max: MaxMS, Unit: "ms", Doc: "p99 request latency to meet"},
			Param{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Max: MaxTokens, Unit: "tokens",
				Doc: "tokens of context per request (memory holds input_tokens + output_tokens when that is longer); with mean_request_tokens > 0 the cap on request length"},
			Param{Name: "output_tokens", Kind: KindInt, Default: "128", Min: 1, Max: MaxTokens, Unit: "tokens", Doc: "tokens generated per request"},
			Param{Name: "input_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "prompt tokens per request; > 0 charges each prompt's prefill in a replica's QPS (the batcher then serves requests of input_tokens + output_tokens); 0 is the seed's decode-only replica"},
			Param{Name: "max_batch_size", Kind: KindInt, Default: "32", Min: 1, Max: maxBatch, Doc: "batcher cap on requests in flight per replica"},
			Param{Name: "max_replicas", Kind: KindInt, Default: "1024", Min: 1, Max: maxBatch, Doc: "largest replica count tried"},
			Param{Name: "service_time_cv", Kind: KindFloat, Default: "1", Min: 0, Max: MaxMultiplier, Doc: "coefficient of variation of the service time (1 = exponential; Kingman scales the wait by (cv² + 1)/2)"},
			Param{Name: "mean_request_tokens", Kind: KindInt, Default: "0", Min: 0, Max: MaxTokens, Unit: "tokens",
				Doc: "0: requests are seq_len long (Profile B); > 0: exponential lengths of this mean capped at seq_len size the batch, and latency is taken at the mean (Profile C; must be ≤ seq_len)"},
		),
		Columns: append([]Column{
			{Name: "replicas", Doc: "least replica count whose queue is stable and whose p99 meets the target (max_replicas when none does)"},
			{Name: "capacity_qps", Unit: "1/s", Doc: "replicas × per-replica QPS (0 when a replica serves nothing)"},
			{Name: "per_replica_qps", Unit: "1/s", Doc: "batcher throughput / output tokens: requests one replica completes per second"},
			{Name: "utilization", Doc: "qps / capacity (+Inf when a replica serves nothing)"},
			{Name: "estimated_p99_ms", Unit: "ms", Doc: "base latency + p99 queue wait at the chosen replicas (+Inf when a replica serves nothing or the queue is unstable)"},
			{Name: "base_latency_ms", Unit: "ms", Doc: "TTFT + ITL × output tokens at the active batch (calibrated: the mean decode step, as itl_ms)"},
			{Name: "queue_wait_p99_ms", Unit: "ms", Doc: "max(0, p99 latency of the M/M/c queue − service time)"},
			{Name: "active_batch", Doc: "requests a replica decodes together: max(1, admitted by the batcher)"},
			{Name: "ttft_ms", Unit: "ms", Doc: "time to first token of a request at the active batch (the batch's prompts prefilled together: seq_len tokens each, calibrated with input_tokens > 0 the prompt's)"},
			{Name: "itl_ms", Unit: "ms", Doc: "inter-token latency at the active batch (with the layer tax); calibrated, the mean decode step of a request, at the mean context of its generated tokens (as the batching study)"},
			{Name: "bottleneck", Type: Enum, Labels: capacityBottlenecks,
				Doc: "Feasible; Memory (the batcher admits nothing or the batch does not fit); Capacity (unstable even at max_replicas); Tail Latency (stable but over the target)"},
		}, append(servingColumns,
			wallPass(5, "batching", "the batcher admits a request and the active batch fits in memory"),
			wallPass(7, "tail_latency", "a stable queue meets the p99 target within max_replicas"),
			wallSlack(7, "tail_latency", "1 − estimated p99 / target"),
			colBindingWall,
			colFeasible, colReason,
		)...),
		check: transformersOnly("serving capacity"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&capacityEval{st: p.Study, t: newServingTables(p), pagedKV: pagedKVPerToken(p.Models)})
		},
	})
}

type capacityEval struct {
	st      *Study
	t       *servingTables
	pagedKV []float64
	in      kernel.CapacityIn
	out     kernel.CapacityOut
	scratch kernel.CapacityScratch
}

func (e *capacityEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	mc := c.get("model")
	in := &e.in
	e.t.gather(c, &in.ServeIn)
	in.PagedKVElemsPerToken = in.KVElemsPerToken
	if !e.t.calibrated {
		// The seed's batcher counts 2·L·H_kv·d per token also for latent attention (§6.2).
		in.PagedKVElemsPerToken = gatherF(in.PagedKVElemsPerToken[:0:0], mc, e.pagedKV)
	}
	in.SeqLen, in.OutputTokens, in.MaxBatch = c.get("seq_len"), c.get("output_tokens"), c.get("max_batch_size")
	in.InputTokens = c.get("input_tokens")
	in.QPS, in.MaxReplicas, in.ServiceCV = c.get("qps"), c.get("max_replicas"), c.get("service_time_cv")
	mean := c.get("mean_request_tokens")
	in.MeanTokens = clampMean(in.MeanTokens, mean, in.SeqLen)
	in.TargetP99 = grow(in.TargetP99, n)
	scaleInto(in.TargetP99, c.get("target_p99_ms"), 1e-3)

	kernel.ServingCapacity(&e.out, in, &e.scratch)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("replicas"), out.Replicas)
	copy(w.f("capacity_qps"), out.QPSCapacity)
	copy(w.f("per_replica_qps"), out.PerReplicaQPS)
	copy(w.f("utilization"), out.Utilization)
	scaleInto(w.f("estimated_p99_ms"), out.EstimatedP99, 1e3)
	scaleInto(w.f("base_latency_ms"), out.BaseLatency, 1e3)
	scaleInto(w.f("queue_wait_p99_ms"), out.QueueWaitP99, 1e3)
	copy(w.f("active_batch"), out.ActiveBatch)
	scaleInto(w.f("ttft_ms"), out.TTFT, 1e3)
	scaleInto(w.f("itl_ms"), out.ITL, 1e3)
	oneMinusRatio(w.f("wall_7_tail_latency_slack"), out.EstimatedP99, in.TargetP99)
	bn, p5, p7 := w.c("bottleneck"), w.b("wall_5_batching_pass"), w.b("wall_7_tail_latency_pass")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	tp, pp := c.get("tp"), c.get("pp")
	// A request holds seq_len tokens of context, or input + output when prompts are charged.
	e.t.tokens = sumInto(e.t.tokens, in.InputTokens, in.OutputTokens)
	for k, v := range e.t.tokens {
		if in.InputTokens[k] == 0 || v < in.SeqLen[k] {
			e.t.tokens[k] = in.SeqLen[k]
		}
	}
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, e.t.tokens)
	for k := 0; k < n; k++ {
		// The fleet serves qps requests of output_tokens, up to its capacity (none when a
		// replica cannot hold the model); a busy replica draws what its batcher's energy
		// per token says, an idle one the static floor.
		accels := out.Replicas[k] * tp[k] * pp[k]
		served := math.Min(in.QPS[k], out.QPSCapacity[k]) * in.OutputTokens[k]
		util := math.Min(1, out.Utilization[k])
		busyPower := out.EnergyPerToken[k] * out.PerReplicaQPS[k] * in.OutputTokens[k] / (tp[k] * pp[k])
		idle := kernel.IdlePowerFraction * in.TDP[k]
		if idle == 0 {
			idle = kernel.IdlePowerFraction * kernel.FallbackTDPW
		}
		e.t.economics(&ec, k, accels, served, util*busyPower+(1-util)*idle, out.ITL[k])
		bn[k] = uint8(out.Bottleneck[k])
		p5[k] = out.Bottleneck[k] != kernel.CapacityMemory
		p7[k] = out.Feasible[k]
		binding[k] = wallTailLatency
		if !p5[k] {
			binding[k] = wallBatching
		}
		feas[k], reason[k] = out.Feasible[k], reasonNone
		switch r := reasons[k]; {
		case r != reasonNone:
			feas[k], reason[k] = false, r // binding_wall: settleBinding's rule (binding.go)
		case mean[k] > in.SeqLen[k]:
			feas[k], reason[k] = false, reasonMeanTooLong
		case out.Bottleneck[k] == kernel.CapacityMemory:
			reason[k] = reasonOOM
		case out.Bottleneck[k] == kernel.CapacityLimit:
			reason[k] = reasonUnstable
		case out.Bottleneck[k] == kernel.CapacityTailLatency:
			reason[k] = reasonP99Missed
		}
	}
}
