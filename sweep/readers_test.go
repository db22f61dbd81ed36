package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
)

// Readers of the four output formats, independent of the sinks that wrote them.
// Every value comes back normalised: numbers as float64, booleans, strings, and
// nil for a JSON null.

type readTable struct {
	names []string
	rows  []map[string]any
	meta  map[string]string // Parquet key-value or Arrow schema metadata
}

func normValue(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case int32:
		return float64(x)
	case []byte:
		return string(x)
	}
	return v
}

func readParquet(t testing.TB, path string) readTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tb := readTable{meta: map[string]string{}}
	for _, fld := range pf.Schema().Fields() {
		tb.names = append(tb.names, fld.Name())
	}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		tb.meta[kv.Key] = kv.Value
	}
	buf := make([]parquet.Row, 256)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				row := map[string]any{}
				for _, v := range r {
					name := tb.names[v.Column()]
					if v.IsNull() {
						row[name] = nil
						continue
					}
					switch v.Kind() {
					case parquet.Boolean:
						row[name] = v.Boolean()
					case parquet.Int64:
						row[name] = float64(v.Int64())
					case parquet.Double:
						row[name] = v.Double()
					case parquet.ByteArray:
						row[name] = string(v.ByteArray())
					default:
						t.Fatalf("%s: column %s has kind %v", path, name, v.Kind())
					}
				}
				tb.rows = append(tb.rows, row)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		rows.Close()
	}
	if int64(len(tb.rows)) != pf.NumRows() {
		t.Errorf("%s: read %d rows, the footer says %d", path, len(tb.rows), pf.NumRows())
	}
	return tb
}

func readArrow(t testing.TB, path string) readTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Close()
	tb := readTable{meta: map[string]string{}}
	md := r.Schema().Metadata()
	for i, k := range md.Keys() {
		tb.meta[k] = md.Values()[i]
	}
	for _, fld := range r.Schema().Fields() {
		tb.names = append(tb.names, fld.Name)
	}
	for i := range r.NumRecords() {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatalf("%s: record %d: %v", path, i, err)
		}
		for k := range int(rec.NumRows()) {
			row := Row(rec, k)
			for n, v := range row {
				row[n] = normValue(v)
			}
			tb.rows = append(tb.rows, row)
		}
	}
	return tb
}

func readCSV(t testing.TB, path string) readTable {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %d records, %v", path, len(recs), err)
	}
	tb := readTable{names: recs[0]}
	for _, rec := range recs[1:] {
		row := map[string]any{}
		for i, cell := range rec {
			row[tb.names[i]] = cellValue(cell)
		}
		tb.rows = append(tb.rows, row)
	}
	return tb
}

func cellValue(s string) any {
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		return b
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

func readJSONL(t testing.TB, path string) readTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tb readTable
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: line %d is not JSON: %v", path, len(tb.rows)+1, err)
		}
		if tb.names == nil {
			tb.names = jsonKeys(t, sc.Bytes())
		}
		tb.rows = append(tb.rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tb
}

// jsonKeys lists an object's keys in the order written.
func jsonKeys(t testing.TB, b []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func readFile(t testing.TB, path, format string) readTable {
	switch format {
	case "parquet":
		return readParquet(t, path)
	case "arrow":
		return readArrow(t, path)
	case "csv":
		return readCSV(t, path)
	case "jsonl":
		return readJSONL(t, path)
	}
	t.Fatalf("no reader for %s", format)
	return readTable{}
}

// partFiles lists the part files of a folder in part order.
func partFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// readDir reads every part of a folder, in order.
func readDir(t testing.TB, dir, format string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, f := range partFiles(t, dir) {
		rows = append(rows, readFile(t, f, format).rows...)
	}
	return rows
}

// sameValue compares normalised values; JSON writes NaN and ±Inf as null.
func sameValue(got, want any) bool {
	if w, ok := want.(float64); ok {
		if got == nil {
			return math.IsNaN(w) || math.IsInf(w, 0)
		}
		g, ok := got.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w))
	}
	return got == want
}

// dirFiles reads every file of a folder: name → bytes.
func dirFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
