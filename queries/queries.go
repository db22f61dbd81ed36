// Package queries runs bundled SQL over sweep results with DuckDB: the top rows
// by a column, per-column summaries, Pareto frontiers and SLA batching, or any
// SQL over a view named results.
//
// A bundled query is an embedded .sql file: a comment header declaring its name,
// description and parameters, then a text/template body. Parameter values never
// become SQL text: numbers, integers and strings are bound as prepared-statement
// arguments ($name in the body), and column names are checked against the
// result's columns and then quoted as identifiers. The template sees only those
// quoted identifiers, directions (min|max) and booleans.
//
// Only this package imports DuckDB (cgo); without cgo the definitions and
// parameter checks work and opening a result fails with ErrNoCgo.
package queries

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/mlsysim/mlsysim/suggest"
)

//go:embed *.sql
var files embed.FS

// Kind is what a parameter's value is and how it reaches the SQL.
type Kind string

const (
	KindColumn     Kind = "column"     // a result column, quoted as an identifier
	KindColumns    Kind = "columns"    // comma-separated result columns (may be empty)
	KindDirection  Kind = "direction"  // min or max
	KindNumber     Kind = "number"     // a finite float, bound as $name
	KindInteger    Kind = "integer"    // a whole number, bound as $name
	KindString     Kind = "string"     // any text, bound as $name
	KindBool       Kind = "bool"       // true or false; the template decides what it adds
	KindObjectives Kind = "objectives" // 2–4 numeric columns, each with :min (default) or :max
)

var kinds = []Kind{KindColumn, KindColumns, KindDirection, KindNumber, KindInteger, KindString, KindBool, KindObjectives}

// Param is one declared parameter of a query.
type Param struct {
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	Required bool   `json:"required"`
	Default  string `json:"default"`
	// Numeric: column kinds accept only numeric columns.
	Numeric bool `json:"numeric,omitempty"`
	// Unit: column kinds accept only columns the result declares in this unit (the
	// manifest's or the files' column units), where it declares any: a sum of cost
	// columns must not take a fraction or a time.
	Unit string `json:"unit,omitempty"`
	// Min and Max bound a number or an integer (range=LO..HI, either side may be
	// empty); nil is no bound on that side. MinOpen and MaxOpen make a side
	// exclusive (range=(0.. is > 0). Every number and integer parameter
	// declares a range, so a value that can only answer nothing (a latency
	// bound ≤ 0) is refused rather than answered with no rows.
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	MinOpen bool     `json:"min_exclusive,omitempty"`
	MaxOpen bool     `json:"max_exclusive,omitempty"`
	// Needs names the column a bool parameter filters on: set explicitly to true
	// without that column it is an error; defaulting to true it is ignored.
	Needs string `json:"needs,omitempty"`
	// Of names the column parameter a string parameter's value is compared
	// with: a number for a numeric column (bound as one, so 2.0 finds 2), true
	// or false for a boolean one.
	Of   string `json:"of,omitempty"`
	Help string `json:"help"`
}

// Query is a bundled (or parsed) query.
type Query struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Params      []Param `json:"params"`
	// Reads lists the columns the SQL names itself (not through a
	// parameter): a result without one is refused before DuckDB sees the
	// query, naming them and Studies.
	Reads []string `json:"reads,omitempty"`
	// Studies names the studies whose results carry the columns the query
	// reads and its parameters' defaults (empty: any result).
	Studies []string `json:"studies,omitempty"`
	// Skyline names the objectives parameter whose 3–4 objectives are finished
	// by a sort-filter skyline in Go (see pareto.sql); empty for plain SQL.
	Skyline string `json:"-"`
	tmpl    *template.Template
}

// Param returns the declared parameter with that name.
func (q *Query) Param(name string) (Param, bool) {
	for _, p := range q.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (q *Query) paramNames() []string {
	var names []string
	for _, p := range q.Params {
		names = append(names, p.Name)
	}
	return names
}

// bundled parses the embedded queries on first use: most commands never query,
// and parsing the templates was a tenth of every command's start-up.
var bundled = sync.OnceValue(mustLoad)

func mustLoad() []*Query {
	var qs []*Query
	for _, name := range Names() {
		q, err := load(name)
		if err != nil {
			panic(err)
		}
		qs = append(qs, q)
	}
	return qs
}

// load parses the embedded file of one bundled query.
func load(name string) (*Query, error) {
	file := name + ".sql"
	b, err := files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	q, err := Parse(file, b)
	if err != nil {
		return nil, err
	}
	if q.Name != name {
		return nil, fmt.Errorf("%s declares name %q", file, q.Name)
	}
	return q, nil
}

// List returns the bundled queries in name order.
func List() []*Query { return slices.Clone(bundled()) }

// Names returns the names of the bundled queries (the file names: each file
// declares its own name, which load checks).
func Names() []string {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".sql"))
	}
	return names
}

