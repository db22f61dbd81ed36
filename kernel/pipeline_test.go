package kernel

import "testing"

func TestPipelineBubble(t *testing.T) {
	checkScalars(t, []scalarCase{
		// physics.md §13.2 test_formulas F22–F24.
		{"P4 M8 V1", PipelineBubble(4, 8, 1), 3.0 / 11, tightRel, 0},
		{"P4 M8 V4", PipelineBubble(4, 8, 4), 3.0 / 35, tightRel, 0},
		{"P4 M64 V1", PipelineBubble(4, 64, 1), 3.0 / 67, tightRel, 0},
		{"P1", PipelineBubble(1, 8, 1), 0, 0, 0},
		// §13.1 G5: pp 4, 16 micro-batches → 3/19.
		{"G5 bubble fraction", PipelineBubble(4, 16, 1), 0.15789473684210525, tightRel, 0},
		// §13.3 math.qmd: < 5 % needs M ≥ 19(P−1): P 4, M 57 → exactly 5 %.
		{"math.qmd 5 % rule", PipelineBubble(4, 57, 1), 0.05, tightRel, 0},
	})
}

// With P, M, V ≥ 1 the bubble is a fraction in [0, 1) that grows with the
// number of stages and shrinks with more micro-batches or virtual stages.
func TestPipelineBubbleProperties(t *testing.T) {
	for p := 1.0; p <= 64; p++ {
		for m := 1.0; m <= 128; m++ {
			for v := 1.0; v <= 4; v++ {
				b := PipelineBubble(p, m, v)
				if b < 0 || b >= 1 {
					t.Fatalf("PipelineBubble(%g, %g, %g) = %g, want in [0, 1)", p, m, v, b)
				}
				if p > 1 {
					if PipelineBubble(p, m+1, v) >= b {
						t.Fatalf("P %g V %g: bubble does not shrink from M %g to %g", p, v, m, m+1)
					}
					if PipelineBubble(p, m, v+1) >= b {
						t.Fatalf("P %g M %g: bubble does not shrink from V %g to %g", p, m, v, v+1)
					}
				}
				if PipelineBubble(p+1, m, v) <= b {
					t.Fatalf("M %g V %g: bubble does not grow from P %g to %g", m, v, p, p+1)
				}
			}
		}
	}
}
