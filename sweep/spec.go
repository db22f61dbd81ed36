package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// SpecVersion is the grid spec format version this build reads.
const SpecVersion = 1

// Spec is a parsed grid spec (docs/GRID.md). Axis values stay as YAML nodes until
// Plan resolves them against the study, so every error can name its line.
type Spec struct {
	File        string
	Version     int
	Name        string
	Description string
	Study       string
	Profile     string // "" = the command's --profile (default seed)
	Fixed       []specAxis
	Axes        []specAxis
	Zip         [][]string
	Where       []string
	whereLines  []int
	studyLine   int
	zipLines    []int // line of each zip group
	// Hash is the SHA-256 of the spec file's bytes.
	Hash string
	Raw  []byte
}

type specAxis struct {
	name string
	node *yaml.Node
	line int
}

var specKeys = []string{"version", "name", "description", "study", "profile", "fixed", "axes", "zip", "where"}

// ParseSpec reads a grid spec. file names it in errors.
func ParseSpec(file string, b []byte) (*Spec, error) {
	sum := sha256.Sum256(b)
	s := &Spec{File: file, Hash: hex.EncodeToString(sum[:]), Raw: bytes.Clone(b)}
	doc, err := catalog.ParseYAML(file, b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s:1: empty file: a grid spec needs version, study and axes (see docs/GRID.md)", file)
	}
	if err := s.resolveAliases(doc, map[*yaml.Node]bool{}); err != nil {
		return nil, err
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, s.errf(top, "want a mapping with version, study and axes")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			return nil, s.errf(k, "%s is given twice", k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "version":
			if err = v.Decode(&s.Version); err != nil || v.Kind != yaml.ScalarNode {
				return nil, s.errf(v, "version: want the number %d", SpecVersion)
			}
			if s.Version != SpecVersion {
				return nil, s.errf(v, "version %d is not supported; this mlsysim reads version %d", s.Version, SpecVersion)
			}
		case "name":
			err = s.scalar(v, "name", &s.Name)
		case "description":
			err = s.scalar(v, "description", &s.Description)
		case "study":
			err = s.scalar(v, "study", &s.Study)
			s.studyLine = k.Line
		case "profile":
			if err = s.scalar(v, "profile", &s.Profile); err == nil {
				if perr := CheckProfile(s.Profile); perr != nil {
					err = s.errf(v, "%v", perr)
				}
			}
		case "fixed":
			s.Fixed, err = s.axisMap(v, "fixed")
		case "axes":
			s.Axes, err = s.axisMap(v, "axes")
		case "zip":
			err = s.zip(v)
		case "where":
			err = s.where(v)
		default:
			return nil, s.errf(k, "unknown key %q%s; valid keys: %s", k.Value, suggest.Hint(k.Value, specKeys), strings.Join(specKeys, ", "))
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !seen["version"]:
		return nil, s.errf(top, "missing version: add `version: %d`", SpecVersion)
	case s.Study == "":
		return nil, s.errf(top, "missing study: one of %s", strings.Join(StudyNames(), ", "))
	case !seen["axes"]:
		return nil, s.errf(top, "missing axes: a grid needs at least one axis (e.g. model: [Llama3_8B])")
	}
	for _, f := range s.Fixed {
		if slices.ContainsFunc(s.Axes, func(a specAxis) bool { return a.name == f.name }) {
			return nil, fmt.Errorf("%s:%d: %s is both fixed and an axis", file, f.line, f.name)
		}
	}
	return s, nil
}

// resolveAliases puts each alias's anchored node in its place, so that
// "seq_len: *lens" reads as the list anchored at "&lens [1024, 2048]", as a plan or
// a catalog file reads it (the grid reader walks the node tree, where an alias
// was neither a value, a list nor a generator). A merge key (<<) is refused by
// name: it would otherwise be taken for a parameter or a spec key called "<<".
// done holds the nodes walked, so a node anchored once and aliased many times is
// walked once.
func (s *Spec) resolveAliases(n *yaml.Node, done map[*yaml.Node]bool) error {
	if done[n] {
		return nil
	}
	done[n] = true
	for i, c := range n.Content {
		for c.Kind == yaml.AliasNode && c.Alias != nil {
			c = c.Alias
		}
		n.Content[i] = c
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Tag == "!!merge" {
			return s.errf(c, "merge keys (<<) are not supported in a grid spec; write the keys out (an alias *name for a whole value is)")
		}
		if err := s.resolveAliases(c, done); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", s.File, n.Line, fmt.Sprintf(format, args...))
}

func (s *Spec) scalar(v *yaml.Node, key string, dst *string) error {
	if v.Kind != yaml.ScalarNode {
		return s.errf(v, "%s: want a single value", key)
	}
	*dst = v.Value
	return nil
}

func (s *Spec) axisMap(v *yaml.Node, key string) ([]specAxis, error) {
	if v.Kind != yaml.MappingNode {
		return nil, s.errf(v, "%s: want a mapping of parameter: values", key)
	}
	var out []specAxis
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		if slices.ContainsFunc(out, func(a specAxis) bool { return a.name == k.Value }) {
			return nil, s.errf(k, "%s.%s is given twice", key, k.Value)
		}
		val := v.Content[i+1]
		if key == "fixed" && (val.Kind != yaml.ScalarNode || val.Value == "all") {
			return nil, s.errf(val, "fixed.%s: want one value; put lists, generators and \"all\" under axes", k.Value)
		}
		out = append(out, specAxis{name: k.Value, node: val, line: k.Line})
	}
	return out, nil
}

func (s *Spec) zip(v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode {
		return s.errf(v, "zip: want a list of groups, e.g. [[seq_len, prefill_chunk_tokens]]")
	}
	for _, g := range v.Content {
		var names []string
		if g.Kind != yaml.SequenceNode || g.Decode(&names) != nil {
			return s.errf(g, "zip: each group is a list of axis names, e.g. [seq_len, prefill_chunk_tokens]")
		}
		s.Zip = append(s.Zip, names)
		s.zipLines = append(s.zipLines, g.Line)
	}
	return nil
}

func (s *Spec) where(v *yaml.Node) error {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || strings.TrimSpace(it.Value) == "" {
			return s.errf(it, "where: want filter expressions as strings")
		}
		s.Where = append(s.Where, it.Value)
		s.whereLines = append(s.whereLines, it.Line)
	}
	return nil
}

