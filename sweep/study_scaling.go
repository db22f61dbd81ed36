package sweep

import (
	"math"

	"github.com/mlsysim/mlsysim/kernel"
)

// The scaling study: the compute-optimal model size and token count for a
// training budget (kernel.Scaling, Chinchilla, wall 11), or the tokens a budget
// buys a model of a given size.
func init() {
	register(&Study{
		Name:      "scaling",
		Doc:       "Chinchilla compute-optimal training: parameters and tokens for a FLOP budget, or tokens for a given size (physics.md §7.8)",
		Objective: Objective{Column: "tokens"},
		Params: []Param{
			{Name: "compute_budget_flop", Kind: KindFloat, Default: "0", Min: 0, Max: MaxFLOP, Unit: "FLOP", Doc: "training budget C in FLOP (added to compute_budget_gpu_days)"},
			{Name: "compute_budget_gpu_days", Kind: KindFloat, Default: "0", Min: 0, Max: MaxAcceleratorDays, Unit: "d",
				Doc: "training budget in GPU-days of the reference GPU (989 TFLOP/s at 40 % MFU), added to compute_budget_flop"},
			{Name: "target_params", Kind: KindFloat, Default: "0", Min: 0, Max: MaxParams,
				Doc: "parameters of a given model: tokens = C / (6·P); 0 chooses the compute-optimal size"},
		},
		Columns: []Column{
			{Name: "compute_flop", Unit: "FLOP", Doc: "the budget C: compute_budget_flop + GPU-days · 86 400 s · 989e12 FLOP/s · 0.4"},
			{Name: "params", Doc: "P: target_params, or the compute-optimal √(C / 120)"},
			{Name: "tokens", Doc: "D: C / (6·P), 20·P when compute-optimal"},
			{Name: "tokens_per_param", Doc: "D / P (0 when P = 0)"},
			wallSlack(11, "complexity", "min(D/P, 20) / max(D/P, 20): 1 at the compute-optimal 20 tokens per parameter, 0.5 at a factor of 2 either way (1 without target_params)"),
			colBindingWall,
			colFeasible, colReason,
		},
		newEval: func(p *Plan) evaluator { return &scalingEval{st: p.Study} },
	})
}

type scalingEval struct {
	st  *Study
	in  kernel.ScalingIn
	out kernel.ScalingOut
}

func (e *scalingEval) eval(b *Batch, o *Outputs) {
	c := cols{e.st, b}
	n := b.N
	flop, days := c.get("compute_budget_flop"), c.get("compute_budget_gpu_days")
	in := &e.in
	in.ComputeFLOPs = grow(in.ComputeFLOPs, n)
	for k := 0; k < n; k++ {
		in.ComputeFLOPs[k] = flop[k] + kernel.GPUDaysFLOPs(days[k])
	}
	in.TargetParams = c.get("target_params")
	kernel.Scaling(&e.out, in)

	out := &e.out
	w := outs{e.st, o}
	copy(w.f("compute_flop"), in.ComputeFLOPs)
	copy(w.f("params"), out.Params)
	copy(w.f("tokens"), out.Tokens)
	copy(w.f("tokens_per_param"), out.TokensPerParam)
	slack := w.f("wall_11_complexity_slack")
	feas, reason, binding := w.b("feasible"), w.c("infeasible_reason"), w.c("binding_wall")
	for k := 0; k < n; k++ {
		r := out.TokensPerParam[k]
		slack[k] = math.Min(r, kernel.ChinchillaTokensPerParam) / math.Max(r, kernel.ChinchillaTokensPerParam)
		feas[k], reason[k], binding[k] = true, reasonNone, wallComplexity
		if in.ComputeFLOPs[k] == 0 {
			feas[k], reason[k] = false, reasonNoBudget
		}
	}
}
