//go:build cgo

package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Each bundled query on hand-made results written to Parquet by DuckDB; the
// expected answers are worked out in the comments.

// fixture writes the rows of a SELECT as the only part of a result folder.
func fixture(t testing.TB, selectSQL string) string {
	t.Helper()
	dir := t.TempDir()
	writeParquet(t, selectSQL, filepath.Join(dir, "part-00000.parquet"))
	return dir
}

func writeParquet(t testing.TB, selectSQL, file string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", selectSQL, quoteLiteral(file))); err != nil {
		t.Fatalf("writing %s: %v", file, err)
	}
}

// writeParquetMeta is writeParquet with footer key-value metadata.
func writeParquetMeta(t testing.TB, selectSQL, file string, meta map[string]string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kv []string
	for k, v := range meta {
		kv = append(kv, quoteLiteral(k)+": "+quoteLiteral(v))
	}
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, KV_METADATA {%s})", selectSQL, quoteLiteral(file), strings.Join(kv, ", "))); err != nil {
		t.Fatalf("writing %s: %v", file, err)
	}
}

func mustOpen(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type result struct {
	cols []string
	rows [][]any
}

// col returns one column of the result.
func (r result) col(name string) []any {
	i := slices.Index(r.cols, name)
	var out []any
	for _, row := range r.rows {
		out = append(out, row[i])
	}
	return out
}

func (r result) ids() []int64 {
	var out []int64
	for _, v := range r.col("point_id") {
		switch v := v.(type) {
		case int32:
			out = append(out, int64(v))
		case int64:
			out = append(out, v)
		case uint64:
			out = append(out, int64(v))
		}
	}
	return out
}

func collect(t testing.TB, db *DB, st *Statement) result {
	t.Helper()
	rows, err := db.Query(context.Background(), st)
	if err != nil {
		t.Fatalf("%v\n%s", err, st.SQL)
	}
	defer rows.Close()
	var r result
	for _, c := range rows.Columns() {
		r.cols = append(r.cols, c.Name)
	}
	for rows.Next() {
		r.rows = append(r.rows, slices.Clone(rows.Values()))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

func runQuery(t testing.TB, db *DB, name string, params map[string]string) result {
	t.Helper()
	st, err := db.Prepare(context.Background(), mustLookup(t, name), params)
	if err != nil {
		t.Fatalf("%s %v: %v", name, params, err)
	}
	return collect(t, db, st)
}

// topRows: ties at itl_ms 3.0 (points 2, 3), an infeasible best (4), NaN and
// NULL values (6, 7, 8).
const topRows = `SELECT * FROM (VALUES
	(1, 'a', 5.0, 100.0, true),
	(2, 'a', 3.0, 50.0, true),
	(3, 'a', 3.0, 80.0, true),
	(4, 'b', 1.0, 10.0, false),
	(5, 'b', 2.0, 20.0, true),
	(6, 'b', 'NaN'::DOUBLE, 30.0, true),
	(7, 'b', NULL, 40.0, true),
	(8, 'a', 4.0, NULL, true)
) t(point_id, model, itl_ms, tokens_per_s, feasible)`

func TestTop(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		// feasible, valid itl_ms: 5 (2.0), 2 and 3 (3.0, lower id first), 8 (4.0), 1 (5.0).
		{map[string]string{"by": "itl_ms", "k": "3"}, []int64{5, 2, 3}},
		{map[string]string{"by": "itl_ms"}, []int64{5, 2, 3, 8, 1}},
		{map[string]string{"by": "itl_ms", "order": "max", "k": "2"}, []int64{1, 8}},
		{map[string]string{"by": "itl_ms", "k": "2", "feasible": "false"}, []int64{4, 5}},
		// per model: a → 2, 3; b → 5.
		{map[string]string{"by": "itl_ms", "k": "2", "group": "model"}, []int64{2, 3, 5}},
		// max per model: a → 1 (5.0), 8 (4.0), then 2 over 3 (tie, lower id); b → 5.
		{map[string]string{"by": "itl_ms", "k": "3", "group": "model", "order": "max"}, []int64{1, 8, 2, 5}},
		// tokens_per_s max per model, k 1: a → 1 (100); b → 7 (40; NULL itl_ms is irrelevant).
		{map[string]string{"by": "tokens_per_s", "k": "1", "group": "model", "order": "max"}, []int64{1, 7}},
	} {
		r := runQuery(t, db, "top", tc.params)
		if got := r.ids(); !slices.Equal(got, tc.want) {
			t.Errorf("top %v = %v, want %v", tc.params, got, tc.want)
		}
		if !slices.Equal(r.cols, []string{"point_id", "model", "itl_ms", "tokens_per_s", "feasible"}) {
			t.Errorf("top %v columns %v: want the result's columns", tc.params, r.cols)
		}
	}
}

func TestFind(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		{map[string]string{"column": "point_id", "value": "4"}, []int64{4}},
		{map[string]string{"column": "model", "value": "b"}, []int64{4, 5, 6, 7}},
		{map[string]string{"column": "model", "value": "b", "k": "2"}, []int64{4, 5}},
		{map[string]string{"column": "feasible", "value": "false"}, []int64{4}},
		{map[string]string{"column": "model", "value": "b' OR 'x'='x"}, nil},
		// Numbers compare as numbers (as text 4.0 and 3 matched no row), flags as flags.
		{map[string]string{"column": "point_id", "value": "4.0"}, []int64{4}},
		{map[string]string{"column": "itl_ms", "value": "3"}, []int64{2, 3}},
		{map[string]string{"column": "itl_ms", "value": "3e0"}, []int64{2, 3}},
		{map[string]string{"column": "feasible", "value": "FALSE"}, []int64{4}},
	} {
		if got := runQuery(t, db, "find", tc.params).ids(); !slices.Equal(got, tc.want) {
			t.Errorf("find %v = %v, want %v", tc.params, got, tc.want)
		}
	}
	// A value the column cannot hold matched nothing with exit 0; it is refused.
	for _, tc := range []struct{ column, value, want string }{
		{"point_id", "abc", "column point_id holds whole numbers"},
		{"point_id", "2.5", "column point_id holds whole numbers"},
		{"itl_ms", "fast", "column itl_ms holds numbers"},
		{"itl_ms", "1e400", "column itl_ms holds numbers"},
		// A flag is true or false (any case), as in a grid or a plan: not 0 or t.
		{"feasible", "0", "column feasible holds true or false"},
		{"feasible", "t", "column feasible holds true or false"},
		{"feasible", "maybe", "column feasible holds true or false"},
	} {
		_, err := db.Prepare(context.Background(), mustLookup(t, "find"), map[string]string{"column": tc.column, "value": tc.value})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("find %s=%s: err %v, want %q", tc.column, tc.value, err, tc.want)
		}
	}
}

