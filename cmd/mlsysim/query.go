//go:build !lean

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/cmd/mlsysim/internal/handoff"
	"github.com/mlsysim/mlsysim/queries"
	"github.com/mlsysim/mlsysim/suggest"
)

func (a *app) queryCommand() *cli.Command {
	return &cli.Command{
		Name:      "query",
		Usage:     queryUsage,
		ArgsUsage: "NAME OUT… | --sql SQL OUT… | --list",
		Description: `OUT is a sweep output folder (the parts its manifest lists) or one .parquet file; several
folders or a glob are the shards of one sweep, checked as merge checks them (one spec and
catalog, every part present once and whole). DuckDB reads them as a view named results. Bundled queries (` + strings.Join(queries.Names(), ", ") + `) take
--param NAME=VALUE; --list shows each with its parameters (docs/QUERIES.md).

--sql runs one read-only statement (SELECT, WITH, FROM, VALUES, DESCRIBE, SUMMARIZE,
SHOW, or EXPLAIN of one). It may read the result and local files; it may not write
(COPY, EXPORT, ATTACH, CREATE, SET, INSTALL, LOAD, several statements: refused before
anything runs) — save a result with --out. DuckDB never installs or loads extensions
from the network: an https:// or s3:// path is an error.

Examples:
   mlsysim query --list
   mlsysim query top out/frontier --param by=itl_ms --param k=5 --param group=model
   mlsysim query pareto out/frontier --param objectives=itl_ms:min,tokens_per_s:max --param group=model
   mlsysim query batching out/frontier --param max=50
   mlsysim query summary out/frontier -o markdown
   mlsysim query summary 'out/shard-*'                 # the shards of one sweep, unmerged
   mlsysim query --sql "SELECT hardware, count(*) FROM results WHERE feasible GROUP BY ALL" out/frontier
   mlsysim query pareto out/frontier --param objectives=ttft_ms,itl_ms --out frontier.parquet`,
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "param", Aliases: []string{"p"}, Usage: "NAME=VALUE for the query (lists are comma-separated); repeatable"},
			&cli.StringFlag{Name: "sql", Usage: "your own read-only SQL (one SELECT) over the view results, instead of a bundled query"},
			&cli.BoolFlag{Name: "list", Usage: "list the bundled queries and their parameters"},
			&cli.StringFlag{Name: "out", Usage: "write the result to this Parquet file (complete or absent; its footer records the sweep's spec, profile and catalog hash and the query with its parameters) instead of printing it"},
		},
		Action: a.queryAction,
	}
}

func (a *app) queryAction(ctx context.Context, c *cli.Command) error {
	err := a.runQuery(ctx, c)
	if err != nil && ctx.Err() != nil {
		return &cliError{code: exitBadInput, title: "Interrupted", err: errors.New("query stopped")}
	}
	return err
}

