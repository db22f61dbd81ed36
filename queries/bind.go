package queries

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// Column is one column of a result: its name and DuckDB type (DOUBLE, BIGINT,
// UBIGINT, BOOLEAN, VARCHAR, …).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// typeClass sorts DuckDB types into what the queries care about.
func typeClass(t string) string {
	t = strings.ToUpper(t)
	switch {
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL" || t == "FLOAT4" || t == "FLOAT8":
		return "float"
	case strings.HasPrefix(t, "DECIMAL") || strings.HasPrefix(t, "NUMERIC"):
		return "decimal"
	case slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}, t):
		return "integer"
	case t == "BOOLEAN":
		return "bool"
	case t == "VARCHAR" || strings.HasPrefix(t, "ENUM"):
		return "string"
	}
	return "other"
}

// Col is a validated column as the template sees it: printing it gives the
// quoted identifier.
type Col struct {
	Name, Type string
}

// String is the column as a quoted SQL identifier.
func (c Col) String() string { return quoteIdent(c.Name) }

// Lit is the column's name as a quoted SQL string literal.
func (c Col) Lit() string { return quoteLiteral(c.Name) }

// Float says NaN is possible.
func (c Col) Float() bool { return typeClass(c.Type) == "float" }

// Numeric says the column holds numbers.
func (c Col) Numeric() bool {
	k := typeClass(c.Type)
	return k == "float" || k == "integer" || k == "decimal"
}

// Valid is a condition true where the column holds a comparable value: not NULL
// and, for floats, not NaN (DuckDB sorts NaN above +Inf).
func (c Col) Valid() string {
	if c.Float() {
		return fmt.Sprintf("(%s IS NOT NULL AND NOT isnan(%s))", c, c)
	}
	return fmt.Sprintf("(%s IS NOT NULL)", c)
}

// Cols prints as a comma-separated list of quoted identifiers.
type Cols []Col

func (cs Cols) String() string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// Dir is a direction: min (ascending, smaller is better) or max.
type Dir struct{ Max bool }

func (d Dir) String() string { return map[bool]string{false: "min", true: "max"}[d.Max] }

// Asc is the ORDER BY keyword that puts the best first.
func (d Dir) Asc() string { return map[bool]string{false: "ASC", true: "DESC"}[d.Max] }

// Agg is the aggregate that keeps the best value.
func (d Dir) Agg() string { return d.String() }

// Arg is arg_min or arg_max.
func (d Dir) Arg() string { return "arg_" + d.String() }

// Better is the comparison operator for strictly better.
func (d Dir) Better() string { return map[bool]string{false: "<", true: ">"}[d.Max] }

// Objective is one Pareto objective.
type Objective struct {
	Col Col
	Dir Dir
}

// bound is a query with its parameters checked: template data and SQL args.
type bound struct {
	data map[string]any
	args []any
}

// bind checks params against the query's declarations and the result's columns,
// whose units are units (column → unit; nil or empty where the result declares none).
func (q *Query) bind(cols []Column, units map[string]string, params map[string]string) (*bound, error) {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if _, ok := q.Param(name); !ok {
			return nil, fmt.Errorf("query %s: unknown parameter %q%s; parameters: %s",
				q.Name, name, suggest.Hint(name, q.paramNames()), strings.Join(q.paramNames(), ", "))
		}
	}
	byName := map[string]Column{}
	var all Cols
	for _, c := range cols {
		byName[c.Name] = c
		all = append(all, Col(c))
	}
	var lacks []string
	for _, c := range q.Reads {
		if _, ok := byName[c]; !ok {
			lacks = append(lacks, c)
		}
	}
	if len(lacks) > 0 {
		return nil, fmt.Errorf("query %s reads %s (or a query's output from one); this result has no %s", q.Name, q.StudiesText(), strings.Join(lacks, ", "))
	}
	b := &bound{data: map[string]any{"all": all, "skyline": false}}
	if c, ok := byName["point_id"]; ok && typeClass(c.Type) == "integer" {
		b.data["pid"] = Col(c)
	} else {
		b.data["pid"] = nil
	}
	for _, p := range q.Params {
		raw, given := params[p.Name]
		if !given {
			if p.Required {
				return nil, fmt.Errorf("query %s: missing parameter %s (%s): add --param %s=%s",
					q.Name, p.Name, p.Help, p.Name, strings.ToUpper(string(p.Kind)))
			}
			raw = p.Default
		}
		v, err := p.value(raw, given, byName, cols)
		if err == nil && p.Unit != "" {
			err = inUnit(v.(Col), p.Unit, cols, units)
		}
		if err == nil && p.Of != "" && given {
			v, err = valueOf(b.data[p.Of].(Col), raw)
		}
		if err != nil && !given && p.Default != "" && q.Studies != nil {
			// The default is a column of the study the query is for: say so
			// rather than only that this result lacks it.
			return nil, fmt.Errorf("query %s is for %s: parameter %s defaults to %s, which this result lacks; give --param %s=COLUMN (%w)",
				q.Name, q.StudiesText(), p.Name, p.Default, p.Name, err)
		}
		if err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, p.Name, err)
		}
		switch p.Kind {
		case KindNumber, KindInteger, KindString:
			b.args = append(b.args, sql.Named(p.Name, v))
		default:
			b.data[p.Name] = v
		}
	}
	if q.Skyline != "" {
		b.data["skyline"] = len(b.data[q.Skyline].([]Objective)) > 2
	}
	return b, checkDisjoint(q, b.data)
}

