//go:build cgo && !lean

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sweep"
)

// TestEveryStudyThroughDuckDB: for every study and both profiles, a grid that
// varies every parameter it can is evaluated twice — in memory through
// sweep.Run (the kernel's values, as Arrow records, before any sink) and to
// Parquet through sweep.WriteParts in several parts and row groups — and DuckDB,
// an independent Parquet reader, must read every cell of every column back
// bit for bit (NaN and ±Inf included, NULL exactly where the record has one),
// with the type the column declares and the nullability it promises. Filters
// DuckDB answers from our statistics and page index (row-group pruning) must
// count what the in-memory rows count, and the footer's ARROW:schema must decode
// to the plan's Arrow schema.
func TestEveryStudyThroughDuckDB(t *testing.T) {
	cat := catalog.MustDefault()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, study := range sweep.StudyNames() {
		for _, profile := range []string{"calibrated", "seed"} {
			t.Run(study+"/"+profile, func(t *testing.T) {
				p := variedPlan(t, cat, study, profile)
				want := memoryRows(t, p)
				dir := t.TempDir()
				if _, err := sweep.WriteParts(context.Background(), p, sweep.WriteOptions{Dir: dir,
					PartPoints: max(p.N/3, 1), BatchSize: 97, Workers: 2, Version: "test"}); err != nil {
					t.Fatal(err)
				}
				checkDuckDB(t, db, p, filepath.Join(dir, "*.parquet"), want)
			})
		}
	}
}

// variedPlan plans study with every parameter at its default except those that
// can vary: each takes a few values (catalog keys, every choice, a second
// number) when the plan still resolves and stays under 1,500 points (300 under
// the race detector, which slows sweeps ~100×).
func variedPlan(t *testing.T, cat *catalog.Catalog, study, profile string) *sweep.Plan {
	t.Helper()
	st, err := sweep.StudyByName(study)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(n int, key func(i int) string) []string {
		var out []string
		for i := range n {
			out = append(out, key(i))
		}
		return out
	}
	limit := uint64(1500)
	if raceEnabled {
		limit = 300
	}
	// lines[i] is parameter i's axis line, "" while it keeps its default.
	lines := make([]string, len(st.Params))
	planOf := func() (*sweep.Plan, error) {
		src := fmt.Sprintf("version: 1\nname: engines\nstudy: %s\nprofile: %s\naxes:\n%s", study, profile, strings.Join(lines, ""))
		spec, err := sweep.ParseSpec("engines.yaml", []byte(src))
		if err != nil {
			return nil, err
		}
		return spec.Plan(cat)
	}
	choices := make([][]string, len(st.Params))
	for i, prm := range st.Params {
		switch prm.Kind {
		case sweep.KindModel:
			choices[i] = []string{"Llama3_8B", "Llama3_70B", "Mixtral_8x7B", "ResNet50", "GPT3_175B"}
		case sweep.KindHardware:
			choices[i] = []string{"H100", "A100", "MI300X", "Jetson_Orin_NX"}
		case sweep.KindCluster:
			choices[i] = keys(min(len(cat.Clusters), 3), func(i int) string { return cat.Clusters[i].Key })
		case sweep.KindFabric:
			choices[i] = append([]string{"default"}, keys(min(len(cat.Fabrics), 2), func(i int) string { return cat.Fabrics[i].Key })...)
		case sweep.KindRegion:
			choices[i] = keys(min(len(cat.Grids), 3), func(i int) string { return cat.Grids[i].Key })
		case sweep.KindEngine:
			choices[i] = keys(len(cat.Engines), func(i int) string { return cat.Engines[i].Key })
		case sweep.KindDraft:
			choices[i] = []string{"none", "mtp", "Llama3_8B"}
		case sweep.KindEnum:
			choices[i] = prm.Enum
		case sweep.KindBool:
			choices[i] = []string{"false", "true"}
		default:
			d, err := strconv.ParseFloat(prm.Default, 64)
			if err != nil { // a required number: values in its range
				for _, v := range []float64{1, 10, 100, 1000, prm.Min + 1} {
					if (v > prm.Min || v == prm.Min && !prm.MinOpen) && (prm.Max == 0 || v <= prm.Max) {
						choices[i] = append(choices[i], strconv.FormatFloat(v, 'g', -1, 64))
					}
				}
				break
			}
			half := d/2 + 1
			if prm.Kind == sweep.KindInt {
				half = math.Floor(half)
			}
			choices[i] = []string{prm.Default, strconv.FormatFloat(d*4, 'g', -1, 64), strconv.FormatFloat(half, 'g', -1, 64)}
		}
		if prm.Default == "" && len(choices[i]) > 0 {
			lines[i] = fmt.Sprintf("  %s: [%s]\n", prm.Name, choices[i][0])
		}
	}
	for i, prm := range st.Params {
		// The most values that still plan, then fewer; the default (or the
		// first choice of a required parameter) when none do.
		keep := lines[i]
	search:
		for n := len(choices[i]); n > 0; n-- {
			for first := 0; first+n <= len(choices[i]); first++ {
				lines[i] = fmt.Sprintf("  %s: [%s]\n", prm.Name, strings.Join(choices[i][first:first+n], ", "))
				if p, err := planOf(); err == nil && p.N <= limit {
					keep = lines[i]
					break search
				}
			}
		}
		lines[i] = keep
	}
	p, err := planOf()
	if err != nil {
		t.Fatalf("%s: %v", study, err)
	}
	if p.N < 2 {
		t.Fatalf("%s: the grid has %d point; the test needs variety", study, p.N)
	}
	return p
}

