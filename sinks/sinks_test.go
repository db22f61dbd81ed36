package sinks

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
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// testSchema lists columns out of alphabetical order, so a writer that sorts
// them (parquet.Group does) fails.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "zeta_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "alpha_s", Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{"unit", "description"}, []string{"s", "a time"})},
	{Name: "mid", Type: arrow.PrimitiveTypes.Int64},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "label", Type: dictType},
	{Name: "why", Type: dictType, Nullable: true},
}, nil)

// row is one test row; label and why are indexes into the record's dictionary,
// why < 0 a null.
type row struct {
	id    int64
	f     float64
	i     int64
	b     bool
	label int32
	why   int32
}

// awkward are labels a CSV or JSON writer must escape.
var awkward = []string{"", "plain", `has "quotes", commas`, "line\nbreak", "ünïcødé ✓"}

var rowsA = []row{
	{0, 0.1, -3, true, 1, -1},
	{1, math.NaN(), math.MaxInt64, false, 2, 1},
	{2, math.Inf(1), math.MinInt64, true, 3, -1},
	{3, math.Inf(-1), 0, false, 4, 0},
	{1 << 60, 5e-324, 42, true, 0, 4},
}

var rowsB = []row{{10, 1e300, 7, false, 2, -1}, {11, -0.5, -7, true, 0, -1}}