// checkDisjoint refuses a column used both to group and as a measure.
func checkDisjoint(q *Query, data map[string]any) error {
	seen := map[string]string{}
	for _, p := range q.Params {
		var names []string
		switch v := data[p.Name].(type) {
		case Col:
			names = []string{v.Name}
		case Cols:
			if p.Name == "columns" {
				continue // what to summarise may repeat nothing else
			}
			for _, c := range v {
				names = append(names, c.Name)
			}
		case []Objective:
			for _, o := range v {
				names = append(names, o.Col.Name)
			}
		}
		for _, n := range names {
			if other, ok := seen[n]; ok && other != p.Name {
				return fmt.Errorf("query %s: column %s is given both as %s and as %s", q.Name, n, other, p.Name)
			}
			seen[n] = p.Name
		}
	}
	return nil
}

// value parses and checks one raw parameter value.
func (p Param) value(raw string, given bool, byName map[string]Column, cols []Column) (any, error) {
	switch p.Kind {
	case KindColumn:
		return p.column(raw, byName, cols)
	case KindColumns:
		var cs Cols
		seen := map[string]bool{}
		for _, name := range splitList(raw) {
			c, err := p.column(name, byName, cols)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fmt.Errorf("column %s listed twice", name)
			}
			seen[name] = true
			cs = append(cs, c)
		}
		return cs, nil
	case KindObjectives:
		var os []Objective
		seen := map[string]bool{}
		for _, item := range splitList(raw) {
			name, dir, hasDir := strings.Cut(item, ":")
			d, err := direction("min")
			if hasDir {
				d, err = direction(dir)
			}
			if err != nil {
				return nil, fmt.Errorf("objective %q: %w", item, err)
			}
			name = strings.TrimSpace(name)
			p.Numeric = true
			c, err := p.column(name, byName, cols)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fmt.Errorf("objective %s listed twice", name)
			}
			seen[name] = true
			os = append(os, Objective{c, d})
		}
		if len(os) < 2 || len(os) > 4 {
			return nil, fmt.Errorf("want 2 to 4 objectives as COLUMN:min|max separated by commas (e.g. itl_ms:min,tokens_per_s:max), got %d", len(os))
		}
		return os, nil
	case KindDirection:
		return direction(raw)
	case KindBool:
		v, err := parseTrueFalse(raw)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", raw)
		}
		if v && p.Needs != "" {
			if _, ok := byName[p.Needs]; !ok {
				if given {
					return nil, fmt.Errorf("the result has no %s column; use %s=false", p.Needs, p.Name)
				}
				v = false
			}
		}
		return v, nil
	case KindNumber:
		if raw == "" && !given {
			return nil, nil
		}
		v, err := parseDecimal(strings.TrimSpace(raw))
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("want a finite number %s, got %q", p.RangeText(), raw)
		}
		if !p.InRange(v) {
			return nil, fmt.Errorf("want a number %s, got %s", p.RangeText(), strings.TrimSpace(raw))
		}
		return v, nil
	case KindInteger:
		if raw == "" && !given {
			return nil, nil
		}
		v, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want a whole number %s, got %q", p.RangeText(), raw)
		}
		if !p.InRange(float64(v)) {
			return nil, fmt.Errorf("want a whole number %s, got %d", p.RangeText(), v)
		}
		return v, nil
	case KindString:
		if raw == "" && !given {
			return nil, nil
		}
		return raw, nil
	}
	return nil, fmt.Errorf("unknown kind %q", p.Kind)
}

// parseDecimal reads a number as written in decimal: strconv.ParseFloat also reads Go's
// hexadecimal floats and digit separators, so "value=6_4" found batch 64 and
// "--where efficiency=0x0p0" matched efficiency 0, numbers that every flag, grid and plan
// refuses (README, "Integer flags are decimal").
func parseDecimal(s string) (float64, error) {
	if catalog.NotDecimal(s) {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return strconv.ParseFloat(s, 64)
}

// parseTrueFalse reads true or false in any case. strconv.ParseBool's 1, 0,
// t and F were taken as well, which a grid spec and a plan refuse
// (catalog.ParseBool): one rule for every input.
func parseTrueFalse(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", raw)
}

// valueOf is raw as a value of column c: a number for a numeric column (an
// integer column's as an int64, exact past 2^53; a fraction there matches no
// row and is refused), "true" or "false" for a boolean one, else the text.
func valueOf(c Col, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch typeClass(c.Type) {
	case "integer":
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, nil
		}
		v, err := parseDecimal(s)
		if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("column %s holds whole numbers (%s); got %q", c.Name, c.Type, raw)
		}
		return int64(v), nil
	case "float", "decimal":
		v, err := parseDecimal(s)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("column %s holds numbers (%s); got %q", c.Name, c.Type, raw)
		}
		return v, nil
	case "bool":
		v, err := parseTrueFalse(s)
		if err != nil {
			return nil, fmt.Errorf("column %s holds true or false; got %q", c.Name, raw)
		}
		return strconv.FormatBool(v), nil
	}
	return raw, nil
}