func TestSummary(t *testing.T) {
	// x: values 1, 2, 3, 4 (NULL and NaN are not values): mean 2.5, interpolated
	// p10 = 1 + 0.1·3 = 1.3, p50 2.5, p90 3.7, p99 3.97. s: a ×3, b ×2, NULL ×1.
	db := mustOpen(t, fixture(t, `SELECT * FROM (VALUES
		(0, 1.0, 'a', true), (1, 2.0, 'a', true), (2, 3.0, 'b', false),
		(3, 4.0, NULL, true), (4, NULL, 'a', true), (5, 'NaN'::DOUBLE, 'b', false)
	) t(point_id, x, s, feasible)`))
	r := runQuery(t, db, "summary", nil)
	wantCols := []string{"column", "value", "count", "mean", "min", "p10", "p50", "p90", "p99", "max"}
	if !slices.Equal(r.cols, wantCols) {
		t.Fatalf("columns %v, want %v", r.cols, wantCols)
	}
	want := [][]any{
		{"x", nil, int64(4), 2.5, 1.0, 1.3, 2.5, 3.7, 3.97, 4.0},
		{"s", "a", int64(3), nil, nil, nil, nil, nil, nil, nil},
		{"s", "b", int64(2), nil, nil, nil, nil, nil, nil, nil},
		{"s", nil, int64(1), nil, nil, nil, nil, nil, nil, nil},
		{"feasible", "true", int64(4), nil, nil, nil, nil, nil, nil, nil},
		{"feasible", "false", int64(2), nil, nil, nil, nil, nil, nil, nil},
	}
	checkRows(t, "summary", r.rows, want)

	// Only feasible rows, per s: a → x 1, 2 (row 4 is NULL); NULL group → x 4.
	r = runQuery(t, db, "summary", map[string]string{"columns": "x", "group": "s", "feasible": "true"})
	want = [][]any{
		{"a", "x", nil, int64(2), 1.5, 1.0, 1.1, 1.5, 1.9, 1.99, 2.0},
		{nil, "x", nil, int64(1), 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0},
	}
	checkRows(t, "summary per s", r.rows, want)
}

// checkRows compares rows, floats within 1e-12 relative.
func checkRows(t *testing.T, what string, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range want {
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			if gf, ok := g.(float64); ok {
				if wf, ok := w.(float64); ok && math.Abs(gf-wf) <= 1e-12*math.Abs(wf) {
					continue
				}
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s: row %d col %d = %#v, want %#v\n row %v", what, i, j, g, w, got[i])
			}
		}
	}
}

// paretoRows: x, y with exact duplicates and ties.
//
//	1 (1,5)  on       2 (1,5)  duplicate of 1: on   3 (1,6)  dominated by 1
//	4 (2,5)  dominated by 1 (tie in y)               5 (2,3)  on      6 (2,3) duplicate: on
//	7 (3,1)  on       8 (0,9)  on                     9 (4,1)  dominated by 7 (tie in y)
//	10 (3,2) dominated by 7                          11 (0,0) infeasible: left out by default
//
// z for three objectives; g splits them into two groups.
const paretoRows = `SELECT * FROM (VALUES
	(1, 1, 5, 1, 'p', true), (2, 1, 5, 1, 'p', true), (3, 1, 6, 2, 'p', true), (4, 2, 5, 0, 'p', true),
	(5, 2, 3, 5, 'q', true), (6, 2, 3, 5, 'q', true), (7, 3, 1, 0, 'q', true), (8, 0, 9, 9, 'q', true),
	(9, 4, 1, 0, 'q', true), (10, 3, 2, 0, 'q', true), (11, 0, 0, 0, 'q', false)
) t(point_id, x, y, z, g, feasible)`

func TestPareto(t *testing.T) {
	db := mustOpen(t, fixture(t, paretoRows))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		// Sorted by x then y: 8 (0,9), 1, 2 (1,5), 5, 6 (2,3), 7 (3,1).
		{map[string]string{"objectives": "x,y"}, []int64{8, 1, 2, 5, 6, 7}},
		{map[string]string{"objectives": "x:min,y:min", "feasible": "false"}, []int64{11}},
		// x min, y max: 8 (0,9) beats everything with x ≥ 0 and y ≤ 9.
		{map[string]string{"objectives": "x,y:max"}, []int64{8}},
		// Both max: 9 (4,1); 10 (3,2) beats 7 (3,1); 4 (2,5) beats 5, 6 (2,3) and 1, 2 (1,5);
		// 3 (1,6); 8 (0,9). Sorted by x then y, descending.
		{map[string]string{"objectives": "x:max,y:max"}, []int64{9, 10, 4, 3, 8}},
		// Per group p: 1, 2 (1,5) beat 3 and 4. q: 8, 5, 6, 7 as above.
		{map[string]string{"objectives": "x,y", "group": "g"}, []int64{1, 2, 8, 5, 6, 7}},
		// Three objectives (Go skyline): 4 (2,5,0) now survives on z; 3 (1,6,2) is beaten by 1 (1,5,1);
		// 10 (3,2,0) is beaten by 7 (3,1,0), 9 (4,1,0) too. Sorted by x, y, z: 5, 6 (2,3,5) before 4.
		{map[string]string{"objectives": "x,y,z"}, []int64{8, 1, 2, 5, 6, 4, 7}},
		{map[string]string{"objectives": "x,y,z", "group": "g"}, []int64{1, 2, 4, 8, 5, 6, 7}},
		// Four, with point_id:max making every point distinct: 2 beats its twin 1 (same x, y, z,
		// higher id), 6 beats 5, 5 beats 4 (2,5,0); 3 (1,6,2) survives on z, 7 (3,1,0) beats 9
		// and 10 on y but loses on id, so all three stay.
		{map[string]string{"objectives": "x,y,z:max,point_id:max"}, []int64{8, 2, 3, 6, 7, 10, 9}},
	} {
		got := runQuery(t, db, "pareto", tc.params).ids()
		if !slices.Equal(got, tc.want) {
			t.Errorf("pareto %v = %v, want %v", tc.params, got, tc.want)
		}
	}
}

