//go:build cgo

package queries

import (
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mlsysim/mlsysim/sinks"
)

// TestDuckDBReadsOurParquet: DuckDB, the engine our queries run on and an
// independent Parquet reader, reads what sinks writes: every value (NaN, ±Inf,
// −0, NULL), the declared types and nullability, the units, and filters that
// its statistics-based pruning must not get wrong.
func TestDuckDBReadsOurParquet(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "point_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x_ms", Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{"unit", "description"}, []string{"ms", "a latency"})},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "reason", Type: dict, Nullable: true},
	}, nil)
	labels := []string{"", "oom", "too_long", "ünïcødé"}
	rng := rand.New(rand.NewPCG(5, 6))
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0}
	type row struct {
		id     int64
		x      float64
		ok     bool
		reason int32 // 0: NULL
	}
	var rows []row
	file := filepath.Join(t.TempDir(), "t.parquet")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sinks.New("parquet", f, schema, sinks.Options{Metadata: map[string]string{"mlsysim.study": "test"}, Version: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	sb.AppendValues(labels, nil)
	dictValues := sb.NewArray()
	for g, n := range []int{1000, 1, 2500, 0, 700} {
		ib, xb, bb, rb := array.NewInt64Builder(memory.DefaultAllocator), array.NewFloat64Builder(memory.DefaultAllocator),
			array.NewBooleanBuilder(memory.DefaultAllocator), array.NewInt32Builder(memory.DefaultAllocator)
		for k := 0; k < n; k++ {
			r := row{id: int64(len(rows)), x: rng.NormFloat64() * 100, ok: rng.IntN(2) == 0, reason: int32(rng.IntN(len(labels)))}
			if g != 2 && rng.IntN(50) == 0 { // row group 2 has no special values: its statistics stand
				r.x = specials[rng.IntN(len(specials))]
			}
			if g == 4 { // small numbers and one NaN: bounds that skipped the NaN would prune it
				r.x = rng.Float64()
				if k == 7 {
					r.x = math.NaN()
				}
			}
			rows = append(rows, r)
			ib.Append(r.id)
			xb.Append(r.x)
			bb.Append(r.ok)
			if r.reason == 0 {
				rb.AppendNull()
			} else {
				rb.Append(r.reason)
			}
		}
		idx := rb.NewArray()
		cols := []arrow.Array{ib.NewArray(), xb.NewArray(), bb.NewArray(), array.NewDictionaryArray(dict, idx, dictValues)}
		rec := array.NewRecord(schema, cols, int64(n))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lit := quoteLiteral(file)

	types := map[string][2]string{}
	rs, err := db.Query("SELECT name, type, repetition_type FROM parquet_schema(" + lit + ") WHERE type IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var name, typ, rep string
		rs.Scan(&name, &typ, &rep)
		types[name] = [2]string{typ, rep}
	}
	rs.Close()
	want := map[string][2]string{"point_id": {"INT64", "REQUIRED"}, "x_ms": {"DOUBLE", "REQUIRED"}, "ok": {"BOOLEAN", "REQUIRED"}, "reason": {"BYTE_ARRAY", "OPTIONAL"}}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("parquet_schema: %v, want %v", types, want)
	}
	var desc string
	if err := db.QueryRow("SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM " + lit + ")").Scan(&desc); err != nil {
		t.Fatal(err)
	}
	if desc != "point_id BIGINT, x_ms DOUBLE, ok BOOLEAN, reason VARCHAR" {
		t.Errorf("DuckDB sees %s", desc)
	}

	got, err := db.Query("SELECT point_id, x_ms, ok, reason FROM " + lit + " ORDER BY point_id")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for got.Next() {
		var id int64
		var x float64
		var ok bool
		var reason sql.NullString
		if err := got.Scan(&id, &x, &ok, &reason); err != nil {
			t.Fatal(err)
		}
		r := rows[n]
		wantReason := sql.NullString{String: labels[r.reason], Valid: r.reason != 0}
		if id != r.id || math.Float64bits(x) != math.Float64bits(r.x) && !(math.IsNaN(x) && math.IsNaN(r.x)) || ok != r.ok || reason != wantReason {
			t.Fatalf("row %d: DuckDB reads (%d, %v, %v, %v), we wrote %+v", n, id, x, ok, reason, r)
		}
		n++
	}
	got.Close()
	if n != len(rows) {
		t.Fatalf("DuckDB reads %d rows, we wrote %d", n, len(rows))
	}

	// Filters answered with row-group pruning must count what a scan counts.
	for _, c := range []struct {
		where string
		keep  func(r row) bool
	}{
		{"x_ms > 150", func(r row) bool { return r.x > 150 || math.IsNaN(r.x) }}, // DuckDB orders NaN above all numbers
		{"x_ms < -150", func(r row) bool { return r.x < -150 }},
		{"x_ms > 5", func(r row) bool { return r.x > 5 || math.IsNaN(r.x) }},
		{"x_ms = 0", func(r row) bool { return r.x == 0 }},
		{"isnan(x_ms)", func(r row) bool { return math.IsNaN(r.x) }},
		{"point_id BETWEEN 1001 AND 1100", func(r row) bool { return r.id >= 1001 && r.id <= 1100 }},
		{"reason IS NULL", func(r row) bool { return r.reason == 0 }},
		{"reason = 'oom'", func(r row) bool { return r.reason == 1 }},
		{"reason > 'too'", func(r row) bool { return r.reason >= 2 }},
		{"NOT ok", func(r row) bool { return !r.ok }},
	} {
		want := 0
		for _, r := range rows {
			if c.keep(r) {
				want++
			}
		}
		var cnt int
		if err := db.QueryRow("SELECT count(*) FROM " + lit + " WHERE " + c.where).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
		if cnt != want {
			t.Errorf("WHERE %s: DuckDB counts %d, want %d", c.where, cnt, want)
		}
	}

	var unit string
	if err := db.QueryRow("SELECT DISTINCT key_value_metadata['unit'] FROM parquet_metadata(" + lit + ") WHERE path_in_schema = 'x_ms'").Scan(&unit); err != nil {
		t.Fatal(err)
	}
	if unit != "ms" {
		t.Errorf("x_ms chunks carry unit %q, want ms", unit)
	}
	var keys string
	if err := db.QueryRow("SELECT string_agg(decode(key), ',' ORDER BY key) FROM parquet_kv_metadata(" + lit + ")").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != "ARROW:schema,mlsysim.study" {
		t.Errorf("footer keys %s, want ARROW:schema,mlsysim.study", keys)
	}
}
