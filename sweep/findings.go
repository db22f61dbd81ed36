package sweep

import (
	"math"
	"sort"
)

// Objective is the column a study's summary ranks points by.
type Objective struct {
	Column   string
	Minimize bool
}

// Findings summarise a run as it is written: how many points were feasible, why
// the others were not, and per model the best feasible point by the study's
// objective (ties go to the lowest point id, so the summary is deterministic).
type Findings struct {
	Objective Objective
	Rows      uint64
	Feasible  uint64
	Reasons   map[string]uint64 // infeasible reason → rows
	Best      []Best            // one per model with a feasible point, in model order
}

// Best is the best feasible point of one model.
type Best struct {
	Model   string
	Value   float64
	PointID uint64
	Inputs  map[string]any // the point's inputs, regenerated from its id
}

type findingsAcc struct {
	st       *Study
	obj, fe  int // column indexes of the objective and feasible
	reason   int
	rows, ok uint64
	reasons  []uint64
	best     []float64 // per model code
	bestID   []uint64
	has      []bool
}

func newFindingsAcc(p *Plan) *findingsAcc {
	st := p.Study
	a := &findingsAcc{st: st, obj: -1, fe: -1, reason: -1, reasons: make([]uint64, len(reasonLabels))}
	for i, c := range st.Columns {
		switch c.Name {
		case st.Objective.Column:
			a.obj = i
		case colFeasible.Name:
			a.fe = i
		case colReason.Name:
			a.reason = i
		}
	}
	n := len(p.Models)
	a.best, a.bestID, a.has = make([]float64, n), make([]uint64, n), make([]bool, n)
	return a
}

func (a *findingsAcc) add(p *Plan, b *Batch, o *Outputs) {
	if a.fe < 0 {
		return
	}
	// Best points are per model; a study without a model parameter only counts.
	var models []float64
	if _, mi, ok := a.st.Param("model"); ok {
		models = b.In[mi]
	}
	feas := o.Bool[a.fe]
	for k := 0; k < b.N; k++ {
		a.rows++
		if !feas[k] {
			if a.reason >= 0 {
				a.reasons[o.Code[a.reason][k]]++
			}
			continue
		}
		a.ok++
		if a.obj < 0 || models == nil {
			continue
		}
		v := o.F64[a.obj][k]
		if math.IsNaN(v) {
			continue
		}
		m := int(models[k])
		id := b.Lo + uint64(k)
		if b.IDs != nil && len(b.IDs) > k {
			id = b.IDs[k]
		}
		if !a.has[m] || a.better(v, id, a.best[m], a.bestID[m]) {
			a.best[m], a.bestID[m], a.has[m] = v, id, true
		}
	}
}

func (a *findingsAcc) better(v float64, id uint64, bv float64, bid uint64) bool {
	if v != bv {
		if a.st.Objective.Minimize {
			return v < bv
		}
		return v > bv
	}
	return id < bid
}

func (a *findingsAcc) merge(b *findingsAcc) {
	a.rows += b.rows
	a.ok += b.ok
	for i := range a.reasons {
		a.reasons[i] += b.reasons[i]
	}
	for m := range a.best {
		if b.has[m] && (!a.has[m] || a.better(b.best[m], b.bestID[m], a.best[m], a.bestID[m])) {
			a.best[m], a.bestID[m], a.has[m] = b.best[m], b.bestID[m], true
		}
	}
}

func (a *findingsAcc) findings(p *Plan) *Findings {
	f := &Findings{Objective: a.st.Objective, Rows: a.rows, Feasible: a.ok, Reasons: map[string]uint64{}}
	for i, n := range a.reasons {
		if n > 0 {
			f.Reasons[reasonLabels[i]] = n
		}
	}
	for m, ok := range a.has {
		if ok {
			f.Best = append(f.Best, Best{Model: p.Models[m].Key, Value: a.best[m], PointID: a.bestID[m], Inputs: p.Inputs(a.bestID[m])})
		}
	}
	sort.SliceStable(f.Best, func(i, j int) bool { return f.Best[i].PointID < f.Best[j].PointID })
	return f
}

// Inputs regenerates the input values of one point from its id.
func (p *Plan) Inputs(id uint64) map[string]any {
	var b Batch
	p.fill(&b, id, 1) // unfiltered: any id regenerates
	in := map[string]any{}
	for i, v := range p.Values {
		x := b.In[i][0]
		switch v.Param.Kind {
		case KindFloat:
			in[v.Param.Name] = x
		case KindInt:
			in[v.Param.Name] = int64(x)
		case KindBool:
			in[v.Param.Name] = x != 0
		default:
			in[v.Param.Name] = v.Labels[int(x)]
		}
	}
	return in
}