func TestBatching(t *testing.T) {
	// SLA itl_ms ≤ 50. (m1, h1): batches 1..8 at 10..80 ms → 4 (point 3).
	// (m1, h2): nothing meets it → absent. (m2, h1): two rows at batch 4 (30 and
	// 25 ms) → the lower, point 11; batch 8 at 45 ms is infeasible.
	db := mustOpen(t, fixture(t, `SELECT * FROM (VALUES
		(1, 'm1', 'h1', 1, 10.0, 900.0, true), (2, 'm1', 'h1', 2, 20.0, 800.0, true),
		(3, 'm1', 'h1', 4, 40.0, 700.0, true), (4, 'm1', 'h1', 8, 80.0, 600.0, true),
		(5, 'm1', 'h2', 1, 60.0, 100.0, true),
		(10, 'm2', 'h1', 4, 30.0, 50.0, true), (11, 'm2', 'h1', 4, 25.0, 60.0, true),
		(12, 'm2', 'h1', 8, 45.0, 40.0, false)
	) t(point_id, model, hardware, batch_size, itl_ms, ttft_ms, feasible)`))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		{map[string]string{"max": "50"}, []int64{3, 11}},
		{map[string]string{"max": "50", "feasible": "false"}, []int64{3, 12}},
		{map[string]string{"max": "9.99"}, nil},
		{map[string]string{"max": "10"}, []int64{1}},
		// ttft_ms ≤ 100: (m1,h2) batch 1 (point 5); (m2,h1) batch 4 at 50/60 → ttft decides: 10.
		{map[string]string{"max": "100", "sla": "ttft_ms"}, []int64{5, 10}},
		// One answer overall: batch 4 at 25 ms (point 11) beats batch 4 at 30 and 40 ms.
		{map[string]string{"max": "50", "group": ""}, []int64{11}},
	} {
		if got := runQuery(t, db, "batching", tc.params).ids(); !slices.Equal(got, tc.want) {
			t.Errorf("batching %v = %v, want %v", tc.params, got, tc.want)
		}
	}
}

// TestPlacement: objective = tco + tax · carbon_kg / 1000, cheapest first.
// Tax 100: A 1000 + 100·5 = 1500, B 1200 + 100·1 = 1300, C 900 + 100·8 = 1700 (infeasible,
// 1700). Tax 0: C 900 < A 1000 < B 1200. Per model with k = 1: m1 → B (1300), m2 → D (1100).
func TestPlacement(t *testing.T) {
	db := mustOpen(t, fixture(t, `SELECT * FROM (VALUES
		(1, 'm1', 'A', 1000.0, 5000.0, true), (2, 'm1', 'B', 1200.0, 1000.0, true),
		(3, 'm1', 'C', 900.0, 8000.0, false), (4, 'm2', 'D', 1000.0, 1000.0, true)
	) t(point_id, model, region, tco_usd, carbon_kg, feasible)`))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		{map[string]string{"tax": "100", "k": "4"}, []int64{4, 2, 1}},
		{map[string]string{"tax": "100", "k": "4", "feasible": "false"}, []int64{4, 2, 1, 3}},
		{map[string]string{"tax": "0", "k": "2", "feasible": "false"}, []int64{3, 1}},
		{map[string]string{"tax": "100", "group": "model"}, []int64{2, 4}},
	} {
		if got := runQuery(t, db, "placement", tc.params).ids(); !slices.Equal(got, tc.want) {
			t.Errorf("placement %v = %v, want %v", tc.params, got, tc.want)
		}
	}
	r := runQuery(t, db, "placement", map[string]string{"tax": "100"})
	if got := r.col("placement_objective_usd"); len(got) != 1 || got[0] != 1100.0 {
		t.Errorf("objective column = %v, want [1100]", got)
	}
}

// TestParallelism: per model, nodes, batch and sequence the feasible split with the
// shortest step. Point 6 is m1 on 8 nodes at a quarter of the batch: a shorter step, but
// not a better split, so by default it is ranked in its own group (it won m1's ranking
// before the batch and sequence were default groups).
func TestParallelism(t *testing.T) {
	db := mustOpen(t, fixture(t, `SELECT * FROM (VALUES
		(1, 'm1', 'c', 8, 64, 2048, 1, 1, 500.0, true), (2, 'm1', 'c', 8, 64, 2048, 2, 1, 400.0, true),
		(3, 'm1', 'c', 8, 64, 2048, 4, 1, 300.0, false), (4, 'm1', 'c', 16, 64, 2048, 1, 2, 350.0, true),
		(5, 'm2', 'c', 8, 64, 2048, 2, 2, 900.0, true), (6, 'm1', 'c', 8, 16, 2048, 4, 1, 120.0, true)
	) t(point_id, model, cluster, nodes, batch_size, seq_len, tp, pp, step_latency_ms, feasible)`))
	for _, tc := range []struct {
		params map[string]string
		want   []int64
	}{
		{map[string]string{}, []int64{6, 2, 4, 5}},
		{map[string]string{"group": "model,cluster,nodes"}, []int64{6, 4, 5}},
		{map[string]string{"feasible": "false"}, []int64{6, 3, 4, 5}},
		{map[string]string{"group": "", "k": "2"}, []int64{6, 4}},
	} {
		if got := runQuery(t, db, "parallelism", tc.params).ids(); !slices.Equal(got, tc.want) {
			t.Errorf("parallelism %v = %v, want %v", tc.params, got, tc.want)
		}
	}
}

// TestAdHocSQL: --sql runs over the results view.
func TestAdHocSQL(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	r := collect(t, db, SQL("SELECT model, count(*) AS n FROM results GROUP BY model ORDER BY model;  \n"))
	checkRows(t, "sql", r.rows, [][]any{{"a", int64(4)}, {"b", int64(4)}})
	if _, err := db.Query(context.Background(), SQL("SELECT nope FROM results")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad SQL: %v", err)
	}
}

// TestDuplicateColumnNames: a result that names two columns alike is refused: -o json
// printed {"a":1,"a":2}, an object a reader keeps one value of, at exit 0. Names
// that differ in case are two columns.
func TestDuplicateColumnNames(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	for sql, want := range map[string]string{
		"SELECT 1 AS a, 2 AS a":                      `two columns named "a" (the 1st and the 2nd)`,
		"SELECT model, point_id, model FROM results": `two columns named "model" (the 1st and the 3rd)`,
	} {
		rows, err := db.Query(context.Background(), SQL(sql))
		if err == nil {
			rows.Close() // the connection is the next query's
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", sql, err, want)
		}
	}
	r := collect(t, db, SQL("SELECT 1 AS a, 2 AS A"))
	checkRows(t, "a, A", r.rows, [][]any{{int32(1), int32(2)}})
}

