package kernel

import "math"

// The engine's prefill scheduling: how many prompts one prefill pass takes when prompts run
// whole (docs/PHYSICS.md §34.7). Every serving study that prices prompts between decode
// steps — the batching study and serve-capacity (through the batcher's charge), the serve
// study under a rate (ServingLoad) and its simulation (ServingSim) — asks these functions,
// so one replica has one capacity whichever study evaluates it.

// PromptsPerPass is how many of `waiting` prompts of n new tokens an engine's scheduler
// puts in one prefill pass when the batch has `room` free slots and a pass takes at most
// `budget` prompt tokens (0: no limit). The engines take waiting prompts in arrival order
// while the pass's tokens stay within the budget and the running sequences within the
// batch cap (vLLM's V0 Scheduler._schedule and V1 Scheduler.schedule, SGLang's PrefillAdder,
// TensorRT-LLM's micro-batch scheduler; a static batcher takes its whole batch), so
//
//	k = min(waiting, room, max(1, ⌊budget/n⌋))
//
// — a prompt longer than the budget still runs, alone (an engine either chunks it or
// refuses it; whole, it is one pass). 0 when nothing waits or no slot is free.
func PromptsPerPass(waiting, room, n, budget float64) float64 {
	k := math.Floor(min(waiting, room))
	if k < 1 {
		return 0
	}
	if budget > 0 && n > 0 {
		k = min(k, max(1, math.Floor(budget/n)))
	}
	return k
}

// promptsPerPass is PromptsPerPass under the point's engine: the seed prefills one prompt
// per pass (its goldens); calibrated, the engine's budget (passTokens), or the chunk when
// prompts are chunked (a pass then holds at most chunk prompt tokens).
func (m *llm) promptsPerPass(waiting, room, n, chunk float64) float64 {
	if !m.calibrated {
		return min(1, PromptsPerPass(waiting, room, n, 0))
	}
	budget := m.passTokens
	if chunk > 0 {
		budget = chunk
	}
	return PromptsPerPass(waiting, room, n, budget)
}

// promptPass is one prefill pass of k prompts of n new tokens each at context s (chunked
// at chunk tokens when chunk > 0): its time and draw. k = 1 is prefillPhase.
func (m *llm) promptPass(k, n, s, chunk float64) phase {
	if !m.calibrated {
		t, _, _ := m.seedPrefill(k, n, s, chunk)
		return phase{t, SeedPowerW(m.tdp, m.eff), true}
	}
	t, _, _ := m.prefill(k, n, s, chunk)
	var p step
	m.passage(&p, k, n, s)
	return phase{t, m.power(&p), p.computeBound}
}

// saturatedPrompt is the prefill time a prompt costs a replica whose queue never empties:
// the batch's B' slots free as its requests finish, and each pass takes the k =
// promptsPerPass(B', B', n) waiting prompts the budget allows, so a prompt's share is
// t_pass(k)/k. It is the per-request prefill term of every whole-prompt capacity
// (B'/((O − 1)·t_d(B') + B'·t_pass(k)/k)) and of the batcher's charge. k is returned too.
func (m *llm) saturatedPrompt(maxBatch, n, s, chunk float64) (perPrompt, k float64, pass phase) {
	k = max(1, m.promptsPerPass(maxBatch, maxBatch, n, chunk))
	pass = m.promptPass(k, n, s, chunk)
	return pass.t / k, k, pass
}
