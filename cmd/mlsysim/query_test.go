//go:build cgo && !lean

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// End-to-end tests of mlsysim query over a small serve sweep written by
// mlsysim sweep; the queries' hand-checked answers are in queries/*_test.go.

func TestQueryList(t *testing.T) {
	r := mlsysim(t, "query", "--list")
	if r.code != exitOK {
		t.Fatal(r)
	}
	for _, want := range []string{"top — ", "pareto — ", "summary — ", "batching — ", "objectives  objectives ", "default itl_ms", "max       number > 0", "k         integer from 1 to 999999"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mlsysim(t, "query", "--list", "-o", "json")
	var list []struct {
		Name   string
		Params []struct{ Name, Kind, Default, Help string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) < 4 {
		t.Fatalf("--list -o json: %v\n%s", err, r.stdout)
	}
	if list[0].Name != "batching" || list[0].Params[0].Name != "max" || list[0].Params[0].Kind != "number" {
		t.Errorf("first query %+v", list[0])
	}
	if r := mlsysim(t, "query", "--list", "-o", "markdown"); !strings.Contains(r.stdout, "## pareto — ") || !strings.Contains(r.stdout, "| parameter | kind | default | help |") {
		t.Errorf("--list -o markdown:\n%s", r.stdout)
	}
}

// TestQueryListSaysWhatItReads: the text and table listings say what -o json does about
// each query — the studies whose results it reads, the columns its SQL needs, and of each
// parameter whether its column must be numeric, its unit and the column a flag filters
// on. Before, only JSON said frontier-table needs kv_format and tp or that deployments is
// for a serve-deploy result; the text listed the parameters alone.
func TestQueryListSaysWhatItReads(t *testing.T) {
	var list []struct {
		Name, Description string
		Reads, Studies    []string
		Params            []struct {
			Name, Unit, Needs string
			Numeric           bool
		}
	}
	if err := json.Unmarshal([]byte(mlsysim(t, "query", "--list", "-o", "json").stdout), &list); err != nil || len(list) < 9 {
		t.Fatalf("--list -o json: %v, %d queries", err, len(list))
	}
	text, md := mlsysim(t, "query", "--list").stdout, mlsysim(t, "query", "--list", "-o", "markdown").stdout
	for i, q := range list {
		block := text[strings.Index(text, q.Name+" — "+q.Description):]
		if i+1 < len(list) {
			block = block[:strings.Index(block, "\n"+list[i+1].Name+" — ")]
		}
		want := []string{"reads any result"}
		if len(q.Studies) > 0 {
			want = []string{"reads a " + strings.Join(q.Studies[:len(q.Studies)-1], ", ")}
			if len(q.Studies) > 1 {
				want[0] += " or "
			}
			want[0] += q.Studies[len(q.Studies)-1] + " result"
		}
		if len(q.Reads) > 0 {
			want = append(want, "needs columns "+strings.Join(q.Reads, ", ")+"\n")
		}
		for _, p := range q.Params {
			if p.Numeric {
				want = append(want, "  "+p.Name+" ", "(numeric")
			}
			if p.Unit != "" {
				want = append(want, "in "+p.Unit+")")
			}
			if p.Needs != "" {
				want = append(want, "(on column "+p.Needs+")")
			}
		}
		for _, w := range want {
			if !strings.Contains(block, w) {
				t.Errorf("--list text for %s lacks %q (JSON: studies %v, reads %v):\n%s", q.Name, w, q.Studies, q.Reads, block)
			}
		}
		if !strings.Contains(md, "## "+q.Name+" — "+q.Description+"; "+want[0]) {
			t.Errorf("--list -o markdown's %s heading does not say %q", q.Name, want[0])
		}
	}
	if !strings.Contains(text, "frontier-table") || !strings.Contains(text, "kv_format, tp, pp") {
		t.Errorf("frontier-table's columns missing:\n%s", text)
	}
}

// TestQueryTop: the bundled query agrees with the same SQL written by hand,
// JSON keeps full precision and the result's column names.
func TestQueryTop(t *testing.T) {
	out := smallSweep(t)
	got := jsonRows(t, "top", out, "--param", "by=itl_ms", "--param", "k=5")
	want := jsonRows(t, "--sql", "SELECT * FROM results WHERE feasible ORDER BY itl_ms, point_id LIMIT 5", out)
	if len(got) != 5 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("top\n%v\nwant\n%v", got, want)
	}
	r := mlsysim(t, "query", "top", out, "--param", "by=itl_ms", "--param", "k=5", "-o", "json")
	if !strings.Contains(r.stdout, `"point_id":14,"model":"Llama3_8B","hardware":"H100"`) {
		t.Errorf("want keys in column order, the fastest point 14 first:\n%s", r.stdout)
	}
	// Full precision: JSON numbers are the shortest text that round-trips, as DuckDB prints them.
	prec := jsonRows(t, "--sql", "SELECT itl_ms::VARCHAR AS s, itl_ms, 0.1::DOUBLE + 0.2::DOUBLE AS f FROM results WHERE point_id = 15", out)[0]
	if s, n := prec["s"].(string), prec["itl_ms"].(json.Number).String(); s != n || len(n) < 16 || prec["f"].(json.Number) != "0.30000000000000004" {
		t.Errorf("itl_ms %s in JSON, %s in DuckDB; 0.1+0.2 = %s", n, s, prec["f"])
	}
	for i := 1; i < len(got); i++ {
		if num(t, got[i]["itl_ms"]) < num(t, got[i-1]["itl_ms"]) || got[i]["feasible"] != true {
			t.Errorf("row %d out of order or infeasible: %v", i, got[i])
		}
	}

	per := jsonRows(t, "top", out, "--param", "by=tokens_per_s", "--param", "order=max", "--param", "k=1", "--param", "group=model,hardware")
	if len(per) != 4 {
		t.Fatalf("top per model and hardware: %d rows, want 4", len(per))
	}
}

// TestQueryBatching: on the real sweep, per model and hardware, the answer is
// the largest feasible batch with itl_ms ≤ 30, checked against all rows.
func TestQueryBatching(t *testing.T) {
	out := smallSweep(t)
	all := jsonRows(t, "--sql", "SELECT * FROM results", out)
	const sla = 30.0
	best := map[string]float64{}
	for _, r := range all {
		if r["feasible"] == true && num(t, r["itl_ms"]) <= sla {
			k := r["model"].(string) + "/" + r["hardware"].(string)
			best[k] = max(best[k], num(t, r["batch_size"]))
		}
	}
	got := jsonRows(t, "batching", out, "--param", "max=30")
	if len(got) != len(best) || len(best) < 2 {
		t.Fatalf("%d groups, want %d (%v)", len(got), len(best), best)
	}
	for _, r := range got {
		k := r["model"].(string) + "/" + r["hardware"].(string)
		if b := num(t, r["batch_size"]); b != best[k] || num(t, r["itl_ms"]) > sla {
			t.Errorf("%s: batch %v at %v ms, want batch %v", k, b, r["itl_ms"], best[k])
		}
	}
}

// TestQueryPareto: per model over (itl_ms min, tokens_per_s max), checked
// against the definition over all feasible rows.
func TestQueryPareto(t *testing.T) {
	out := smallSweep(t)
	all := jsonRows(t, "--sql", "SELECT point_id, model, itl_ms, tokens_per_s FROM results WHERE feasible", out)
	var want []string
	for _, p := range all {
		dominated := false
		for _, q := range all {
			pi, qi, pt, qt := num(t, p["itl_ms"]), num(t, q["itl_ms"]), num(t, p["tokens_per_s"]), num(t, q["tokens_per_s"])
			if p["model"] == q["model"] && qi <= pi && qt >= pt && (qi < pi || qt > pt) {
				dominated = true
			}
		}
		if !dominated {
			want = append(want, p["point_id"].(json.Number).String())
		}
	}
	var got []string
	for _, r := range jsonRows(t, "pareto", out, "--param", "objectives=itl_ms:min,tokens_per_s:max", "--param", "group=model") {
		got = append(got, r["point_id"].(json.Number).String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) < 2 {
		t.Errorf("frontier %v, want %v", got, want)
	}
}

func TestQuerySummary(t *testing.T) {
	out := smallSweep(t)
	rows := jsonRows(t, "summary", out, "--param", "columns=batch_size,feasible")
	// batch_size 1…64 in powers of two, 16 rows each: mean 127/7, p50 8.
	if rows[0]["column"] != "batch_size" || num(t, rows[0]["count"]) != 112 || math.Abs(num(t, rows[0]["mean"])-127.0/7) > 1e-12 ||
		num(t, rows[0]["p50"]) != 8 || num(t, rows[0]["min"]) != 1 || num(t, rows[0]["max"]) != 64 {
		t.Errorf("batch_size row %v", rows[0])
	}
	feasible := jsonRows(t, "--sql", "SELECT count(*) FILTER (feasible) AS yes, count(*) FILTER (NOT feasible) AS no FROM results", out)[0]
	if len(rows) != 3 || rows[1]["value"] != "true" || num(t, rows[1]["count"]) != num(t, feasible["yes"]) ||
		rows[2]["value"] != "false" || num(t, rows[2]["count"]) != num(t, feasible["no"]) {
		t.Errorf("feasible rows %v, want counts %v", rows[1:], feasible)
	}
}

// TestQueryOut: --out writes Parquet that reads back equal to the printed
// result, and refuses places that would corrupt the result.
func TestQueryOut(t *testing.T) {
	out := smallSweep(t)
	args := []string{"pareto", out, "--param", "objectives=itl_ms,ttft_ms,tokens_per_s:max", "--param", "group=model"}
	want := jsonRows(t, args...)
	file := filepath.Join(t.TempDir(), "front.parquet")
	r := mlsysim(t, append(append([]string{"query"}, args...), "--out", file)...)
	if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, fmt.Sprintf("wrote %d rows to %s", len(want), file)) {
		t.Fatalf("--out: %v", r)
	}
	got := jsonRows(t, "--sql", "SELECT * FROM results", file)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("read back\n%v\nwant\n%v", got, want)
	}
	// Chained: the file is a result too.
	if again := jsonRows(t, "top", file, "--param", "by=itl_ms", "--param", "k=1"); len(again) != 1 {
		t.Errorf("top over the --out file: %v", again)
	}
	// The file says where its rows came from: the sweep's provenance and the query.
	var m struct {
		SpecHash    string `json:"spec_hash"`
		CatalogHash string `json:"catalog_hash"`
		Spec        string `json:"spec"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "_manifest.json"))
	json.Unmarshal(b, &m)
	meta := map[string]string{}
	for _, kv := range jsonRows(t, "--sql", "SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('"+file+"')", file) {
		meta[kv["k"].(string)] = kv["v"].(string)
	}
	for k, v := range map[string]string{"mlsysim.spec_hash": m.SpecHash, "mlsysim.catalog_hash": m.CatalogHash, "mlsysim.spec": queryGrid,
		"mlsysim.study": "serve", "mlsysim.profile": "calibrated", "mlsysim.version": version, "mlsysim.query": "pareto",
		"mlsysim.query_params": `{"feasible":"true","group":"model","objectives":"itl_ms,ttft_ms,tokens_per_s:max"}`, "mlsysim.query_version": version} {
		if meta[k] != v || v == "" {
			t.Errorf("--out footer %s = %.80q, want %.80q", k, meta[k], v)
		}
	}
	for _, tc := range []struct{ out, want string }{
		{filepath.Join(out, "front.parquet"), "inside the result"},
		{filepath.Join(t.TempDir(), "front.csv"), "ending in .parquet"},
		{filepath.Join(t.TempDir(), "missing", "front.parquet"), "/missing does not exist"}, // TestQueryOutFolderMissing
	} {
		r := mlsysim(t, append(append([]string{"query"}, args...), "--out", tc.out)...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--out %s: want exit 1 and %q\n%v", tc.out, tc.want, r)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 3 { // a part, the manifest, the sweep's lock file
		t.Errorf("the result folder changed: %d entries", len(entries))
	}
}

// TestSweepParquetForEngines reads a sweep's Parquet with DuckDB as engines
// see it: point_id a signed BIGINT, infeasible_reason NULL exactly on feasible
// rows, units in each column chunk's metadata and the Arrow schema in the footer.
func TestSweepParquetForEngines(t *testing.T) {
	out := smallSweep(t)
	part := filepath.Join(out, "part-00000.parquet")
	rows := jsonRows(t, "--sql", `SELECT any_value(typeof(point_id)) AS t, count(*) AS n, count(*) FILTER (WHERE feasible) AS feasible,
		count(*) FILTER (WHERE infeasible_reason IS NULL) AS nulls, count(*) FILTER (WHERE feasible AND infeasible_reason IS NULL) AS both,
		count(*) FILTER (WHERE infeasible_reason = '') AS empty FROM results`, out)
	r := rows[0]
	if r["t"] != "BIGINT" || num(t, r["feasible"]) == 0 || num(t, r["feasible"]) == num(t, r["n"]) ||
		num(t, r["nulls"]) != num(t, r["feasible"]) || num(t, r["both"]) != num(t, r["feasible"]) || num(t, r["empty"]) != 0 {
		t.Errorf("point_id type and reasons: %v; want BIGINT, NULL reason exactly on the feasible rows, no ''", r)
	}
	units := map[string]any{}
	for _, u := range jsonRows(t, "--sql", "SELECT DISTINCT path_in_schema AS c, decode(key_value_metadata['unit']) AS u FROM parquet_metadata('"+part+"')", out) {
		units[u["c"].(string)] = u["u"]
	}
	if units["itl_ms"] != "ms" || units["kv_cache_gb"] != "GB" || units["seq_len"] != "tokens" || units["model"] != nil {
		t.Errorf("units per column chunk: %v", units)
	}
	keys := jsonRows(t, "--sql", "SELECT decode(key) AS k FROM parquet_kv_metadata('"+part+"') WHERE decode(key) = 'ARROW:schema'", out)
	if len(keys) != 1 {
		t.Errorf("no ARROW:schema in %s", part)
	}
}

func TestQueryFormats(t *testing.T) {
	out := smallSweep(t)
	args := []string{"query", "top", out, "--param", "by=itl_ms", "--param", "k=2"}
	r := mlsysim(t, append(args, "-o", "csv")...)
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "point_id" || !slices.Contains(recs[0], "itl_ms") {
		t.Fatalf("csv: %v\n%s", err, r.stdout)
	}
	full := jsonRows(t, "top", out, "--param", "by=itl_ms", "--param", "k=2")
	if i := slices.Index(recs[0], "itl_ms"); recs[1][i] != full[0]["itl_ms"].(json.Number).String() {
		t.Errorf("csv itl_ms %s, json %s: want full precision in both", recs[1][i], full[0]["itl_ms"])
	}
	r = mlsysim(t, append(args, "-o", "markdown")...)
	if !strings.HasPrefix(r.stdout, "## top\n\n| point_id | model |") {
		t.Errorf("markdown:\n%s", r.stdout)
	}
	r = mlsysim(t, args...)
	if !strings.HasPrefix(r.stdout, "top (2 rows)\npoint_id  model") || !strings.Contains(r.stdout, "itl_ms") {
		t.Errorf("text keeps the column names:\n%s", r.stdout)
	}
	if r := mlsysim(t, "query", "-o", "json", "--sql", "SELECT 1 AS a WHERE false", out); r.stdout != "[]\n" {
		t.Errorf("empty result as json: %q", r.stdout)
	}
}

func TestQueryErrors(t *testing.T) {
	out := smallSweep(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"query"}, "want NAME OUT, --sql SQL OUT or --list"},
		{[]string{"query", "topp", out}, `unknown query "topp" (did you mean top?)`},
		{[]string{"query", "top"}, "missing OUT"},
		{[]string{"query", "top", out, "extra"}, "extra: no such folder"},
		{[]string{"query", "top", out, out}, "is given twice"},
		{[]string{"query", "top", "s3://bucket/out"}, "s3:// URLs are not supported"},
		{[]string{"query", "top", filepath.Join(empty, "nope"), "--param", "by=itl_ms"}, "no such folder or file"},
		{[]string{"query", "top", empty, "--param", "by=itl_ms"}, "holds no .parquet files"},
		{[]string{"query", "top", out}, "missing parameter by"},
		{[]string{"query", "top", out, "--param", "by"}, `want NAME=VALUE, got "by"`},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "by=ttft_ms"}, "by given twice"},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "K=3"}, `unknown parameter "K" (did you mean k?)`},
		{[]string{"query", "top", out, "--param", "by=itl_m"}, `no column "itl_m" in the result (did you mean itl_ms?)`},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "-o", "html"}, "not supported by this command"},
		{[]string{"query", "top", out, "--param", "by=model"}, "parameter by: column model is VARCHAR, which has no best or worst; want a numeric column; numeric columns: point_id,"},
		{[]string{"query", "--sql", "SELECT nope FROM results", out}, `Referenced column "nope" not found`},
		{[]string{"query", "--sql", "SELECT 1"}, "want OUT"},
		{[]string{"query", "--sql", "  ", out}, "empty SQL"},
		{[]string{"query", "--sql", "SELECT 1", out, "--param", "a=b"}, "--param: applies to bundled queries"},
		{[]string{"query", "--list", "top"}, "takes no arguments"},
		// Injection through --param: names, columns, numbers and directions are checked, not pasted.
		{[]string{"query", "top", out, "--param", `by=itl_ms"; DROP VIEW results; --`}, "no column"},
		{[]string{"query", "top", out, "--param", "by=itl_ms) ; DROP"}, "no column"},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "group=model,hardware -- x"}, `no column "hardware -- x"`},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "k=1; DROP VIEW results"}, "want a whole number"},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "order=min/*"}, "want min or max"},
		{[]string{"query", "batching", out, "--param", "max=1 OR 1=1"}, "want a finite number"},
		// A bound outside its range answers nothing: refused, naming it, the value and the range.
		{[]string{"query", "batching", out, "--param", "max=-5"}, "query batching: parameter max: want a number > 0, got -5"},
		{[]string{"query", "batching", out, "--param", "max=0"}, "query batching: parameter max: want a number > 0, got 0"},
		{[]string{"query", "batching", out, "--param", "max=nan"}, `query batching: parameter max: want a finite number > 0, got "nan"`},
		{[]string{"query", "placement", out, "--param", "tax=-100"}, "query placement: parameter tax: want a number ≥ 0, got -100"},
		{[]string{"query", "top", out, "--param", "by=itl_ms", "--param", "k=-3"}, "query top: parameter k: want a whole number from 1 to 999999, got -3"},
		{[]string{"query", "pareto", out, "--param", "objectives=itl_ms:min' --,ttft_ms"}, "want min or max"},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%q: want exit 1, stderr with %q, empty stdout\n%v", tc.args, tc.want, r)
		}
	}
	// A string parameter is a bound value: it matches nothing and harms nothing.
	if rows := jsonRows(t, "find", out, "--param", "column=model", "--param", "value=x' OR '1'='1"); len(rows) != 0 {
		t.Errorf("find with a quote matched %d rows", len(rows))
	}
	// In json mode an error is one JSON object on stdout.
	r := mlsysim(t, "query", "-o", "json", "top", out, "--param", "by=nope")
	obj := oneObject(t, r.stdout)
	if r.code != exitBadInput || obj["status"] != "error" || !strings.Contains(obj["reason"].(string), `no column "nope"`) {
		t.Errorf("json error: %v", r)
	}
}