// TestValueTypes: DECIMAL becomes an exact json.Number; HUGEINT a *big.Int.
func TestValueTypes(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	r := collect(t, db, SQL("SELECT 1.25 AS d, sum(point_id)::HUGEINT AS h, 'x' AS s FROM results"))
	if got := fmt.Sprint(r.rows[0]); got != "[1.25 36 x]" {
		t.Errorf("values %s", got)
	}
	if _, ok := r.rows[0][0].(interface{ Float64() (float64, error) }); !ok {
		t.Errorf("DECIMAL came back as %T, want json.Number", r.rows[0][0])
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	csvDir := t.TempDir()
	os.WriteFile(filepath.Join(csvDir, ManifestName), []byte(`{"format":"csv","status":"complete"}`), 0o644)
	os.WriteFile(filepath.Join(csvDir, "part-00000.csv"), []byte("a\n1\n"), 0o644)
	// The manifest lists the part, as a real CSV sweep's does.
	csvListed := t.TempDir()
	os.WriteFile(filepath.Join(csvListed, ManifestName), []byte(`{"format":"csv","status":"complete","parts_total":1,
		"parts":[{"file":"part-00000.csv","rows":1}]}`), 0o644)
	os.WriteFile(filepath.Join(csvListed, "part-00000.csv"), []byte("a\n1\n"), 0o644)
	// Shard 1 of 2 of a one-part grid: complete, with nothing to write.
	emptyShard := t.TempDir()
	os.WriteFile(filepath.Join(emptyShard, ManifestName), []byte(`{"format":"parquet","status":"complete","parts_total":1,
		"shard":{"index":1,"count":2,"first_part":0,"end_part":0},"parts":[]}`), 0o644)
	glob := filepath.Join(t.TempDir(), "a[1]")
	os.Mkdir(glob, 0o755)
	notParquet := filepath.Join(empty, "x.txt")
	os.WriteFile(notParquet, []byte("x"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{"", "no result given"},
		{filepath.Join(empty, "missing"), "no such folder or file"},
		{empty, "holds no .parquet files"},
		{csvDir, "holds a csv sweep"},
		{csvListed, "holds a csv sweep; queries read Parquet"},
		{emptyShard, "is shard 1/2 of a sweep, which has no parts (the grid has 1 part for 2 shards); give every shard's folder"},
		{glob, "read as a glob"},
		{notParquet, "not a folder or a .parquet file"},
	} {
		if _, err := Open(ctx, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) error = %v, want %q", tc.path, err, tc.want)
		}
	}

	// A quote in the folder name is fine: the path is a quoted literal.
	quoted := filepath.Join(t.TempDir(), "it's here")
	os.Mkdir(quoted, 0o755)
	writeParquet(t, topRows, filepath.Join(quoted, "part-00000.parquet"))
	db := mustOpen(t, quoted)
	if n := len(collect(t, db, SQL("SELECT * FROM results")).rows); n != 8 {
		t.Errorf("%d rows through a quoted path, want 8", n)
	}
	// One file works too, and hidden or temporary files in a folder are ignored.
	os.WriteFile(filepath.Join(quoted, ".part-00001.parquet"), []byte("junk"), 0o644)
	db = mustOpen(t, quoted)
	if len(db.Info.Files) != 1 {
		t.Errorf("files %v: want only the part", db.Info.Files)
	}
	db = mustOpen(t, filepath.Join(quoted, "part-00000.parquet"))
	if n := len(collect(t, db, SQL("SELECT * FROM results")).rows); n != 8 {
		t.Errorf("%d rows from one file, want 8", n)
	}
}

// TestColumnsFromManifest: the manifest's columns are used when present (the
// type names translated to DuckDB's); without it DESCRIBE reads the Parquet.
func TestColumnsFromManifest(t *testing.T) {
	dir := fixture(t, topRows)
	want := []Column{{"point_id", "INTEGER"}, {"model", "VARCHAR"}, {"itl_ms", "DOUBLE"}, {"tokens_per_s", "DECIMAL(4,1)"}, {"feasible", "BOOLEAN"}}
	if got := mustOpen(t, dir).Columns(); !slices.Equal(got, want) {
		t.Errorf("DESCRIBE columns %v, want %v", got, want)
	}
	// A running sweep's part says which part of which spec it is (results.Resolve checks).
	writeParquetMeta(t, topRows, filepath.Join(dir, "part-00000.parquet"), map[string]string{"mlsysim.part": "0", "mlsysim.spec_hash": "abc"})
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"status":"running","study":"serve","format":"parquet","spec_hash":"abc",
		"points_total":8,"part_points":8,"parts_total":1,"columns":[
		{"name":"point_id","type":"uint64"},{"name":"model","type":"string"},{"name":"itl_ms","type":"float64"},
		{"name":"tokens_per_s","type":"float64"},{"name":"feasible","type":"bool"}]}`), 0o644)
	db := mustOpen(t, dir)
	want = []Column{{"point_id", "UBIGINT"}, {"model", "VARCHAR"}, {"itl_ms", "DOUBLE"}, {"tokens_per_s", "DOUBLE"}, {"feasible", "BOOLEAN"}}
	if got := db.Columns(); !slices.Equal(got, want) {
		t.Errorf("manifest columns %v, want %v", got, want)
	}
	if !db.Info.Manifest || db.Info.Status != "running" || db.Info.Study != "serve" {
		t.Errorf("info %+v", db.Info)
	}
}

// TestInjection: hostile parameter values fail with a clear message or match
// nothing, and the results view survives every attempt.
func TestInjection(t *testing.T) {
	db := mustOpen(t, fixture(t, topRows))
	ctx := context.Background()
	hostile := []string{
		`itl_ms"; DROP VIEW results; --`,
		`itl_ms) ; DROP VIEW results`,
		`itl_ms -- comment`,
		`itl_ms /* comment */`,
		`' OR 1=1 --`,
		`"itl_ms"`,
		`itl_ms; SELECT 1`,
		`ITL_MS`,
		"itl_ms\x00",
	}
	check := func(what string, query string, params map[string]string, want string) {
		t.Helper()
		_, err := db.Prepare(ctx, mustLookup(t, query), params)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s %v: error = %v, want %q", what, query, params, err, want)
		}
	}
	for _, h := range hostile {
		check("column", "top", map[string]string{"by": h}, "no column")
		check("columns", "top", map[string]string{"by": "itl_ms", "group": "model," + h}, "no column")
		check("objectives", "pareto", map[string]string{"objectives": "tokens_per_s," + h}, "")
		check("number", "batching", map[string]string{"max": "1" + h}, "want a finite number")
		check("integer", "top", map[string]string{"by": "itl_ms", "k": "1" + h}, "want a whole number")
		check("direction", "top", map[string]string{"by": "itl_ms", "order": "min" + h}, "want min or max")
		check("bool", "top", map[string]string{"by": "itl_ms", "feasible": "true" + h}, "want true or false")
		check("name", "top", map[string]string{"by": "itl_ms", h: "1"}, "unknown parameter")
		// A string is bound, so it is only ever a value to compare with.
		if got := runQuery(t, db, "find", map[string]string{"column": "model", "value": h}).rows; len(got) != 0 {
			t.Errorf("find value %q matched %d rows", h, len(got))
		}
	}
	check("objective direction", "pareto", map[string]string{"objectives": "itl_ms:min;DROP VIEW results,tokens_per_s"}, "want min or max")
	if n := len(collect(t, db, SQL("SELECT * FROM results")).rows); n != 8 {
		t.Errorf("results has %d rows after the attempts, want 8", n)
	}
}

