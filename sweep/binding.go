package sweep

import "slices"

// One rule for binding_wall on a refused point, whichever study refused it. A wall's own
// verdict (out_of_memory, queue_unstable, a missed latency target, overloaded, a budget, a
// guardrail) keeps the wall the study names. A layout the model cannot be split into — a tp
// that splits a head, stages without a layer, an ep or a shard group that does not divide —
// is wall 14 Communication's verdict, as the fleet study's wall_14_communication_pass (the
// split divides the accelerators) and train-memory have it. Anything else is refused before
// any wall is reached — a request longer than the model's context, a format the accelerator
// has no rate for, no rate to simulate at, inputs that contradict each other, a draft model
// the target cannot use — and names no wall: binding_wall is empty. Before, the serving
// studies named 4 Serving or 5 Batching for all of these, the node and fleet studies the
// largest share of a step they did not run, and train-memory nothing. A study may claim a
// refusal as one of its walls' verdicts (Study.wallReasons: compression's hardware-support
// guardrail).

// refusal classes of an infeasible_reason, for binding_wall.
const (
	refusedByWall   uint8 = iota // the study's wall decided it: keep its binding_wall
	refusedByLayout              // a split the model cannot take: 14 Communication
	refusedByInput               // no wall reached: empty
)

// reasonRefusal is the class of each infeasible_reason code (reasonLabels' order).
var reasonRefusal = func() []uint8 {
	r := make([]uint8, len(reasonLabels))
	for _, c := range []uint8{reasonSplit, reasonEPExperts, reasonEPCluster, reasonTPHeads, reasonPPLayers,
		reasonEPDivide, reasonTPNodes, reasonLayers, reasonStepEP, reasonBatchDivide, reasonSeqDivide,
		reasonNoPipeline, reasonShard, reasonInterleave, reasonDualPipe, reasonETP} {
		r[c] = refusedByLayout
	}
	for _, c := range []uint8{reasonPrefix, reasonMeanTooLong, reasonUnsupported, reasonNoBudget, reasonPromptTooLong,
		reasonDraftNotLLM, reasonContext, reasonDraftContext, reasonNoMTP, reasonDraftNotSmall, reasonNotTrained,
		reasonNoRate, reasonDraftVocab} {
		r[c] = refusedByInput
	}
	return r
}()

// settleBinding applies the rule to a batch the study's evaluator filled: every study has
// binding_wall and infeasible_reason, and a feasible row's reason is reasonNone (a wall's).
func (p *Plan) settleBinding(b *Batch, o *Outputs) {
	binding, reason := -1, -1
	for i, c := range p.Study.Columns {
		switch c.Name {
		case colBindingWall.Name:
			binding = i
		case colReason.Name:
			reason = i
		}
	}
	if binding < 0 || reason < 0 {
		return
	}
	walls, reasons := o.Code[binding][:b.N], o.Code[reason][:b.N]
	for k, r := range reasons {
		if reasonRefusal[r] != refusedByWall && slices.Contains(p.Study.wallReasons, r) {
			continue
		}
		switch reasonRefusal[r] {
		case refusedByLayout:
			walls[k] = wallCommunication
		case refusedByInput:
			walls[k] = wallNone
		}
	}
}
