// Package validation compares the engine's predictions with published
// measurements: a case is a number measured or officially reported by a primary
// source, the study point(s) that predict it and a tolerance fixed before its
// first run (testdata/validation/README.md). Cases run through the same
// sweep.NewPlan / sweep.EvalPoint path as every sweep, so validation adds no
// physics of its own.
package validation

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
	"github.com/mlsysim/mlsysim/sweep"
)

// A validation case is a measured or officially reported number from a primary
// source with the study point that predicts it (testdata/validation/README.md).

// Case is one validation case file.
type Case struct {
	File        string `yaml:"-"`
	ID          string `yaml:"id"`
	Kind        string `yaml:"kind"`
	Status      string `yaml:"status"`
	Unsupported string `yaml:"unsupported"`
	Title       string `yaml:"title"`
	Source      struct {
		Title   string `yaml:"title"`
		Authors string `yaml:"authors"`
		Year    any    `yaml:"year"`
		Where   string `yaml:"where"`
		URL     string `yaml:"url"`
	} `yaml:"source"`
	Inputs struct {
		ModelInline map[string]any `yaml:"model_inline"`
	} `yaml:"inputs"`
	Expected struct {
		Value      float64 `yaml:"value"`
		Unit       string  `yaml:"unit"`
		Convention string  `yaml:"convention"`
	} `yaml:"expected"`
	Tolerance float64 `yaml:"tolerance"`
	// MissAnalysis is written after a run for a case that misses: what the model lacks
	// (never a reason to change the tolerance).
	MissAnalysis string `yaml:"miss_analysis"`
	// Notes is the case's history: how it was selected and what moved it.
	Notes string `yaml:"notes"`
	// NotARun says why the number is not a run that happened (a formula value from
	// a paper's table, a configuration the source itself says does not fit), so a
	// prediction that the point is infeasible does not contradict it. Without it a
	// case is a measured run, and predicting that it cannot run is a miss.
	NotARun string `yaml:"not_a_run"`
	// Profiles lists the physics profiles that model the quantity at all (e.g. only
	// calibrated has per-layer times); under another the case is unsupported. Empty: all.
	Profiles []string `yaml:"profiles"`
	Study    *struct {
		Name   string                    `yaml:"name"`
		Params map[string]any            `yaml:"params"`
		Points map[string]map[string]any `yaml:"points"`
		// Output names the output column(s) predict reads, in prose around them
		// ("ttft_ms (seq_len 1000), itl_ms (seq_len 1025)"); the loader checks that
		// each column it names is one the study writes and that predict reads it
		// (checkOutput).
		Output  string `yaml:"output"`
		Predict string `yaml:"predict"`
	} `yaml:"study"`
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Outcome   string  `json:"outcome"` // pass | miss | unsupported | error
	Predicted float64 `json:"predicted,omitempty"`
	Expected  float64 `json:"expected"`
	Unit      string  `json:"unit"`
	ErrorPct  float64 `json:"error_pct,omitempty"` // signed: (predicted − expected) / expected · 100
	Tolerance float64 `json:"tolerance_pct"`
	Reason    string  `json:"reason,omitempty"` // unsupported reason or error
	Source    string  `json:"source"`
	Analysis  string  `json:"miss_analysis,omitempty"` // the case's miss_analysis, on a miss
}

// LoadCases reads every *.yaml case in dir, sorted by id.
func LoadCases(dir string) ([]*Case, error) {
	// A missing path or a file read as "no validation cases", as an empty folder is.
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such folder; give the folder that holds the cases (*.yaml)", dir)
	case err != nil:
		return nil, err
	case !st.IsDir():
		return nil, fmt.Errorf("%s is a file, not a folder; give the folder that holds the cases (*.yaml)", dir)
	}
	return LoadCasesFS(os.DirFS(dir), dir)
}

