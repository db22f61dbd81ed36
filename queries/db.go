//go:build cgo

package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/mlsysim/mlsysim/suggest"
)

// Available: this build links DuckDB (cgo), so queries run.
const Available = true

// DB is a result opened for querying: an in-memory DuckDB in which the table
// results is the result's Parquet files. Not safe for concurrent use.
type DB struct {
	Info Info
	db   *sql.DB
	conn *sql.Conn // one connection: the skyline tables live on it
	cols []Column
	// view: the view named results exists (makeView); until then results is
	// read through the replacement scan (resultsScan).
	view bool
	// restricted: Restrict put a filter on the results view.
	restricted bool
	// bundledOnly: opened by OpenBundled, perhaps with late materialization
	// off, so only bundled statements run (their order is total where it is
	// off; the user's SQL may order by a column with ties).
	bundledOnly bool
}

// Open opens a result: a sweep output folder (the parts its manifest lists), one
// .parquet file, or several folders or globs that form one sharded run (checked
// by results.Resolve: one spec and catalog, every part present once and whole).
func Open(ctx context.Context, paths ...string) (*DB, error) {
	return open(ctx, false, paths)
}

// OpenBundled is Open for a DB that runs bundled queries only (Prepare's
// statements; Query and CopyTo refuse the user's SQL). Where that allows it
// (noLate) it reads the result without late materialization: the same answer,
// byte for byte, for less work.
func OpenBundled(ctx context.Context, paths ...string) (*DB, error) {
	return open(ctx, true, paths)
}