// Plan resolves the spec against the catalog into a plan.
func (s *Spec) Plan(cat *catalog.Catalog) (*Plan, error) {
	st, err := StudyByName(s.Study)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", s.File, s.studyLine, err)
	}
	var axes []Axis
	left := maxAxisValues // values the remaining axes may still list
	for _, group := range [][]specAxis{s.Fixed, s.Axes} {
		for _, a := range group {
			where := fmt.Sprintf("%s:%d", s.File, a.line)
			prm, _, ok := st.Param(a.name)
			if !ok {
				return nil, unknownParam(st, a.name, where)
			}
			vals, err := s.expand(cat, prm, a, left)
			if err != nil {
				return nil, err
			}
			left -= len(vals)
			axes = append(axes, Axis{Name: a.name, Values: vals, Where: where})
		}
	}
	p, err := NewPlan(cat, st, axes, s.Zip)
	if err != nil {
		return nil, s.locate(err)
	}
	if len(s.Where) > 0 {
		if err := p.setFilter(s.Where, s.File, s.whereLines); err != nil {
			return nil, err
		}
	}
	p.Spec = s
	if s.Profile != "" {
		p.Profile = s.Profile
	}
	return p, nil
}

// locate gives a plan error a file:line: errors from values already carry one;
// zip errors point at zip:, study checks at the model axis, the rest at study:.
func (s *Spec) locate(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, s.File+":") {
		return err
	}
	line := s.studyLine
	switch {
	case strings.HasPrefix(msg, "zip") && len(s.zipLines) > 0:
		line = s.zipLines[0]
		var g int
		if n, _ := fmt.Sscanf(msg, "zip group %d", &g); n == 1 && g >= 1 && g <= len(s.zipLines) {
			line = s.zipLines[g-1]
		}
	case strings.HasPrefix(msg, "axis "):
		for _, a := range append(append([]specAxis{}, s.Fixed...), s.Axes...) {
			if strings.HasPrefix(msg, "axis "+a.name+":") {
				line = a.line
			}
		}
	case strings.Contains(msg, "needs a transformer"), strings.Contains(msg, "training step needs"):
		for _, a := range append(append([]specAxis{}, s.Fixed...), s.Axes...) {
			if a.name == "model" {
				line = a.line
			}
		}
	}
	return fmt.Errorf("%s:%d: %w", s.File, line, err)
}

