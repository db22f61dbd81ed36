package queries

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Filter is one --where condition on a column: COLUMN=V[,V…] (any of the
// values), COLUMN!=V[,V…] (none of them), or COLUMN<V, <=, >, >= on a
// numeric column.
type Filter struct {
	Column string
	Op     string
	Values []string
}

func (f Filter) String() string { return f.Column + f.Op + strings.Join(f.Values, ",") }

// filterOps are tried longest first so that <= is not read as <.
var filterOps = []string{"!=", "<=", ">=", "=", "<", ">"}

// ParseFilter reads COLUMN OP VALUE[,VALUE…].
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexAny(s, "!=<>")
	if i <= 0 {
		return Filter{}, fmt.Errorf("%q: want COLUMN=VALUE (or !=, <, <=, >, >=; = and != take a comma-separated list)", s)
	}
	f := Filter{Column: strings.TrimSpace(s[:i])}
	for _, op := range filterOps {
		if strings.HasPrefix(s[i:], op) {
			f.Op = op
			break
		}
	}
	if f.Op == "" {
		return Filter{}, fmt.Errorf("%q: unknown operator (want =, !=, <, <=, >, >=)", s)
	}
	rest := s[i+len(f.Op):]
	if f.Op == "=" || f.Op == "!=" {
		f.Values = splitList(rest)
	} else {
		f.Values = []string{strings.TrimSpace(rest)}
	}
	if len(f.Values) == 0 || slices.Contains(f.Values, "") {
		return Filter{}, fmt.Errorf("%q: no value after %s", s, f.Op)
	}
	return f, nil
}

// Column returns the result's column of that name, or an error naming the
// closest columns.
func (d *DB) Column(name string) (Column, error) {
	byName := map[string]Column{}
	for _, c := range d.Columns() {
		byName[c.Name] = c
	}
	c, err := Param{}.column(name, byName, d.Columns())
	return Column(c), err
}

// Numeric says the column holds numbers.
func (c Column) Numeric() bool { return Col(c).Numeric() }

// sqlCondition renders a filter as a condition on the results view. The
// values are checked against the column's type first (numbers parsed,
// booleans read), and are then written as literals: numbers as Go formats a
// float64, text quoted by quoteLiteral, which is a complete escape for DuckDB.
// Literals, not bound arguments, because the condition becomes part of a view
// that every later statement (bundled queries included) reads.
func sqlCondition(f Filter, c Column) (string, error) {
	lits, _, err := filterLiterals(f, c)
	if err != nil {
		return "", err
	}
	col := quoteIdent(c.Name)
	switch f.Op {
	case "=":
		return fmt.Sprintf("%s IN (%s)", col, strings.Join(lits, ", ")), nil
	case "!=":
		return fmt.Sprintf("(%s IS NULL OR %s NOT IN (%s))", col, col, strings.Join(lits, ", ")), nil
	}
	if !Col(c).Numeric() {
		return "", fmt.Errorf("%s: %s is %s; compare it with = or !=", f, c.Name, c.Type)
	}
	return fmt.Sprintf("%s %s %s", col, f.Op, lits[0]), nil
}

// filterLiterals checks a filter's values against the column's type and
// returns them as SQL literals, and as the text a value of the column reads as
// (a number as Go formats its float64, a string as itself). A boolean is true
// or false in any case: strconv's 1, t and F are refused, as in a grid spec.
func filterLiterals(f Filter, c Column) (lits, texts []string, err error) {
	switch k := typeClass(c.Type); {
	case Col(c).Numeric():
		for _, v := range f.Values {
			x, err := parseDecimal(v)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("%s: %s is numeric; %q is not a finite number", f, c.Name, v)
			}
			lit := strconv.FormatFloat(x, 'g', -1, 64)
			lits, texts = append(lits, lit), append(texts, lit)
		}
	case k == "bool":
		for _, v := range f.Values {
			b, err := parseTrueFalse(v)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s is true or false, not %q", f, c.Name, v)
			}
			lits, texts = append(lits, strconv.FormatBool(b)), append(texts, strconv.FormatBool(b))
		}
	case k == "string":
		for _, v := range f.Values {
			lits, texts = append(lits, quoteLiteral(v)), append(texts, v)
		}
	default:
		return nil, nil, fmt.Errorf("%s: column %s is %s, which --where cannot compare", f, c.Name, c.Type)
	}
	return lits, texts, nil
}