func (a *app) runQuery(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json", "markdown", "csv")
	if err != nil {
		return err
	}
	args := c.Args().Slice()
	sqlText, list := c.String("sql"), c.Bool("list")
	switch {
	case list:
		if len(args) > 0 || c.IsSet("sql") || c.IsSet("param") || c.IsSet("out") {
			return badInputf("query --list", "takes no arguments or other flags")
		}
		return a.listQueries(format)
	case c.IsSet("sql"):
		if strings.TrimSpace(sqlText) == "" {
			return badInputf("--sql", "empty SQL")
		}
		if c.IsSet("param") {
			return badInputf("--param", "applies to bundled queries, not to --sql (write the values into your SQL)")
		}
		if len(args) == 0 {
			return badInputf("query --sql", "want OUT (a sweep output folder, or the shard folders of one sweep) after the SQL")
		}
	case len(args) == 0:
		return badInputf("query", "want NAME OUT, --sql SQL OUT or --list (queries: %s)", strings.Join(queries.Names(), ", "))
	case len(args) == 1:
		if _, err := queries.Lookup(args[0]); err != nil {
			return badInput("query", err)
		}
		return badInputf("query", "missing OUT: give the sweep output folder to query (mlsysim query %s OUT)", args[0])
	}

	if err := requireQueries("query"); err != nil {
		return err
	}
	var q *queries.Query
	var params map[string]string
	if !c.IsSet("sql") {
		if q, err = queries.Lookup(args[0]); err != nil {
			return badInput("query", err)
		}
		if params, err = parseParams(c.StringSlice("param")); err != nil {
			return badInput("--param", err)
		}
		args = args[1:]
	}
	// "query batching out/x max=50" said "max=50: no such folder": a NAME=VALUE word that
	// names no file is a parameter written without its flag.
	for _, in := range args {
		name, _, ok := strings.Cut(in, "=")
		if _, err := os.Lstat(in); ok && errors.Is(err, fs.ErrNotExist) && isParamName(name) {
			if q != nil {
				return badInputf("query", "%q is not a folder or file: parameters are given with --param (-p), e.g. --param %s", in, in)
			}
			return badInputf("query --sql", "%q is not a folder or file: --sql takes no parameters (write the value into your SQL)", in)
		}
	}
	outFile := c.String("out")
	if outFile != "" {
		for _, in := range args {
			if err := checkQueryOut(outFile, in); err != nil {
				return badInput("--out", err)
			}
		}
	}

	open := queries.Open
	if q != nil {
		open = queries.OpenBundled
	}
	db, err := open(ctx, args...)
	if err != nil {
		return badInput("", err)
	}
	if err := a.resultProfile(ctx, db); err != nil {
		db.Close()
		return err
	}
	defer func() {
		if exitsAfterRun {
			db.CloseBeforeExit(ctx)
		} else {
			db.Close()
		}
	}()
	a.warnPartial(db.Info, "querying")
	st := queries.SQL(sqlText)
	where := "--sql"
	if q != nil {
		where = "query " + q.Name
		if st, err = db.Prepare(ctx, q, params); err != nil {
			return badInput("", err)
		}
	}
	if outFile != "" {
		start := time.Now()
		n, err := db.CopyTo(ctx, st, outFile, version)
		if err != nil {
			return badInput(where, err)
		}
		fmt.Fprintf(a.stderr, "wrote %d rows to %s in %.2f s\n", n, outFile, time.Since(start).Seconds())
		return nil
	}
	rows, err := db.Query(ctx, st)
	if err != nil {
		return badInput(where, err)
	}
	defer rows.Close()
	title := "sql"
	if q != nil {
		title = q.Name
	}
	cw := &countWriter{w: a.stdout}
	if err := renderRows(cw, format, title, rows); err != nil {
		e := badInput(where, err).(*cliError)
		e.payloadShown = cw.n > 0
		return e
	}
	if q != nil && rows.Count() == 0 {
		a.nearestValues(ctx, db, q, params)
	}
	return nil
}

// nearestValues answers a query that returned no rows with, for each value given
// for a text column (a parameter with of=COLUMN, as find's value), the column's
// nearest values — a model or hardware key in the wrong case, say — as a misspelt
// parameter name is answered: no rows is a true answer, so the exit stays 0.
func (a *app) nearestValues(ctx context.Context, db *queries.DB, q *queries.Query, params map[string]string) {
	for _, p := range q.Params {
		value, given := params[p.Name]
		if p.Of == "" || !given {
			continue
		}
		column := params[p.Of]
		i := slices.IndexFunc(db.Columns(), func(c queries.Column) bool { return c.Name == column })
		if i < 0 || db.Columns()[i].Numeric() {
			continue
		}
		near, err := db.ClosestValues(ctx, column, value, suggest.Max)
		if err != nil || len(near) == 0 {
			continue
		}
		a.warn("no row has %s = %q%s", column, value, suggest.Phrase(near))
	}
}

// requireQueries stops a command that needs DuckDB in a build without cgo
// before it does any work, saying how to get a build that has it.
func requireQueries(command string) error {
	if queries.Available {
		return nil
	}
	return &cliError{code: exitBadInput, title: "Not in this build", err: fmt.Errorf("%s: %w", command, queries.ErrNoCgo)}
}

// parseParams turns NAME=VALUE flags into a map, refusing repeats.
func parseParams(flags []string) (map[string]string, error) {
	params := map[string]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("want NAME=VALUE, got %q", f)
		}
		if _, dup := params[k]; dup {
			return nil, fmt.Errorf("%s given twice (lists are comma-separated: %s=a,b)", k, k)
		}
		params[k] = v
	}
	return params, nil
}

