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

// poissonPasses is what the engine's prefill scheduling (promptsPerPass) costs a
// whole-prompt replica of `slots` sequences under Poisson arrivals of lam prompts/s
// (calibrated; docs/PHYSICS.md §34.8): pre is one prompt's prefill (a pass of one),
// stepFull the decode step at the full batch, osl the tokens per request.
//
// A pass takes every prompt waiting at a step boundary, and a prompt that arrives during a
// pass is taken by the next, so the prompts prefilled back to back between two decode
// steps are one busy period of the prefill server, whose mean number served is
// 1/(1 − ρ₀), ρ₀ = λ·t_p (M/G/1; Kleinrock, Queueing Systems Vol. I, 1975, §5.9). They
// start decoding at one step and, every request of a point of one length, finish at one
// step: their slots free together. While a slot is free a prompt is prefilled as it comes
// (about one a pass: passes that take arrivals during a pass of one, λ·t_p < 1); while all
// are taken, each group that frees is refilled in one pass of its size — the waiting
// prompts up to the freed room and the token budget, G = min(k_sat, 1/(1 − ρ₀)) — so
//
//	p_G  = t_pass(G)/G                              a prompt's share of a group pass
//	hold = B'·p_G + (O − 1)·t_d(B')                 a slot's hold while all are taken (§34.3)
//	P    = C(B', λ·hold)                            Erlang C: the share of prompts that find them taken
//	own  = (1 − P)·t_p + P·t_pass(G)                the pass a prompt rides in
//
// The mean state's prefill share follows own's rule (issue #10's drafttpot round, §34.9):
// a prompt that finds a free slot is prefilled about as it comes, one pass of its own (a
// busy period's prompts are taken in a chain of passes, each of those that arrived during
// the one before — about one a pass while λ·t_p < 1), and one that finds every slot taken
// rides in the group pass that refills them, its share t_pass(G)/G:
//
//	perPrompt = (1 − P)·t_p + P·p_G,   ρ = λ·perPrompt
//
// One prompt a pass for every prompt (ρ = λ·t_p) put the mean TPOT up to 15.5 % above the
// simulation from 0.9 of the Poisson capacity; every prompt at p_G, 11–18 % below it for the
// drafted replica (§34.8). t_pass at a G that is not whole is linear between the two whole passes
// around it. One prompt a pass (G = 1) is the hold before issue #10's servcons round; G =
// k_sat is a queue that never empties (saturatedPrompt). The slots are stable while
// λ·hold < B'.
type poissonPasses struct {
	group, perGroupPrompt, hold, saturated, perPrompt, own float64
}

func (m *llm) poissonPasses(lam, n, s, chunk, slots, osl, stepFull float64, pre phase) poissonPasses {
	kmax := max(1, m.promptsPerPass(slots, slots, n, chunk))
	g := kmax
	if rho0 := lam * pre.t; rho0 < 1 {
		g = min(kmax, 1/(1-rho0))
	}
	tg := m.passBetween(g, n, s, chunk, pre)
	var q poissonPasses
	q.group, q.perGroupPrompt = g, tg/g
	q.hold = slots*q.perGroupPrompt + (osl-1)*stepFull
	q.saturated = ErlangC(int(slots), lam*q.hold)
	q.perPrompt = (1-q.saturated)*pre.t + q.saturated*q.perGroupPrompt
	q.own = (1-q.saturated)*pre.t + q.saturated*tg
	return q
}

// passBetween is the time of a prefill pass of g ≥ 1 prompts, g not necessarily whole:
// linear between the passes of ⌊g⌋ and ⌈g⌉ prompts (pre is the pass of one).
func (m *llm) passBetween(g, n, s, chunk float64, pre phase) float64 {
	lo := math.Floor(g)
	t := pre.t
	if lo > 1 {
		t = m.promptPass(lo, n, s, chunk).t
	}
	if w := g - lo; w > 0 {
		t += w * (m.promptPass(lo+1, n, s, chunk).t - t)
	}
	return t
}

// poissonCapacity is the highest rate at which a whole-prompt replica's slots stay stable
// under Poisson arrivals, λ·hold(λ) < B' with poissonPasses' hold (§34.8): found by
// bisection between one prompt a pass's rate, B'/(B'·t_p + (O − 1)·t_d(B')), and a queue
// that never empties', capacity (λ·hold(λ) rises with λ there). It is where ServingLoad's
// whole-prompt replica turns overloaded.
func (m *llm) poissonCapacity(n, s, chunk, slots, osl, stepFull, capacity float64, pre phase) float64 {
	lo := slots / (slots*pre.t + (osl-1)*stepFull)
	hi := capacity
	stable := func(lam float64) bool {
		// With one output token nothing decodes, so no saturated state takes up a prefill
		// share past 1 (ServingLoad): the prompts alone must keep up, λ·t_p < 1.
		return lam*m.poissonPasses(lam, n, s, chunk, slots, osl, stepFull, pre).hold < slots && (osl > 1 || lam*pre.t < 1)
	}
	if !(hi > lo) || stable(hi) {
		return max(lo, hi)
	}
	for k := 0; k < 60 && hi-lo > 1e-12*hi; k++ {
		mid := (lo + hi) / 2
		if stable(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