func TestQueryUnfinishedSweep(t *testing.T) {
	out := smallSweep(t)
	m := filepath.Join(out, "_manifest.json")
	b, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(m, []byte(strings.Replace(string(b), `"status": "complete"`, `"status": "running"`, 1)), 0o644)
	r := mlsysim(t, "query", "top", out, "--param", "by=itl_ms", "--param", "k=1")
	if r.code != exitOK || !strings.Contains(r.stderr, "unfinished sweep (status running)") {
		t.Errorf("want a warning: %v", r)
	}
}

// TestAppendJSONCell: the JSON rows of a query are written cell by cell
// without reflection; every cell must be the bytes orderedObject (encoding/json)
// writes for it, including the float formats at the exponent boundaries,
// negative zero, non-finite values and strings that need escaping.
func TestAppendJSONCell(t *testing.T) {
	values := []any{nil, true, false, int64(0), int64(-42), int64(math.MaxInt64), int64(math.MinInt64), int32(-7),
		0.0, math.Copysign(0, -1), 1.0, -1.5, 0.1, 1e-6, 9.999999e-7, 1e-7, 1.5e-7, 1e-300, 5e-324, 1e20, 1e21, 9.99e20,
		-1e21, 1.2345678901234567e25, 123456789012345678.0, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), float32(0.1), float32(1e-7),
		"", "H100", "Llama3_8B", "a\"b", `back\slash`, "tab\there", "line\nbreak", "<a&b>", "naïve", "\u2028", "bad\xffutf8", "\x7f",
		big.NewInt(12345), []any{1.5, math.NaN(), "x"}, map[string]any{"b": 1.0, "a": math.Inf(1)},
		time.Date(2026, 12, 6, 12, 0, 0, 5, time.UTC), []byte{1, 2},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		values = append(values, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	for _, v := range values {
		want, werr := marshalNoEscape(jsonSafe(jsonValue(v)))
		got, gerr := appendJSONCell([]byte("x"), v)
		if (werr != nil) != (gerr != nil) || string(got) != "x"+string(want) {
			t.Errorf("%#v: got %s (%v), want %s (%v)", v, got[1:], gerr, want, werr)
		}
	}
}

// TestWriteAligned: the text table of a query is aligned without
// text/tabwriter, to the same bytes: random tables of one to six columns with
// empty, multi-byte and wide cells. No invalid UTF-8: DuckDB's strings are
// valid UTF-8, and tabwriter reads a 0xff byte as its escape character.
func TestWriteAligned(t *testing.T) {
	pool := []string{"", "a", "H100", "Llama3_8B", "naïve", "日本語", "0.000123457", "NULL", "x y", "—"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		cols, n := 1+r.IntN(6), r.IntN(8)
		var lines [][]string
		var tabbed bytes.Buffer
		tw := tabwriter.NewWriter(&tabbed, 0, 0, 2, ' ', 0)
		for range n {
			l := make([]string, cols)
			for i := range l {
				l[i] = pool[r.IntN(len(pool))]
			}
			lines = append(lines, l)
			fmt.Fprintln(tw, strings.Join(l, "\t"))
		}
		tw.Flush()
		var got bytes.Buffer
		if err := writeAligned(&got, lines); err != nil {
			t.Fatal(err)
		}
		if got.String() != tabbed.String() {
			t.Fatalf("%q:\ngot\n%s\nwant (tabwriter)\n%s", lines, got.String(), tabbed.String())
		}
	}
}

// TestQueryFindHint: a find that matches no row of a text column names the
// column's nearest values on stderr (a key in the wrong case was "0 rows" and
// nothing else), keeps exit 0 and an empty answer; a value with no near
// neighbour, a numeric column and a find with rows stay silent.
func TestQueryFindHint(t *testing.T) {
	out := smallSweep(t)
	for _, tc := range []struct {
		value, column, hint string // hint "" means stderr must stay empty
		rows                bool
	}{
		{"llama3_8b", "model", `no row has model = "llama3_8b" (did you mean Llama3_8B?)`, false},
		{"Llama3_7B", "model", `no row has model = "Llama3_7B" (did you mean Llama3_70B or Llama3_8B?)`, false},
		{"h100", "hardware", `no row has hardware = "h100" (did you mean H100?)`, false},
		{"Llama3_8B", "model", "", true},
		{"zzzzzzzzzzzz", "model", "", false},
		{"3", "batch_size", "", false},
	} {
		r := mlsysim(t, "query", "-o", "json", "find", out, "--param", "column="+tc.column, "--param", "value="+tc.value)
		if r.code != exitOK {
			t.Fatalf("find %s=%s: %v", tc.column, tc.value, r)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || (len(rows) > 0) != tc.rows {
			t.Errorf("find %s=%s: %d rows (%v), want rows: %v", tc.column, tc.value, len(rows), err, tc.rows)
		}
		if tc.hint == "" && r.stderr != "" || !strings.Contains(r.stderr, tc.hint) {
			t.Errorf("find %s=%s: stderr %q, want %q", tc.column, tc.value, r.stderr, tc.hint)
		}
	}
}