// Lookup finds a bundled query by name. It parses that query's file alone:
// parsing all of them was ~2 ms of a cold `mlsysim query` (BENCHMARKS.md,
// "query cold start, second round").
func Lookup(name string) (*Query, error) {
	if slices.Contains(Names(), name) {
		q, err := load(name)
		if err != nil {
			panic(err) // the embedded files are ours; TestBundled parses every one
		}
		return q, nil
	}
	return nil, fmt.Errorf("unknown query %q%s; queries: %s", name, suggest.Hint(name, Names()), strings.Join(Names(), ", "))
}

// Parse reads a query file: a header of "-- key: value" lines (name,
// description, param, skyline; other comment lines are commentary) and then
// the template body. A param line is
//
//	-- param: NAME KIND [required | default=VALUE] [numeric] [unit=UNIT] [range=LO..HI] [needs=COLUMN] [of=PARAM] HELP…
//
// A number or integer parameter must declare its range: LO..HI, inclusive,
// either side empty for no bound, "(" before LO or ")" after HI for an
// exclusive side (range=(0.. is > 0, range=0..1 a fraction).
func Parse(file string, src []byte) (*Query, error) {
	q := &Query{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	line, bodyStart := 0, 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "--") {
			break
		}
		bodyStart = line
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(t, "--")), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "name":
			q.Name = val
		case "description":
			q.Description = val
		case "skyline":
			q.Skyline = val
		case "reads":
			q.Reads = splitList(val)
		case "studies":
			q.Studies = splitList(val)
		case "param":
			var p Param
			if p, err = parseParam(val); err == nil {
				if _, dup := q.Param(p.Name); dup {
					err = fmt.Errorf("param %s declared twice", p.Name)
				}
				if o, ok := q.Param(p.Of); p.Of != "" && (!ok || o.Kind != KindColumn) {
					err = fmt.Errorf("param %s: of=%s names no column parameter declared before it", p.Name, p.Of)
				}
				q.Params = append(q.Params, p)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	if q.Name == "" || q.Description == "" {
		return nil, fmt.Errorf("%s: header needs -- name: and -- description: lines", file)
	}
	if q.Skyline != "" {
		if p, ok := q.Param(q.Skyline); !ok || p.Kind != KindObjectives {
			return nil, fmt.Errorf("%s: skyline: %q is not an objectives parameter", file, q.Skyline)
		}
	}
	body := strings.Join(strings.Split(string(src), "\n")[bodyStart:], "\n")
	t, err := template.New(path.Base(file)).Funcs(templateFuncs).Option("missingkey=error").Parse(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if q.Skyline != "" && t.Lookup("candidates") == nil {
		return nil, fmt.Errorf("%s: a skyline query needs a {{define \"candidates\"}} template", file)
	}
	q.tmpl = t
	return q, nil
}

func parseParam(s string) (Param, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return Param{}, fmt.Errorf("param %q: want NAME KIND [required|default=V] [numeric] [unit=UNIT] [range=LO..HI] [needs=COL] [of=PARAM] HELP", s)
	}
	p := Param{Name: f[0], Kind: Kind(f[1])}
	if !slices.Contains(kinds, p.Kind) {
		return p, fmt.Errorf("param %s: unknown kind %q (kinds: %v)", p.Name, p.Kind, kinds)
	}
	rest := f[2:]
	hasDefault, hasRange := false, false
flags:
	for len(rest) > 0 {
		tok := rest[0]
		switch {
		case tok == "required":
			p.Required = true
		case strings.HasPrefix(tok, "default="):
			p.Default, hasDefault = strings.TrimPrefix(tok, "default="), true
		case tok == "numeric":
			p.Numeric = true
		case strings.HasPrefix(tok, "unit="):
			p.Unit = strings.TrimPrefix(tok, "unit=")
		case strings.HasPrefix(tok, "needs="):
			p.Needs = strings.TrimPrefix(tok, "needs=")
		case strings.HasPrefix(tok, "of="):
			p.Of = strings.TrimPrefix(tok, "of=")
		case strings.HasPrefix(tok, "range="):
			if err := p.parseRange(strings.TrimPrefix(tok, "range=")); err != nil {
				return p, fmt.Errorf("param %s: range %q: %w", p.Name, tok, err)
			}
			hasRange = true
		default:
			break flags
		}
		rest = rest[1:]
	}
	p.Help = strings.Join(rest, " ")
	switch {
	case p.Help == "":
		return p, fmt.Errorf("param %s: no help text", p.Name)
	case p.Required == hasDefault:
		return p, fmt.Errorf("param %s: say either required or default=VALUE", p.Name)
	case p.Needs != "" && p.Kind != KindBool:
		return p, fmt.Errorf("param %s: needs= applies to bool parameters", p.Name)
	case p.Unit != "" && p.Kind != KindColumn:
		return p, fmt.Errorf("param %s: unit= applies to column parameters", p.Name)
	case p.Of != "" && p.Kind != KindString:
		return p, fmt.Errorf("param %s: of= applies to string parameters", p.Name)
	case hasRange && p.Kind != KindNumber && p.Kind != KindInteger:
		return p, fmt.Errorf("param %s: range= applies to number and integer parameters", p.Name)
	case !hasRange && (p.Kind == KindNumber || p.Kind == KindInteger):
		return p, fmt.Errorf("param %s: a %s parameter declares its range=LO..HI (e.g. range=(0.. for > 0, range=0..1 for a fraction)", p.Name, p.Kind)
	}
	if hasDefault && p.Default != "" && (p.Kind == KindNumber || p.Kind == KindInteger) {
		if _, err := p.value(p.Default, false, nil, nil); err != nil {
			return p, fmt.Errorf("param %s: default %s: %w", p.Name, p.Default, err)
		}
	}
	return p, nil
}