func (p Param) column(name string, byName map[string]Column, cols []Column) (Col, error) {
	c, ok := byName[name]
	if !ok {
		var names []string
		for _, c := range cols {
			names = append(names, c.Name)
		}
		if name == "" {
			return Col{}, fmt.Errorf("empty column name (columns: %s)", strings.Join(names, ", "))
		}
		return Col{}, fmt.Errorf("no column %q in the result%s; columns: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
	}
	if p.Numeric && !Col(c).Numeric() {
		return Col{}, notNumeric(c, cols)
	}
	return Col(c), nil
}

// inUnit refuses column c where a column in unit is needed and the result declares
// units (a query's own output file declares none: there nothing is checked), naming the
// columns in that unit.
func inUnit(c Col, unit string, cols []Column, units map[string]string) error {
	if len(units) == 0 || units[c.Name] == unit {
		return nil
	}
	var in []string
	for _, col := range cols {
		if units[col.Name] == unit {
			in = append(in, col.Name)
		}
	}
	has := "has no unit"
	if u := units[c.Name]; u != "" {
		has = "is in " + u
	}
	return fmt.Errorf("column %s %s; want a column in %s%s; columns in %s: %s", c.Name, has, unit, suggest.Hint(c.Name, in), unit, strings.Join(in, ", "))
}

// notNumeric refuses column c where a number is needed, naming the numeric
// columns of cols. Text sorts alphabetically and booleans false before true: an
// order, but no best or worst, so ranking, bounding or plotting by one would
// answer another question than the one asked.
func notNumeric(c Column, cols []Column) error {
	var nums []string
	for _, c := range cols {
		if Col(c).Numeric() {
			nums = append(nums, c.Name)
		}
	}
	return fmt.Errorf("column %s is %s, which has no best or worst; want a numeric column%s; numeric columns: %s",
		c.Name, c.Type, suggest.Hint(c.Name, nums), strings.Join(nums, ", "))
}

func direction(s string) (Dir, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "min":
		return Dir{}, nil
	case "max":
		return Dir{Max: true}, nil
	}
	return Dir{}, fmt.Errorf("want min or max, got %q", s)
}

// splitList splits a comma-separated list, trimming spaces; "" is empty.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// quoteIdent quotes a name as a SQL identifier, doubling double quotes.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes text as a SQL string literal, doubling single quotes.
// DuckDB string literals have no backslash escapes, so that is complete.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// templateFuncs are the helpers query bodies may call; each returns validated
// columns or fixed SQL text.
var templateFuncs = map[string]any{
	// numeric and categorical pick columns by type (categorical: strings and bools).
	"numeric": func(cs Cols) Cols {
		var out Cols
		for _, c := range cs {
			if c.Numeric() {
				out = append(out, c)
			}
		}
		return out
	},
	"categorical": func(cs Cols) Cols {
		var out Cols
		for _, c := range cs {
			if k := typeClass(c.Type); k == "string" || k == "bool" {
				out = append(out, c)
			}
		}
		return out
	},
	// without drops columns given as Cols, Col or names.
	"without": func(cs Cols, drop ...any) Cols {
		gone := map[string]bool{}
		for _, d := range drop {
			switch d := d.(type) {
			case Cols:
				for _, c := range d {
					gone[c.Name] = true
				}
			case Col:
				gone[d.Name] = true
			case string:
				gone[d] = true
			}
		}
		var out Cols
		for _, c := range cs {
			if !gone[c.Name] {
				out = append(out, c)
			}
		}
		return out
	},
	// objectiveCols lists the objectives' columns.
	"objectiveCols": func(os []Objective) Cols {
		var out Cols
		for _, o := range os {
			out = append(out, o.Col)
		}
		return out
	},
	// fail stops rendering with a message for the user.
	"fail": func(msg string) (string, error) { return "", &failError{msg} },
}

// failError is a template's own message for the user.
type failError struct{ msg string }

func (e *failError) Error() string { return e.msg }

// render executes the query body (or one of its named templates).
func (q *Query) render(b *bound, name string) (string, error) {
	t := q.tmpl
	if name != "" {
		if t = q.tmpl.Lookup(name); t == nil {
			return "", fmt.Errorf("query %s: no template %q", q.Name, name)
		}
	}
	var sb strings.Builder
	if err := t.Execute(&sb, b.data); err != nil {
		var fe *failError
		if errors.As(err, &fe) {
			return "", fmt.Errorf("query %s: %s", q.Name, fe.msg)
		}
		return "", fmt.Errorf("query %s: %w", q.Name, err)
	}
	return strings.TrimSpace(sb.String()), nil
}
