//go:build cgo

package queries

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestParetoProperty compares the pareto query with the definition on random
// results: small integer objectives (many ties and exact duplicates), NULL and
// NaN objectives, a NULL group, 2, 3 and 4 objectives in random directions,
// with and without groups and the feasible filter.
func TestParetoProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2026))
	// Values are small integers (ties), then spread over magnitudes and signs
	// (the 2-objective path buckets x by sign · ln(1 + |x|)), then packed into
	// one bucket.
	spread := func(v float64) float64 { return (v - 10) * math.Abs(v-10) * math.Abs(v-10) * 37.5 }
	packed := func(v float64) float64 { return 1000 + v*1e-9 }
	for ds := range 6 {
		n := []int{40, 300, 300, 1500, 1500, 1500}[ds]
		span := []int{3, 4, 8, 20, 20, 20}[ds] // values per objective: small spans make ties
		scale := []func(float64) float64{nil, nil, nil, nil, spread, packed}[ds]
		rows := randomRows(r, n, span, scale)
		db := mustOpen(t, fixture(t, valuesSQL(rows)))
		for trial := range 12 {
			k := 2 + trial%3
			objs := r.Perm(4)[:k]
			if trial%4 == 3 {
				k, objs = 4, []int{0, 1, 2, 3}
			}
			isMax := make([]bool, 4)
			var spec []string
			for _, o := range objs {
				isMax[o] = r.IntN(2) == 1
				spec = append(spec, fmt.Sprintf("o%d:%s", o, map[bool]string{false: "min", true: "max"}[isMax[o]]))
			}
			grouped, feasibleOnly := r.IntN(2) == 1, r.IntN(3) > 0
			params := map[string]string{"objectives": strings.Join(spec, ","), "feasible": fmt.Sprint(feasibleOnly)}
			if grouped {
				params["group"] = "g"
			}
			got := runQuery(t, db, "pareto", params).ids()
			want := bruteFront(rows, objs, isMax, grouped, feasibleOnly)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("dataset %d (n %d, span %d), params %v:\n got %v\nwant %v", ds, n, span, params, got, want)
			}
		}
	}
}

type randRow struct {
	id       int64
	g        *string
	o        [4]*float64 // nil is NULL
	feasible bool
}

func randomRows(r *rand.Rand, n, span int, scale func(float64) float64) []randRow {
	groups := []string{"a", "b", "c"}
	rows := make([]randRow, n)
	for i := range rows {
		row := randRow{id: int64(i), feasible: r.IntN(4) > 0}
		if j := r.IntN(len(groups) + 1); j < len(groups) {
			row.g = &groups[j]
		}
		for j := range row.o {
			v := float64(r.IntN(span))
			if scale != nil {
				v = scale(v)
			}
			switch r.IntN(60) {
			case 0: // NULL
				continue
			case 1:
				v = math.NaN()
			case 2:
				v = math.Inf(1 - 2*r.IntN(2))
			}
			row.o[j] = &v
		}
		if i > 0 && r.IntN(8) == 0 { // an exact duplicate of an earlier row's point
			prev := rows[r.IntN(i)]
			row.g, row.o = prev.g, prev.o
		}
		rows[i] = row
	}
	return rows
}

func valuesSQL(rows []randRow) string {
	var b strings.Builder
	b.WriteString("SELECT * FROM (VALUES ")
	for i, row := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		g := "NULL::VARCHAR"
		if row.g != nil {
			g = quoteLiteral(*row.g)
		}
		fmt.Fprintf(&b, "(%d::BIGINT, %s, %v", row.id, g, row.feasible)
		for _, o := range row.o {
			switch {
			case o == nil:
				b.WriteString(", NULL::DOUBLE")
			default: // DuckDB parses the text as a double: the value exactly
				fmt.Fprintf(&b, ", '%v'::DOUBLE", *o)
			}
		}
		b.WriteString(")")
	}
	b.WriteString(") t(point_id, g, feasible, o0, o1, o2, o3)")
	return b.String()
}

// bruteFront is the definition: a row (with every objective a number) is on
// the frontier iff no other such row of its group is at least as good in
// every objective and strictly better in one.
func bruteFront(rows []randRow, objs []int, isMax []bool, grouped, feasibleOnly bool) []int64 {
	var cand []randRow
	for _, row := range rows {
		ok := !feasibleOnly || row.feasible
		for _, o := range objs {
			if row.o[o] == nil || math.IsNaN(*row.o[o]) {
				ok = false
			}
		}
		if ok {
			cand = append(cand, row)
		}
	}
	sameGroup := func(a, b randRow) bool {
		if !grouped {
			return true
		}
		return (a.g == nil && b.g == nil) || (a.g != nil && b.g != nil && *a.g == *b.g)
	}
	var front []int64
	for _, p := range cand {
		dominated := false
		for _, q := range cand {
			if !sameGroup(p, q) {
				continue
			}
			atLeast, strict := true, false
			for _, o := range objs {
				pv, qv := *p.o[o], *q.o[o]
				if isMax[o] {
					pv, qv = -pv, -qv
				}
				if qv > pv {
					atLeast = false
				}
				if qv < pv {
					strict = true
				}
			}
			if atLeast && strict {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, p.id)
		}
	}
	slices.Sort(front)
	return front
}
