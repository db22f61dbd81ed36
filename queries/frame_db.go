//go:build cgo

package queries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/suggest"
)

// Restrict narrows the results view to the rows that meet every filter, for
// all later statements (bundled queries, Frame, Aggregate). Each call
// replaces the previous filters; none restores every row.
func (d *DB) Restrict(ctx context.Context, filters []Filter) error {
	if len(filters) == 0 && !d.restricted {
		return nil
	}
	var conds []string
	for _, f := range filters {
		c, err := d.Column(f.Column)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		cond, err := sqlCondition(f, c)
		if err != nil {
			return err
		}
		conds = append(conds, cond)
	}
	if err := d.makeView(ctx); err != nil {
		return err
	}
	base := "results"
	if d.restricted {
		base = "results_unfiltered"
	}
	for _, f := range filters {
		if err := d.checkValues(ctx, base, f); err != nil {
			return err
		}
	}
	var sts []string
	if !d.restricted {
		// Renaming keeps whatever Open made the view read; the filter goes on top.
		sts = append(sts, "ALTER VIEW results RENAME TO results_unfiltered")
	}
	view := "CREATE OR REPLACE VIEW results AS SELECT * FROM results_unfiltered"
	if len(conds) > 0 {
		view += " WHERE " + strings.Join(conds, " AND ")
	}
	for _, st := range append(sts, view) {
		if _, err := d.conn.ExecContext(ctx, st); err != nil {
			return cleanError(err)
		}
	}
	d.restricted = true
	return nil
}

