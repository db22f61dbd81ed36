package sweep

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// A where filter (expr-lang syntax) is evaluated once per combination of the
// dimensions it references, at plan time, into a keep/drop table; per point the
// filter is then a table lookup, however large the grid.

// maxFilterTable bounds that table: a filter over more combinations is refused.
const maxFilterTable = 1 << 20

// maxFilterLen bounds a filter's text; filters are conditions, not programs.
const maxFilterLen = 2000

type filter struct {
	dims []int  // referenced dimensions, in Plan.Dims order
	keep []bool // indexed by mixed radix over dims (last fastest)
}

// hwAttrs and modelAttrs are what filters can read as hw.X and model.X.
func hwAttrs(h *catalog.Hardware) map[string]any {
	m := map[string]any{
		"key": h.Key, "name": h.Name, "tier": h.Tier, "release_year": h.ReleaseYear,
		"peak_tflops": h.PeakFLOPS * 1e-12, "memory_gb": h.MemCapacityBytes * 1e-9,
		"bandwidth_gb_per_s": h.MemBandwidthBytesPerS * 1e-9, "tdp_w": h.TDPW, "unit_cost_usd": h.UnitCostUSD,
	}
	for _, k := range catalog.RateKeys {
		m[k+"_tflops"] = h.Rates[k] * 1e-12 // 0 when the device states no such rate
	}
	return m
}

func modelAttrs(md *catalog.Model) map[string]any {
	return map[string]any{
		"key": md.Key, "name": md.Name, "family": string(md.Family), "category": md.Category,
		"parameters": md.Parameters, "active_parameters": md.ActiveParameters, "layers": float64(md.Layers),
		"hidden_dim": float64(md.HiddenDim), "heads": float64(md.Heads), "kv_heads": float64(md.KVHeads),
		"experts": float64(md.Experts),
	}
}

// env sets the expression environment for one choice of value index per
// parameter, reusing env and the per-entity attribute maps.
func (p *Plan) env(env map[string]any, attrs *filterAttrs, idx []int) map[string]any {
	for i, v := range p.Values {
		x := v.Nums[idx[i]]
		switch v.Param.Kind {
		case KindFloat, KindInt:
			env[v.Param.Name] = x
		case KindBool:
			env[v.Param.Name] = x != 0
		default:
			env[v.Param.Name] = v.Labels[int(x)]
		}
		switch v.Param.Kind {
		case KindHardware:
			env["hw"] = attrs.hw[int(x)]
		case KindModel:
			env["model"] = attrs.model[int(x)]
		}
	}
	return env
}

// filterAttrs holds hw.* and model.* maps per code, built once per plan.
type filterAttrs struct {
	hw, model []map[string]any
}

func (p *Plan) filterAttrs() *filterAttrs {
	a := &filterAttrs{}
	for _, h := range p.Hardware {
		a.hw = append(a.hw, hwAttrs(h))
	}
	for _, m := range p.Models {
		a.model = append(a.model, modelAttrs(m))
	}
	return a
}