// LoadCasesFS reads every *.yaml case at the root of fsys (a folder, or the
// suite embedded in the binary), sorted by id; dir names the folder in file
// names and errors.
func LoadCasesFS(fsys fs.FS, dir string) ([]*Case, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no validation cases (*.yaml)", dir)
	}
	var cases []*Case
	for _, name := range names {
		f := filepath.Join(dir, name)
		st, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := catalog.CheckInputFile(f, st); err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		c := &Case{File: f}
		doc, err := catalog.ParseYAML(f, b)
		if err != nil {
			return nil, err
		}
		if err := checkCaseKeys(f, doc); err != nil {
			return nil, err
		}
		if err := doc.Decode(c); err != nil {
			return nil, catalog.YAMLError(f, err)
		}
		switch {
		case c.ID == "" || c.Kind == "":
			return nil, fmt.Errorf("%s: a case needs id and kind", f)
		case c.Status == "supported" && (c.Study == nil || c.Study.Name == ""):
			return nil, fmt.Errorf("%s: a supported case needs study.name", f)
		case c.Status != "supported" && c.Status != "unsupported":
			return nil, fmt.Errorf("%s: status %q: want supported or unsupported", f, c.Status)
		case c.Expected.Value == 0 || !(c.Tolerance > 0):
			return nil, fmt.Errorf("%s: a case needs expected.value and a tolerance > 0", f)
		}
		for _, p := range c.Profiles {
			if !slices.Contains(sweep.Profiles, p) {
				return nil, fmt.Errorf("%s: profiles: %q is not a profile (%s)", f, p, strings.Join(sweep.Profiles, ", "))
			}
		}
		if c.Status == "supported" {
			if err := c.checkOutput(doc); err != nil {
				return nil, err
			}
		}
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
	return cases, nil
}

// snakeName is a column or parameter name in study.output's prose: two or more
// words joined by underscores (tokens_per_s, seq_len).
var snakeName = regexp.MustCompile(`[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[A-Za-z][A-Za-z0-9]*`)

// checkOutput makes study.output true of study.predict. It was prose no code read, so
// a case could name one column and predict from another: each name in it must be an
// output column of the study or one of its parameters (tokens_per_sec is refused with
// the closest columns), at least one must be an output column, and predict must read
// every output column it names (as a name, or as point.column). Predict may read more
// (tokens_per_s / total_accelerators names tokens_per_s, the measured quantity).
func (c *Case) checkOutput(doc *yaml.Node) error {
	at := func(key string) string {
		if n := studyKey(doc, key); n != nil {
			return fmt.Sprintf("%s:%d", c.File, n.Line)
		}
		return c.File
	}
	st, err := sweep.StudyByName(c.Study.Name)
	if err != nil {
		return fmt.Errorf("%s: study.name: %w", at("name"), err)
	}
	if strings.TrimSpace(c.Study.Output) == "" {
		return fmt.Errorf("%s: a supported case needs study.output, the output column(s) study.predict reads", at("predict"))
	}
	var cols []string
	for _, col := range st.Columns {
		cols = append(cols, col.Name)
	}
	var named []string
	for _, w := range snakeName.FindAllString(c.Study.Output, -1) {
		_, _, param := st.Param(w)
		switch {
		case slices.Contains(cols, w):
			if !slices.Contains(named, w) {
				named = append(named, w)
			}
		case strings.Contains(w, "_") && !param:
			return fmt.Errorf("%s: study.output names %s, which is no output column (nor parameter) of study %s%s", at("output"), w, st.Name, suggest.Hint(w, cols))
		}
	}
	if len(named) == 0 {
		return fmt.Errorf("%s: study.output %q names no output column of study %s; name the column(s) study.predict reads (mlsysim sweep --columns %s)", at("output"), c.Study.Output, st.Name, st.Name)
	}
	read, err := predictNames(c.Study.Predict)
	if err != nil {
		return fmt.Errorf("%s: study.predict %q: %w", at("predict"), c.Study.Predict, err)
	}
	for _, col := range named {
		if !read[col] {
			return fmt.Errorf("%s: study.output names %s, but study.predict %q does not read it: make the two agree", at("output"), col, c.Study.Predict)
		}
	}
	return nil
}

