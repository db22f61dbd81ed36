package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

// The serve-sla study: a served batch as the unit of work in a queue. Requests
// arrive at qps, are served in batches of batch_size, each batch taking
// TTFT + ITL · seq_len (one decode step per token, the seed's BatchingOptimizer,
// physics.md §6.7), on `replicas` servers: M/M/c with Kingman's correction
// (kernel.TailLatency, §6.5). The seed's p50/p99 "latencies" start when a batch is full;
// they are p50/p99_wait_service_ms here, and a request's mean latency adds the wait for
// its batch to fill (mean_latency_ms). The `batching` query picks the largest batch whose
// p99 meets an SLA; `mlsysim optimize batching` does that from a plan.
func init() {
	register(&Study{
		Name: "serve-sla",
		Doc:  "serving with a request queue: batch service time, p50/p99 latency at a QPS (physics.md §6.7, §6.5)",
		Params: withServing(
			modelParam, hardwareParam, precisionParam, servingEffParam, batchParam, seqParam,
			Param{Name: "qps", Kind: KindFloat, Default: "10", Min: MinQPS, Max: MaxQPS, Unit: "1/s", Doc: "request arrival rate"},
			Param{Name: "replicas", Kind: KindInt, Default: "1", Min: 1, Max: kernel.DefaultMaxReplicas * 1024, Doc: "servers (each a tp · pp replica) taking batches from the queue"},
			Param{Name: "service_time_cv", Kind: KindFloat, Default: "1", Min: 0, Max: MaxMultiplier, Doc: "coefficient of variation of the service time (1 = exponential)"},
		),
		Columns: append([]Column{
			{Name: "ttft_ms", Unit: "ms", Doc: "prefill of the batch"},
			{Name: "itl_ms", Unit: "ms", Doc: "one decode step of the batch"},
			{Name: "service_ms", Unit: "ms", Doc: "batch service time: TTFT + ITL · seq_len"},
			{Name: "batch_arrival_rate_per_s", Unit: "1/s", Doc: "batches per second: qps / batch_size"},
			{Name: "queue_utilization", Doc: "ρ = arrival rate · service time / replicas, capped at 1 (an unstable queue, stable false, reads 1 whatever its overload)"},
			{Name: "p50_wait_service_ms", Unit: "ms", Doc: "a full batch's median wait for a replica + its mean service (+Inf when the queue is unstable): the seed's p50 latency (physics.md §6.7), which starts the clock when the batch is full, so it is not a request's latency: that adds the wait for the batch to fill (batch_fill_wait_ms; mean_latency_ms)"},
			{Name: "p99_wait_service_ms", Unit: "ms", Doc: "a full batch's 99th-percentile wait for a replica + its mean service (+Inf when unstable): the seed's p99 latency, without the wait for the batch to fill (p50_wait_service_ms)"},
			{Name: "batch_fill_wait_ms", Unit: "ms", Doc: "a request's mean wait for its batch to fill: the k-th of batch_size Poisson arrivals waits for batch_size − k more, (batch_size − 1)/(2·qps) on average (docs/PHYSICS.md, serve-sla)"},
			{Name: "mean_latency_ms", Unit: "ms", Doc: "a request's mean latency, arrival to last token: batch_fill_wait_ms + the mean wait for a replica (M/M/c, × the Kingman factor the percentiles take) + the batch's service (+Inf when unstable; docs/PHYSICS.md, serve-sla)"},
			{Name: "stable", Type: Bool, Doc: "the queue keeps up: ρ < 1"},
			{Name: "memory_utilization", Doc: "one accelerator's share of weights + KV cache / capacity"},
		}, append(servingColumns,
			wallPass(7, "tail_latency", "the queue is stable"),
			wallSlack(7, "tail_latency", "1 − ρ"),
			colBindingWall,
			colFeasible, colReason,
		)...),
		Objective: Objective{Column: "p99_wait_service_ms", Minimize: true},
		check:     transformersOnly("serving"),
		newEval: func(p *Plan) evaluator {
			return inChunks(&serveSLAEval{serveEval: serveEval{st: p.Study, t: newServingTables(p)}})
		},
	})
}

// BatchFillWait is a request's mean wait (s) for a batch of b requests to fill from
// Poisson arrivals at qps: the k-th arrival of a batch waits for the b − k after it, each
// 1/qps apart on average, and k is uniform over 1 … b, so (b − 1)/(2·qps).
func BatchFillWait(b, qps float64) float64 {
	return (b - 1) / (2 * qps)
}

