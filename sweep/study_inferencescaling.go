package sweep

import (
	"github.com/mlsysim/mlsysim/kernel"
)

// The reasoning study: the cost of answering one query with chain-of-thought
// (kernel.InferenceScaling: a prefill, then reasoning_steps steps of 50 decoded
// tokens each, at batch 1 as in the seed).
func init() {
	register(&Study{
		Name:      "reasoning",
		Doc:       "chain-of-thought inference: time, tokens and energy per query for K reasoning steps (physics.md §6.6)",
		Objective: Objective{Column: "total_time_ms", Minimize: true},
		Params: []Param{
			modelParam, hardwareParam, precisionParam, effParam,
			{Name: "reasoning_steps", Kind: KindInt, Default: "8", Min: 0, Doc: "reasoning steps K, 50 decoded tokens each"},
			{Name: "seq_len", Kind: KindInt, Default: "2048", Min: 1, Unit: "tokens", Doc: "context length of the query (the seed's context_length)"},
			{Name: "latency_budget_ms", Kind: KindFloat, Default: "0", Min: 0, Max: MaxMS, Unit: "ms", Doc: "time a query may take; 0 sets no budget"},
		},
		Columns: []Column{
			{Name: "total_time_ms", Unit: "ms", Doc: "TTFT + reasoning_steps × time per step"},
			{Name: "ttft_ms", Unit: "ms", Doc: "prefill of the context at batch 1"},
			{Name: "itl_ms", Unit: "ms", Doc: "one decode step at batch 1 (with the layer tax)"},
			{Name: "time_per_step_ms", Unit: "ms", Doc: "50 × ITL"},
			{Name: "tokens_generated", Doc: "50 × reasoning_steps"},
			{Name: "energy_per_query_j", Unit: "J", Doc: "TDP × total time (full TDP; 0 when the device states none)"},
			{Name: "memory_utilization", Doc: "(weights + KV cache of the context) / capacity"},
			wallPass(4, "serving", "one accelerator's weights + KV cache fit in what it may fill: its memory, or calibrated with a serving engine the engine's budget (its memory fraction less its profiling pass's activations; docs/PHYSICS.md §33)"),
			wallSlack(4, "serving", "(budget − one accelerator's weights + KV cache) / capacity, the budget wall_4_serving_pass holds it to (1 − weights + KV cache / capacity without an engine's): ≥ 0 exactly when it passes"),
			wallPass(12, "reasoning", "the query fits its latency budget (always, without one)"),
			wallSlack(12, "reasoning", "1 − total time / budget; without a budget, 1 − the reasoning steps' share of the total time"),
			colBindingWall,
			colFeasible, colReason,
		},
		check: transformersOnly("chain-of-thought inference"),
		newEval: func(p *Plan) evaluator {
			return &reasoningEval{st: p.Study, m: newModelTable(p.Models), h: newHWTable(p.Hardware, !p.Calibrated()), calibrated: p.Calibrated()}
		},
	})
}

type reasoningEval struct {
	st         *Study
	m          *modelTable
	h          *hwTable
	calibrated bool
	in         kernel.ReasonIn
	out        kernel.ReasonOut
}

func (e *reasoningEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	sv := &e.in.Serve
	gatherServeBase(sv, c, e.m, e.h)
	sv.SeqLen, sv.Efficiency = c.get("seq_len"), c.get("efficiency")
	// Batch 1, no prefix cache, no chunking: the seed's call.
	sv.Batch = fill(sv.Batch, n, 1)
	sv.CachedPrefix = fill(sv.CachedPrefix, n, 0)
	sv.ChunkTokens = fill(sv.ChunkTokens, n, 0)
	e.in.ReasoningSteps = c.get("reasoning_steps")
	e.in.TDP = gatherF(e.in.TDP, c.get("hardware"), e.h.tdp)

	kernel.InferenceScaling(&e.out, &e.in)

	out := &e.out
	w := outs{e.st, o}
	scaleInto(w.f("total_time_ms"), out.TotalTime, 1e3)
	scaleInto(w.f("ttft_ms"), out.Serve.TTFT, 1e3)
	scaleInto(w.f("itl_ms"), out.Serve.ITL, 1e3)
	scaleInto(w.f("time_per_step_ms"), out.TimePerStep, 1e3)
	copy(w.f("tokens_generated"), out.Tokens)
	copy(w.f("energy_per_query_j"), out.Energy)
	copy(w.f("memory_utilization"), out.Serve.MemUtilization)
	copy(w.b("wall_4_serving_pass"), out.Serve.Feasible)
	budget, steps, mc := c.get("latency_budget_ms"), e.in.ReasoningSteps, c.get("model")
	s4, p12, s12 := w.f("wall_4_serving_slack"), w.b("wall_12_reasoning_pass"), w.f("wall_12_reasoning_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		s4[k] = out.Serve.MemSlack[k]
		total := out.TotalTime[k] * 1e3
		share := 0.0
		if out.TotalTime[k] > 0 {
			share = steps[k] * out.TimePerStep[k] / out.TotalTime[k]
		}
		p12[k] = budget[k] == 0 || total <= budget[k]
		s12[k] = 1 - share
		if budget[k] > 0 {
			s12[k] = 1 - total/budget[k]
		}
		switch {
		case !out.Serve.Feasible[k]:
			feas[k], reason[k], binding[k] = false, reasonOOM, wallServing
		case e.calibrated && e.m.exceedsContext(int(mc[k]), sv.SeqLen[k]+out.Tokens[k]):
			// The reasoning chain is decoded after the context, so the model's context
			// window must hold both, as serve's does a prompt and its output tokens (the
			// seed has no such check).
			feas[k], reason[k], binding[k] = false, reasonContext, wallServing
		case !p12[k]:
			feas[k], reason[k], binding[k] = false, reasonBudgetExceeded, wallReasoning
		default:
			feas[k], reason[k] = true, reasonNone
			// The larger share of the query binds: reasoning decode, or the prefill.
			binding[k] = wallServing
			if share >= 0.5 {
				binding[k] = wallReasoning
			}
		}
	}
}

// fill returns dst sized n with every element v.
func fill(dst []float64, n int, v float64) []float64 {
	dst = grow(dst, n)
	setAll(dst, v)
	return dst
}