// checkValues refuses an = or != filter that names a value its column does
// not hold in the whole result: such a value selects nothing, so a misspelt one
// in a list (hardware=H100,H10) or after != (hardware!=a100) was ignored
// without a word and the figure drew rows the user meant to leave out. The
// error names the closest values the column holds, and all of them when they
// are few. Numbers compare as the float64 each one parses to, as the filter
// does; booleans are left alone (true and false are the only values).
func (d *DB) checkValues(ctx context.Context, base string, f Filter) error {
	if f.Op != "=" && f.Op != "!=" {
		return nil
	}
	c, err := d.Column(f.Column)
	if err != nil || typeClass(c.Type) == "bool" {
		return nil // sqlCondition has said what is wrong
	}
	lits, texts, err := filterLiterals(f, c)
	if err != nil {
		return err
	}
	numeric := Col(c).Numeric()
	col := quoteIdent(c.Name)
	val := "CAST(" + col + " AS VARCHAR)"
	if numeric {
		val = "CAST(" + col + " AS DOUBLE)"
	}
	distinct := func(where, limit string) ([]string, error) {
		rows, err := d.conn.QueryContext(ctx, "SELECT DISTINCT "+val+" AS v FROM "+base+" WHERE "+where+" ORDER BY v"+limit)
		if err != nil {
			return nil, cleanError(err)
		}
		defer rows.Close()
		var vs []string
		for rows.Next() {
			var s string
			if numeric {
				var x float64
				if err := rows.Scan(&x); err != nil {
					return nil, err
				}
				s = strconv.FormatFloat(x, 'g', -1, 64)
			} else if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			vs = append(vs, s)
		}
		return vs, cleanError(rows.Err())
	}
	found, err := distinct(col+" IN ("+strings.Join(lits, ", ")+")", "")
	if err != nil {
		return err
	}
	var missing []string
	for _, t := range texts {
		if !slices.Contains(found, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	const listed = 30
	have, err := distinct(col+" IS NOT NULL", fmt.Sprintf(" LIMIT %d", maxSuggestValues))
	if err != nil {
		return err
	}
	var msg []string
	for _, v := range missing {
		m := fmt.Sprintf("%s has no value %q", c.Name, v)
		if !numeric {
			m += suggest.Hint(v, have)
		}
		msg = append(msg, m)
	}
	s := fmt.Sprintf("%s: %s", f, strings.Join(msg, "; "))
	if len(have) <= listed {
		s += " (values: " + strings.Join(have, ", ") + ")"
	}
	return errors.New(s)
}

// maxSuggestValues bounds the distinct values checkValues reads for its hint.
const maxSuggestValues = 100000

// Count is the number of rows in the (restricted) result, only feasible ones
// with feasible set (when there is a feasible column).
func (d *DB) Count(ctx context.Context, feasible bool) (int64, error) {
	where, err := d.conditions(nil, nil, feasible)
	if err != nil {
		return 0, err
	}
	var n int64
	err = d.conn.QueryRowContext(ctx, "SELECT count(*) FROM results"+where).Scan(&n)
	return n, cleanError(err)
}

// Frame reads columns of the rows that meet spec's conditions, ordered by
// point_id; past spec.Limit rows it reads the Limit rows with the smallest
// hash(point_id) — a uniform sample that is the same on every run — so a
// figure of 10M rows never holds them in memory.
func (d *DB) Frame(ctx context.Context, spec FrameSpec) (*Frame, error) {
	spec.Num, spec.Text = unique(spec.Num), unique(spec.Text)
	sel, err := d.selectList(spec.Num, spec.Text)
	if err != nil {
		return nil, err
	}
	where, err := d.conditions(spec.Finite, spec.Positive, spec.Feasible)
	if err != nil {
		return nil, err
	}
	fr := &Frame{Num: map[string][]float64{}, Text: map[string][]string{}}
	if err := d.conn.QueryRowContext(ctx, "SELECT count(*) FROM results"+where).Scan(&fr.Matched); err != nil {
		return nil, cleanError(err)
	}
	cols := make([]string, len(sel))
	aliased := make([]string, len(sel))
	for i, s := range sel {
		cols[i] = fmt.Sprintf("c%d", i)
		aliased[i] = s + " AS " + cols[i]
	}
	// The order key: point_id, else the row's own values (rows of a query's
	// output file may have no id).
	key := "hash(" + strings.Join(cols, ", ") + ")"
	if c, err := d.Column("point_id"); err == nil && typeClass(c.Type) == "integer" {
		key = `"point_id"`
	}
	inner := fmt.Sprintf("SELECT %s, %s AS mlsysim_key FROM results%s", strings.Join(aliased, ", "), key, where)
	if key != `"point_id"` {
		inner = fmt.Sprintf("SELECT *, %s AS mlsysim_key FROM (SELECT %s FROM results%s)", key, strings.Join(aliased, ", "), where)
	}
	if spec.Limit > 0 && fr.Matched > int64(spec.Limit) {
		inner += fmt.Sprintf(" ORDER BY hash(mlsysim_key), mlsysim_key LIMIT %d", spec.Limit)
	}
	q := fmt.Sprintf("SELECT %s FROM (%s) ORDER BY mlsysim_key, %s", strings.Join(cols, ", "), inner, strings.Join(cols, ", "))
	rows, err := d.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, cleanError(err)
	}
	defer rows.Close()
	return fr, scanFrame(rows, spec.Num, spec.Text, fr)
}

// FrameOf reads columns of a statement's rows, e.g. a bundled query's (whose
// rows have the result's columns).
func (d *DB) FrameOf(ctx context.Context, st *Statement, num, text []string) (*Frame, error) {
	num, text = unique(num), unique(text)
	sel, err := d.selectList(num, text)
	if err != nil {
		return nil, err
	}
	rows, err := d.conn.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM ("+st.SQL+") AS mlsysim_q", st.Args...)
	if err != nil {
		return nil, cleanError(err)
	}
	defer rows.Close()
	fr := &Frame{Num: map[string][]float64{}, Text: map[string][]string{}}
	if err := scanFrame(rows, num, text, fr); err != nil {
		return nil, err
	}
	fr.Matched = int64(fr.Rows)
	return fr, nil
}

// scanFrame appends rows of numeric then text columns to fr (NULL: NaN, or
// the text NULL).
func scanFrame(rows *sql.Rows, num, text []string, fr *Frame) error {
	nums := make([]sql.NullFloat64, len(num))
	texts := make([]sql.NullString, len(text))
	var dst []any
	for i := range nums {
		dst = append(dst, &nums[i])
	}
	for i := range texts {
		dst = append(dst, &texts[i])
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		for i, name := range num {
			v := math.NaN()
			if nums[i].Valid {
				v = nums[i].Float64
			}
			fr.Num[name] = append(fr.Num[name], v)
		}
		for i, name := range text {
			v := Null
			if texts[i].Valid {
				v = texts[i].String
			}
			fr.Text[name] = append(fr.Text[name], v)
		}
		fr.Rows++
	}
	return cleanError(rows.Err())
}

// Aggregate computes spec.Agg of spec.Value per combination of spec.Keys in
// SQL, so only the combinations reach Go.
func (d *DB) Aggregate(ctx context.Context, spec AggSpec) (*Aggregated, error) {
	fn, ok := Aggs[spec.Agg]
	if !ok {
		return nil, fmt.Errorf("aggregate %q%s; aggregates: %s", spec.Agg, suggest.Hint(spec.Agg, AggNames), strings.Join(AggNames, ", "))
	}
	v := "1"
	if spec.Value != "" {
		c, err := d.Column(spec.Value)
		if err != nil {
			return nil, err
		}
		switch {
		case Col(c).Float():
			v = fmt.Sprintf("nullif(CAST(%s AS DOUBLE), 'NaN'::DOUBLE)", Col(c))
		case c.Numeric() || typeClass(c.Type) == "bool":
			v = fmt.Sprintf("CAST(%s AS DOUBLE)", Col(c))
		default:
			return nil, fmt.Errorf("column %s is %s; want a numeric or boolean column to aggregate", c.Name, c.Type)
		}
	}
	where, err := d.conditions(nil, nil, spec.Feasible)
	if err != nil {
		return nil, err
	}
	var sel, keys, order []string
	numeric := make([]bool, len(spec.Keys))
	for i, k := range spec.Keys {
		c, err := d.Column(k)
		if err != nil {
			return nil, err
		}
		numeric[i] = c.Numeric()
		// The number orders the keys (text would put 10 before 9) and is read
		// as a float; non-numeric keys order by their text.
		num := "NULL::DOUBLE"
		if numeric[i] {
			num = fmt.Sprintf("CAST(%s AS DOUBLE)", Col(c))
		}
		sel = append(sel, fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), %s) AS k%d", Col(c), quoteLiteral(Null), i), fmt.Sprintf("%s AS n%d", num, i))
		keys = append(keys, fmt.Sprintf("k%d, n%d", i, i))
		order = append(order, fmt.Sprintf("n%d, k%d", i, i))
	}
	sel = append(sel, v+" AS v")
	q := fmt.Sprintf("SELECT %s AS value, count(*) AS rows FROM (SELECT %s FROM results%s)", fn, strings.Join(sel, ", "), where)
	if len(keys) > 0 {
		q = fmt.Sprintf("SELECT %s, %s AS value, count(*) AS rows FROM (SELECT %s FROM results%s) GROUP BY %s ORDER BY %s",
			strings.Join(keys, ", "), fn, strings.Join(sel, ", "), where, strings.Join(keys, ", "), strings.Join(order, ", "))
	}
	if spec.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", spec.Limit+1)
	}
	rows, err := d.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, cleanError(err)
	}
	defer rows.Close()
	out := &Aggregated{Keys: map[string][]string{}, KeyNum: map[string][]float64{}}
	texts := make([]sql.NullString, len(spec.Keys))
	nums := make([]sql.NullFloat64, len(spec.Keys))
	var val sql.NullFloat64
	var n int64
	var dst []any
	for i := range spec.Keys {
		dst = append(dst, &texts[i], &nums[i])
	}
	dst = append(dst, &val, &n)
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		if spec.Limit > 0 && len(out.Value) == spec.Limit {
			return nil, fmt.Errorf("more than %d combinations of %s", spec.Limit, strings.Join(spec.Keys, " × "))
		}
		for i, k := range spec.Keys {
			out.Keys[k] = append(out.Keys[k], texts[i].String)
			if numeric[i] {
				x := math.NaN()
				if nums[i].Valid {
					x = nums[i].Float64
				}
				out.KeyNum[k] = append(out.KeyNum[k], x)
			}
		}
		x := math.NaN()
		if val.Valid {
			x = val.Float64
		}
		out.Value = append(out.Value, x)
		out.Count = append(out.Count, n)
		out.Rows += n
	}
	return out, cleanError(rows.Err())
}