func (p *Plan) setFilter(exprs []string, file string, lines []int) error {
	attrs := p.filterAttrs()
	zero := make([]int, len(p.Values))
	sample := p.env(map[string]any{}, attrs, zero)
	var progs []*vm.Program
	refs := map[string]bool{}
	for i, src := range exprs {
		if len(src) > maxFilterLen {
			return fmt.Errorf("%s:%d: where: a filter of %d characters is longer than %d; filters are conditions on parameters", file, lines[i], len(src), maxFilterLen)
		}
		opts := []expr.Option{expr.Env(sample), expr.AsBool()}
		for _, b := range disabledBuiltins {
			opts = append(opts, expr.DisableBuiltin(b))
		}
		prog, err := expr.Compile(src, opts...)
		if err != nil {
			msg := firstLine(err.Error())
			for _, b := range clockBuiltins {
				if strings.Contains(msg, "unknown name "+b) {
					msg = b + "() depends on the clock or the machine's time zone, and a rerun must give the same rows; write the date or duration as a number"
				}
			}
			return fmt.Errorf("%s:%d: where %q: %s; filters use expr syntax over the parameters (%s) and hw.*, model.* attributes",
				file, lines[i], src, msg, strings.Join(p.Study.ParamNames(), ", "))
		}
		node := prog.Node()
		ast.Walk(&node, identVisitor(refs))
		if err := checkAttrs(node); err != nil {
			return fmt.Errorf("%s:%d: where %q: %w", file, lines[i], src, err)
		}
		if err := p.checkLiterals(src); err != nil {
			return fmt.Errorf("%s:%d: where %q: %w", file, lines[i], src, err)
		}
		if err := checkNumbers(src); err != nil {
			return fmt.Errorf("%s:%d: where %q: %w", file, lines[i], src, err)
		}
		progs = append(progs, prog)
	}
	f := &filter{}
	for d, dim := range p.Dims {
		for _, pi := range dim.Params {
			name := p.Values[pi].Param.Name
			if refs[name] || (name == "hardware" && refs["hw"]) || (name == "model" && refs["model"]) {
				f.dims = append(f.dims, d)
				break
			}
		}
	}
	size := 1
	for _, d := range f.dims {
		size *= p.Dims[d].Len
		if size > maxFilterTable {
			return fmt.Errorf("%s:%d: where: the filter spans more than %d combinations of its axes; filter on fewer axes", file, lines[0], maxFilterTable)
		}
	}
	f.keep = make([]bool, size)
	idx := make([]int, len(p.Values))
	digits := make([]int, len(f.dims))
	for t := 0; t < size; t++ {
		rem := t
		for j := len(f.dims) - 1; j >= 0; j-- {
			l := p.Dims[f.dims[j]].Len
			digits[j] = rem % l
			rem /= l
		}
		for j, d := range f.dims {
			for _, pi := range p.Dims[d].Params {
				idx[pi] = digits[j]
			}
		}
		env := p.env(sample, attrs, idx)
		keep := true
		for i, prog := range progs {
			out, err := expr.Run(prog, env)
			if err != nil {
				return fmt.Errorf("%s:%d: where %q: %s", file, lines[i], exprs[i], firstLine(err.Error()))
			}
			if out != true {
				keep = false
				break
			}
		}
		f.keep[t] = keep
	}
	if !slices.Contains(f.keep, true) {
		return fmt.Errorf("%s:%d: where: the filters drop every point", file, lines[0])
	}
	p.filter = f
	return nil
}

// disabledBuiltins: repeat can build huge strings; the clock builtins would make
// the kept points depend on when (and in which time zone) the grid is planned.
var (
	clockBuiltins    = []string{"now", "date", "timezone"}
	disabledBuiltins = append([]string{"repeat"}, clockBuiltins...)
)

// checkAttrs refuses hw.X and model.X for an X the filter environment lacks:
// expr would read nil and fail later with "invalid operation: <nil> > int".
func checkAttrs(node ast.Node) error {
	valid := map[string][]string{"hw": slices.Sorted(maps.Keys(hwAttrs(&catalog.Hardware{}))),
		"model": slices.Sorted(maps.Keys(modelAttrs(&catalog.Model{})))}
	var err error
	ast.Find(node, func(n ast.Node) bool {
		m, ok := n.(*ast.MemberNode)
		if !ok || err != nil {
			return false
		}
		id, ok1 := m.Node.(*ast.IdentifierNode)
		prop, ok2 := m.Property.(*ast.StringNode)
		if !ok1 || !ok2 || valid[id.Value] == nil || slices.Contains(valid[id.Value], prop.Value) {
			return false
		}
		err = fmt.Errorf("%s has no attribute %q%s; %s.* attributes: %s", id.Value, prop.Value,
			suggest.HintPrefixed(id.Value+".", prop.Value, valid[id.Value]), id.Value, strings.Join(valid[id.Value], ", "))
		return true
	})
	return err
}

type identVisitor map[string]bool

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v[id.Value] = true
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// keeps reports whether point id passes the filter.
func (p *Plan) keeps(id uint64) bool {
	t := 0
	for _, d := range p.filter.dims {
		dim := &p.Dims[d]
		t = t*dim.Len + int((id/dim.stride)%uint64(dim.Len))
	}
	return p.filter.keep[t]
}

// applyFilter drops filtered points from a filled batch, recording the ids kept.
func (p *Plan) applyFilter(b *Batch) {
	b.IDs = grow(b.IDs, b.N)
	n := 0
	for k := 0; k < b.N; k++ {
		id := b.Lo + uint64(k)
		if !p.keeps(id) {
			continue
		}
		for _, col := range b.In {
			col[n] = col[k]
		}
		b.IDs[n] = id
		n++
	}
	b.N = n
	for i := range b.In {
		b.In[i] = b.In[i][:n]
	}
	b.IDs = b.IDs[:n]
}
