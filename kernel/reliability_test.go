package kernel

import (
	"math"
	"testing"
)

func TestReliability(t *testing.T) {
	// physics.md §13.4 Reliability(Research_256): 32 nodes of 8 GPUs (50 000 h),
	// 8 NICs (150 000 h), 2 PSUs (100 000 h): 1/MTBF = 8/5e4 + 8/1.5e5 + 2/1e5 = 7/30000 per hour.
	node := NodeMTBF(8, 50000, 8, 150000, 2, 100000)
	fleet := ClusterMTBF(node, 32, 1)
	checkScalars(t, []scalarCase{
		// §13.2 test_formulas F19: sqrt(2·60·1.8e8) ≈ 146 969.4 s.
		{"Young exact", YoungInterval(60, 50000*3600), math.Sqrt(2.16e10), tightRel, 0},
		{"Young published", YoungInterval(60, 50000*3600), 146969.4, 0, 0.05},

		// §13.2 F20–F21.
		{"cluster MTBF", ClusterMTBF(50000, 1000, 1), 50, tightRel, 0},
		{"cluster MTBF correlated", ClusterMTBF(50000, 1000, 0.5), 25, tightRel, 0},

		// §13.2 F37–F39 (absent parts have count 0 and MTBF 0).
		{"node one GPU", NodeMTBF(1, 10000, 0, 0, 0, 0), 10000, tightRel, 0},
		{"node two GPUs", NodeMTBF(2, 10000, 0, 0, 0, 0), 5000, tightRel, 0},
		{"node mixed exact", NodeMTBF(4, 10000, 2, 50000, 2, 20000), 1 / 5.4e-4, tightRel, 0},
		{"node mixed published", NodeMTBF(4, 10000, 2, 50000, 2, 20000), 1851.85, 0, 0.005},
		{"node without parts", NodeMTBF(0, 0, 0, 0, 0, 0), math.Inf(1), 0, 0},

		{"§13.4 node MTBF", node, 30000.0 / 7, tightRel, 0},
		{"§13.4 node MTBF published", node, 4285.714, 0, 5e-4},
		{"§13.4 fleet MTBF published", fleet, 133.929, 0, 5e-4},
		{"§13.4 τ published", YoungInterval(60, fleet*3600), 7606.39, 0, 0.005},
		{"§13.4 P_fail published", FailureProbability(336, fleet), 0.918634, 0, 5e-7},

		// §13.2 F31: T = MTBF → 1 − e^−1 ≈ 0.6321.
		{"failure T = MTBF", FailureProbability(100, 100), 1 - math.Exp(-1), tightRel, 0},
		{"failure published", FailureProbability(100, 100), 0.6321, 0, 5e-5},
		{"failure T 0", FailureProbability(0, 100), 0, 0, 0},
		// §13.3 docstring: 1000-GPU cluster, MTBF 50 h, 14-day job → 0.9988.
		{"failure 14 days", FailureProbability(14*24, 50), 0.9988, 0, 5e-5},

		// §13.2 F33–F34: 1 − (1 − a)^k.
		{"availability 0.999 ×3", StackedAvailability(0.999, 3), 0.999999999, tightRel, 0},
		{"availability 0.99 ×1", StackedAvailability(0.99, 1), 0.99, tightRel, 0},
		{"availability ×0", StackedAvailability(0.99, 0), 0, 0, 0},
		{"availability perfect", StackedAvailability(1, 2), 1, 0, 0},
	})
}