func open(ctx context.Context, bundled bool, paths []string) (*DB, error) {
	info, cols, err := locate(paths)
	if err != nil {
		return nil, err
	}
	late := !bundled || !noLate(info, cols)
	connector, settle, err := connect(scanThreads(info.rowGroups, runtime.NumCPU()), late)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	duckdb.RegisterReplacementScan(connector, resultsScan(info.Files))
	d := &DB{Info: info, db: sql.OpenDB(connector), bundledOnly: bundled}
	if d.conn, err = d.db.Conn(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	for _, st := range settle {
		if _, err := d.conn.ExecContext(ctx, st); err != nil {
			d.Close()
			return nil, fmt.Errorf("duckdb: %w", err)
		}
	}
	if cols == nil {
		if cols, err = d.describe(ctx); err != nil {
			d.Close()
			return nil, fmt.Errorf("%s: %w", info.Path, err)
		}
	}
	d.cols = cols
	return d, nil
}

// resultsScan is how DuckDB finds the table results until the view of that
// name is made: asked for a table its catalog does not hold, DuckDB calls it,
// and results becomes read_parquet over the files, as the view's body says.
// Creating the view as the database opens bound read_parquet (reading the
// footers) for nothing but the view's column types, which every statement
// binds again: 3–5 ms of a cold `mlsysim query` (BENCHMARKS.md, "query cold
// start, second round"). Any other name is left to DuckDB.
func resultsScan(files []string) duckdb.ReplacementScanCallback {
	return func(table string) (string, []any, error) {
		if !strings.EqualFold(table, "results") {
			return "", nil, nil
		}
		return "read_parquet", []any{files}, nil
	}
}

// makeView creates the view results, for statements that may look at the
// catalog or change it: the user's own SQL (SHOW TABLES, duckdb_views() and
// schema-qualified names see what they always saw) and Restrict, which puts a
// filter on the view.
func (d *DB) makeView(ctx context.Context) error {
	if d.view {
		return nil
	}
	if _, err := d.conn.ExecContext(ctx, viewSQL(d.Info.Files)); err != nil {
		return fmt.Errorf("%s: %w", d.Info.Path, err)
	}
	d.view = true
	return nil
}

// lockdown keeps DuckDB off the network whatever SQL runs: no extension is
// installed or loaded on demand (httpfs for an https:// path, a community
// extension), and the configuration is locked so a statement cannot undo it.
// Local files stay readable (read_parquet, read_csv of a path). The extensions
// built into the library (parquet, json, icu) need no loading. DuckDB takes
// them as it opens (openDSN): a SET statement each after opening was ~2 % of a
// cold `query`'s instructions and page faults (BENCHMARKS.md, "query cold start").
var lockdown = [][2]string{
	{"autoinstall_known_extensions", "false"},
	{"autoload_known_extensions", "false"},
	{"allow_community_extensions", "false"},
	{"allow_unsigned_extensions", "false"},
	// A hash join whose build side has at most this many keys hands them to the
	// scan of its other side as an IN filter (DuckDB's default: 50), so a join
	// on a few thousand point ids reads only the row groups holding them
	// (point ids are sorted within a sweep's files): pareto's and placement's
	// last step (BENCHMARKS.md).
	{"dynamic_or_filter_threshold", "65536"},
	{"lock_configuration", "true"},
}

// lateOff turns DuckDB's late materialization off. A top-N (ORDER BY …
// LIMIT, up to 50 rows by default) otherwise scans the sort keys, picks the
// rows and then reads them again by row id: in a result of several row groups
// that skips every row group holding none of them, but in one row group it
// reads the same row group a second time, every column of it (each of our
// column chunks is one page), so it costs and never skips — 5 % of a cold
// `query top`'s instructions on a 1,152-row sweep (BENCHMARKS.md, "Stop 33:
// query cold").
var lateOff = [2]string{"late_materialization_max_rows", "0"}

// noLate: the result can be read without late materialization for bundled
// queries. It has one row group (the second read would skip nothing), and a
// sweep's own point_id (a manifest: unique ids), on which every bundled ORDER
// BY … LIMIT ends, so the order is total and no plan can keep other rows
// among ties. Without point_id (a plain file) the templates order by the
// objective alone, and which of several tied rows a top-N keeps is the plan's
// choice: the answer could change, so late materialization stays.
func noLate(info Info, cols []Column) bool {
	return info.rowGroups == 1 && info.Manifest && slices.ContainsFunc(cols, func(c Column) bool {
		return c.Name == "point_id" && typeClass(c.Type) == "integer"
	})
}

// openDSN is the in-memory database's DSN: the lockdown settings (but
// lock_configuration unless locked), threads when it is not 0 (0: DuckDB's
// default, one per core), and lateOff unless late.
func openDSN(threads int, late, locked bool) string {
	v := url.Values{}
	for _, s := range lockdown {
		if s[0] != "lock_configuration" || locked {
			v.Set(s[0], s[1])
		}
	}
	if threads > 0 {
		v.Set("threads", strconv.Itoa(threads))
	}
	if !late {
		v.Set(lateOff[0], lateOff[1])
	}
	return "?" + v.Encode()
}

// early is the database Prestart began to open, for the next Open.
var early chan opening

type opening struct {
	connector *duckdb.Connector
	err       error
}

// Prestart begins to open DuckDB on another thread for the Open that this
// process is about to call (main calls it for a `query` command line):
// DuckDB's start — registering its catalog of functions, ~50 M instructions,
// the largest part of a cold query — then runs beside what comes before Open
// (building the commands, parsing flags, reading the manifest, checking the
// parts' footers) instead of after it. Which threads the result wants is not
// known yet, so it opens with one and the configuration unlocked; Open sets
// both as an open would have (connect).
func Prestart() {
	ch := make(chan opening, 1)
	go func() {
		c, err := duckdb.NewConnector(openDSN(1, true, false), nil)
		ch <- opening{c, err}
	}()
	early = ch
}

// connect opens the database with threads threads (0: DuckDB's default),
// late materialization unless !late, and the lockdown settings, or takes the
// one Prestart opened and returns the statements that make its configuration
// the same: the threads, lateOff, then the lock.
func connect(threads int, late bool) (*duckdb.Connector, []string, error) {
	if early == nil {
		c, err := duckdb.NewConnector(openDSN(threads, late, true), nil)
		return c, nil, err
	}
	o := <-early
	early = nil
	var settle []string
	switch threads {
	case 1:
	case 0:
		settle = append(settle, "RESET threads")
	default:
		settle = append(settle, fmt.Sprintf("SET threads = %d", threads))
	}
	if !late {
		settle = append(settle, fmt.Sprintf("SET %s = %s", lateOff[0], lateOff[1]))
	}
	return o.connector, append(settle, "SET lock_configuration = true"), o.err
}

// scanThreads is how many threads DuckDB gets for a result of rowGroups row
// groups (0: not known) on a machine of cores cores: DuckDB scans Parquet in
// parallel by row group, so threads beyond the row groups would have nothing
// to scan, yet each is started when the database opens, polls for work and
// holds its own buffers — for a one-row-group result, a fifth of a cold
// query's instructions (BENCHMARKS.md). 0 leaves DuckDB's default.
func scanThreads(rowGroups, cores int) int {
	if rowGroups <= 0 || rowGroups >= cores {
		return 0
	}
	return rowGroups
}

// readOnly refuses user SQL that is not exactly one read-only statement
// (SELECT in any of its forms, or EXPLAIN of one): COPY … TO, EXPORT, ATTACH,
// CREATE, INSTALL, LOAD, SET and the rest are refused before anything runs. The
// check only parses (json_serialize_sql serializes SELECT statements and
// nothing else): preparing would bind, and binding EXPORT DATABASE already
// creates its folder; the driver's context-aware prepare would even run every
// statement but the last of a multi-statement string.
func (d *DB) readOnly(ctx context.Context, text string, explain bool) error {
	body := text
	if f := strings.Fields(text); explain && len(f) > 1 && strings.EqualFold(f[0], "EXPLAIN") {
		body = strings.TrimSpace(text[strings.Index(strings.ToUpper(text), "EXPLAIN")+len("EXPLAIN"):])
		if g := strings.Fields(body); len(g) > 1 && strings.EqualFold(g[0], "ANALYZE") {
			body = strings.TrimSpace(body[len("ANALYZE"):])
		}
	}
	var out string
	if err := d.conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql($1::VARCHAR) AS VARCHAR)", body).Scan(&out); err != nil {
		return cleanError(err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Type       string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("duckdb: reading its parse of the SQL: %w", err)
	}
	switch {
	case parsed.Error && parsed.Type == "not implemented":
		return fmt.Errorf("%s is not allowed: --sql runs one read-only statement (%s or EXPLAIN); to save a result use --out FILE.parquet",
			statementKind(body), strings.Join(readOnlyWords, ", "))
	case parsed.Error:
		return fmt.Errorf("%s error: %s", parsed.Type, parsed.Message)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("give one statement: --sql runs a single SELECT, not %d separated by ';'", len(parsed.Statements))
	}
	return nil
}