// expand turns one axis's YAML into raw values: a scalar, a list, a generator
// ({range, step} / {pow2} / {linspace} / {logspace}) or, for model and hardware,
// a catalog selector ("all", {tier}, {family}, {category}, {exclude}).
//
// left is how many values the spec may still list (maxAxisValues in all): a
// generator's count is checked against it before any value is made.
func (s *Spec) expand(cat *catalog.Catalog, prm *Param, a specAxis, left int) ([]AxisValue, error) {
	n := a.node
	at := func(node *yaml.Node, text string) AxisValue {
		return AxisValue{Text: text, Where: fmt.Sprintf("%s:%d", s.File, node.Line)}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "all" && prm.Kind != KindFloat && prm.Kind != KindInt {
			return s.all(cat, prm, n)
		}
		return []AxisValue{at(n, n.Value)}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, s.errf(n, "%s: empty list", a.name)
		}
		if len(n.Content) > left {
			return nil, s.tooMany(n, a.name, float64(len(n.Content)), left)
		}
		var out []AxisValue
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				return nil, s.errf(it, "%s: list items must be single values", a.name)
			}
			out = append(out, at(it, it.Value))
		}
		return out, nil
	case yaml.MappingNode:
		m := map[string]*yaml.Node{}
		var keys []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = n.Content[i+1]
			keys = append(keys, n.Content[i].Value)
		}
		if prm.Kind == KindModel || prm.Kind == KindHardware {
			return s.selector(cat, prm, a.name, n, m)
		}
		if prm.Kind == KindCluster || prm.Kind == KindFabric || prm.Kind == KindRegion || prm.Kind == KindDraft || prm.Kind == KindEngine {
			return nil, s.errf(n, "%s: a %s takes a name, a list of names or \"all\"", a.name, prm.Kind)
		}
		if prm.Kind != KindFloat && prm.Kind != KindInt {
			return nil, s.errf(n, "%s: a %s takes a list of values or \"all\", not a generator", a.name, prm.Kind)
		}
		vals, err := s.generate(a.name, n, m, keys, left)
		if err != nil {
			return nil, err
		}
		out := make([]AxisValue, len(vals))
		where := fmt.Sprintf("%s:%d", s.File, n.Line)
		for i, v := range vals {
			if prm.Kind == KindInt {
				if math.Abs(v-math.Round(v)) > 1e-9*math.Max(1, math.Abs(v)) {
					return nil, s.errf(n, "%s is a whole number but the generator gives %g", a.name, v)
				}
				v = math.Round(v)
			}
			text := fmtBound(v) // whole numbers in full: an error quotes 33554432, not 3.3554432e+07
			if prm.Kind == KindFloat {
				text = strconv.FormatFloat(v, 'g', 15, 64) // 0.1 + 2·0.1 is written 0.3, not 0.30000000000000004
			}
			out[i] = AxisValue{Text: text, Where: where}
		}
		return out, nil
	}
	return nil, s.errf(n, "%s: want a value, a list or a generator", a.name)
}

// maxAxisValues bounds the values a spec lists over all its axes; a typo such as
// step 1e-9 should fail fast, not fill memory. A million values on one axis is
// already far more than any study resolves meaningfully.
const maxAxisValues = 1 << 20

// tooMany says an axis would take the spec past maxAxisValues.
func (s *Spec) tooMany(n *yaml.Node, name string, count float64, left int) error {
	what := "generator"
	if n.Kind == yaml.SequenceNode {
		what = "list"
	}
	if count > maxAxisValues {
		return s.errf(n, "%s: the %s gives %s values, more than %d; check the step or the count", name, what, fmtBound(count), maxAxisValues)
	}
	return s.errf(n, "%s: the %s gives %s values and the axes before it %d: more than %d in all is a typo", name, what, fmtBound(count), maxAxisValues-left, maxAxisValues)
}