// memoryRows evaluates the plan through sweep.Run and keeps each cell as the
// record holds it: float64, int64, bool, string, or nil for NULL.
func memoryRows(t *testing.T, p *sweep.Plan) [][]any {
	t.Helper()
	names := p.Schema().Fields()
	var rows [][]any
	err := sweep.Run(context.Background(), p, sweep.Options{Workers: 1, BatchSize: 64}, func(rec arrow.Record) error {
		for r := range int(rec.NumRows()) {
			m := sweep.Row(rec, r)
			row := make([]any, len(names))
			for i, f := range names {
				row[i] = m[f.Name]
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func checkDuckDB(t *testing.T, db *sql.DB, p *sweep.Plan, glob string, want [][]any) {
	t.Helper()
	src := fmt.Sprintf("read_parquet('%s')", glob)
	cols := p.Columns()

	duckType := map[string]string{"int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR"}
	var desc []string
	rs, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + src + ")")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var name, typ string
		if err := rs.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		desc = append(desc, name+" "+typ)
	}
	rs.Close()
	var wantDesc []string
	for _, c := range cols {
		wantDesc = append(wantDesc, c.Name+" "+duckType[c.Type])
	}
	if !slices.Equal(desc, wantDesc) {
		t.Fatalf("DuckDB sees columns\n%v\nwant\n%v", desc, wantDesc)
	}
	reps := map[string]string{}
	rs, err = db.Query(fmt.Sprintf("SELECT DISTINCT name, repetition_type FROM parquet_schema('%s') WHERE type IS NOT NULL", glob))
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var name, rep string
		if err := rs.Scan(&name, &rep); err != nil {
			t.Fatal(err)
		}
		reps[name] += rep
	}
	rs.Close()
	for _, c := range cols {
		if w := map[bool]string{false: "REQUIRED", true: "OPTIONAL"}[c.Nullable]; reps[c.Name] != w {
			t.Errorf("%s: repetition %q in the files, want %s", c.Name, reps[c.Name], w)
		}
	}

	rs, err = db.Query("SELECT * FROM " + src + " ORDER BY point_id")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rs.Next() {
		got := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range got {
			ptrs[i] = &got[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if n >= len(want) {
			t.Fatalf("DuckDB reads more than the %d rows evaluated", len(want))
		}
		for i, c := range cols {
			if !sameCell(got[i], want[n][i]) {
				t.Fatalf("point %v, %s: DuckDB reads %#v, the kernel gave %#v", want[n][0], c.Name, got[i], want[n][i])
			}
		}
		n++
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	rs.Close()
	if n != len(want) {
		t.Fatalf("DuckDB reads %d rows, the kernel gave %d", n, len(want))
	}

	for i, c := range cols {
		for _, f := range filtersFor(c, i, want) {
			var args []any
			if f.arg != nil {
				args = append(args, f.arg)
			}
			var cnt int
			if err := db.QueryRow("SELECT count(*) FROM "+src+" WHERE "+f.where, args...).Scan(&cnt); err != nil {
				t.Fatal(err)
			}
			if cnt != f.want {
				t.Errorf("WHERE %s (? = %v): DuckDB counts %d, the kernel's rows %d", f.where, f.arg, cnt, f.want)
			}
		}
	}

	var b64 string
	if err := db.QueryRow(fmt.Sprintf("SELECT DISTINCT decode(value) FROM parquet_kv_metadata('%s') WHERE decode(key) = 'ARROW:schema'", glob)).Scan(&b64); err != nil {
		t.Fatalf("ARROW:schema: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if ws := p.Schema(); !r.Schema().Equal(ws) {
		t.Errorf("ARROW:schema decodes to %v, want %v", r.Schema(), ws)
	} else {
		for i, f := range r.Schema().Fields() {
			if !f.Metadata.Equal(ws.Field(i).Metadata) {
				t.Errorf("ARROW:schema %s metadata %v, want %v", f.Name, f.Metadata, ws.Field(i).Metadata)
			}
		}
	}
}

// sameCell: DuckDB's value equals the record's, floats bit for bit (any NaN
// matches any NaN: Parquet keeps no payload promise).
func sameCell(got, want any) bool {
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		return ok && (math.Float64bits(g) == math.Float64bits(w) || math.IsNaN(g) && math.IsNaN(w))
	}
	return got == want
}

type countFilter struct {
	where string
	arg   any // the value of ? in where, if any
	want  int
}

// filtersFor gives a few predicates on column i whose answer DuckDB may take
// from statistics, with the count the kernel's rows give: around the median and
// the extremes of a number (NaN sorts above every number in DuckDB), each
// label and NULL of a string column, true of a boolean.
func filtersFor(c sweep.ColumnInfo, i int, rows [][]any) []countFilter {
	q := `"` + c.Name + `"`
	count := func(keep func(v any) bool) int {
		n := 0
		for _, r := range rows {
			if keep(r[i]) {
				n++
			}
		}
		return n
	}
	var fs []countFilter
	switch c.Type {
	case "float64", "int64":
		var finite []float64
		for _, r := range rows {
			x := toFloat(r[i])
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				finite = append(finite, x)
			}
		}
		if len(finite) == 0 {
			return nil
		}
		slices.Sort(finite)
		for _, v := range []float64{finite[len(finite)/2], finite[len(finite)-1], finite[0]} {
			// The bound is a bound parameter: a decimal literal would be a
			// DECIMAL to DuckDB, off by an ulp after conversion.
			var arg any = v
			if c.Type == "int64" {
				arg = int64(v)
			}
			fs = append(fs,
				countFilter{q + " > ?", arg, count(func(x any) bool { f := toFloat(x); return f > v || math.IsNaN(f) })},
				countFilter{q + " <= ?", arg, count(func(x any) bool { return toFloat(x) <= v })})
		}
		fs = append(fs, countFilter{"isnan(" + q + ")", nil, count(func(x any) bool { return math.IsNaN(toFloat(x)) })})
	case "bool":
		fs = append(fs, countFilter{q, nil, count(func(x any) bool { return x == true })})
	case "string":
		fs = append(fs, countFilter{q + " IS NULL", nil, count(func(x any) bool { return x == nil })})
		for _, l := range c.Labels {
			fs = append(fs, countFilter{q + " = ?", l, count(func(x any) bool { return x == l })})
		}
	}
	return fs
}

func toFloat(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}