// TestQuotedColumnNames: legitimate names with quotes work as identifiers.
func TestQuotedColumnNames(t *testing.T) {
	db := mustOpen(t, fixture(t, `SELECT point_id, itl_ms AS "we""ird", model AS "it's", feasible FROM (`+topRows+`)`))
	r := runQuery(t, db, "top", map[string]string{"by": `we"ird`, "group": "it's", "k": "1"})
	if got := r.ids(); !slices.Equal(got, []int64{2, 5}) {
		t.Errorf("top by we\"ird per it's = %v, want [2 5]", got)
	}
	r = runQuery(t, db, "summary", map[string]string{"columns": `we"ird,it's`})
	if got := r.col("column"); got[0] != `we"ird` || got[1] != "it's" {
		t.Errorf("summary column names %v", got)
	}
}

func TestCopyTo(t *testing.T) {
	// Two parts whose footers agree on the study and spec hash but not on the
	// profile; mlsysim.part is per file and never carried.
	src := t.TempDir()
	for i, profile := range []string{"seed", "calibrated"} {
		writeParquetMeta(t, paretoRows, filepath.Join(src, fmt.Sprintf("part-%05d.parquet", i)),
			map[string]string{"mlsysim.study": "serve", "mlsysim.spec_hash": "abc'1", "mlsysim.profile": profile, "mlsysim.part": fmt.Sprint(i)})
	}
	db := mustOpen(t, src)
	ctx := context.Background()
	st, err := db.Prepare(ctx, mustLookup(t, "pareto"), map[string]string{"objectives": "x,y,z", "group": "g"})
	if err != nil {
		t.Fatal(err)
	}
	want := collect(t, db, st)
	outDir := t.TempDir()
	file := filepath.Join(outDir, "front.parquet")
	n, err := db.CopyTo(ctx, st, file, "v7")
	if err != nil || n != int64(len(want.rows)) {
		t.Fatalf("CopyTo = %d, %v; want %d rows", n, err, len(want.rows))
	}
	got := collect(t, mustOpen(t, file), SQL("SELECT * FROM results"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%v\nwant\n%v", got, want)
	}
	meta := collect(t, db, SQL("SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata("+quoteLiteral(file)+") ORDER BY 1"))
	wantMeta := [][]any{{"mlsysim.query", "pareto"}, {"mlsysim.query_params", `{"feasible":"true","group":"g","objectives":"x,y,z"}`},
		{"mlsysim.query_version", "v7"}, {"mlsysim.spec_hash", "abc'1"}, {"mlsysim.study", "serve"}}
	if !reflect.DeepEqual(meta.rows, wantMeta) {
		t.Errorf("footer of the query's output:\n%v\nwant\n%v", meta.rows, wantMeta)
	}
	sqlFile := filepath.Join(outDir, "sql.parquet")
	if _, err := db.CopyTo(ctx, SQL("SELECT count(*) FROM results;"), sqlFile, "v7"); err != nil {
		t.Fatal(err)
	}
	meta = collect(t, db, SQL("SELECT decode(value) FROM parquet_kv_metadata("+quoteLiteral(sqlFile)+") WHERE decode(key) LIKE 'mlsysim.query%' ORDER BY key"))
	if want := [][]any{{"sql"}, {`{"sql":"SELECT count(*) FROM results"}`}, {"v7"}}; !reflect.DeepEqual(meta.rows, want) {
		t.Errorf("--sql output records %v, want %v", meta.rows, want)
	}
	os.Remove(sqlFile)
	// A failing query leaves neither the file nor a temporary one.
	bad := filepath.Join(outDir, "bad.parquet")
	if _, err := db.CopyTo(ctx, SQL("SELECT nope FROM results"), bad, "v7"); err == nil {
		t.Errorf("CopyTo of bad SQL: no error")
	}
	entries, _ := os.ReadDir(outDir)
	if len(entries) != 1 || entries[0].Name() != "front.parquet" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files after a failed copy: %v, want only front.parquet", names)
	}
}