// studyKey is the value node of study.<key> in a case's YAML, or nil.
func studyKey(doc *yaml.Node, key string) *yaml.Node {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value != "study" || top[i+1].Kind != yaml.MappingNode {
			continue
		}
		st := top[i+1].Content
		for j := 0; j+1 < len(st); j += 2 {
			if st[j].Value == key {
				return st[j+1]
			}
		}
	}
	return nil
}

// predictNames are the names a predict expression reads: identifiers and the fields
// of a point (prefill.ttft_ms reads ttft_ms).
func predictNames(src string) (map[string]bool, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, errors.New(msg)
	}
	names := map[string]bool{}
	ast.Find(tree.Node, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			names[x.Value] = true
		case *ast.MemberNode:
			if s, ok := x.Property.(*ast.StringNode); ok {
				names[s.Value] = true
			}
		}
		return false
	})
	return names, nil
}

// Kinds are the quantities a case may compare (testdata/validation/README.md, Schema).
var Kinds = []string{"training_throughput", "training_mfu", "training_step_time", "training_layer_time",
	"training_time", "training_memory", "kv_cache", "prefill_latency", "decode_latency", "decode_throughput",
	"spec_decode_speedup", "disagg_goodput_ratio", "training_energy", "training_carbon", "cnn_throughput",
	"edge_latency", "collective_busbw"}

// caseKeys are the keys of a case file and of its source, expected and study blocks
// (testdata/validation/README.md, Schema); inputs and study.params/points are checked
// elsewhere (inputs is the scenario as the source states it; a study refuses a
// parameter it lacks).
var caseKeys = map[string][]string{
	"":         {"id", "kind", "status", "unsupported", "title", "source", "inputs", "expected", "tolerance", "tolerance_reason", "notes", "not_a_run", "profiles", "miss_analysis", "study"},
	"source":   {"title", "authors", "year", "where", "url", "quote", "retrieved_from"},
	"expected": {"value", "unit", "convention"},
	"study":    {"name", "catalog", "params", "points", "output", "predict", "compare"},
}