func newRecord(t testing.TB, rows []row, labels []string) arrow.Record {
	t.Helper()
	mem := memory.DefaultAllocator
	ub, fb, ib, bb, xb, wb := array.NewInt64Builder(mem), array.NewFloat64Builder(mem), array.NewInt64Builder(mem), array.NewBooleanBuilder(mem), array.NewInt32Builder(mem), array.NewInt32Builder(mem)
	for _, r := range rows {
		ub.Append(r.id)
		fb.Append(r.f)
		ib.Append(r.i)
		bb.Append(r.b)
		xb.Append(r.label)
		if r.why < 0 {
			wb.AppendNull()
		} else {
			wb.Append(r.why)
		}
	}
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(labels, nil)
	dict, idx, why := sb.NewArray(), xb.NewArray(), wb.NewArray()
	cols := []arrow.Array{ub.NewArray(), fb.NewArray(), ib.NewArray(), bb.NewArray(), array.NewDictionaryArray(dictType, idx, dict), array.NewDictionaryArray(dictType, why, dict)}
	rec := array.NewRecord(testSchema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	dict.Release()
	idx.Release()
	why.Release()
	return rec
}

// written is what the writers received: two records, the second with a
// dictionary of its own (a new array with other labels).
func written() (rows []row, labels [][]string) {
	second := slices.Clone(awkward)
	slices.Reverse(second)
	return append(slices.Clone(rowsA), rowsB...), [][]string{awkward, second}
}

func writeAll(t testing.TB, format string, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf, testSchema, opt)
	if err != nil {
		t.Fatal(err)
	}
	_, labels := written()
	for i, rows := range [][]row{rowsA, rowsB} {
		rec := newRecord(t, rows, labels[i])
		if err := w.Write(rec); err != nil {
			t.Fatalf("%s: write record %d: %v", format, i, err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// check compares rows read back (one cell getter per column) with what was
// written; labels are the two records' dictionaries.
func check(t *testing.T, labels [][]string, n int, get func(r, c int) any) {
	t.Helper()
	rows, _ := written()
	if n != len(rows) {
		t.Fatalf("%d rows, want %d", n, len(rows))
	}
	for r, want := range rows {
		dict := labels[0]
		if r >= len(rowsA) {
			dict = labels[1]
		}
		var why any
		if want.why >= 0 {
			why = dict[want.why]
		}
		wants := []any{want.id, want.f, want.i, want.b, dict[want.label], why}
		for c, w := range wants {
			got := get(r, c)
			if wf, ok := w.(float64); ok {
				gf, isF := got.(float64)
				if got == nil && (math.IsNaN(wf) || math.IsInf(wf, 0)) {
					continue // JSON null
				}
				if !isF || !(gf == wf && math.Signbit(gf) == math.Signbit(wf) || math.IsNaN(gf) && math.IsNaN(wf)) {
					t.Errorf("row %d, %s: got %v, want %v", r, testSchema.Field(c).Name, got, w)
				}
				continue
			}
			if got != w {
				t.Errorf("row %d, %s: got %#v, want %#v", r, testSchema.Field(c).Name, got, w)
			}
		}
	}
}

func fieldNames() []string {
	var names []string
	for _, f := range testSchema.Fields() {
		names = append(names, f.Name)
	}
	return names
}

var meta = map[string]string{"mlsysim.spec_hash": "abc", "mlsysim.columns": `[{"name":"zeta_id"}]`, "z.last": "1"}

func TestParquet(t *testing.T) {
	for _, c := range []struct {
		compression string
		codec       format.CompressionCodec
	}{{"", format.Zstd}, {"zstd", format.Zstd}, {"snappy", format.Snappy}, {"none", format.Uncompressed}} {
		t.Run("compression="+c.compression, func(t *testing.T) {
			b := writeAll(t, "parquet", Options{Compression: c.compression, Metadata: meta, Version: "v9"})
			pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range pf.Schema().Fields() {
				names = append(names, f.Name())
			}
			if !slices.Equal(names, fieldNames()) {
				t.Errorf("columns %v, want %v in schema order", names, fieldNames())
			}
			for k, v := range meta {
				if got, ok := pf.Lookup(k); !ok || got != v {
					t.Errorf("metadata %s = %q, want %q", k, got, v)
				}
			}
			if cb := pf.Metadata().CreatedBy; !strings.Contains(cb, "mlsysim") || !strings.Contains(cb, "v9") {
				t.Errorf("created_by %q", cb)
			}
			if len(pf.RowGroups()) != 2 {
				t.Errorf("%d row groups, want one per record", len(pf.RowGroups()))
			}
			for _, rg := range pf.Metadata().RowGroups {
				for _, cc := range rg.Columns {
					if cc.MetaData.Codec != c.codec {
						t.Errorf("column %v: codec %v, want %v", cc.MetaData.PathInSchema, cc.MetaData.Codec, c.codec)
					}
				}
			}
			var rows []parquet.Row
			r := parquet.NewReader(pf)
			for {
				buf := make([]parquet.Row, 3)
				n, err := r.ReadRows(buf)
				for _, row := range buf[:n] {
					rows = append(rows, row.Clone())
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			_, labels := written()
			check(t, labels, len(rows), func(r, c int) any {
				v := rows[r][c]
				if v.IsNull() {
					return nil
				}
				switch c {
				case 0:
					return v.Int64()
				case 1:
					return v.Double()
				case 2:
					return v.Int64()
				case 3:
					return v.Boolean()
				}
				return string(v.ByteArray())
			})
			if again := writeAll(t, "parquet", Options{Compression: c.compression, Metadata: meta, Version: "v9"}); !bytes.Equal(again, b) {
				t.Errorf("writing the same records twice gives different bytes")
			}
		})
	}
}

func TestArrow(t *testing.T) {
	// The IPC file format holds one dictionary per field, so both records share one.
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New("arrow", &buf, testSchema, Options{Metadata: meta, Stream: stream})
			if err != nil {
				t.Fatal(err)
			}
			for _, rows := range [][]row{rowsA, rowsB} {
				rec := newRecord(t, rows, awkward) // equal dictionaries, distinct arrays
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
				rec.Release()
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var recs []arrow.Record
			var schema *arrow.Schema
			if stream {
				r, err := ipc.NewReader(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				schema = r.Schema()
				for r.Next() {
					rec := r.RecordBatch()
					rec.Retain()
					recs = append(recs, rec)
				}
				if r.Err() != nil {
					t.Fatal(r.Err())
				}
			} else {
				r, err := ipc.NewFileReader(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				schema = r.Schema()
				for i := range r.NumRecords() {
					rec, err := r.RecordBatchAt(i)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, rec)
				}
			}
			for k, v := range meta {
				if got, ok := schema.Metadata().GetValue(k); !ok || got != v {
					t.Errorf("schema metadata %s = %q, want %q", k, got, v)
				}
			}
			var at [][2]int // row → (record, row in record)
			for i, rec := range recs {
				for k := range int(rec.NumRows()) {
					at = append(at, [2]int{i, k})
				}
			}
			check(t, [][]string{awkward, awkward}, len(at), func(r, c int) any {
				rec, k := recs[at[r][0]], at[r][1]
				col := rec.Column(c)
				if col.IsNull(k) {
					return nil
				}
				switch a := col.(type) {
				case *array.Float64:
					return a.Value(k)
				case *array.Int64:
					return a.Value(k)
				case *array.Boolean:
					return a.Value(k)
				case *array.Dictionary:
					return a.Dictionary().(*array.String).Value(a.GetValueIndex(k))
				}
				return nil
			})
		})
	}
}

func TestArrowFileRefusesDictionaryReplacement(t *testing.T) {
	var buf bytes.Buffer
	w, err := New("arrow", &buf, testSchema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(newRecord(t, rowsA, awkward)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(newRecord(t, rowsB, []string{"other", "labels", "x"})); err == nil {
		t.Errorf("a second dictionary in an Arrow IPC file: no error")
	}
}

func TestCSV(t *testing.T) {
	b := writeAll(t, "csv", Options{})
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], fieldNames()) {
		t.Errorf("header %v, want %v", recs[0], fieldNames())
	}
	data := recs[1:]
	_, labels := written()
	check(t, labels, len(data), func(r, c int) any {
		s := data[r][c]
		switch c {
		case 0:
			v, _ := strconv.ParseInt(s, 10, 64)
			return v
		case 1:
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return s
			}
			return v
		case 2:
			v, _ := strconv.ParseInt(s, 10, 64)
			return v
		case 3:
			return s == "true"
		case 5:
			if all, _ := written(); s == "" && all[r].why < 0 {
				return nil // CSV writes NULL as an empty cell, like ''
			}
		}
		return s
	})
}

func TestJSONL(t *testing.T) {
	b := writeAll(t, "jsonl", Options{})
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		if len(lines) == 0 {
			if got := jsonKeys(t, sc.Bytes()); !slices.Equal(got, fieldNames()) {
				t.Errorf("keys %v, want %v in column order", got, fieldNames())
			}
		}
		lines = append(lines, m)
	}
	_, labels := written()
	check(t, labels, len(lines), func(r, c int) any {
		v := lines[r][testSchema.Field(c).Name]
		n, ok := v.(json.Number)
		if !ok {
			return v // nil, bool or string
		}
		switch c {
		case 0, 2:
			i, _ := strconv.ParseInt(string(n), 10, 64)
			return i
		}
		f, _ := n.Float64()
		return f
	})
}

func jsonKeys(t *testing.T, b []byte) []string {
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

// TestEmpty: a writer closed without records still makes a valid file.
func TestEmpty(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(f, &buf, testSchema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			switch f {
			case "parquet":
				pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
				if err != nil || pf.NumRows() != 0 || len(pf.Schema().Fields()) != len(testSchema.Fields()) {
					t.Errorf("empty parquet: %v", err)
				}
			case "arrow":
				r, err := ipc.NewFileReader(bytes.NewReader(b))
				if err != nil || r.NumRecords() != 0 || !r.Schema().Equal(testSchema) {
					t.Errorf("empty arrow: %v", err)
				}
			case "csv":
				if string(b) != strings.Join(fieldNames(), ",")+"\n" {
					t.Errorf("empty csv: %q, want the header alone", b)
				}
			case "jsonl":
				if len(b) != 0 {
					t.Errorf("empty jsonl: %q", b)
				}
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	for _, f := range Formats {
		if err := CheckFormat(f); err != nil {
			t.Errorf("CheckFormat(%s): %v", f, err)
		}
		if Ext(f) != "."+f {
			t.Errorf("Ext(%s) = %s", f, Ext(f))
		}
	}
	for _, f := range []string{"", "json", "PARQUET", "xlsx"} {
		if err := CheckFormat(f); err == nil || !strings.Contains(err.Error(), "parquet, arrow, csv, jsonl") {
			t.Errorf("CheckFormat(%q): %v, want an error listing the formats", f, err)
		}
		if _, err := New(f, io.Discard, testSchema, Options{}); err == nil {
			t.Errorf("New(%q): no error", f)
		}
	}
	if _, err := New("parquet", io.Discard, testSchema, Options{Compression: "lz4"}); err == nil || !strings.Contains(err.Error(), "zstd, snappy, none") {
		t.Errorf("parquet with lz4: %v, want an error listing the codecs", err)
	}
	bad := arrow.NewSchema([]arrow.Field{{Name: "small", Type: arrow.PrimitiveTypes.Int32}}, nil)
	if _, err := New("parquet", io.Discard, bad, Options{}); err == nil || !strings.Contains(err.Error(), "small") {
		t.Errorf("parquet with an int32 column: %v, want an error naming it", err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "part-00000.csv")
	tmps := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
		return m
	}

	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the file is visible before Commit: %v", err)
	}
	if len(tmps()) != 1 {
		t.Errorf("temporary files %v, want one", tmps())
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: no effect
	if err := f.Commit(); err != nil {
		t.Errorf("second Commit: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("committed file: %v, mode %v", err, st.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != "hello" || len(tmps()) != 0 {
		t.Errorf("content %q, temporary files %v", b, tmps())
	}

	g, err := Create(filepath.Join(dir, "aborted.csv"))
	if err != nil {
		t.Fatal(err)
	}
	g.WriteString("partial")
	g.Abort()
	if _, err := os.Stat(filepath.Join(dir, "aborted.csv")); !os.IsNotExist(err) || len(tmps()) != 0 {
		t.Errorf("Abort left %v, temporary files %v", err, tmps())
	}

	if err := WriteFileAtomic(path, []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "replaced" || len(tmps()) != 0 {
		t.Errorf("WriteFileAtomic: content %q, temporary files %v", b, tmps())
	}
	if _, err := Create(filepath.Join(dir, "missing", "x.csv")); err == nil {
		t.Errorf("Create in a missing folder: no error")
	}
}

// A parquet piece stays valid until it is appended, whatever its encoder encodes
// meanwhile and whatever becomes of its record: pieces encoded ahead and appended
// later make the file that writing each record at once makes. The other formats'
// pieces are not Independent.
func TestPieceIndependent(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			enc, err := NewEncoder(format, testSchema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, labels := written()
			var pieces []Piece
			for i, rows := range [][]row{rowsA, rowsB} {
				rec := newRecord(t, rows, labels[i])
				piece, err := enc.Encode(rec)
				if err != nil {
					t.Fatal(err)
				}
				if got := piece.Independent(); got != (format == "parquet") {
					t.Fatalf("Independent() = %v", got)
				}
				if !piece.Independent() {
					return
				}
				rec.Release()
				pieces = append(pieces, piece)
			}
			var buf bytes.Buffer
			w, err := New(format, &buf, testSchema, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, piece := range pieces {
				if err := w.Append(piece); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if want := writeAll(t, format, Options{}); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("pieces appended after both were encoded: %d bytes, differ from writing each record at once (%d)", buf.Len(), len(want))
			}
		})
	}
}
