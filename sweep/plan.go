package sweep

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// Values are the resolved values of one parameter: for label kinds (model,
// hardware, enum, bool) Labels holds the names and Codes their positions; for
// numbers Nums holds the values. Every parameter gets at least one value.
type Values struct {
	Param  *Param
	Labels []string  // label kinds: distinct names in axis order
	Nums   []float64 // per value: the number, or the label's code
	Dim    int       // index into Plan.Dims; -1 when the parameter is fixed
}

// Len is the number of values.
func (v *Values) Len() int { return len(v.Nums) }

// text is value i as a name or a number.
func (v *Values) text(i int) string {
	if v.Param.Kind.IsLabel() || len(v.Labels) > 0 {
		return v.Labels[int(v.Nums[i])]
	}
	return fmtBound(v.Nums[i])
}

// Dim is one varying dimension of the space: one axis, or several zipped axes
// that advance together.
type Dim struct {
	Len    int
	Params []int // indexes into Plan.Values
	stride uint64
}

// Plan is a resolved, validated space of points. Points are numbered 0..N-1 in
// mixed radix over Dims, the last dimension varying fastest, so any point can be
// regenerated from its id.
type Plan struct {
	Study   *Study
	Catalog *catalog.Catalog
	Values  []*Values // one per study parameter, in study order
	Dims    []Dim
	N       uint64

	Models   []*catalog.Model    // by model code
	Hardware []*catalog.Hardware // by hardware code
	Clusters []*catalog.Cluster  // by cluster code
	Fabrics  []*catalog.Fabric   // by fabric code (nil: the cluster's own)
	Grids    []*catalog.Grid     // by region code
	Drafts   []*catalog.Model    // by draft code (nil for "none" and "mtp")
	Engines  []*catalog.Engine   // by engine code

	Spec   *Spec   // the grid spec the plan came from (nil for eval)
	filter *filter // where filters, nil when none
	consts *constColumns
	// axisWhere is where each axis given to NewPlan was written (a flag, a plan's
	// file:line), which places a profile check's "axis NAME:" error without a spec.
	axisWhere map[string]string

	// Profile is the physics profile: "seed" (the seed's Profile B, reproducing its
	// goldens) or "calibrated" (docs/PHYSICS.md "Profiles"). Set it with SetProfile.
	Profile string
}

// AxisValue is one raw value as the user wrote it, with where it came from for errors.
type AxisValue struct {
	Text  string
	Where string // "grid.yaml:12", "--batch-size", …
}

// Axis is a parameter with its values, in the order the user listed axes.
type Axis struct {
	Name   string
	Values []AxisValue
	Where  string
}

// NewPlan resolves axes for a study. Parameters not named take their default;
// a required parameter without a value is an error. zip lists groups of axis
// names that advance together and must have equal lengths.
func NewPlan(cat *catalog.Catalog, st *Study, axes []Axis, zip [][]string) (*Plan, error) {
	p := &Plan{Study: st, Catalog: cat, Values: make([]*Values, len(st.Params)), Profile: Profiles[0],
		consts: &constColumns{cols: make([][]float64, len(st.Params))}}
	seen := map[string]int{}
	for ai, ax := range axes {
		prm, idx, ok := st.Param(ax.Name)
		if !ok {
			return nil, unknownParam(st, ax.Name, ax.Where)
		}
		if _, dup := seen[ax.Name]; dup {
			return nil, fmt.Errorf("%s: %s is given twice", ax.Where, ax.Name)
		}
		seen[ax.Name] = ai
		if ax.Where != "" {
			if p.axisWhere == nil {
				p.axisWhere = map[string]string{}
			}
			p.axisWhere[ax.Name] = ax.Where
		}
		if len(ax.Values) == 0 {
			return nil, fmt.Errorf("%s: %s has no values", ax.Where, ax.Name)
		}
		v, err := p.resolve(prm, ax.Values)
		if err != nil {
			return nil, err
		}
		p.Values[idx] = v
	}
	for i := range st.Params {
		if p.Values[i] != nil {
			continue
		}
		prm := &st.Params[i]
		if prm.Default == "" {
			return nil, fmt.Errorf("study %s needs %s (%s)", st.Name, prm.Name, prm.Doc)
		}
		v, err := p.resolve(prm, []AxisValue{{Text: prm.Default, Where: "default of " + prm.Name}})
		if err != nil {
			return nil, err
		}
		p.Values[i] = v
	}
	if err := p.buildDims(axes, zip); err != nil {
		return nil, err
	}
	if st.check != nil {
		if err := st.check(p); err != nil {
			// A model the study cannot take: name where it was given.
			var me modelError
			for _, ax := range axes {
				if errors.As(err, &me) && ax.Name == "model" && ax.Where != "" {
					return nil, fmt.Errorf("%s: %w", ax.Where, err)
				}
			}
			return nil, err
		}
	}
	return p, nil
}