type serveSLAEval struct {
	serveEval
	tail  kernel.TailIn
	tailO kernel.TailOut
}

func (e *serveSLAEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	e.serve(c)
	sv := &e.out
	t := &e.tail
	t.ArrivalRate = grow(t.ArrivalRate, n)
	t.ServiceTime = grow(t.ServiceTime, n)
	qps, batch, seq := c.get("qps"), c.get("batch_size"), c.get("seq_len")
	for k := 0; k < n; k++ {
		t.ArrivalRate[k] = qps[k] / batch[k]
		t.ServiceTime[k] = sv.TTFT[k] + sv.ITL[k]*seq[k]
	}
	t.Replicas, t.ServiceCV = c.get("replicas"), c.get("service_time_cv")
	kernel.TailLatency(&e.tailO, t)

	w := outs{e.st, o}
	scaleInto(w.f("ttft_ms"), sv.TTFT, 1e3)
	scaleInto(w.f("itl_ms"), sv.ITL, 1e3)
	scaleInto(w.f("service_ms"), t.ServiceTime, 1e3)
	copy(w.f("batch_arrival_rate_per_s"), t.ArrivalRate)
	copy(w.f("queue_utilization"), e.tailO.Utilization)
	scaleInto(w.f("p50_wait_service_ms"), e.tailO.P50, 1e3)
	scaleInto(w.f("p99_wait_service_ms"), e.tailO.P99, 1e3)
	fill, mean := w.f("batch_fill_wait_ms"), w.f("mean_latency_ms")
	cv := t.ServiceCV
	for k := 0; k < n; k++ {
		fill[k] = BatchFillWait(batch[k], qps[k]) * 1e3
		mu := 0.0
		if t.ServiceTime[k] > 0 {
			mu = 1 / t.ServiceTime[k]
		}
		wait := kernel.MMcMeanWait(t.ArrivalRate[k], mu, int(t.Replicas[k])) * (cv[k]*cv[k] + 1) / 2
		mean[k] = fill[k] + (wait+t.ServiceTime[k])*1e3
	}
	copy(w.b("stable"), e.tailO.Stable)
	copy(w.f("memory_utilization"), sv.MemUtilization)
	copy(w.b("wall_7_tail_latency_pass"), e.tailO.Stable)
	slack, binding := w.f("wall_7_tail_latency_slack"), w.c("binding_wall")
	feas, reason := w.b("feasible"), w.c("infeasible_reason")
	replicas := c.get("replicas")
	ec, reasons := e.t.econ(c, w), e.t.layoutReasons(c, c.get("seq_len"))
	for k := 0; k < n; k++ {
		slack[k] = 1 - math.Min(e.tailO.Utilization[k], 1)
		// The fleet serves what arrives, qps requests of seq_len generated tokens, up to
		// what its replicas can finish (replicas · batch / service): an unstable queue
		// serves at capacity, not at the offered rate. Each replica decodes a fraction ρ
		// of the time and idles the rest.
		served := qps[k]
		if t.ServiceTime[k] > 0 {
			served = math.Min(served, replicas[k]*batch[k]/t.ServiceTime[k])
		}
		rho := math.Min(e.tailO.Utilization[k], 1)
		idle := kernel.IdlePowerFraction * e.in.TDP[k]
		if idle == 0 {
			idle = kernel.IdlePowerFraction * kernel.FallbackTDPW
		}
		e.t.economics(&ec, k, replicas[k]*sv.Accelerators[k], served*seq[k], rho*sv.PowerW[k]+(1-rho)*idle, sv.ITL[k])
		switch r := reasons[k]; {
		case r != reasonNone:
			feas[k], reason[k] = false, r // binding_wall: settleBinding's rule (binding.go)
		case !sv.Feasible[k]:
			feas[k], reason[k], binding[k] = false, reasonOOM, wallServing
		case !e.tailO.Stable[k]:
			feas[k], reason[k], binding[k] = false, reasonUnstable, wallTailLatency
		default:
			// A stable queue (wall_7_tail_latency_slack 1 − ρ > 0) violates no wall: the
			// batch's step binds, memory bandwidth or (calibrated) its FLOPs, as serve names
			// it for the same batch. Tail Latency here named a wall with slack, at any ρ.
			feas[k], reason[k], binding[k] = true, reasonNone, wallMemory
			if sv.ComputeBound[k] {
				binding[k] = wallCompute
			}
		}
	}
}
