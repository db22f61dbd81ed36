package sweep

// Helpers for the optimizers that build a plan themselves (mlsysim optimize
// parallelism): rules a search states on its own combinations of parameters, as a
// grid's where filters do, and the number of points they keep.

// SetRules keeps only the points for which every expression (expr syntax over the
// parameters, as a grid's where) is true; where names the search in errors. An
// optimizer's rules are its own code, so an error here is a bug, not bad input,
// except that rules dropping every point say so ("the filters drop every point").
func (p *Plan) SetRules(where string, exprs ...string) error {
	return p.setFilter(exprs, where, make([]int, len(exprs)))
}

// Kept is the number of points the plan evaluates: N, less those its filters drop.
func (p *Plan) Kept() uint64 { return p.countKept(0, p.N) }

// Where is "file:line" of a plan key, for a note or an error about it.
func (pf *PlanFile) Where(key string) string { return pf.where(key) }