// statementKind names a refused statement by its first word (COPY, ATTACH, …),
// looking past read-only statements in a ';'-separated list for a message.
func statementKind(text string) string {
	for _, part := range strings.Split(text, ";") {
		f := strings.Fields(strings.TrimLeft(part, "( \t\r\n"))
		if len(f) > 0 && !slices.Contains(readOnlyWords, strings.ToUpper(f[0])) {
			return strings.ToUpper(f[0])
		}
	}
	return "this statement"
}

var readOnlyWords = []string{"SELECT", "WITH", "FROM", "VALUES", "DESCRIBE", "SUMMARIZE", "SHOW", "TABLE"}

func (d *DB) describe(ctx context.Context) ([]Column, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE results)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// Columns are the result's columns in order.
func (d *DB) Columns() []Column { return d.cols }

// Close releases DuckDB.
func (d *DB) Close() error {
	if d.conn != nil {
		d.conn.Close()
	}
	return d.db.Close()
}

// CloseBeforeExit is Close for a process that exits next. DuckDB's teardown
// frees every entry of its function catalog one by one and trims the C
// allocator's arenas (malloc_trim: an madvise per free range, each a TLB
// shootdown across the process's threads): 6–12 ms of a cold `mlsysim query`
// (BENCHMARKS.md, "query cold start, second round") for memory the exit
// returns at once. It closes as Close does where the teardown has something
// to do on disk: DuckDB holds temporary files (a query that spilled past its
// memory limit), or its temporary directory exists, which a close removes if
// DuckDB made it.
func (d *DB) CloseBeforeExit(ctx context.Context) error {
	var files int64
	var dir string
	err := d.conn.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM duckdb_temporary_files()), current_setting('temp_directory')").Scan(&files, &dir)
	if err != nil || files > 0 || dir == "" {
		return d.Close()
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return d.Close()
	}
	return nil
}