// FrameSpec says which rows and columns Frame reads.
type FrameSpec struct {
	Num  []string // numeric columns, read as float64
	Text []string // columns read as text
	// Finite leaves out rows where one of these numeric columns is NULL, NaN
	// or infinite; Positive also rows where it is ≤ 0 (for log axes).
	Finite, Positive []string
	// Feasible keeps only rows with feasible = true (when there is such a column).
	Feasible bool
	// Limit: past this many matching rows, a deterministic sample of Limit
	// rows (the smallest hash(point_id)) is read instead.
	Limit int
}

// Null is how Frame and Aggregate write NULL as text, as query prints it.
const Null = "NULL"

// Frame is a selection of rows as plain columns.
type Frame struct {
	Num     map[string][]float64
	Text    map[string][]string // NULL as Null
	Rows    int                 // rows read
	Matched int64               // rows that met the conditions (Rows < Matched: a sample)
}

// conditions is the WHERE clause shared by Frame and Aggregate.
func (d *DB) conditions(finite, positive []string, feasible bool) (string, error) {
	var conds []string
	for _, group := range [][]string{finite, positive} {
		for _, name := range group {
			c, err := d.Column(name)
			if err != nil {
				return "", err
			}
			if !c.Numeric() {
				return "", notNumeric(c, d.Columns())
			}
			conds = append(conds, Col(c).Valid())
			if Col(c).Float() {
				conds = append(conds, fmt.Sprintf("isfinite(%s)", Col(c)))
			}
		}
	}
	for _, name := range positive {
		conds = append(conds, quoteIdent(name)+" > 0")
	}
	if feasible {
		if c, err := d.Column("feasible"); err == nil && typeClass(c.Type) == "bool" {
			conds = append(conds, `"feasible"`)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// unique is names without repeats, in order: a column asked for twice (x
// against x) is read once.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// selectList is the columns as Frame reads them: numbers as DOUBLE, the rest
// as VARCHAR.
func (d *DB) selectList(num, text []string) ([]string, error) {
	var sel []string
	for _, name := range num {
		c, err := d.Column(name)
		if err != nil {
			return nil, err
		}
		if !c.Numeric() {
			return nil, notNumeric(c, d.Columns())
		}
		sel = append(sel, fmt.Sprintf("CAST(%s AS DOUBLE)", quoteIdent(name)))
	}
	for _, name := range text {
		if _, err := d.Column(name); err != nil {
			return nil, err
		}
		sel = append(sel, fmt.Sprintf("CAST(%s AS VARCHAR)", quoteIdent(name)))
	}
	return sel, nil
}

// Agg is an aggregate a figure may state: mean, min, max, median, p90, p99,
// sum or count.
var Aggs = map[string]string{
	"mean": "avg(v)", "min": "min(v)", "max": "max(v)", "median": "median(v)",
	"p90": "quantile_cont(v, 0.9)", "p99": "quantile_cont(v, 0.99)", "sum": "sum(v)", "count": "count(v)",
}

// AggNames lists Aggs in a fixed order.
var AggNames = []string{"mean", "min", "max", "median", "p90", "p99", "sum", "count"}

// AggSpec says what Aggregate computes: Value aggregated with Agg over the
// rows of each combination of Keys.
type AggSpec struct {
	Keys     []string
	Value    string // a numeric or boolean column (a boolean counts as 0/1: its mean is a share)
	Agg      string
	Feasible bool
	// Limit: more combinations than this is an error (the figure would be
	// unreadable); the caller says what to filter.
	Limit int
}

// Aggregated is one row per combination of keys, ordered by the keys: each
// key as text (Keys; NULL as Null) and, for numeric keys, as a number (KeyNum), and the
// aggregate (Value; NaN where no row had a value) with the rows behind it.
type Aggregated struct {
	Keys   map[string][]string
	KeyNum map[string][]float64
	Value  []float64
	Count  []int64
	Rows   int64 // rows aggregated in all
}