// checkCaseKeys refuses a key the schema does not have, and a kind it does not list:
// the decoder dropped them, so "profile: [calibrated]" (for profiles) ran the case
// under every profile and "not_a_ru:" made a table value a measured run, without a
// word; "kind: kv_cach" made a kind of its own in the table.
func checkCaseKeys(file string, doc *yaml.Node) error {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil // the decoder says what it wanted
	}
	var check func(block string, n *yaml.Node) error
	check = func(block string, n *yaml.Node) error {
		valid := caseKeys[block]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			where := k.Value
			if block != "" {
				where = block + "." + k.Value
			}
			if !slices.Contains(valid, k.Value) {
				return fmt.Errorf("%s:%d: unknown key %q%s; valid keys%s: %s (testdata/validation/README.md)", file, k.Line, where,
					suggest.Hint(k.Value, valid), map[bool]string{true: "", false: " in " + block}[block == ""], strings.Join(valid, ", "))
			}
			if block == "" && k.Value == "kind" && v.Kind == yaml.ScalarNode && !slices.Contains(Kinds, v.Value) {
				return fmt.Errorf("%s:%d: kind %q is not a kind%s; kinds: %s", file, v.Line, v.Value, suggest.Hint(v.Value, Kinds), strings.Join(Kinds, ", "))
			}
			if _, sub := caseKeys[k.Value]; block == "" && sub && v.Kind == yaml.MappingNode {
				if err := check(k.Value, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return check("", doc.Content[0])
}

// RunCases evaluates the cases against a copy of cat extended with their inline
// models. A case without a predict expression is reported as an error.
func RunCases(cat *catalog.Catalog, cases []*Case, profile string) []CaseResult {
	cat = cat.Clone()
	for _, c := range cases {
		if c.Inputs.ModelInline == nil {
			continue
		}
		key, _ := c.Inputs.ModelInline["key"].(string)
		if _, err := cat.ModelByKey(key); err == nil {
			continue // the same key always has the same definition across the suite
		}
		b, err := yaml.Marshal(c.Inputs.ModelInline)
		if err == nil {
			_, err = cat.AddUserYAML(c.File+" (inputs.model_inline)", b)
		}
		if err != nil {
			c.Status, c.Unsupported = "error", err.Error()
		}
	}
	out := make([]CaseResult, 0, len(cases))
	for _, c := range cases {
		r := CaseResult{ID: c.ID, Kind: c.Kind, Expected: c.Expected.Value, Unit: c.Expected.Unit,
			Tolerance: c.Tolerance * 100, Source: fmt.Sprintf("%s (%v), %s", c.Source.Title, c.Source.Year, c.Source.Where)}
		switch c.Status {
		case "unsupported":
			r.Outcome, r.Reason = "unsupported", c.Unsupported
		case "error":
			r.Outcome, r.Reason = "error", c.Unsupported
		default:
			if len(c.Profiles) > 0 && !slices.Contains(c.Profiles, profile) {
				r.Outcome = "unsupported"
				r.Reason = fmt.Sprintf("the %s profile does not model this quantity (modelled under %s)", profile, strings.Join(c.Profiles, ", "))
				break
			}
			pred, note, err := c.predict(cat, profile)
			if err != nil {
				r.Outcome, r.Reason = "error", err.Error()
				break
			}
			r.Predicted = pred
			r.ErrorPct = (pred - c.Expected.Value) / c.Expected.Value * 100
			ranButInfeasible := note != "" && c.NotARun == ""
			switch {
			case ranButInfeasible:
				r.Reason = "the run happened, but the model predicts it cannot: " + note
			case note != "":
				r.Reason = note + "; not a run: " + c.NotARun
			}
			r.Outcome = "miss"
			if !ranButInfeasible && math.Abs(r.ErrorPct) <= r.Tolerance {
				r.Outcome = "pass"
			} else {
				r.Analysis = c.MissAnalysis
			}
		}
		out = append(out, r)
	}
	return out
}

// predict evaluates the case's study point(s) and its predict expression. note
// says when a point is infeasible: its columns still hold what the model computes
// (e.g. the KV cache of a model too big for one device), which counts only for a
// case that is not a run (Case.NotARun).
func (c *Case) predict(cat *catalog.Catalog, profile string) (pred float64, note string, err error) {
	if c.Study.Predict == "" {
		return 0, "", fmt.Errorf("%s: study.predict is missing", c.File)
	}
	st, err := sweep.StudyByName(c.Study.Name)
	if err != nil {
		return 0, "", err
	}
	var infeasible []string
	row := func(over map[string]any) (map[string]any, error) {
		merged := map[string]any{}
		for k, v := range c.Study.Params {
			merged[k] = v
		}
		for k, v := range over {
			merged[k] = v
		}
		var axes []sweep.Axis
		for _, k := range slices.Sorted(maps.Keys(merged)) {
			where := c.File + ": study.params." + k
			axes = append(axes, sweep.Axis{Name: k, Where: where, Values: []sweep.AxisValue{{Text: scalarText(merged[k]), Where: where}}})
		}
		p, err := sweep.NewPlan(cat, st, axes, nil)
		if err != nil {
			return nil, err
		}
		if err := p.SetProfile(profile); err != nil {
			return nil, err
		}
		r, err := sweep.EvalPoint(p)
		if err == nil && r["feasible"] == false && !slices.Contains(infeasible, fmt.Sprint(r["infeasible_reason"])) {
			infeasible = append(infeasible, fmt.Sprint(r["infeasible_reason"]))
		}
		return r, err
	}
	env := map[string]any{}
	if len(c.Study.Points) == 0 {
		if env, err = row(nil); err != nil {
			return 0, "", err
		}
	} else {
		// In name order: the infeasible reasons are listed in the order the points ran,
		// and a map's order would change the case's reason (and docs/VALIDATION.md)
		// from run to run.
		for _, name := range slices.Sorted(maps.Keys(c.Study.Points)) {
			over := c.Study.Points[name]
			r, err := row(over)
			if err != nil {
				return 0, "", fmt.Errorf("point %s: %w", name, err)
			}
			env[name] = r
		}
	}
	if len(infeasible) > 0 {
		note = "point infeasible (" + strings.Join(infeasible, ", ") + ")"
	}
	for k, v := range env { // expressions do arithmetic on float64
		switch x := v.(type) {
		case int64:
			env[k] = float64(x)
		case uint64:
			env[k] = float64(x)
		case map[string]any:
			for kk, vv := range x {
				switch y := vv.(type) {
				case int64:
					x[kk] = float64(y)
				case uint64:
					x[kk] = float64(y)
				}
			}
		}
	}
	v, err := expr.Eval(c.Study.Predict, env)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n") // expr's message continues with a caret diagram
		return 0, "", fmt.Errorf("%s: study.predict %q: %s", c.File, c.Study.Predict, msg)
	}
	f, ok := toFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "", fmt.Errorf("%s: study.predict %q gave %v, not a finite number", c.File, c.Study.Predict, v)
	}
	return f, note, nil
}