// modelError is a study check's refusal of a model, which NewPlan places at the model axis.
type modelError struct{ error }

func (e modelError) Unwrap() error { return e.error }

func unknownParam(st *Study, name, where string) error {
	return fmt.Errorf("%s: study %s has no parameter %q%s; its parameters are %s", where, st.Name, name, suggest.Hint(name, st.ParamNames()), strings.Join(st.ParamNames(), ", "))
}

// buildDims groups varying parameters into dimensions in axis order.
func (p *Plan) buildDims(axes []Axis, zip [][]string) error {
	for i := range p.Values {
		p.Values[i].Dim = -1
	}
	group := map[string]int{}
	for gi, g := range zip {
		if len(g) < 2 {
			return fmt.Errorf("zip group %d: want two or more axes, got %v", gi+1, g)
		}
		for _, name := range g {
			if _, in := group[name]; in {
				return fmt.Errorf("zip: %s appears in more than one group", name)
			}
			if !slices.ContainsFunc(axes, func(a Axis) bool { return a.Name == name }) {
				return fmt.Errorf("zip group %d: %s is not an axis", gi+1, name)
			}
			group[name] = gi
		}
	}
	zipDim := map[int]int{}
	for _, ax := range axes {
		_, idx, _ := p.Study.Param(ax.Name)
		v := p.Values[idx]
		gi, zipped := group[ax.Name]
		if !zipped && v.Len() == 1 {
			continue // a single value is fixed, not an axis
		}
		if !zipped {
			// The same value twice would repeat every point it is part of; a zipped
			// axis may repeat values, as its partners tell the points apart.
			seen := make(map[float64]bool, v.Len())
			for i, x := range v.Nums {
				if seen[x] {
					return fmt.Errorf("%s: %s lists %s twice; give each value once", ax.Values[i].Where, ax.Name, v.text(i))
				}
				seen[x] = true
			}
		}
		if zipped {
			if d, ok := zipDim[gi]; ok {
				if p.Dims[d].Len != v.Len() {
					first := p.Study.Params[p.Dims[d].Params[0]].Name
					return fmt.Errorf("zip: %s has %d values but %s has %d; zipped axes advance together and need equal lengths",
						ax.Name, v.Len(), first, p.Dims[d].Len)
				}
				p.Dims[d].Params = append(p.Dims[d].Params, idx)
				v.Dim = d
				continue
			}
			zipDim[gi] = len(p.Dims)
		}
		v.Dim = len(p.Dims)
		p.Dims = append(p.Dims, Dim{Len: v.Len(), Params: []int{idx}})
	}
	// A zipped row twice would repeat every point it is part of, as a value
	// twice on an axis would: the rows of a zip group are told apart by their
	// combination, which must then be new.
	for _, d := range p.Dims {
		if len(d.Params) < 2 {
			continue
		}
		seen := make(map[string]int, d.Len)
		for i := range d.Len {
			var key []byte
			var words []string
			for _, idx := range d.Params {
				v := p.Values[idx]
				key = binary.LittleEndian.AppendUint64(key, math.Float64bits(v.Nums[i]))
				words = append(words, p.Study.Params[idx].Name+" "+v.text(i))
			}
			if j, dup := seen[string(key)]; dup {
				return fmt.Errorf("zip: row %d (%s) repeats row %d; zipped axes advance together, and the same combination twice would repeat every point: give each once",
					i+1, strings.Join(words, ", "), j+1)
			}
			seen[string(key)] = i
		}
	}
	p.N = 1
	for i := len(p.Dims) - 1; i >= 0; i-- {
		p.Dims[i].stride = p.N
		hi, lo := mulOverflow(p.N, uint64(p.Dims[i].Len))
		if hi || lo > MaxPoints {
			return fmt.Errorf("the grid has more than %d (2^63 − 1) points, the most a point_id (INT64) can number", uint64(MaxPoints))
		}
		p.N = lo
	}
	return nil
}

// MaxPoints is the most points a plan may hold: point ids are written as
// signed 64-bit integers.
const MaxPoints = math.MaxInt64

func mulOverflow(a, b uint64) (bool, uint64) {
	if a != 0 && b > math.MaxUint64/a {
		return true, 0
	}
	return false, a * b
}