// TestDeployments: the cheapest feasible batch of each layout, cheapest first. Layout tp 1
// has batches 1 (0.30 USD), 2 (0.20) and 4 (0.25, infeasible); tp 2 has batches 1 (0.50)
// and 2 (0.40): points 1 then 4. Ranked by sla_ratio over every row, point 2 is first.
func TestDeployments(t *testing.T) {
	dir := fixture(t, deployFixture)
	db := mustOpen(t, dir)
	if got := runQuery(t, db, "deployments", map[string]string{"k": "5"}).ids(); !slices.Equal(got, []int64{1, 4}) {
		t.Errorf("deployments = %v, want [1 4]", got)
	}
	if got := runQuery(t, db, "deployments", map[string]string{"k": "1", "by": "sla_ratio", "then": "usd_per_million_tokens", "feasible": "false"}).ids(); !slices.Equal(got, []int64{2}) {
		t.Errorf("closest by sla_ratio = %v, want [2]", got)
	}
	// Points 1 and 5 cost the same (0.20 USD) in different layouts; 5 is further inside its
	// targets (sla_ratio 0.3 against 0.6), so it ranks first. With the tie-break on point_id
	// alone, 1 would.
	// Point 6 is point 0's deployment (tp 1, an FP8 cache under FP8 weights) with its
	// cache named fp8 instead of same: one deployment by what it stores (kv_format), so
	// it does not list a second time. Grouped on kv_precision it came third: [1 6 4].
	twin := mustOpen(t, fixture(t, strings.Replace(deployFixture, "0.40, 0.8, true, 'fp8'))",
		"0.40, 0.8, true, 'fp8'),\n\t(6, 'm', 'H100', 'fp8', 'fp8', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp8'))", 1)))
	if got := runQuery(t, twin, "deployments", map[string]string{"k": "5"}).ids(); !slices.Equal(got, []int64{1, 4}) {
		t.Errorf("deployments with one deployment named two ways = %v, want [1 4]", got)
	}
	tie := mustOpen(t, fixture(t, strings.Replace(deployFixture, "0.40, 0.8, true, 'fp8'))",
		"0.40, 0.8, true, 'fp8'),\n\t(5, 'm', 'H100', 'fp8', 'same', 4, 1, 1, 'aggregated', 1, 1, 7.0, 150.0, 0.20, 0.3, true, 'fp8'))", 1)))
	if got := runQuery(t, tie, "deployments", map[string]string{"k": "5"}).ids(); !slices.Equal(got, []int64{5, 1, 4}) {
		t.Errorf("deployments with a price tie = %v, want [5 1 4]", got)
	}
}

// TestDeploymentsHeadroom: prices are compared to three significant figures, and of rows
// that tie there and in sla_ratio the one whose decode slots are less loaded wins. The
// issue-#10 headline's decode instance at batch 91 (99.5 % of its slots, $0.192790) beat the
// same fleet at batch 110 (87 %, $0.192796) on the price's fifth digit; a layout at $0.1936
// (0.194 to three figures) stays behind both however empty its slots.
func TestDeploymentsHeadroom(t *testing.T) {
	db := mustOpen(t, fixture(t, `SELECT * FROM (VALUES
	(0, 'm', 'MI300X', 'fp8', 'fp8', 2, 1, 1, 'disaggregated', 1, 91, 0.192790, 0.8126, 0.995, true, 'fp8'),
	(1, 'm', 'MI300X', 'fp8', 'fp8', 2, 1, 1, 'disaggregated', 1, 110, 0.192796, 0.8126, 0.870, true, 'fp8'),
	(2, 'm', 'MI300X', 'fp8', 'fp8', 1, 1, 1, 'disaggregated', 1, 512, 0.1936, 0.5, 0.1, true, 'fp8'))
	AS t(point_id, model, hardware, precision, kv_precision, tp, pp, ep, mode, prefill_tp, batch_size,
	     usd_per_million_tokens, sla_ratio, decode_utilization, feasible, kv_format)`))
	if got := runQuery(t, db, "deployments", map[string]string{"k": "5"}).ids(); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("deployments = %v, want [1 2]: batch 110 for the tp 2 fleet, then the dearer tp 1", got)
	}
	if got := runQuery(t, db, "deployments", map[string]string{"k": "5", "next": "batch_size"}).ids(); !slices.Equal(got, []int64{0, 2}) {
		t.Errorf("deployments next=batch_size = %v, want [0 2]", got)
	}
}

// TestFrontierTable: points 0 and 3 tie exactly in ITL (5 ms) and tokens/s (100); the
// cheaper, 0 (0.30 USD), stands for both. Point 2 (8 ms) is infeasible: left out by
// default (a whole serve result listed its out_of_memory points with a price), so three
// rows remain, ordered by ITL (5, 5.5, 6 ms); with feasible=false it is the fourth. A KV
// cache "same" as the weights (or "auto") is named by the format the point stored it in
// (kv_format: fp8), one given on its own keeps it.
func TestFrontierTable(t *testing.T) {
	db := mustOpen(t, fixture(t, deployFixture))
	r := runQuery(t, db, "frontier-table", map[string]string{})
	if len(r.rows) != 3 || strings.TrimSpace(r.col("usd_per_m_tokens")[0].(string)) != "0.300" ||
		strings.TrimSpace(r.col("itl_ms")[2].(string)) != "6.00" {
		t.Errorf("frontier-table = %v, want 3 feasible rows up to 6.00 ms", r.rows)
	}
	if kv := r.col("kv"); !slices.Equal(kv, []any{"fp8", "fp8", "fp8"}) {
		t.Errorf("frontier-table kv = %v, want the weights' format fp8 for 'same'", kv)
	}
	all := runQuery(t, db, "frontier-table", map[string]string{"feasible": "false"})
	if len(all.rows) != 4 || strings.TrimSpace(all.col("itl_ms")[3].(string)) != "8.00" {
		t.Errorf("frontier-table feasible=false = %v, want the infeasible 8.00 ms row fourth", all.rows)
	}
	own := runQuery(t, mustOpen(t, fixture(t, strings.Replace(deployFixture, "'fp8', 'same', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp8'", "'int4', 'fp16', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp16'", 1))), "frontier-table", map[string]string{})
	if got := own.col("kv")[0]; got != "fp16" {
		t.Errorf("frontier-table kv of a KV cache given as fp16 = %v, want fp16", got)
	}
	// int4 weights under kv_precision auto: the calibrated point stored a 16-bit cache
	// (kv_format fp16); the table names that, not "auto" nor the weights' int4.
	auto := runQuery(t, mustOpen(t, fixture(t, strings.Replace(deployFixture, "'fp8', 'same', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp8'", "'int4', 'auto', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp16'", 1))), "frontier-table", map[string]string{})
	if got := auto.col("kv")[0]; got != "fp16" {
		t.Errorf("frontier-table kv of int4 weights under auto = %v, want the stored fp16", got)
	}
	// A serve-deploy result holds a layout aggregated and disaggregated: point 5 is
	// point 0's layout disaggregated with the same ITL and tokens/s per accelerator but a
	// lower price. Without the mode column the two read as one layout with two prices and
	// the exact tie kept only 5; with it both rows stay, each naming its mode.
	modes := mustOpen(t, fixture(t, strings.Replace(deployFixture, "0.40, 0.8, true, 'fp8'))",
		"0.40, 0.8, true, 'fp8'),\n\t(5, 'm', 'H100', 'fp8', 'same', 1, 1, 1, 'disaggregated', 1, 1, 5.0, 100.0, 0.25, 0.5, true, 'fp8'))", 1)))
	m := runQuery(t, modes, "frontier-table", map[string]string{})
	if got := m.col("mode"); !slices.Equal(got, []any{"disaggregated", "aggregated", "aggregated", "aggregated"}) {
		t.Errorf("frontier-table modes = %v, want the cheaper disaggregated 5 ms row, its aggregated twin, then 5.5 and 6 ms", got)
	}
	if one := runQuery(t, modes, "frontier-table", map[string]string{"mode": "false"}); len(one.rows) != 3 {
		t.Errorf("frontier-table mode=false = %v, want the exact tie merged (3 rows)", one.rows)
	}
}