func scalarText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// KindSummary aggregates the supported cases of one kind.
type KindSummary struct {
	Kind           string  `json:"kind"`
	Cases          int     `json:"cases"`
	Supported      int     `json:"supported"`
	Passed         int     `json:"passed"`
	MedianAbsError float64 `json:"median_abs_error_pct"`
	WorstID        string  `json:"worst_case"`
	WorstError     float64 `json:"worst_error_pct"`
}

// Summarize returns one summary per kind (sorted) and one over all kinds ("all").
func Summarize(results []CaseResult) []KindSummary {
	by := map[string][]CaseResult{}
	for _, r := range results {
		by[r.Kind] = append(by[r.Kind], r)
		by["all"] = append(by["all"], r)
	}
	var kinds []string
	for k := range by {
		if k != "all" {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	kinds = append(kinds, "all")
	var out []KindSummary
	for _, k := range kinds {
		s := KindSummary{Kind: k, Cases: len(by[k])}
		var errs []float64
		for _, r := range by[k] {
			if r.Outcome != "pass" && r.Outcome != "miss" {
				continue
			}
			s.Supported++
			if r.Outcome == "pass" {
				s.Passed++
			}
			e := math.Abs(r.ErrorPct)
			errs = append(errs, e)
			if e >= math.Abs(s.WorstError) {
				s.WorstID, s.WorstError = r.ID, r.ErrorPct
			}
		}
		if len(errs) > 0 {
			sort.Float64s(errs)
			m := len(errs) / 2
			s.MedianAbsError = errs[m]
			if len(errs)%2 == 0 {
				s.MedianAbsError = (errs[m-1] + errs[m]) / 2
			}
		}
		out = append(out, s)
	}
	return out
}

// Baseline is the ratchet a test holds the suite to: the cases that passed and
// the overall median |error| when it was last recorded (make validation).
type Baseline struct {
	Profile        string   `json:"profile"`
	Passing        []string `json:"passing"`
	MedianAbsError float64  `json:"median_abs_error_pct"`
}

// NewBaseline records results as a baseline.
func NewBaseline(profile string, results []CaseResult) Baseline {
	b := Baseline{Profile: profile, Passing: []string{}}
	for _, r := range results {
		if r.Outcome == "pass" {
			b.Passing = append(b.Passing, r.ID)
		}
	}
	for _, s := range Summarize(results) {
		if s.Kind == "all" {
			b.MedianAbsError = s.MedianAbsError
		}
	}
	return b
}

// Regressions lists what got worse against a baseline: cases that passed and now
// do not, and a larger overall median |error| (beyond float noise).
func (b Baseline) Regressions(results []CaseResult) []string {
	now := NewBaseline(b.Profile, results)
	var out []string
	for _, id := range b.Passing {
		if !slices.Contains(now.Passing, id) {
			out = append(out, fmt.Sprintf("case %s passed before and now does not", id))
		}
	}
	if now.MedianAbsError > b.MedianAbsError*(1+1e-9)+1e-12 {
		out = append(out, fmt.Sprintf("median |error| grew from %.4g %% to %.4g %%", b.MedianAbsError, now.MedianAbsError))
	}
	return out
}