// resolve parses and validates one parameter's raw values.
func (p *Plan) resolve(prm *Param, raw []AxisValue) (*Values, error) {
	v := &Values{Param: prm}
	for _, r := range raw {
		text := strings.TrimSpace(r.Text)
		switch prm.Kind {
		case KindModel, KindHardware, KindCluster, KindFabric, KindRegion, KindDraft, KindEngine:
			if err := p.lookup(prm, text); err != nil {
				return nil, fmt.Errorf("%s: %w", r.Where, err)
			}
			v.Nums = append(v.Nums, float64(p.labelCode(v, text)))
		case KindEnum:
			l := strings.ToLower(text)
			if !slices.Contains(prm.Enum, l) {
				return nil, fmt.Errorf("%s: %s %q is not valid%s; choose one of %s", r.Where, prm.Name, text, suggest.Hint(l, prm.Enum), strings.Join(prm.Enum, ", "))
			}
			// Enum codes are positions in Param.Enum, whatever the axis order.
			v.Labels = prm.Enum
			v.Nums = append(v.Nums, float64(slices.Index(prm.Enum, l)))
		case KindBool:
			b, err := catalog.ParseBool(text)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", r.Where, prm.Name, err)
			}
			v.Labels = boolLabels
			v.Nums = append(v.Nums, b2f(b))
		default:
			// 010 is 10 here and 8 in a plan read by the YAML decoder: refused in both;
			// 1_000 was 1000 here (strconv.ParseFloat reads separators) where a flag
			// refuses it: refused here too.
			if err := catalog.NumberText(text); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", r.Where, prm.Name, err)
			}
			f, err := strconv.ParseFloat(text, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s: %s %q is not a number", r.Where, prm.Name, text)
			}
			if prm.Kind == KindInt && f != math.Trunc(f) {
				return nil, fmt.Errorf("%s: %s %v must be a whole number", r.Where, prm.Name, f)
			}
			if err := checkRange(prm, f, text); err != nil {
				return nil, fmt.Errorf("%s: %w", r.Where, err)
			}
			v.Nums = append(v.Nums, f)
		}
	}
	p.setEntities(prm.Kind, v.Labels)
	return v, nil
}

// DefaultFabric is the value of a fabric parameter that keeps the cluster's own fabric.
const DefaultFabric = "default"

// Draft values that are not catalog models: no speculative decoding, or a
// multi-token-prediction module of the served model.
const (
	DraftNone = "none"
	DraftMTP  = "mtp"
)

// lookup checks a catalog key for a catalog-keyed parameter.
func (p *Plan) lookup(prm *Param, key string) error {
	var err error
	switch prm.Kind {
	case KindModel:
		_, err = p.Catalog.ModelByKey(key)
	case KindHardware:
		_, err = p.Catalog.HardwareByKey(key)
	case KindCluster:
		_, err = p.Catalog.ClusterByKey(key)
	case KindFabric:
		if key != DefaultFabric {
			_, err = p.Catalog.FabricByKey(key)
		}
	case KindRegion:
		_, err = p.Catalog.GridByKey(key)
	case KindEngine:
		_, err = p.Catalog.EngineByKey(key)
	case KindDraft:
		if key != DraftNone && key != DraftMTP {
			if _, err = p.Catalog.ModelByKey(key); err != nil {
				err = fmt.Errorf("%w; or %s (no drafting), %s (multi-token prediction)", err, DraftNone, DraftMTP)
			}
		}
	}
	return err
}

// setEntities fills the plan's per-code entity lists (Models, Hardware, …) from
// a parameter's labels, so evaluators index them by code.
func (p *Plan) setEntities(kind Kind, labels []string) {
	c := p.Catalog
	switch kind {
	case KindModel:
		p.Models = lookupAll(labels, c.ModelByKey)
	case KindHardware:
		p.Hardware = lookupAll(labels, c.HardwareByKey)
	case KindCluster:
		p.Clusters = lookupAll(labels, c.ClusterByKey)
	case KindFabric:
		p.Fabrics = lookupAll(labels, c.FabricByKey) // nil for "default"
	case KindRegion:
		p.Grids = lookupAll(labels, c.GridByKey)
	case KindEngine:
		p.Engines = lookupAll(labels, c.EngineByKey)
	case KindDraft:
		p.Drafts = lookupAll(labels, c.ModelByKey) // nil for none and mtp
	}
}

