package sweep

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// Helpers shared by the study tests (study_*_test.go).

// evalOne plans a one-point grid written inline and returns its row.
func evalOne(t *testing.T, src string) map[string]any {
	t.Helper()
	p := mustPlan(t, src)
	row, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// evalOneIn is evalOne against another catalog (a clone with clusters of its own).
func evalOneIn(t *testing.T, cat *catalog.Catalog, src string) map[string]any {
	t.Helper()
	s, err := ParseSpec("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	p, err := s.Plan(cat)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	row, err := EvalPoint(p)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// golden is one expected output number and where it comes from.
type golden struct {
	col  string
	want float64
	rel  float64 // relative tolerance; 0 = exact
}

func checkGolden(t *testing.T, row map[string]any, gs []golden) {
	t.Helper()
	for _, g := range gs {
		got, ok := row[g.col].(float64)
		switch {
		case !ok:
			t.Errorf("%s = %#v, want a number", g.col, row[g.col])
		case g.rel == 0 && got != g.want:
			t.Errorf("%s = %.17g, want exactly %.17g", g.col, got, g.want)
		case g.rel > 0 && math.Abs(got-g.want) > g.rel*math.Abs(g.want):
			t.Errorf("%s = %.17g, want %.17g (rel %g)", g.col, got, g.want, g.rel)
		}
	}
}

// checkInfeasible checks a row's feasibility, reason and binding wall.
func checkInfeasible(t *testing.T, row map[string]any, reason, wall string) {
	t.Helper()
	feasible := reason == ""
	var wantReason any = reason
	if feasible {
		wantReason = nil // NULL
	}
	if row["feasible"] != feasible || row["infeasible_reason"] != wantReason || row["binding_wall"] != wall {
		t.Errorf("feasible %v, reason %q, binding wall %q; want %v, %q, %q",
			row["feasible"], row["infeasible_reason"], row["binding_wall"], feasible, reason, wall)
	}
}

// checkStudyGrid writes a small grid through WriteParts as Parquet and checks the
// file: the declared columns in order, one row per point, feasible iff no reason,
// no NaN or ±Inf on a feasible row, each reason in wantReasons seen, and a few
// rows re-evaluated through EvalPoint. It returns the rows.
func checkStudyGrid(t *testing.T, src string, wantReasons ...string) []map[string]any {
	t.Helper()
	p := mustPlan(t, src)
	dir := t.TempDir()
	if _, err := WriteParts(context.Background(), p, WriteOptions{Dir: dir, PartPoints: 64, BatchSize: 16, Workers: 2, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range p.Columns() {
		want = append(want, c.Name)
	}
	var rows []map[string]any
	for _, f := range partFiles(t, dir) {
		if !strings.HasSuffix(f, ".parquet") {
			t.Fatalf("%s is not a Parquet part", f)
		}
		tb := readParquet(t, f)
		if !slices.Equal(tb.names, want) {
			t.Fatalf("%s: columns %v, want %v", f, tb.names, want)
		}
		rows = append(rows, tb.rows...)
	}
	checkRows(t, rows, p.N, wantReasons...)
	checkEvalPoint(t, p, rows)
	return rows
}

// checkRows holds a sweep's rows, read back, to what every study promises: one row per
// point in point_id order, feasible iff there is no reason, no NaN or ±Inf on a feasible
// row, and a feasible row plus one per reason in wantReasons.
func checkRows(t *testing.T, rows []map[string]any, points uint64, wantReasons ...string) {
	t.Helper()
	if uint64(len(rows)) != points {
		t.Fatalf("%d rows for %d points: every point must be kept", len(rows), points)
	}
	reasons := map[string]int{}
	for i, row := range rows {
		if row["point_id"] != float64(i) {
			t.Fatalf("row %d has point_id %v", i, row["point_id"])
		}
		feasible, reason := row["feasible"].(bool), row["infeasible_reason"]
		if s, ok := reason.(string); ok {
			reasons[s]++
		} else {
			reasons[""]++
		}
		if feasible != (reason == nil) || reason == "" {
			t.Errorf("point %d: feasible %v with reason %#v, want NULL exactly when feasible", i, feasible, reason)
		}
		for c, v := range row {
			if x, ok := v.(float64); ok && feasible && (math.IsNaN(x) || math.IsInf(x, 0)) {
				t.Errorf("point %d: %s = %v on a feasible row", i, c, x)
			}
		}
	}
	for _, r := range append([]string{""}, wantReasons...) {
		if reasons[r] == 0 {
			t.Errorf("no row with reason %q (reasons %v); the grid should produce each", r, reasons)
		}
	}
}

// checkRefused plans a grid the study's check must refuse, with a message naming want.
func checkRefused(t *testing.T, src string, want ...string) {
	t.Helper()
	_, err := planErr("refused.yaml", []byte(src))
	if err == nil {
		t.Fatalf("planned; want the study to refuse it")
	}
	if miss, ok := containsAll(err.Error(), want...); !ok {
		t.Errorf("error lacks %q: %v", miss, err)
	}
}