// checkQueryOut refuses an --out that is not a .parquet file name or that would
// land among the result's own parts (the next query would read it too).
func checkQueryOut(file, result string) error {
	if !strings.HasSuffix(strings.ToLower(file), ".parquet") {
		return fmt.Errorf("%s: want a file name ending in .parquet", file)
	}
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; want a file name ending in .parquet", file)
	}
	// As plot and report say it, before the query runs: "query top: open
	// out/x/.q.parquet.tmp-2251378739: no such file or directory" named neither the flag
	// nor the folder, only a temporary file the user never asked for.
	if st, err := os.Stat(filepath.Dir(file)); err != nil {
		return fmt.Errorf("%s: the folder %s does not exist", file, filepath.Dir(file))
	} else if !st.IsDir() {
		return fmt.Errorf("%s: %s is a file, not a folder", file, filepath.Dir(file))
	}
	dir, _ := filepath.Abs(filepath.Dir(file))
	res, _ := filepath.Abs(result)
	if st, err := os.Stat(result); err == nil && st.IsDir() && dir == res {
		return fmt.Errorf("%s is inside the result %s, so later queries would read it as part of the result; write it elsewhere", file, result)
	}
	if same, _ := filepath.Abs(file); same == res {
		return fmt.Errorf("%s is the file being queried; write elsewhere", file)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// renderRows prints a result: json as a list of objects with full-precision
// numbers and csv streamed; text and markdown collected into a table.
func renderRows(w io.Writer, format, title string, rows *queries.Rows) error {
	cols := rows.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	switch format {
	case "json":
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		// Each row is the orderedObject of its cells, written without
		// encoding/json's reflection (appendJSONCell): the keys once, the cells
		// by type.
		keys := make([][]byte, len(names))
		for i, name := range names {
			k, _ := json.Marshal(name)
			keys[i] = append(k, ':')
		}
		var b []byte
		n := 0
		for rows.Next() {
			b = append(b[:0], ",\n  {"...)
			if n == 0 {
				b = append(b[:0], "\n  {"...)
			}
			for i, v := range rows.Values() {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, keys[i]...)
				var err error
				if b, err = appendJSONCell(b, v); err != nil {
					return fmt.Errorf("%s: %w", names[i], err)
				}
			}
			b = append(b, '}')
			if _, err := w.Write(b); err != nil {
				return err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n > 0 {
			_, err := io.WriteString(w, "\n]\n")
			return err
		}
		_, err := io.WriteString(w, "]\n")
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(names)
		cells := make([]string, len(names))
		for rows.Next() {
			for i, v := range rows.Values() {
				cells[i] = cellText(v, -1, "")
			}
			cw.Write(cells)
		}
		cw.Flush()
		if err := rows.Err(); err != nil {
			return err
		}
		return cw.Error()
	}
	t := &table{name: title, title: title, cols: names}
	for i, n := range names {
		t.cols[i] = printable(n)
	}
	for rows.Next() {
		cells := make([]string, len(names))
		for i, v := range rows.Values() {
			cells[i] = printable(cellText(v, 6, "NULL"))
		}
		t.add(cells, nil)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if format == "text" {
		return renderQueryText(w, t)
	}
	return renderTables(w, format, []*table{t})
}

// renderQueryText is the text table; unlike renderTables it keeps column names
// as they are in the result (units in lower case: itl_ms, not ITL_MS).
func renderQueryText(w io.Writer, t *table) error {
	if _, err := fmt.Fprintf(w, "%s (%d rows)\n", t.title, len(t.rows)); err != nil {
		return err
	}
	return writeAligned(w, append([][]string{t.cols}, t.rows...))
}

// writeAligned writes lines of cells as text/tabwriter.NewWriter(w, 0, 0, 2,
// ' ', 0) writes them tab-separated, for lines that all have the same number
// of cells: every column but the last as wide as its widest cell (in runes)
// plus two spaces, the last cell as it is. tabwriter copied and re-scanned
// every cell of a query's table (BENCHMARKS.md); TestWriteAligned holds the
// two to the same bytes.
func writeAligned(w io.Writer, lines [][]string) error {
	if len(lines) == 0 {
		return nil
	}
	width := make([]int, len(lines[0]))
	for _, l := range lines {
		for i, c := range l[:max(len(l)-1, 0)] {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b []byte
	for _, l := range lines {
		b = b[:0]
		for i, c := range l {
			b = append(b, c...)
			if i < len(l)-1 {
				b = append(b, strings.Repeat(" ", width[i]+2-utf8.RuneCountInString(c))...)
			}
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// printable escapes control characters (\x1b, \u202e, …) in text meant for a
// terminal: a result may hold strings nobody checked, and an escape sequence
// printed raw would retitle the window or clear the screen.
func printable(s string) string {
	if strings.IndexFunc(s, catalog.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if catalog.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cellText formats a value for text (digits significant figures) or csv
// (digits -1: full precision).
func cellText(v any, digits int, null string) string {
	switch v := v.(type) {
	case nil:
		return null
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case float64:
		return strconv.FormatFloat(v, 'g', digits, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', digits, 32)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("%x", v)
	case []any, map[string]any:
		b, err := json.Marshal(jsonValue(v))
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// appendJSONCell appends a row value as orderedObject writes it
// (marshalNoEscape of jsonSafe of jsonValue), byte for byte: nil, booleans,
// integers, finite float64s and plain ASCII strings directly, as encoding/json
// formats them; anything else through encoding/json.
func appendJSONCell(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return append(b, "null"...), nil
		}
		// encoding/json's float64 format: shortest digits, exponent form below
		// 1e-6 and from 1e21, a two-digit negative exponent shortened (e-07 → e-7).
		format := byte('f')
		if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
			format = 'e'
		}
		b = strconv.AppendFloat(b, v, format, -1, 64)
		if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b, nil
	case string:
		plain := true
		for i := 0; i < len(v) && plain; i++ {
			c := v[i]
			plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		}
		if plain {
			b = append(b, '"')
			b = append(b, v...)
			return append(b, '"'), nil
		}
	}
	m, err := marshalNoEscape(jsonSafe(jsonValue(v)))
	return append(b, m...), err
}

// jsonValue makes a row value JSON-ready: Inf and NaN become null (JSON has
// neither), HUGEINT stays an exact number.
func jsonValue(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
	case float32:
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			return nil
		}
	case *big.Int:
		return json.Number(v.String())
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonValue(x)
		}
		return out
	}
	return v
}

// listQueries prints each bundled query with its parameters.
func (a *app) listQueries(format string) error {
	qs := queries.List()
	switch format {
	case "json":
		return writeJSON(a.stdout, qs)
	case "text":
		for i, q := range qs {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "%s — %s\n", q.Name, q.Description)
			fmt.Fprintf(a.stdout, "  %s\n", queryReads(q))
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, p := range q.Params {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, paramKind(p), paramDefault(p), p.Help)
			}
			tw.Flush()
		}
		return nil
	}
	var ts []*table
	for _, q := range qs {
		t := &table{name: q.Name, title: q.Name + " — " + q.Description + "; " + queryReads(q), cols: []string{"parameter", "kind", "default", "help"}}
		for _, p := range q.Params {
			t.add([]string{p.Name, paramKind(p), paramDefault(p), p.Help}, nil)
		}
		ts = append(ts, t)
	}
	return renderTables(a.stdout, format, ts)
}

// queryReads says what result a query reads, as --list -o json does with studies and
// reads: the studies whose results carry its columns (any result when it names none) and
// the columns its SQL reads itself, which a result must have.
func queryReads(q *queries.Query) string {
	s := "reads any result"
	if t := q.StudiesText(); t != "" {
		s = "reads " + t + " (or a query's output from one)"
	}
	if len(q.Reads) > 0 {
		s += "; needs columns " + strings.Join(q.Reads, ", ")
	}
	return s
}

// paramKind is the parameter's kind with its range, if it declares one ("number > 0"),
// and what a column must be or a flag filters on: "column (numeric, in ms)", "bool (on
// column feasible)".
func paramKind(p queries.Param) string {
	k := string(p.Kind)
	if r := p.RangeText(); r != "" {
		k += " " + r
	}
	var also []string
	if p.Numeric {
		also = append(also, "numeric")
	}
	if p.Unit != "" {
		also = append(also, "in "+p.Unit)
	}
	if p.Needs != "" {
		also = append(also, "on column "+p.Needs)
	}
	if len(also) > 0 {
		k += " (" + strings.Join(also, ", ") + ")"
	}
	return k
}

func paramDefault(p queries.Param) string {
	switch {
	case p.Required:
		return "required"
	case p.Default == "":
		return "(none)"
	}
	return "default " + p.Default
}

// queriesAvailable: queries run when this build links DuckDB (cgo).
func queriesAvailable() (bool, string) {
	if queries.Available {
		return true, "cgo build"
	}
	return false, "built without cgo"
}

// beforeCommands: the full build runs every command itself (lean.go hands
// commands over). A query starts DuckDB now (queries.Prestart), beside the
// building of the commands, the parsing and the checks that come before
// queries.Open, unless it asks for help or the list of queries, which open
// nothing.
func beforeCommands(args []string) {
	if handoff.Command(args) != "query" {
		return
	}
	for _, a := range args {
		if a == "--list" || a == "--help" || a == "-h" || a == "--generate-shell-completion" {
			return
		}
	}
	queries.Prestart()
}

// isParamName: a word as a query's parameters are named (letters, digits, _), not a path.
func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