// lookupAll resolves each label in order; a label that names no entry (the labels
// were checked when the plan was built, so only the placeholders above) gives nil.
func lookupAll[T any](labels []string, byKey func(string) (*T, error)) []*T {
	var out []*T
	for _, k := range labels {
		v, _ := byKey(k)
		out = append(out, v)
	}
	return out
}

var boolLabels = []string{"false", "true"}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// labelCode returns the code of a label, adding it when new.
func (p *Plan) labelCode(v *Values, label string) int {
	if i := slices.Index(v.Labels, label); i >= 0 {
		return i
	}
	v.Labels = append(v.Labels, label)
	return len(v.Labels) - 1
}

// checkRange checks f against the parameter's bounds; text is the value as
// written, quoted back in the error (float64 would round 2^63 − 1).
func checkRange(prm *Param, f float64, text string) error {
	bound := ""
	switch {
	case prm.MinOpen && f <= prm.Min:
		bound = "> " + fmtBound(prm.Min)
	case !prm.MinOpen && f < prm.Min:
		bound = "≥ " + fmtBound(prm.Min)
	case prm.Gap && f > prm.Min && f < prm.Least:
		bound = fmtBound(prm.Min) + " or ≥ " + fmtBound(prm.Least)
	case prm.Max != 0 && f > prm.Max:
		bound = "≤ " + fmtBound(prm.Max)
	}
	if bound == "" {
		return nil
	}
	in := "in "
	if prm.Gap {
		in = ""
	}
	return fmt.Errorf("%s = %s is out of range: want %s, i.e. %s%s", prm.Name, text, bound, in, prm.Range())
}

// Range is the interval a numeric parameter accepts, e.g. "[1, 16777216]", or
// "0 or [1e-06, 1]" when Min is a sentinel below a gap.
func (prm *Param) Range() string {
	rng := map[bool]string{true: "(", false: "["}[prm.MinOpen] + fmtBound(prm.Min)
	if prm.Gap {
		rng = fmtBound(prm.Min) + " or [" + fmtBound(prm.Least)
	}
	if prm.Max != 0 {
		return rng + ", " + fmtBound(prm.Max) + "]"
	}
	return rng + ", ∞)"
}

// fmtBound writes whole numbers in full (16777216, not 1.6777216e+07) up to
// 2^53, where they stop being exact.
func fmtBound(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) <= maxExact {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Batch is a contiguous range of points with their input columns.
type Batch struct {
	Lo  uint64      // first point id of the range
	N   int         // points in the batch
	In  [][]float64 // per study parameter: value (number or label code) per point
	IDs []uint64    // point ids when a filter dropped points; nil means Lo, Lo+1, …

	shared []bool // per parameter: In holds the plan's shared column (read only)

	scratch map[string][]float64 // default-valued columns for parameters a study lacks
}

// Fill expands points lo..lo+n-1 into b's input columns, reusing its storage.
func (p *Plan) Fill(b *Batch, lo uint64, n int) {
	p.fill(b, lo, n)
	if p.filter != nil {
		p.applyFilter(b)
	}
}

// constColumns holds a column per parameter with a single value, which the
// batches of an unfiltered plan share instead of each filling its own: every
// worker's batch touched those pages once more (a page fault each, the largest
// part of a second worker's extra CPU on a 1M-point grid) and rewrote them for
// every batch. Shared columns are read only: a filter compacts a batch's
// columns in place, so a filtered plan's batches keep their own.
type constColumns struct {
	mu   sync.Mutex
	cols [][]float64
}

// column is parameter i's shared column of n values x.
func (c *constColumns) column(i int, x float64, n int) []float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	col := c.cols[i]
	if len(col) < n || math.Float64bits(col[0]) != math.Float64bits(x) {
		col = make([]float64, n)
		setAll(col, x)
		c.cols[i] = col // batches holding the old column keep it
	}
	return col[:n:n]
}