// leadingZero refuses a generator number written with a leading zero: the
// decoder reads 010 as octal 8, where a list value 010 reads as 10
// (catalog.LeadingZero); and one written with a digit separator, 1_000, which
// a flag refuses (catalog.DigitSeparator).
func (s *Spec) leadingZero(what string, n *yaml.Node) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 {
		if err := catalog.NumberText(n.Value); err != nil {
			return s.errf(n, "%s: %v", what, err)
		}
	}
	for _, c := range n.Content {
		if err := s.leadingZero(what, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) generate(name string, n *yaml.Node, m map[string]*yaml.Node, keys []string, left int) ([]float64, error) {
	nums := func(key string, want int) ([]float64, error) {
		v := m[key]
		var xs []float64
		if err := s.leadingZero(name+"."+key, v); err != nil {
			return nil, err
		}
		if v.Kind != yaml.SequenceNode || v.Decode(&xs) != nil || len(xs) != want {
			return nil, s.errf(v, "%s.%s: want a list of %d numbers", name, key, want)
		}
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, s.errf(v, "%s.%s: %v is not a finite number", name, key, x)
			}
		}
		return xs, nil
	}
	allowed := func(ok ...string) error {
		for _, k := range keys {
			if !slices.Contains(ok, k) {
				return s.errf(n, "%s: unknown generator key %q here; use one of {range: [lo, hi], step: s}, {range: [lo, hi], scale: pow2}, {pow2: [lo, hi]}, {linspace: [a, b, n]}, {logspace: [a, b, n]}", name, k)
			}
		}
		return nil
	}
	count := func(x float64) error {
		if x > float64(left) {
			return s.tooMany(n, name, x, left)
		}
		return nil
	}
	switch {
	case m["range"] != nil:
		if err := allowed("range", "step", "scale"); err != nil {
			return nil, err
		}
		r, err := nums("range", 2)
		if err != nil {
			return nil, err
		}
		lo, hi := r[0], r[1]
		if lo > hi {
			return nil, s.errf(m["range"], "%s.range: low %g is above high %g", name, lo, hi)
		}
		if sc := m["scale"]; sc != nil {
			if sc.Value != "pow2" || m["step"] != nil {
				return nil, s.errf(sc, "%s.scale: only pow2 is supported (and it takes no step)", name)
			}
			return pow2(s, m["range"], name, lo, hi, left)
		}
		step := 1.0
		if st := m["step"]; st != nil {
			if err := s.leadingZero(name+".step", st); err != nil {
				return nil, err
			}
			if err := st.Decode(&step); err != nil || !(step > 0) || math.IsInf(step, 0) {
				return nil, s.errf(st, "%s.step: want a number > 0", name)
			}
		}
		k := math.Floor((hi-lo)/step*(1+1e-12)) + 1
		if err := count(k); err != nil {
			return nil, err
		}
		out := make([]float64, int(k))
		for i := range out {
			out[i] = lo + float64(i)*step
		}
		return out, nil
	case m["pow2"] != nil:
		if err := allowed("pow2"); err != nil {
			return nil, err
		}
		r, err := nums("pow2", 2)
		if err != nil {
			return nil, err
		}
		return pow2(s, m["pow2"], name, r[0], r[1], left)
	case m["linspace"] != nil, m["logspace"] != nil:
		key := "linspace"
		if m["logspace"] != nil {
			key = "logspace"
		}
		if err := allowed(key); err != nil {
			return nil, err
		}
		r, err := nums(key, 3)
		if err != nil {
			return nil, err
		}
		a, b, cnt := r[0], r[1], r[2]
		if cnt < 1 || cnt != math.Trunc(cnt) {
			return nil, s.errf(m[key], "%s.%s: the count %g must be a whole number ≥ 1", name, key, cnt)
		}
		if err := count(cnt); err != nil {
			return nil, err
		}
		if key == "logspace" && (a <= 0 || b <= 0) {
			return nil, s.errf(m[key], "%s.logspace: both ends must be > 0", name)
		}
		out := make([]float64, int(cnt))
		for i := range out {
			t := 0.0
			if cnt > 1 {
				t = float64(i) / (cnt - 1)
			}
			if key == "linspace" {
				out[i] = a + t*(b-a)
			} else {
				out[i] = math.Exp(math.Log(a) + t*(math.Log(b)-math.Log(a)))
			}
		}
		// Exact ends: a user asking for [0.3, 0.6, 4] expects 0.6, not 0.6000000000000001.
		out[0], out[len(out)-1] = a, b
		if cnt == 1 {
			out[0] = a
		}
		return out, nil
	}
	return nil, s.errf(n, "%s: unknown generator; use {range: [lo, hi], step: s}, {range: [lo, hi], scale: pow2}, {pow2: [lo, hi]}, {linspace: [a, b, n]} or {logspace: [a, b, n]}", name)
}

// pow2 lists the powers of two in [lo, hi]: at most 2,098 of them between the
// smallest float64 and the largest, so they are made before being counted.
func pow2(s *Spec, n *yaml.Node, name string, lo, hi float64, left int) ([]float64, error) {
	if lo <= 0 || lo > hi {
		return nil, s.errf(n, "%s: powers of two need 0 < low ≤ high, got [%g, %g]", name, lo, hi)
	}
	var out []float64
	for e := math.Ceil(math.Log2(lo) - 1e-12); math.Exp2(e) <= hi*(1+1e-12); e++ {
		out = append(out, math.Exp2(e))
	}
	if len(out) == 0 {
		return nil, s.errf(n, "%s: no power of two lies in [%g, %g]", name, lo, hi)
	}
	if len(out) > left {
		return nil, s.tooMany(n, name, float64(len(out)), left)
	}
	return out, nil
}