// Prepare checks params against q and the result's columns and renders the
// query. A skyline query (pareto with 3–4 objectives) runs its candidate SQL
// and the Go skyline here, leaving the frontier in a table the statement reads.
func (d *DB) Prepare(ctx context.Context, q *Query, params map[string]string) (*Statement, error) {
	var units map[string]string
	if slices.ContainsFunc(q.Params, func(p Param) bool { return p.Unit != "" }) {
		prov, err := d.Provenance(ctx)
		if err != nil {
			return nil, err
		}
		units = prov.Units
	}
	b, err := q.bind(d.cols, units, params)
	if err != nil {
		return nil, err
	}
	if b.data["skyline"] == true {
		if err := d.skyline(ctx, q, b); err != nil {
			return nil, fmt.Errorf("query %s: %w", q.Name, err)
		}
	}
	text, err := q.render(b, "")
	if err != nil {
		return nil, err
	}
	given := map[string]string{}
	for _, p := range q.Params {
		if v, ok := params[p.Name]; ok {
			given[p.Name] = v
		} else if p.Default != "" {
			given[p.Name] = p.Default
		}
	}
	return &Statement{SQL: text, Args: b.args, Query: q.Name, Params: given}, nil
}

// skyline fills skyline_frontier with the ids of the frontier points among
// skyline_candidates (see pareto.sql).
func (d *DB) skyline(ctx context.Context, q *Query, b *bound) error {
	cand, err := q.render(b, "candidates")
	if err != nil {
		return err
	}
	if _, err := d.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE skyline_candidates AS "+cand, b.args...); err != nil {
		return err
	}
	if _, err := d.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE skyline_frontier (skyline_id BIGINT)"); err != nil {
		return err
	}
	k := len(b.data[q.Skyline].([]Objective))
	cols := []string{"skyline_id", "skyline_group"}
	for i := range k {
		cols = append(cols, fmt.Sprintf("skyline_%d", i))
	}
	rows, err := d.conn.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM skyline_candidates ORDER BY %s",
		strings.Join(cols, ", "), strings.Join(cols[1:], ", ")))
	if err != nil {
		return err
	}
	defer rows.Close()
	var front []int64
	var id, group, prev int64 = 0, 0, -1
	p := make([]float64, k)
	dst := []any{&id, &group}
	for i := range p {
		dst = append(dst, &p[i])
	}
	s := newSkyline(k)
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		if group != prev {
			s.reset()
			prev = group
		}
		if s.add(p) {
			front = append(front, id)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return d.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "skyline_frontier")
		if err != nil {
			return err
		}
		for _, id := range front {
			if err := a.AppendRow(id); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
}

// Rows iterates over a query's result.
type Rows struct {
	rows  *sql.Rows
	cols  []Column
	vals  []any
	ptrs  []any
	first bool // Next already advanced to the first row
	more  bool
	err   error
	n     int // rows returned by Next so far
}