const deployFixture = `SELECT *, 0.5 AS decode_utilization FROM (VALUES
	(0, 'm', 'H100', 'fp8', 'same', 1, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.30, 0.5, true, 'fp8'),
	(1, 'm', 'H100', 'fp8', 'same', 1, 1, 1, 'aggregated', 1, 2, 6.0, 180.0, 0.20, 0.6, true, 'fp8'),
	(2, 'm', 'H100', 'fp8', 'same', 1, 1, 1, 'aggregated', 1, 4, 8.0, 300.0, 0.25, 0.1, false, 'fp8'),
	(3, 'm', 'H100', 'fp8', 'same', 2, 1, 1, 'aggregated', 1, 1, 5.0, 100.0, 0.50, 0.7, true, 'fp8'),
	(4, 'm', 'H100', 'fp8', 'same', 2, 1, 1, 'aggregated', 1, 2, 5.5, 170.0, 0.40, 0.8, true, 'fp8'))
	AS t(point_id, model, hardware, precision, kv_precision, tp, pp, ep, mode, prefill_tp, batch_size,
	     itl_ms, tokens_per_s_per_accelerator, usd_per_million_tokens, sla_ratio, feasible, kv_format)`

// TestOpenSettings: DuckDB opens with the lockdown settings and its
// configuration locked, and with one thread for a result of one row group
// (DuckDB's default where the row groups are not known).
func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	checked := t.TempDir()
	part := filepath.Join(checked, "part-00000.parquet")
	writeParquetMeta(t, "SELECT 1::UBIGINT AS point_id, 0.5 AS itl_ms", part, map[string]string{"mlsysim.spec_hash": "h", "mlsysim.part": "0"})
	os.WriteFile(filepath.Join(checked, ManifestName), []byte(`{"format":"parquet","status":"complete","spec_hash":"h","parts_total":1,
		"parts":[{"file":"part-00000.parquet","rows":1}],"columns":[{"name":"point_id","type":"uint64"},{"name":"itl_ms","type":"float64"}]}`), 0o644)
	plain := fixture(t, "SELECT 1::UBIGINT AS point_id, 0.5 AS itl_ms")

	setting := func(db *DB, name string) string {
		t.Helper()
		var v string
		if err := db.conn.QueryRowContext(ctx, "SELECT CAST(current_setting("+quoteLiteral(name)+") AS VARCHAR)").Scan(&v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	fresh, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var defaultThreads, defaultLate string
	if err := fresh.QueryRow("SELECT CAST(current_setting('threads') AS VARCHAR), CAST(current_setting('late_materialization_max_rows') AS VARCHAR)").Scan(&defaultThreads, &defaultLate); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, threads string
		prestart           bool   // opened by Prestart, settled by Open
		bundled            bool   // OpenBundled
		late               string // late_materialization_max_rows
	}{
		{"a checked result of one row group", checked, "1", false, false, defaultLate},
		{"row groups not known", plain, defaultThreads, false, false, defaultLate},
		{"prestarted, one row group", checked, "1", true, false, defaultLate},
		{"prestarted, row groups not known", plain, defaultThreads, true, false, defaultLate},
		{"bundled, one row group", checked, "1", false, true, "0"},
		{"bundled, prestarted, one row group", checked, "1", true, true, "0"},
		{"bundled, row groups not known", plain, defaultThreads, true, true, defaultLate},
	} {
		if tc.prestart {
			Prestart()
		}
		open := Open
		if tc.bundled {
			open = OpenBundled
		}
		db, err := open(ctx, tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := setting(db, "late_materialization_max_rows"); got != tc.late {
			t.Errorf("%s: late_materialization_max_rows = %s, want %s", tc.name, got, tc.late)
		}
		if early != nil {
			t.Errorf("%s: Open left the prestarted database", tc.name)
		}
		for _, s := range lockdown {
			if got := setting(db, s[0]); got != s[1] {
				t.Errorf("%s: %s = %s, want %s", tc.name, s[0], got, s[1])
			}
		}
		if got := setting(db, "threads"); got != tc.threads {
			t.Errorf("%s: threads = %s, want %s", tc.name, got, tc.threads)
		}
		if _, err := db.conn.ExecContext(ctx, "SET autoload_known_extensions = true"); err == nil || !strings.Contains(err.Error(), "locked") {
			t.Errorf("%s: SET on the locked configuration: err = %v", tc.name, err)
		}
		db.Close()
	}
}

// TestNoLate: late materialization goes only where it skips nothing and the
// bundled queries' order is total: one row group of a sweep (a manifest) with
// an integer point_id.
func TestNoLate(t *testing.T) {
	ids := []Column{{"point_id", "UBIGINT"}, {"itl_ms", "DOUBLE"}}
	for _, tc := range []struct {
		name      string
		rowGroups int
		manifest  bool
		cols      []Column
		want      bool
	}{
		{"one row group of a sweep", 1, true, ids, true},
		{"two row groups", 2, true, ids, false},
		{"row groups not known", 0, true, ids, false},
		{"a plain file", 1, false, ids, false},
		{"no point_id", 1, true, ids[1:], false},
		{"a text point_id", 1, true, []Column{{"point_id", "VARCHAR"}}, false},
	} {
		if got := noLate(Info{rowGroups: tc.rowGroups, Manifest: tc.manifest}, tc.cols); got != tc.want {
			t.Errorf("%s: noLate = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestOpenBundled: a result opened for bundled queries (late materialization
// off) answers them as Open does — here top and find over tied values, whose
// point_id tie-break decides the rows and their order, in a file whose rows
// run against point_id order, as one row group — and refuses the user's SQL.
func TestOpenBundled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// 300 rows, itl_ms in 7 tied values, point_id descending through the file.
	rows := "SELECT (299 - i)::UBIGINT AS point_id, (i % 7)::DOUBLE AS itl_ms, 'm' || (i % 3) AS model, i % 5 <> 0 AS feasible FROM range(300) t(i)"
	writeParquetMeta(t, rows, filepath.Join(dir, "part-00000.parquet"), map[string]string{"mlsysim.spec_hash": "h", "mlsysim.part": "0"})
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"format":"parquet","status":"complete","spec_hash":"h","parts_total":1,
		"parts":[{"file":"part-00000.parquet","rows":300}],"columns":[{"name":"point_id","type":"uint64"},
		{"name":"itl_ms","type":"float64"},{"name":"model","type":"string"},{"name":"feasible","type":"bool"}]}`), 0o644)
	plain, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	bundled, err := OpenBundled(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bundled.Close()
	for _, run := range []struct {
		name   string
		params map[string]string
	}{
		{"top", map[string]string{"by": "itl_ms", "k": "12"}},
		{"top", map[string]string{"by": "itl_ms", "k": "40", "order": "max"}},
		{"top", map[string]string{"by": "itl_ms", "k": "3", "group": "model"}},
		{"find", map[string]string{"column": "model", "value": "m1", "k": "9"}},
	} {
		want, got := runQuery(t, plain, run.name, run.params), runQuery(t, bundled, run.name, run.params)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %v: OpenBundled gave ids %v, Open %v", run.name, run.params, got.ids(), want.ids())
		}
	}
	r, err := bundled.Query(ctx, SQL("SELECT * FROM results ORDER BY itl_ms LIMIT 5"))
	if err == nil {
		r.Close()
	}
	if !errors.Is(err, errBundledOnly) {
		t.Errorf("the user's SQL on a bundled DB: err = %v, want %v", err, errBundledOnly)
	}
	if _, err := bundled.CopyTo(ctx, SQL("SELECT 1"), filepath.Join(t.TempDir(), "x.parquet"), "test"); !errors.Is(err, errBundledOnly) {
		t.Errorf("the user's SQL to a file on a bundled DB: err = %v, want %v", err, errBundledOnly)
	}
}

// TestScanThreads: no more threads than row groups, and DuckDB's default
// (0) from as many row groups as cores, or when they are not known.
func TestScanThreads(t *testing.T) {
	for _, tc := range []struct{ rowGroups, cores, want int }{
		{0, 2, 0},
		{1, 2, 1},
		{2, 2, 0},
		{3, 8, 3},
		{300, 8, 0},
		{1, 1, 0},
	} {
		if got := scanThreads(tc.rowGroups, tc.cores); got != tc.want {
			t.Errorf("scanThreads(%d, %d) = %d, want %d", tc.rowGroups, tc.cores, got, tc.want)
		}
	}
}

// TestCloseBeforeExit: the database is left to the process's exit only when
// DuckDB has nothing on disk to remove; with its temporary directory present
// (a spilled query makes it) it is closed.
func TestCloseBeforeExit(t *testing.T) {
	ctx := context.Background()
	dir := fixture(t, "SELECT 1::UBIGINT AS point_id, 0.5 AS itl_ms")
	t.Chdir(t.TempDir()) // DuckDB's temporary directory of an in-memory database is .tmp here
	for _, tc := range []struct {
		name    string
		tmpDir  bool
		closing bool
	}{
		{"nothing on disk", false, false},
		{"temporary directory present", true, true},
	} {
		if tc.tmpDir {
			if err := os.Mkdir(".tmp", 0o755); err != nil {
				t.Fatal(err)
			}
		}
		db := mustOpen(t, dir)
		if err := db.CloseBeforeExit(ctx); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var one int
		err := db.conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		if closed := err != nil; closed != tc.closing {
			t.Errorf("%s: closed = %v (%v), want %v", tc.name, closed, err, tc.closing)
		}
		db.Close()
	}
}

// TestCopyToErrorInQueryTerms: a query that fails while CopyTo writes it is reported as
// the user's query and file: DuckDB's context quoted the COPY statement around it, with
// the temporary file's name ("LINE 1: COPY (SELECT CAST('x' AS INTEGER) …) TO
// '/out/.F.parquet.tmp-1234…"). Now the context is the query's own line, numbered as in
// the query, with the caret under the failing expression (column 10 of line 2: the two
// spaces of indent, then CAST at the 3rd character, DuckDB marking the cast's operand
// start as it does for a plain SELECT).
func TestCopyToErrorInQueryTerms(t *testing.T) {
	db := mustOpen(t, fixture(t, paretoRows))
	dir := t.TempDir()
	file := filepath.Join(dir, "F.parquet")
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT CAST('x' AS INTEGER) AS a FROM results",
			[]string{"Conversion Error: Could not convert string 'x' to INT32", "\nLINE 1: SELECT CAST('x' AS INTEGER) AS a FROM results\n               ^"}},
		{"SELECT 1 AS a,\n  CAST('y' AS INTEGER) AS b FROM results",
			[]string{"Could not convert string 'y'", "\nLINE 2:   CAST('y' AS INTEGER) AS b FROM results\n          ^"}},
		{"SELECT nope FROM results", []string{"Binder Error", "\nLINE 1: SELECT nope FROM results\n               ^"}},
	} {
		_, err := db.CopyTo(context.Background(), SQL(tc.sql), file, "v7")
		if err == nil {
			t.Fatalf("CopyTo(%q): no error", tc.sql)
		}
		msg := err.Error()
		want := append([]string{"the query failed, so " + file + " was not written: "}, tc.want...)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("CopyTo(%q):\n%s\nwant it to contain %q", tc.sql, msg, w)
			}
		}
		for _, bad := range []string{"COPY", ".tmp-", "LINE 3"} {
			if strings.Contains(msg, bad) {
				t.Errorf("CopyTo(%q):\n%s\nquotes the COPY statement (%q)", tc.sql, msg, bad)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left after failed copies", len(entries))
	}
	// Context outside the query (the COPY's own lines) is left out, the temporary file
	// called by the target's name.
	in := errors.New("Invalid Input Error: cannot write \"/o/.F.parquet.tmp-9\"\n\nLINE 3: ) TO '/o/.F.parquet.tmp-9' (FORMAT parquet...\n     ^")
	if got, want := copyError(in, "SELECT 1", "/o/.F.parquet.tmp-9", "/o/F.parquet").Error(), `Invalid Input Error: cannot write "/o/F.parquet"`; got != want {
		t.Errorf("copyError = %q, want %q", got, want)
	}
}