// all lists every choice of a label parameter.
func (s *Spec) all(cat *catalog.Catalog, prm *Param, n *yaml.Node) ([]AxisValue, error) {
	return s.selector(cat, prm, prm.Name, n, nil)
}

var selectorKeys = map[Kind][]string{
	KindHardware: {"tier", "exclude"},
	KindModel:    {"family", "category", "exclude"},
}

// selector picks catalog entries: nil m means all; otherwise entries whose tier
// (hardware) or family/category (models) matches, minus exclude.
func (s *Spec) selector(cat *catalog.Catalog, prm *Param, name string, n *yaml.Node, m map[string]*yaml.Node) ([]AxisValue, error) {
	at := func(text string) AxisValue { return AxisValue{Text: text, Where: fmt.Sprintf("%s:%d", s.File, n.Line)} }
	switch prm.Kind {
	case KindEnum:
		var out []AxisValue
		for _, e := range prm.Enum {
			out = append(out, at(e))
		}
		return out, nil
	case KindBool:
		return []AxisValue{at("false"), at("true")}, nil
	case KindCluster, KindFabric, KindRegion, KindDraft, KindEngine:
		var out []AxisValue
		switch prm.Kind {
		case KindEngine:
			for _, e := range cat.Engines {
				out = append(out, at(e.Key))
			}
		case KindDraft:
			out = append(out, at(DraftNone), at(DraftMTP))
		case KindCluster:
			for _, c := range cat.Clusters {
				out = append(out, at(c.Key))
			}
		case KindFabric:
			for _, f := range cat.Fabrics {
				out = append(out, at(f.Key))
			}
		default:
			for _, g := range cat.Grids {
				out = append(out, at(g.Key))
			}
		}
		return out, nil
	}
	filters := map[string][]string{}
	for k, v := range m {
		if !slices.Contains(selectorKeys[prm.Kind], k) {
			return nil, s.errf(v, "%s: unknown selector %q; use \"all\" or a mapping with %s", name, k, strings.Join(selectorKeys[prm.Kind], ", "))
		}
		var list []string
		if v.Kind == yaml.ScalarNode {
			list = []string{v.Value}
		} else if v.Decode(&list) != nil {
			return nil, s.errf(v, "%s.%s: want a name or a list of names", name, k)
		}
		filters[k] = list
	}
	match := func(field string, got string) bool {
		want, ok := filters[field]
		return !ok || slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(w, got) })
	}
	var keys []string
	if prm.Kind == KindHardware {
		for _, h := range cat.Hardware {
			if match("tier", h.Tier) {
				keys = append(keys, h.Key)
			}
		}
	} else {
		for _, md := range cat.Models {
			if match("family", string(md.Family)) && match("category", md.Category) {
				keys = append(keys, md.Key)
			}
		}
	}
	for _, x := range filters["exclude"] {
		i := slices.Index(keys, x)
		if i < 0 {
			return nil, s.errf(m["exclude"], "%s.exclude: %q is not among the selected entries", name, x)
		}
		keys = slices.Delete(keys, i, i+1)
	}
	if len(keys) == 0 {
		var valid []string
		for _, f := range selectorKeys[prm.Kind] {
			if f == "exclude" {
				continue
			}
			valid = append(valid, fmt.Sprintf("%s: %s", f, strings.Join(selectorValues(cat, f), ", ")))
		}
		return nil, s.errf(n, "%s: the selector %v matches nothing; valid %s", name, filters, strings.Join(valid, "; "))
	}
	out := make([]AxisValue, len(keys))
	for i, k := range keys {
		out[i] = at(k)
	}
	return out, nil
}

// selectorValues lists the values a catalog selector field takes.
func selectorValues(cat *catalog.Catalog, field string) []string {
	var vals []string
	add := func(v string) {
		if !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	switch field {
	case "tier":
		for _, h := range cat.Hardware {
			add(h.Tier)
		}
	case "family":
		for _, m := range cat.Models {
			add(string(m.Family))
		}
	case "category":
		for _, m := range cat.Models {
			add(m.Category)
		}
	}
	return vals
}