// Query runs a statement; the user's own SQL must be one read-only statement.
func (d *DB) Query(ctx context.Context, st *Statement) (*Rows, error) {
	if err := d.bundled(st); err != nil {
		return nil, err
	}
	if st.user {
		if err := d.readOnly(ctx, st.SQL, true); err != nil {
			return nil, err
		}
		if err := d.makeView(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := d.conn.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, cleanError(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, err
	}
	r := &Rows{rows: rows}
	for i, t := range types {
		// "SELECT 1 AS a, 2 AS a" printed {"a":1,"a":2} with -o json, an object a
		// reader keeps one of; COPY (--out) renames the second a_1.
		if j := slices.IndexFunc(r.cols, func(c Column) bool { return c.Name == t.Name() }); j >= 0 {
			rows.Close()
			return nil, fmt.Errorf("the result has two columns named %q (the %s and the %s); name one otherwise with AS", t.Name(), ordinal(j+1), ordinal(i+1))
		}
		r.cols = append(r.cols, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	r.vals = make([]any, len(types))
	r.ptrs = make([]any, len(types))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	// DuckDB reports most run-time errors on the first fetch: surface them
	// before the caller starts printing.
	r.more, r.first = rows.Next(), true
	if !r.more {
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, cleanError(err)
		}
	}
	return r, nil
}

// errBundledOnly: the user's SQL on a DB that OpenBundled opened.
var errBundledOnly = errors.New("this result was opened for bundled queries (queries.OpenBundled); open it with queries.Open to run your own SQL")

// bundled refuses the user's statement on a DB opened for bundled queries.
func (d *DB) bundled(st *Statement) error {
	if st.user && d.bundledOnly {
		return errBundledOnly
	}
	return nil
}

// Columns are the result's columns.
func (r *Rows) Columns() []Column { return r.cols }

// Next advances to the next row.
func (r *Rows) Next() bool {
	if r.first {
		r.first = false
	} else {
		r.more = r.rows.Next()
	}
	if !r.more {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.more, r.err = false, err
		return false
	}
	for i, v := range r.vals {
		if dec, ok := v.(duckdb.Decimal); ok {
			r.vals[i] = json.Number(dec.String()) // exact, and a number in JSON
		}
	}
	r.n++
	return true
}

// Count is the number of rows Next has returned so far.
func (r *Rows) Count() int { return r.n }

// ClosestValues returns up to n of the distinct values of a text column nearest
// to value (suggest.Closest's order: a case-insensitive match first), for a
// `find` that matched nothing: Llama3_8b finds no row of model, Llama3_8B does.
func (d *DB) ClosestValues(ctx context.Context, column, value string, n int) ([]string, error) {
	col := quoteIdent(column)
	rows, err := d.conn.QueryContext(ctx, "SELECT DISTINCT CAST("+col+" AS VARCHAR) FROM results WHERE "+col+" IS NOT NULL LIMIT 100000")
	if err != nil {
		return nil, cleanError(err)
	}
	defer rows.Close()
	var vals []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, cleanError(err)
	}
	return suggest.Closest(value, vals, n), nil
}

// Values is the current row: nil for NULL, then int64, uint64, float64,
// string, bool, *big.Int (HUGEINT), json.Number (DECIMAL), time.Time, lists
// and maps as DuckDB's Go driver returns them. Valid until the next Next.
func (r *Rows) Values() []any { return r.vals }

// Err is the error that stopped the iteration, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	return cleanError(r.rows.Err())
}

// Close releases the rows.
func (r *Rows) Close() error { return r.rows.Close() }

// provenanceKeys are the footer keys of a sweep's parts that CopyTo carries
// into a query's output: what produced the rows the query read.
var provenanceKeys = []string{"mlsysim.version", "mlsysim.study", "mlsysim.profile", "mlsysim.spec", "mlsysim.spec_hash", "mlsysim.catalog_hash"}

// provenance returns the provenance keys on which all the result's files agree.
func (d *DB) provenance(ctx context.Context) (map[string]string, error) {
	files := make([]string, len(d.Info.Files))
	for i, f := range d.Info.Files {
		files[i] = quoteLiteral(f)
	}
	keys := make([]string, len(provenanceKeys))
	for i, k := range provenanceKeys {
		keys[i] = quoteLiteral(k)
	}
	rows, err := d.conn.QueryContext(ctx, fmt.Sprintf(`SELECT decode(key), any_value(decode(value)) FROM parquet_kv_metadata([%s])
		WHERE decode(key) IN (%s) GROUP BY 1 HAVING count(*) = %d AND count(DISTINCT value) = 1`,
		strings.Join(files, ", "), strings.Join(keys, ", "), len(files)))
	if err != nil {
		return nil, cleanError(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// CopyTo writes the statement's result to a Parquet file and returns its row
// count. DuckDB writes a temporary file next to it which is renamed into
// place, so the file is complete or absent. The file's footer records where the
// rows came from: the sweep's provenance (spec, its hash, profile, catalog hash,
// version, study; the keys all source files agree on), the query and its
// parameters (mlsysim.query, mlsysim.query_params as JSON), and the version
// that ran it (mlsysim.query_version).
func (d *DB) CopyTo(ctx context.Context, st *Statement, file, version string) (int64, error) {
	if err := d.bundled(st); err != nil {
		return 0, err
	}
	if st.user {
		if err := d.readOnly(ctx, st.SQL, false); err != nil {
			return 0, err
		}
		if err := d.makeView(ctx); err != nil {
			return 0, err
		}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return 0, err
	}
	if err := checkPath(abs); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	// CreateTemp makes the file 0600, which the rename kept: a query's output
	// was unreadable to the group and others, unlike every other file mlsysim
	// writes (sinks.Create: 0644).
	err = tmp.Chmod(0o644)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := checkPath(tmp.Name()); err != nil {
		return 0, err
	}
	meta, err := d.provenance(ctx)
	if err != nil {
		return 0, err
	}
	params, err := json.Marshal(st.Params)
	if err != nil {
		return 0, err
	}
	meta["mlsysim.query"], meta["mlsysim.query_params"], meta["mlsysim.query_version"] = st.Query, string(params), version
	kv := make([]string, 0, len(meta))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		kv = append(kv, quoteLiteral(k)+": "+quoteLiteral(meta[k]))
	}
	// USE_TMP_FILE false: DuckDB writes into our temporary file itself. By
	// default it wrote beside it to a tmp_ file of its own (the target exists),
	// which a failed write (a full disk) left behind, half-written. The query
	// has lines of its own, so an error's context is a line of it (copyError).
	res, err := d.conn.ExecContext(ctx, fmt.Sprintf("COPY (\n%s\n) TO %s (FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false, KV_METADATA {%s})",
		st.SQL, quoteLiteral(tmp.Name()), strings.Join(kv, ", ")), st.Args...)
	if err != nil {
		err = writeError(copyError(cleanError(err), st.SQL, tmp.Name(), file))
		if oe := (*osError)(nil); errors.As(err, &oe) {
			return 0, fmt.Errorf("writing %s: %w", file, err) // the system refused the write
		}
		return 0, fmt.Errorf("the query failed, so %s was not written: %w", file, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), abs)
}

// copyError is DuckDB's error for CopyTo's COPY statement in terms of the query and
// the file the user named: its context line ("LINE 2: SELECT …" with a caret under
// the place) is numbered as a line of the query, the COPY around it (a first line of
// its own, and the TO clause with the temporary file's name after the query's last
// line) is left out, and the temporary file is called by the target's name. It read
// "LINE 1: COPY (SELECT CAST('x' AS INTEGER) …) TO '/out/.F.parquet.tmp-1234…".
func copyError(err error, query, tmp, file string) error {
	lines := strings.Split(strings.ReplaceAll(err.Error(), tmp, file), "\n")
	last := strings.Count(query, "\n") + 2 // the query's lines are the statement's 2 … last
	var out []string
	for i := 0; i < len(lines); i++ {
		var n int
		var rest string
		if k, err := fmt.Sscanf(lines[i], "LINE %d:", &n); err != nil || k != 1 {
			out = append(out, lines[i])
			continue
		}
		_, rest, _ = strings.Cut(lines[i], ":")
		caret := i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "^"
		if n < 2 || n > last {
			if caret {
				i++
			}
			continue
		}
		prefix := fmt.Sprintf("LINE %d:", n-1)
		out = append(out, prefix+rest)
		if caret {
			i++
			pad := len(lines[i]) - len(strings.TrimLeft(lines[i], " ")) - (len(fmt.Sprintf("LINE %d:", n)) - len(prefix))
			out = append(out, strings.Repeat(" ", max(0, pad))+"^")
		}
	}
	return errors.New(strings.TrimRight(strings.Join(out, "\n"), "\n "))
}

// writeErrnos are the failures of a write that DuckDB reports as text (its
// message ends with the system's strerror).
var writeErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, syscall.EFBIG}

// osError is DuckDB's message for a failed write, carrying the errno it names so
// the command exits as an I/O error (4), not as bad input.
type osError struct {
	msg   string
	errno syscall.Errno
}

func (e *osError) Error() string { return e.msg }
func (e *osError) Unwrap() error { return e.errno }

// writeError gives err the errno its text names, if it names one of writeErrnos.
func writeError(err error) error {
	msg := strings.ToLower(err.Error())
	for _, e := range writeErrnos {
		if strings.Contains(msg, e.Error()) {
			return &osError{msg: err.Error(), errno: e}
		}
	}
	return err
}

// cleanError drops the driver's wrapping so messages read as DuckDB's. A
// missing extension gets our reason instead of DuckDB's advice to install it.
func cleanError(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		msg := strings.TrimSpace(de.Msg)
		if de.Type == duckdb.ErrorTypeMissingExtension || strings.HasPrefix(msg, "Missing Extension Error") {
			first, _, _ := strings.Cut(msg, "\n")
			return fmt.Errorf("%s; mlsysim does not install or load DuckDB extensions (no network access): read local files only", first)
		}
		return errors.New(msg)
	}
	return err
}

// ordinal is 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