// parseRange reads LO..HI: each side a number or empty (unbounded), inclusive
// unless LO starts with "(" or HI ends with ")"; "[" and "]" may mark
// inclusive sides. An integer parameter's bounds are whole numbers.
func (p *Param) parseRange(s string) error {
	lo, hi, ok := strings.Cut(s, "..")
	if !ok {
		return errors.New("want LO..HI")
	}
	if p.MinOpen = strings.HasPrefix(lo, "("); p.MinOpen || strings.HasPrefix(lo, "[") {
		lo = lo[1:]
	}
	if p.MaxOpen = strings.HasSuffix(hi, ")"); p.MaxOpen || strings.HasSuffix(hi, "]") {
		hi = hi[:len(hi)-1]
	}
	bound := func(side string) (*float64, error) {
		if side == "" {
			return nil, nil
		}
		v, err := strconv.ParseFloat(side, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("bound %q is not a finite number", side)
		}
		if p.Kind == KindInteger && v != math.Trunc(v) {
			return nil, fmt.Errorf("bound %q of an integer is not whole", side)
		}
		return &v, nil
	}
	var err error
	if p.Min, err = bound(lo); err != nil {
		return err
	}
	if p.Max, err = bound(hi); err != nil {
		return err
	}
	switch {
	case p.Min == nil && p.MinOpen, p.Max == nil && p.MaxOpen:
		return errors.New("an open side needs a bound")
	case p.Min == nil && p.Max == nil:
		return errors.New("no bound on either side")
	case p.Min != nil && p.Max != nil && !(*p.Min < *p.Max || *p.Min == *p.Max && !p.MinOpen && !p.MaxOpen):
		return errors.New("empty range")
	}
	return nil
}

// InRange says v lies within the declared range.
func (p Param) InRange(v float64) bool {
	if p.Min != nil && (v < *p.Min || p.MinOpen && v == *p.Min) {
		return false
	}
	if p.Max != nil && (v > *p.Max || p.MaxOpen && v == *p.Max) {
		return false
	}
	return true
}

// RangeText is the declared range as a reader writes it: "> 0", "≥ 0",
// "from 1 to 999999", "in (0, 1]"; empty without a range.
func (p Param) RangeText() string {
	g := func(v *float64) string { return strconv.FormatFloat(*v, 'g', -1, 64) }
	switch {
	case p.Min != nil && p.Max != nil && !p.MinOpen && !p.MaxOpen:
		return "from " + g(p.Min) + " to " + g(p.Max)
	case p.Min != nil && p.Max != nil:
		return "in " + map[bool]string{false: "[", true: "("}[p.MinOpen] + g(p.Min) + ", " + g(p.Max) + map[bool]string{false: "]", true: ")"}[p.MaxOpen]
	case p.Min != nil:
		return map[bool]string{false: "≥ ", true: "> "}[p.MinOpen] + g(p.Min)
	case p.Max != nil:
		return map[bool]string{false: "≤ ", true: "< "}[p.MaxOpen] + g(p.Max)
	}
	return ""
}

// StudiesText names the studies a query reads ("a serve, serve-sla or
// serve-deploy result"); empty when it reads any result.
func (q *Query) StudiesText() string {
	switch n := len(q.Studies); n {
	case 0:
		return ""
	case 1:
		return "a " + q.Studies[0] + " result"
	default:
		return "a " + strings.Join(q.Studies[:n-1], ", ") + " or " + q.Studies[n-1] + " result"
	}
}