// fill expands points without applying filters.
func (p *Plan) fill(b *Batch, lo uint64, n int) {
	b.Lo, b.N = lo, n
	b.IDs = b.IDs[:0]
	if len(b.In) != len(p.Values) {
		b.In = make([][]float64, len(p.Values))
	}
	if len(b.shared) != len(b.In) {
		b.shared = make([]bool, len(b.In))
	}
	for i, v := range p.Values {
		if v.Dim < 0 && p.filter == nil && p.consts != nil && n > 0 {
			b.In[i], b.shared[i] = p.consts.column(i, v.Nums[0], n), true
			continue
		}
		if b.shared[i] {
			b.In[i], b.shared[i] = nil, false
		}
		b.In[i] = grow(b.In[i], n)
		if v.Dim < 0 {
			setAll(b.In[i], v.Nums[0])
		}
	}
	// A dimension's digit is constant over runs of stride points: each run is one fill
	// of each of its parameters' columns (a store per point, not a lookup per point).
	// Its columns repeat every stride · Len points (the digit's whole cycle), so only
	// the first cycle is filled run by run and the rest copied from it, doubling: the
	// fastest axes' runs are a point or a few long, one fill each.
	for _, d := range p.Dims {
		digit := int((lo / d.stride) % uint64(d.Len))
		left := d.stride - lo%d.stride // points until the digit next changes
		cycle := n
		if c := d.stride * uint64(d.Len); c < uint64(n) {
			cycle = int(c)
		}
		for k := 0; k < cycle; {
			run := int(min(left, uint64(cycle-k)))
			for _, pi := range d.Params {
				x, col := p.Values[pi].Nums[digit], b.In[pi][k:k+run]
				if run >= fillLoopMax {
					setAll(col, x)
					continue
				}
				for j := range col { // the fastest axes' runs are short: no call
					col[j] = x
				}
			}
			k += run
			left = d.stride
			digit++
			if digit == d.Len {
				digit = 0
			}
		}
		if cycle < n {
			for _, pi := range d.Params {
				col := b.In[pi][:n]
				for k := cycle; k < n; k *= 2 {
					copy(col[k:], col[:k])
				}
			}
		}
	}
}

// Profiles lists the physics profiles; the first is the default.
var Profiles = []string{"calibrated", "seed"}

// CheckProfile refuses a name that is not one of Profiles.
func CheckProfile(name string) error {
	if !slices.Contains(Profiles, name) {
		return fmt.Errorf("profile %q is not a physics profile%s; valid: %s", name, suggest.Hint(name, Profiles), strings.Join(Profiles, ", "))
	}
	return nil
}

// SetProfile chooses the physics profile of the plan and checks the plan's models
// against what that profile's physics reads.
func (p *Plan) SetProfile(name string) error {
	if err := CheckProfile(name); err != nil {
		return err
	}
	p.Profile = name
	if p.Study.checkProfile == nil {
		return nil
	}
	err := p.Study.checkProfile(p)
	switch {
	case err == nil:
	case p.Spec != nil:
		err = p.Spec.locate(err)
	default:
		err = p.placeAxis(err)
	}
	return err
}

// placeAxis puts a check's "axis NAME: …" error of a plan built without a spec (eval,
// serve) where that axis was written — "--precision: …" rather than "axis precision: …",
// a grid's word for a flag; an error naming no axis given to NewPlan is kept.
func (p *Plan) placeAxis(err error) error {
	msg := err.Error()
	for name, where := range p.axisWhere {
		if rest, ok := strings.CutPrefix(msg, "axis "+name+": "); ok {
			return fmt.Errorf("%s: %s", where, rest)
		}
	}
	return err
}

// Calibrated reports whether the plan uses the calibrated profile.
func (p *Plan) Calibrated() bool { return p.Profile == "calibrated" }

// Filtered reports whether where filters drop points.
func (p *Plan) Filtered() bool { return p.filter != nil }

// setAll sets every value of dst to x: a short run value by value, a longer one by
// doubling copies (memmove moves a cache line in a few vector instructions, where the
// loop takes a store, an increment and a branch per value).
func setAll(dst []float64, x float64) {
	if len(dst) < fillLoopMax {
		for k := range dst {
			dst[k] = x
		}
		return
	}
	dst[0] = x
	for k := 1; k < len(dst); k *= 2 {
		copy(dst[k:], dst[:k])
	}
}

const fillLoopMax = 32

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// Outputs holds a batch's output columns, one per study column, in study order.
type Outputs struct {
	F64  [][]float64 // Float64 columns (nil for others)
	Bool [][]bool    // Bool columns
	Code [][]uint8   // Enum columns: label index
}

func (o *Outputs) resize(st *Study, n int) {
	if len(o.F64) != len(st.Columns) {
		o.F64 = make([][]float64, len(st.Columns))
		o.Bool = make([][]bool, len(st.Columns))
		o.Code = make([][]uint8, len(st.Columns))
	}
	for i, c := range st.Columns {
		switch c.Type {
		case Float64:
			o.F64[i] = grow(o.F64[i], n)
		case Bool:
			o.Bool[i] = grow(o.Bool[i], n)
		case Enum:
			o.Code[i] = grow(o.Code[i], n)
		}
	}
}
