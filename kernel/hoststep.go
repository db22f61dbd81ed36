package kernel

// HostStep is a serving engine's host time per forward step, measured on a grid of
// sequences per step × tensor-parallel degree (docs/PHYSICS.md §33, "The V0 engine's
// host time per step"): the time the engine's Python loop spends between the
// accelerator's passes — scheduling, preparing the inputs, sampling, processing the
// outputs and, where its workers are driven by remote calls, those calls — which a
// synchronous engine does not overlap with the accelerator. It is CPU work, so it is
// the same whatever the accelerator; it depends on how many sequences a step touches.
//
// At measures the table at (batch, tp):
//   - batch: piecewise linear between grid points; outside the grid, along the chord
//     of the whole grid (from its smallest to its largest batch: per-sequence work is
//     a loop over the step's sequences, so a straight line, and the chord is the least
//     noisy slope the table gives), never below 0;
//   - tp: piecewise linear between grid degrees; outside them, the nearest degree's
//     value (the table says nothing of how the work grows beyond it).
type HostStep struct {
	Batches []float64   // ascending sequences per step, ≥ 1
	TPs     []float64   // ascending tensor-parallel degrees, ≥ 1
	S       [][]float64 // s: S[j][i] at TPs[j] and Batches[i]
}

// At is the host time per step of batch sequences at tensor-parallel degree tp, s.
func (h *HostStep) At(batch, tp float64) float64 {
	if h == nil || len(h.TPs) == 0 || len(h.Batches) == 0 {
		return 0
	}
	j, w := bracket(h.TPs, tp)
	v := h.row(j, batch)
	if w > 0 {
		v = (1-w)*v + w*h.row(j+1, batch)
	}
	return max(0, v)
}

// row is the table at TPs[j], linear in batch as At says.
func (h *HostStep) row(j int, batch float64) float64 {
	b, r := h.Batches, h.S[j]
	n := len(b)
	if n == 1 {
		return r[0]
	}
	if batch < b[0] || batch > b[n-1] {
		slope := (r[n-1] - r[0]) / (b[n-1] - b[0])
		if batch < b[0] {
			return r[0] + (batch-b[0])*slope
		}
		return r[n-1] + (batch-b[n-1])*slope
	}
	i, w := bracket(b, batch)
	if w == 0 {
		return r[i]
	}
	return (1-w)*r[i] + w*r[i+1]
}

// bracket finds x in the ascending grid g: the index i and weight w of x between g[i]
// and g[i+1] (w 0 at or outside the ends, where i is the nearest end).
func bracket(g []float64, x float64) (int, float64) {
	n := len(g)
	if x <= g[0] {
		return 0, 0
	}
	if x >= g[n-1] {
		return n - 1, 0
	}
	i := 0
	for i+1 < n-1 && g[i+1] <= x {
		i++
	}
	return i, (x - g[i]) / (g[i+1] - g[i])
}

// hostTime is the engine's time per step the accelerator waits for at a step of batch
// sequences: the constant StepOverhead and, calibrated, the engine's measured host time
// (HostSteps) at this batch and tensor-parallel degree.
func (m *llm) hostTime(batch float64) float64 {
	if m.host == nil {
		return m.stepOH
	}
	return m.stepOH + m.host.At(batch, m.tp)
}
