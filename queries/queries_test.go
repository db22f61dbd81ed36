package queries

import (
	"database/sql"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Tests of the query definitions and parameter checks; they need no DuckDB.

// serveCols are the columns of a serve sweep (docs/COLUMNS.md).
var serveCols = []Column{
	{"point_id", "UBIGINT"}, {"model", "VARCHAR"}, {"hardware", "VARCHAR"}, {"precision", "VARCHAR"},
	{"efficiency", "DOUBLE"}, {"batch_size", "BIGINT"}, {"seq_len", "BIGINT"}, {"ttft_ms", "DOUBLE"},
	{"itl_ms", "DOUBLE"}, {"tokens_per_s", "DOUBLE"}, {"feasible", "BOOLEAN"}, {"infeasible_reason", "VARCHAR"},
}

func TestBundled(t *testing.T) {
	want := []string{"batching", "deployments", "find", "frontier-table", "parallelism", "pareto", "placement", "summary", "top"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, q := range List() {
		// Lookup parses one file alone: the same query as List's.
		if l, err := Lookup(q.Name); err != nil || l.Name != q.Name || l.Description != q.Description || l.Skyline != q.Skyline ||
			!reflect.DeepEqual(l.Params, q.Params) || l.tmpl.Root.String() != q.tmpl.Root.String() {
			t.Errorf("Lookup(%q) = %+v, %v; want List's %+v", q.Name, l, err, q)
		}
		if q.Description == "" || len(q.Params) == 0 {
			t.Errorf("%s: empty description or no parameters", q.Name)
		}
		for _, p := range q.Params {
			if p.Help == "" || (p.Required && p.Default != "") {
				t.Errorf("%s.%s: help %q, required %v, default %q", q.Name, p.Name, p.Help, p.Required, p.Default)
			}
		}
	}
	if q, _ := Lookup("pareto"); q.Skyline != "objectives" {
		t.Errorf("pareto: skyline = %q, want objectives", q.Skyline)
	}
}

func TestLookupSuggests(t *testing.T) {
	_, err := Lookup("paretto")
	if err == nil || !strings.Contains(err.Error(), "did you mean pareto?") || !strings.Contains(err.Error(), "batching, deployments, find, frontier-table, parallelism, pareto, placement, summary, top") {
		t.Errorf("Lookup(paretto) error = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"SELECT 1", "header needs"},
		{"-- name: x\nSELECT 1", "header needs"},
		{"-- name: x\n-- description: d\n-- param: a\nSELECT 1", "want NAME KIND"},
		{"-- name: x\n-- description: d\n-- param: a colour required help\nSELECT 1", `unknown kind "colour"`},
		{"-- name: x\n-- description: d\n-- param: a column required\nSELECT 1", "no help text"},
		{"-- name: x\n-- description: d\n-- param: a column help text\nSELECT 1", "either required or default"},
		{"-- name: x\n-- description: d\n-- param: a column required default=b help\nSELECT 1", "either required or default"},
		{"-- name: x\n-- description: d\n-- param: a column required help\n-- param: a column required help\nSELECT 1", "declared twice"},
		{"-- name: x\n-- description: d\n-- param: a integer default=1 range=x..2 help\nSELECT 1", "range"},
		{"-- name: x\n-- description: d\n-- param: a column required needs=f help\nSELECT 1", "needs= applies to bool"},
		{"-- name: x\n-- description: d\n-- param: a integer required of=c help\nSELECT 1", "of= applies to string"},
		{"-- name: x\n-- description: d\n-- param: a string required of=c help\nSELECT 1", "of=c names no column parameter"},
		{"-- name: x\n-- description: d\n-- param: a column required help\n-- skyline: a\nSELECT 1", "not an objectives parameter"},
		{"-- name: x\n-- description: d\n-- param: a objectives required help\n-- skyline: a\nSELECT 1", "candidates"},
		{"-- name: x\n-- description: d\nSELECT {{.a", "unclosed action"},
	} {
		_, err := Parse("x.sql", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestParseParam(t *testing.T) {
	q, err := Parse("x.sql", []byte(`-- name: x
-- description: d
-- Note: commentary lines may hold colons.
-- param: k integer default=10 range=1..99 rows to keep
-- param: f bool default=true needs=feasible only feasible rows
-- param: c column required numeric a number column
SELECT 1`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{
		{Name: "k", Kind: KindInteger, Default: "10", Min: ptr(1.0), Max: ptr(99.0), Help: "rows to keep"},
		{Name: "f", Kind: KindBool, Default: "true", Needs: "feasible", Help: "only feasible rows"},
		{Name: "c", Kind: KindColumn, Required: true, Numeric: true, Help: "a number column"},
	}
	if !reflect.DeepEqual(q.Params, want) {
		t.Errorf("params\n got %+v\nwant %+v", q.Params, want)
	}
}

func ptr(v float64) *float64 { return &v }

// TestParseRange: range= reads inclusive and exclusive sides, and a number or
// integer parameter without one, a default outside it or a range that holds
// nothing is refused when the query is parsed.
func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		decl, text string
		in, out    []float64
	}{
		{"number required range=(0..", "> 0", []float64{1e-300, 50}, []float64{0, -5}},
		{"number required range=0..", "≥ 0", []float64{0, 1e9}, []float64{-1e-9}},
		{"number required range=0..1", "from 0 to 1", []float64{0, 0.5, 1}, []float64{-0.1, 1.01}},
		{"number required range=[0..1)", "in [0, 1)", []float64{0, 0.999}, []float64{1, -1}},
		{"number required range=..100)", "< 100", []float64{-1e9, 99}, []float64{100, 101}},
		{"integer default=10 range=1..999999", "from 1 to 999999", []float64{1, 999999}, []float64{0, 1000000}},
	} {
		q, err := Parse("x.sql", []byte("-- name: x\n-- description: d\n-- param: a "+tc.decl+" help\nSELECT 1"))
		if err != nil {
			t.Errorf("%s: %v", tc.decl, err)
			continue
		}
		p := q.Params[0]
		if got := p.RangeText(); got != tc.text {
			t.Errorf("%s: RangeText %q, want %q", tc.decl, got, tc.text)
		}
		for _, v := range tc.in {
			if !p.InRange(v) {
				t.Errorf("%s: %g refused", tc.decl, v)
			}
		}
		for _, v := range tc.out {
			if p.InRange(v) {
				t.Errorf("%s: %g accepted", tc.decl, v)
			}
		}
	}
	for _, tc := range []struct{ decl, want string }{
		{"number required help", "declares its range"},
		{"integer default=3 help", "declares its range"},
		{"column required range=0.. help", "range= applies to number and integer"},
		{"number required range=0 help", "want LO..HI"},
		{"number required range=.. help", "no bound on either side"},
		{"number required range=(.. help", "an open side needs a bound"},
		{"number required range=x..1 help", "not a finite number"},
		{"number required range=nan.. help", "not a finite number"},
		{"number required range=1..0 help", "empty range"},
		{"number required range=(1..1 help", "empty range"},
		{"integer default=1 range=0.5.. help", "not whole"},
		{"integer default=0 range=1..9 help", "default 0: want a whole number from 1 to 9"},
		{"number default=-1 range=0.. help", "default -1: want a number ≥ 0"},
	} {
		_, err := Parse("x.sql", []byte("-- name: x\n-- description: d\n-- param: a "+tc.decl+"\nSELECT 1"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.decl, err, tc.want)
		}
	}
}

// wideCols hold every column the bundled queries' defaults name, so each binds
// with only its required parameters given.
var wideCols = append(slices.Clone(serveCols), []Column{
	{"tco_usd", "DOUBLE"}, {"carbon_kg", "DOUBLE"}, {"step_latency_ms", "DOUBLE"}, {"cluster", "VARCHAR"},
	{"nodes", "BIGINT"}, {"usd_per_million_tokens", "DOUBLE"}, {"sla_ratio", "DOUBLE"}, {"decode_utilization", "DOUBLE"}, {"kv_precision", "VARCHAR"}, {"kv_format", "VARCHAR"},
	{"tp", "BIGINT"}, {"pp", "BIGINT"}, {"ep", "BIGINT"}, {"mode", "VARCHAR"}, {"prefill_tp", "BIGINT"},
}...)

// TestNumberParamBounds: every number and integer parameter of every bundled
// query has the range written here, and a value outside it (just past each
// bound, an open bound itself, NaN, ±Inf, 1e400) is refused naming the query,
// the parameter, the value and the range, while the bounds that belong to the
// range are accepted. batching's max ≤ 0 used to answer no rows with exit 0:
// no latency is ≤ 0, so it can only mean a mistake.
func TestNumberParamBounds(t *testing.T) {
	ranges := map[string]string{
		"batching.max":  "> 0",
		"deployments.k": "from 1 to 999999",
		"find.k":        "≥ 1",
		"parallelism.k": "from 1 to 999999",
		"placement.tax": "≥ 0",
		"placement.k":   "from 1 to 999999",
		"top.k":         "from 1 to 999999",
	}
	needed := map[string]map[string]string{
		"batching": {"max": "50"},
		"find":     {"column": "model", "value": "Llama3_8B"},
		"pareto":   {"objectives": "itl_ms,ttft_ms"},
		"top":      {"by": "itl_ms"},
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	seen := 0
	for _, q := range List() {
		for _, p := range q.Params {
			if p.Kind != KindNumber && p.Kind != KindInteger {
				continue
			}
			key := q.Name + "." + p.Name
			seen++
			if got := p.RangeText(); got != ranges[key] {
				t.Errorf("%s: range %q, want %q", key, got, ranges[key])
			}
			step := 0.5
			if p.Kind == KindInteger {
				step = 1
			}
			var bad, good []string
			if p.Min != nil {
				bad = append(bad, g(*p.Min-step))
				if p.MinOpen {
					bad, good = append(bad, g(*p.Min)), append(good, g(*p.Min+step))
				} else {
					good = append(good, g(*p.Min))
				}
			}
			if p.Max != nil {
				bad = append(bad, g(*p.Max+step))
				if !p.MaxOpen {
					good = append(good, g(*p.Max))
				}
			}
			if p.Kind == KindNumber {
				bad = append(bad, "NaN", "inf", "-Inf", "1e400")
			} else {
				bad = append(bad, "1.5", "1e400")
			}
			bind := func(raw string) error {
				params := maps.Clone(needed[q.Name])
				if params == nil {
					params = map[string]string{}
				}
				params[p.Name] = raw
				_, err := q.bind(wideCols, nil, params)
				return err
			}
			for _, raw := range bad {
				err := bind(raw)
				if err == nil {
					t.Errorf("%s=%s: accepted, want it refused (range %s)", key, raw, p.RangeText())
					continue
				}
				for _, w := range []string{"query " + q.Name + ": parameter " + p.Name + ":", raw, p.RangeText()} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s=%s: error %q lacks %q", key, raw, err, w)
					}
				}
			}
			for _, raw := range good {
				if err := bind(raw); err != nil {
					t.Errorf("%s=%s: %v", key, raw, err)
				}
			}
		}
	}
	if seen != len(ranges) {
		t.Errorf("%d number and integer parameters in the bundled queries, %d ranges written here", seen, len(ranges))
	}
}

func mustLookup(t testing.TB, name string) *Query {
	t.Helper()
	q, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestBindErrors: bad parameters are refused before any SQL exists, naming
// what is valid.
func TestBindErrors(t *testing.T) {
	for _, tc := range []struct {
		query  string
		params map[string]string
		want   []string
	}{
		{"top", nil, []string{"missing parameter by", "--param by=COLUMN"}},
		{"top", map[string]string{"by": "itl_ms", "kk": "3"}, []string{`unknown parameter "kk"`, "did you mean k", "parameters: by, order, k, group, feasible"}},
		{"top", map[string]string{"by": "itl"}, []string{`no column "itl"`, "did you mean itl_ms", "columns: point_id, model"}},
		{"top", map[string]string{"by": ""}, []string{"empty column name"}},
		{"top", map[string]string{"by": "itl_ms", "order": "desc"}, []string{"want min or max"}},
		{"top", map[string]string{"by": "itl_ms", "k": "0"}, []string{"from 1 to 999999"}},
		{"top", map[string]string{"by": "itl_ms", "k": "1.5"}, []string{"want a whole number"}},
		{"top", map[string]string{"by": "itl_ms", "feasible": "yes"}, []string{"want true or false"}},
		{"top", map[string]string{"by": "itl_ms", "group": "model,,hardware"}, []string{"empty column name"}},
		{"top", map[string]string{"by": "itl_ms", "group": "model,model"}, []string{"listed twice"}},
		{"top", map[string]string{"by": "itl_ms", "group": "itl_ms"}, []string{"both as by and as group"}},
		// Text ranks alphabetically, not best to worst: refused, naming what would rank.
		{"top", map[string]string{"by": "model"}, []string{"parameter by: column model is VARCHAR, which has no best or worst; want a numeric column; numeric columns: point_id, efficiency, batch_size, seq_len, ttft_ms, itl_ms, tokens_per_s"}},
		{"top", map[string]string{"by": "feasible", "order": "max"}, []string{"column feasible is BOOLEAN, which has no best or worst"}},
		{"top", map[string]string{"by": "hardware", "order": "max", "group": "model"}, []string{"column hardware is VARCHAR"}},
		{"batching", map[string]string{}, []string{"missing parameter max"}},
		{"batching", map[string]string{"max": "inf"}, []string{"finite number"}},
		{"batching", map[string]string{"max": "NaN"}, []string{"finite number"}},
		{"batching", map[string]string{"max": "50", "sla": "model"}, []string{"model is VARCHAR, which has no best or worst; want a numeric column", "numeric columns: point_id,"}},
		{"pareto", map[string]string{"objectives": "itl_ms"}, []string{"want 2 to 4 objectives", "got 1"}},
		{"pareto", map[string]string{"objectives": "a,b,c,d,e"}, []string{`no column "a"`}},
		{"pareto", map[string]string{"objectives": "itl_ms,ttft_ms,tokens_per_s,efficiency,batch_size"}, []string{"got 5"}},
		{"pareto", map[string]string{"objectives": "itl_ms:low,ttft_ms"}, []string{`objective "itl_ms:low": want min or max`}},
		{"pareto", map[string]string{"objectives": "itl_ms,itl_ms:max"}, []string{"listed twice"}},
		{"pareto", map[string]string{"objectives": "itl_ms,hardware"}, []string{"hardware is VARCHAR"}},
		{"pareto", map[string]string{"objectives": "itl_ms,ttft_ms", "group": "ttft_ms"}, []string{"both as objectives and as group"}},
		{"summary", map[string]string{"columns": "nope"}, []string{`no column "nope"`}},
	} {
		_, err := mustLookup(t, tc.query).bind(serveCols, nil, tc.params)
		if err == nil {
			t.Errorf("%s %v: no error", tc.query, tc.params)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q does not contain %q", tc.query, tc.params, err, w)
			}
		}
	}
}

// TestBindNeeds: feasible defaults to true but is dropped when the result has
// no feasible column; asking for it explicitly is an error.
func TestBindNeeds(t *testing.T) {
	cols := []Column{{"x", "DOUBLE"}, {"y", "DOUBLE"}}
	q := mustLookup(t, "top")
	b, err := q.bind(cols, nil, map[string]string{"by": "x"})
	if err != nil || b.data["feasible"] != false {
		t.Errorf("default feasible without the column: %v, %v", b, err)
	}
	if _, err := q.bind(cols, nil, map[string]string{"by": "x", "feasible": "true"}); err == nil || !strings.Contains(err.Error(), "no feasible column") {
		t.Errorf("explicit feasible=true without the column: %v", err)
	}
}

// TestRenderedSQL: values reach DuckDB as arguments, never as text; column
// names only as quoted identifiers.
func TestRenderedSQL(t *testing.T) {
	cols := append(slices.Clone(serveCols), Column{`we"ird`, "DOUBLE"}, Column{"it's", "DOUBLE"})
	q := mustLookup(t, "batching")
	b, err := q.bind(cols, nil, map[string]string{"max": "12.5", "sla": `we"ird`, "group": "it's"})
	if err != nil {
		t.Fatal(err)
	}
	text, err := q.render(b, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"we""ird" <= $max`, `GROUP BY "it's"`} {
		if !strings.Contains(text, want) {
			t.Errorf("SQL lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "12.5") {
		t.Errorf("the number was pasted into the SQL:\n%s", text)
	}
	if !slices.ContainsFunc(b.args, func(a any) bool { n := a.(sql.NamedArg); return n.Name == "max" && n.Value == 12.5 }) {
		t.Errorf("args %v lack max=12.5", b.args)
	}

	q = mustLookup(t, "find")
	evil := "x' OR '1'='1'; DROP VIEW results; --"
	b, err = q.bind(cols, nil, map[string]string{"column": "model", "value": evil})
	if err != nil {
		t.Fatal(err)
	}
	if text, _ = q.render(b, ""); strings.Contains(text, "DROP") || strings.Contains(text, "OR '1'") {
		t.Errorf("the string was pasted into the SQL:\n%s", text)
	}
}

// TestRenderAll renders every query over several parameter sets: the
// templates execute and use each placeholder they bind.
func TestRenderAll(t *testing.T) {
	for _, tc := range []struct {
		query  string
		params map[string]string
	}{
		{"top", map[string]string{"by": "itl_ms"}},
		{"top", map[string]string{"by": "itl_ms", "order": "max", "group": "model,hardware", "feasible": "false"}},
		{"summary", nil},
		{"summary", map[string]string{"columns": "itl_ms,model", "group": "hardware", "feasible": "true"}},
		{"pareto", map[string]string{"objectives": "itl_ms,tokens_per_s:max"}},
		{"pareto", map[string]string{"objectives": "itl_ms,tokens_per_s:max,ttft_ms", "group": "model"}},
		{"batching", map[string]string{"max": "50"}},
		{"batching", map[string]string{"max": "50", "group": ""}},
		{"find", map[string]string{"column": "point_id", "value": "7"}},
	} {
		q := mustLookup(t, tc.query)
		b, err := q.bind(serveCols, nil, tc.params)
		if err != nil {
			t.Errorf("%s %v: %v", tc.query, tc.params, err)
			continue
		}
		text, err := q.render(b, "")
		if err != nil {
			t.Errorf("%s %v: %v", tc.query, tc.params, err)
			continue
		}
		for _, a := range b.args {
			if n := a.(sql.NamedArg); n.Value != nil && !strings.Contains(text, "$"+n.Name) {
				t.Errorf("%s: $%s bound but not used:\n%s", tc.query, n.Name, text)
			}
		}
		if b.data["skyline"] == true {
			if _, err := q.render(b, "candidates"); err != nil {
				t.Errorf("%s candidates: %v", tc.query, err)
			}
		}
	}
	q := mustLookup(t, "summary")
	b, _ := q.bind([]Column{{"t", "TIMESTAMP"}}, nil, nil)
	if _, err := q.render(b, ""); err == nil || !strings.Contains(err.Error(), "none of the columns is numeric, string or bool") {
		t.Errorf("summary of no usable columns: %v", err)
	}
}

func TestSkyline(t *testing.T) {
	// Lexicographic input, minimised: (1,1,1) twice can't happen (candidates are
	// distinct); (1,1,2) is dominated by (1,1,1), (2,2,2) too.
	pts := [][]float64{{0, 5, 5}, {1, 1, 1}, {1, 1, 2}, {2, 2, 2}, {5, 0, 5}, {5, 5, 0}}
	want := []bool{true, true, false, false, true, true}
	s := newSkyline(3)
	for i, p := range pts {
		if got := s.add(p); got != want[i] {
			t.Errorf("add(%v) = %v, want %v", p, got, want[i])
		}
	}
	s.reset()
	if !s.add([]float64{9, 9, 9}) {
		t.Errorf("after reset a point is on the frontier")
	}
}

// TestSkylineMatchesBruteForce: random distinct points, sorted, against the
// definition.
func TestSkylineMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		k := 2 + trial%3
		seen := map[[4]float64]bool{}
		var pts [][]float64
		for range r.IntN(60) + 1 {
			var key [4]float64
			p := make([]float64, k)
			for j := range p {
				p[j] = float64(r.IntN(5))
				key[j] = p[j]
			}
			if !seen[key] {
				seen[key] = true
				pts = append(pts, p)
			}
		}
		slices.SortFunc(pts, func(a, b []float64) int { return slices.Compare(a, b) })
		s := newSkyline(k)
		for _, p := range pts {
			want := true
			for _, q := range pts {
				if dominates(q, p) {
					want = false
				}
			}
			if got := s.add(p); got != want {
				t.Fatalf("trial %d: add(%v) = %v, want %v (points %v)", trial, p, got, want, pts)
			}
		}
	}
}
