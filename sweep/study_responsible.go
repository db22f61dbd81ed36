package sweep

import "github.com/mlsysim/mlsysim/kernel"

// The responsible study: what differential privacy and subgroup coverage cost a
// training run (kernel.ResponsibleEngineering, a heuristic; wall 20).
func init() {
	register(&Study{
		Name:      "responsible",
		Doc:       "privacy and fairness costs of training: DP-SGD slowdown, effective training time, extra data for the rarest subgroup (physics.md §8.3)",
		Objective: Objective{Column: "effective_training_days", Minimize: true},
		Params: []Param{
			{Name: "base_training_days", Kind: KindFloat, Default: "1", Min: 0, Max: MaxDays, Unit: "d", Doc: "training time without privacy"},
			{Name: "epsilon", Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: MaxDPEpsilon, Doc: "differential-privacy budget ε (smaller is more private; floored at 0.01)"},
			{Name: "delta", Kind: KindFloat, Default: "1e-5", Min: 0, Max: 1,
				Doc: "differential-privacy δ, recorded beside ε; the seed's model reports it back and no equation uses it"},
			{Name: "min_subgroup_prevalence", Kind: KindFloat, Default: "0.01", Min: 0, MinOpen: true, Max: 1,
				Doc: "share of the data in the smallest subgroup that must be represented (floored at 1e-6)"},
		},
		Columns: []Column{
			{Name: "dp_slowdown", Doc: "1 + 2/max(ε, 0.01): 3 at ε = 1, 1.2 at ε = 10 (the seed's privacy_cost_ratio)"},
			{Name: "effective_training_days", Unit: "d", Doc: "base training time × DP slowdown"},
			{Name: "privacy_overhead_days", Unit: "d", Doc: "effective − base training time"},
			{Name: "data_factor", Doc: "1 / max(prevalence, 1e-6): data multiple so the rarest subgroup is seen (the seed's fairness_data_ratio)"},
			wallSlack(20, "safety", "1 / DP slowdown: 1 − the share of training time privacy adds (the data factor is not counted)"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: func(p *Plan) evaluator { return &responsibleEval{st: p.Study} },
	})
}

type responsibleEval struct {
	st  *Study
	in  kernel.ResponsibleIn
	out kernel.ResponsibleOut
}

func (e *responsibleEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	in := &e.in
	in.BaseTime = grow(in.BaseTime, n)
	scaleInto(in.BaseTime, c.get("base_training_days"), 86400)
	in.Epsilon, in.Prevalence = c.get("epsilon"), c.get("min_subgroup_prevalence")
	kernel.ResponsibleEngineering(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	base := c.get("base_training_days")
	copy(w.f("dp_slowdown"), out.Slowdown)
	copy(w.f("data_factor"), out.DataFactor)
	eff, extra, slack := w.f("effective_training_days"), w.f("privacy_overhead_days"), w.f("wall_20_safety_slack")
	scaleInto(eff, out.EffectiveTime, 1.0/86400)
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		extra[k] = eff[k] - base[k]
		slack[k] = 1 / out.Slowdown[k]
		feas[k], reason[k], binding[k] = true, reasonNone, wallSafety
	}
}
