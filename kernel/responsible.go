package kernel

import "math"

// ResponsibleEngineering is the price of privacy and subgroup coverage in training
// (physics.md §8.3, ResponsibleEngineeringModel; Wall 20), a heuristic:
//
//	DP-SGD slowdown = 1 + 2/max(ε, 0.01)        (3× at ε = 1, 1.2× at ε = 10)
//	effective time  = base time · slowdown
//	data factor     = 1/max(prevalence, 1e-6)   (more data so the rarest subgroup is seen)
//
// The seed also takes δ and reports it back; it enters no equation, so it is not a column.
func ResponsibleEngineering(out *ResponsibleOut, in *ResponsibleIn) {
	n := len(in.BaseTime)
	out.resize(n)
	for i := 0; i < n; i++ {
		slowdown := 1 + DPSGDSlowdownCoefficient/math.Max(in.Epsilon[i], minEpsilon)
		out.Slowdown[i] = slowdown
		out.EffectiveTime[i] = in.BaseTime[i] * slowdown
		out.DataFactor[i] = 1 / math.Max(in.Prevalence[i], minPrevalence)
	}
}

// Constants of the responsible-engineering model (physics.md §8.3, §10).
const (
	// DPSGDSlowdownCoefficient is DP_SGD_SLOWDOWN_COEFFICIENT.
	DPSGDSlowdownCoefficient = 2.0
	// DefaultEpsilon and DefaultMinSubgroupPrevalence are the seed's epsilon and
	// min_subgroup_prevalence defaults.
	DefaultEpsilon               = 1.0
	DefaultMinSubgroupPrevalence = 0.01

	minEpsilon    = 0.01
	minPrevalence = 1e-6
)

// ResponsibleIn holds the input columns of ResponsibleEngineering.
type ResponsibleIn struct {
	BaseTime   []float64 // s of training without privacy
	Epsilon    []float64 // differential-privacy budget ε
	Prevalence []float64 // share of the smallest subgroup
}

// ResponsibleOut holds the output columns of ResponsibleEngineering.
type ResponsibleOut struct {
	Slowdown      []float64 // the seed's dp_slowdown_factor and privacy_cost_ratio
	EffectiveTime []float64 // s
	DataFactor    []float64 // the seed's additional_data_requirement and fairness_data_ratio
}

func (o *ResponsibleOut) resize(n int) {
	for _, p := range []*[]float64{&o.Slowdown, &o.EffectiveTime, &o.DataFactor} {
		*p = grow(*p, n)
	}
}