// Distinct counts the distinct values of each column.
func (d *DB) Distinct(ctx context.Context, cols []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(cols) == 0 {
		return out, nil
	}
	sel := make([]string, len(cols))
	dst := make([]any, len(cols))
	n := make([]int64, len(cols))
	for i, name := range cols {
		c, err := d.Column(name)
		if err != nil {
			return nil, err
		}
		sel[i] = fmt.Sprintf("count(DISTINCT %s)", Col(c))
		dst[i] = &n[i]
	}
	if err := d.conn.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM results").Scan(dst...); err != nil {
		return nil, cleanError(err)
	}
	for i, name := range cols {
		out[name] = n[i]
	}
	return out, nil
}

// Provenance is what the result records about its run: from the manifest
// when the folder has one, else from the first file's Parquet metadata
// (mlsysim.* keys; a query's output file has none).
func (d *DB) Provenance(ctx context.Context) (Provenance, error) {
	if d.Info.Manifest {
		return d.Info.prov, nil
	}
	p := Provenance{Units: map[string]string{}}
	rows, err := d.conn.QueryContext(ctx, "SELECT CAST(key AS VARCHAR), CAST(value AS VARCHAR) FROM parquet_kv_metadata("+quoteLiteral(d.Info.Files[0])+")")
	if err != nil {
		return p, cleanError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return p, err
		}
		switch k {
		case "mlsysim.study":
			p.Study = v
		case "mlsysim.profile":
			p.Profile = v
		case "mlsysim.spec_hash":
			p.SpecHash = v
		case "mlsysim.catalog_hash":
			p.CatalogHash = v
		case "mlsysim.version":
			p.Version = v
		case "mlsysim.spec":
			p.SpecName = specName(v)
		case "mlsysim.columns":
			var cols []struct{ Name, Unit string }
			if json.Unmarshal([]byte(v), &cols) == nil {
				for _, c := range cols {
					if c.Unit != "" {
						p.Units[c.Name] = c.Unit
					}
				}
			}
		}
	}
	return p, cleanError(rows.Err())
}

// specName is the top-level name: of a grid spec's YAML text.
func specName(spec string) string {
	for _, line := range strings.Split(spec, "\n") {
		if v, ok := strings.CutPrefix(line, "name:"); ok {
			v, _, _ = strings.Cut(v, " #")
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
