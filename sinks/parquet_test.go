package sinks

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
)

// The Parquet writer is checked against parquet-go's reader (an independent
// implementation of the format): every value, every null, the statistics, the
// page index and the footer metadata. queries/parquet_test.go reads the same
// kind of file with DuckDB.

// wideSchema has every type the writer takes, nullable and not.
var wideSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "x_ms", Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{"unit", "description"}, []string{"ms", "a latency"})},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "maybe", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "name", Type: dictType},
	{Name: "why", Type: dictType, Nullable: true},
}, nil)

// cell is one generated value; nil is NULL.
type table [][]any // [row][column]

// genTable makes n rows with runs (RLE runs in the dictionary pages), NaN,
// ±Inf, ±0 and nulls, and the labels of its dictionaries.
func genTable(rng *rand.Rand, n, labels int) (table, []string) {
	names := make([]string, labels)
	for i := range names {
		names[i] = "label-" + strconv.Itoa(rng.IntN(1000)) + "-" + strconv.Itoa(i)
	}
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.MaxFloat64, 5e-324}
	tb := make(table, n)
	label, run := int32(0), 0
	for r := range tb {
		if run == 0 {
			label, run = rng.Int32N(int32(labels)), 1+rng.IntN(20)
		}
		run--
		x := rng.NormFloat64() * 1e3
		if rng.IntN(500) == 0 {
			x = special[rng.IntN(len(special))]
		}
		row := []any{int64(r) * 3, x, rng.Int64() >> rng.IntN(64), rng.Float64(), rng.IntN(3) == 0, rng.IntN(2) == 0, label, int32(rng.IntN(labels))}
		for _, c := range []int{2, 3, 5, 7} {
			if rng.IntN(4) == 0 {
				row[c] = nil
			}
		}
		tb[r] = row
	}
	return tb, names
}

func tableRecord(tb table, labels []string) arrow.Record {
	mem := memory.DefaultAllocator
	bld := array.NewRecordBuilder(mem, arrow.NewSchema(wideSchemaIndices(), nil))
	defer bld.Release()
	for _, row := range tb {
		for c, v := range row {
			fb := bld.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch b := fb.(type) {
			case *array.Int64Builder:
				b.Append(v.(int64))
			case *array.Float64Builder:
				b.Append(v.(float64))
			case *array.BooleanBuilder:
				b.Append(v.(bool))
			case *array.Int32Builder:
				b.Append(v.(int32))
			}
		}
	}
	plain := bld.NewRecord()
	defer plain.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(labels, nil)
	dict := sb.NewArray()
	defer dict.Release()
	cols := make([]arrow.Array, len(wideSchema.Fields()))
	for c, f := range wideSchema.Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			cols[c] = array.NewDictionaryArray(f.Type, plain.Column(c), dict)
		} else {
			cols[c] = plain.Column(c)
			cols[c].Retain()
		}
	}
	rec := array.NewRecord(wideSchema, cols, int64(len(tb)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// wideSchemaIndices is wideSchema with int32 indices in place of dictionaries.
func wideSchemaIndices() []arrow.Field {
	fs := slices.Clone(wideSchema.Fields())
	for i := range fs {
		if fs[i].Type.ID() == arrow.DICTIONARY {
			fs[i].Type = arrow.PrimitiveTypes.Int32
		}
	}
	return fs
}

// writeTables writes one record per table; parallel encodes with two encoders
// taking turns and appends the pieces, as a sweep does.
func writeTables(t testing.TB, tables []table, labels []string, compression string, parallel bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	opt := Options{Compression: compression, Metadata: map[string]string{"k": "v"}, Version: "t1"}
	w, err := New("parquet", &buf, wideSchema, opt)
	if err != nil {
		t.Fatal(err)
	}
	encs := make([]Encoder, 2)
	for i := range encs {
		if encs[i], err = NewEncoder("parquet", wideSchema, opt); err != nil {
			t.Fatal(err)
		}
	}
	for i, tb := range tables {
		rec := tableRecord(tb, labels)
		if parallel {
			p, err := encs[i%2].Encode(rec)
			if err == nil {
				err = w.Append(p)
			}
			if err != nil {
				t.Fatal(err)
			}
		} else if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name           string
		sizes          []int
		labels         int
		compression    string
		parallelEquals bool
	}{
		{"one row", []int{1}, 1, "zstd", false},
		{"empty record", []int{0, 3}, 2, "zstd", false},
		{"many labels", []int{5000, 1234}, 300, "zstd", true},
		{"snappy", []int{777, 64, 9}, 17, "snappy", true},
		{"uncompressed", []int{4096}, 256, "none", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tables []table
			var labels []string
			for _, n := range c.sizes {
				var tb table
				tb, labels = genTable(rand.New(rand.NewPCG(uint64(n), uint64(c.labels))), n, c.labels)
				tables = append(tables, tb)
			}
			b := writeTables(t, tables, labels, c.compression, false)
			if c.parallelEquals {
				if p := writeTables(t, tables, labels, c.compression, true); !bytes.Equal(p, b) {
					t.Errorf("pieces from two encoders appended in order differ from Write")
				}
			}
			checkParquetFile(t, b, tables, labels)
		})
	}
}

// checkParquetFile reads b with parquet-go and compares values, statistics,
// page index and metadata with the tables written.
func checkParquetFile(t *testing.T, b []byte, tables []table, labels []string) {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	md := pf.Metadata()
	if len(md.RowGroups) != len(tables) {
		t.Fatalf("%d row groups, want %d", len(md.RowGroups), len(tables))
	}
	for g, rg := range pf.RowGroups() {
		tb := tables[g]
		if rg.NumRows() != int64(len(tb)) {
			t.Fatalf("row group %d: %d rows, want %d", g, rg.NumRows(), len(tb))
		}
		rows := make([]parquet.Row, len(tb)+1)
		rr := rg.Rows()
		n := 0
		for n < len(tb) {
			k, err := rr.ReadRows(rows[n:])
			n += k
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rr.Close()
		if n != len(tb) {
			t.Fatalf("row group %d: read %d rows, want %d", g, n, len(tb))
		}
		for r, want := range tb {
			for c, v := range rows[r] {
				if !sameCell(v, want[c], labels) {
					t.Fatalf("row group %d, row %d, %s: read %v, wrote %v", g, r, wideSchema.Field(c).Name, v, want[c])
				}
			}
		}
		for c, cc := range md.RowGroups[g].Columns {
			checkStats(t, g, c, cc.MetaData.Statistics.MinValue, cc.MetaData.Statistics.MaxValue, cc.MetaData.Statistics.NullCount, tb, labels)
			wantUnit := ""
			if u, ok := wideSchema.Field(c).Metadata.GetValue("unit"); ok {
				wantUnit = u
			}
			gotUnit := ""
			for _, kv := range cc.MetaData.KeyValueMetadata {
				if kv.Key == "unit" {
					gotUnit = kv.Value
				}
			}
			if gotUnit != wantUnit {
				t.Errorf("row group %d, %s: unit %q in the chunk metadata, want %q", g, wideSchema.Field(c).Name, gotUnit, wantUnit)
			}
		}
	}
	// One offset index per chunk, pointing at its data page; a column index
	// wherever the chunk has statistics.
	oi := pf.OffsetIndexes()
	if len(oi) != len(tables)*len(wideSchema.Fields()) {
		t.Fatalf("%d offset indexes, want one per column chunk", len(oi))
	}
	for g, rg := range md.RowGroups {
		for c, cc := range rg.Columns {
			locs := oi[g*len(rg.Columns)+c].PageLocations
			if len(locs) != 1 || locs[0].Offset != cc.MetaData.DataPageOffset || locs[0].FirstRowIndex != 0 {
				t.Errorf("row group %d column %d: offset index %+v, data page at %d", g, c, locs, cc.MetaData.DataPageOffset)
			}
			if (cc.ColumnIndexLength > 0) != (len(cc.MetaData.Statistics.MinValue) > 0 || cc.MetaData.Statistics.NullCount == rg.NumRows && rg.NumRows > 0) {
				t.Errorf("row group %d column %d: column index of %d bytes with statistics %+v", g, c, cc.ColumnIndexLength, cc.MetaData.Statistics)
			}
		}
	}
	if v, ok := pf.Lookup("k"); !ok || v != "v" {
		t.Errorf("metadata k = %q", v)
	}
	checkArrowSchema(t, pf)
}

func sameCell(v parquet.Value, want any, labels []string) bool {
	if want == nil || v.IsNull() {
		return want == nil && v.IsNull()
	}
	switch w := want.(type) {
	case int64:
		return v.Int64() == w
	case float64:
		return math.Float64bits(v.Double()) == math.Float64bits(w)
	case bool:
		return v.Boolean() == w
	case int32:
		return string(v.ByteArray()) == labels[w]
	}
	return false
}

// checkStats compares a chunk's statistics with min/max computed here: NULLs
// left out, no bounds at all when a float column holds a NaN, −0 as min and
// +0 as max for zeros.
func checkStats(t *testing.T, g, c int, minV, maxV []byte, nulls int64, tb table, labels []string) {
	t.Helper()
	var vals []any
	for _, row := range tb {
		if row[c] != nil {
			vals = append(vals, row[c])
		}
	}
	name := wideSchema.Field(c).Name
	if nulls != int64(len(tb)-len(vals)) {
		t.Errorf("row group %d, %s: null count %d, want %d", g, name, nulls, len(tb)-len(vals))
	}
	var wantMin, wantMax []byte
	switch {
	case len(vals) == 0:
	case wideSchema.Field(c).Type.ID() == arrow.FLOAT64:
		lo, hi, nan := math.Inf(1), math.Inf(-1), false
		for _, v := range vals {
			x := v.(float64)
			nan = nan || math.IsNaN(x)
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if nan {
			break
		}
		if lo == 0 {
			lo = math.Copysign(0, -1)
		}
		if hi == 0 {
			hi = 0 // +0
		}
		wantMin = binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo))
		wantMax = binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi))
	case wideSchema.Field(c).Type.ID() == arrow.INT64:
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, v := range vals {
			lo, hi = min(lo, v.(int64)), max(hi, v.(int64))
		}
		wantMin = binary.LittleEndian.AppendUint64(nil, uint64(lo))
		wantMax = binary.LittleEndian.AppendUint64(nil, uint64(hi))
	case wideSchema.Field(c).Type.ID() == arrow.BOOL:
		lo, hi := byte(1), byte(0)
		for _, v := range vals {
			if v.(bool) {
				hi = 1
			} else {
				lo = 0
			}
		}
		wantMin, wantMax = []byte{lo}, []byte{hi}
	default:
		var s []string
		for _, v := range vals {
			s = append(s, labels[v.(int32)])
		}
		wantMin, wantMax = []byte(slices.MinFunc(s, cmp.Compare)), []byte(slices.MaxFunc(s, cmp.Compare))
	}
	if !bytes.Equal(minV, wantMin) || !bytes.Equal(maxV, wantMax) {
		t.Errorf("row group %d, %s: statistics [%x, %x], want [%x, %x]", g, name, minV, maxV, wantMin, wantMax)
	}
}

// checkArrowSchema decodes ARROW:schema with Arrow's IPC reader: the schema
// written, dictionary types, nullability and field metadata included.
func checkArrowSchema(t *testing.T, pf *parquet.File) {
	t.Helper()
	v, ok := pf.Lookup("ARROW:schema")
	if !ok {
		t.Fatal("no ARROW:schema in the footer")
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Schema().Equal(wideSchema) {
		t.Errorf("ARROW:schema is %v, want %v", r.Schema(), wideSchema)
	}
	for i, f := range r.Schema().Fields() {
		if !f.Metadata.Equal(wideSchema.Field(i).Metadata) {
			t.Errorf("ARROW:schema field %s metadata %v, want %v", f.Name, f.Metadata, wideSchema.Field(i).Metadata)
		}
	}
}

// TestHybrid checks the RLE/bit-packed encoder on the shapes that switch
// between its run kinds, through parquet-go's dictionary decoder.
func TestHybrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := map[string]func(k int) int32{
		"constant":         func(int) int32 { return 7 },
		"alternating":      func(k int) int32 { return int32(k % 2) },
		"runs of 7":        func(k int) int32 { return int32(k / 7 % 5) },
		"runs of 8":        func(k int) int32 { return int32(k / 8 % 5) },
		"runs of 9":        func(k int) int32 { return int32(k / 9 % 5) },
		"odd run at 3":     func(k int) int32 { return b2i(k >= 3 && k < 40) },
		"long literal":     func(k int) int32 { return int32(k * 7919 % 255) },
		"random with runs": func(k int) int32 { return int32(rng.IntN(3) * rng.IntN(2) * 100) },
	}
	for name, f := range shapes {
		for _, n := range []int{1, 7, 8, 9, 63 * 8, 63*8 + 1, 5000} {
			t.Run(name+"/"+strconv.Itoa(n), func(t *testing.T) {
				labels := make([]string, 256)
				for i := range labels {
					labels[i] = strconv.Itoa(i)
				}
				tb := make(table, n)
				for k := range tb {
					tb[k] = []any{int64(k), 1.0, int64(1), 1.0, true, true, f(k), f(k)}
				}
				checkParquetFile(t, writeTables(t, []table{tb}, labels, "none", false), []table{tb}, labels)
			})
		}
	}
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// FuzzParquetDictionary writes fuzzed dictionary indices and reads them back.
func FuzzParquetDictionary(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, nLabels uint8) {
		labels := make([]string, int(nLabels)+1)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
		tb := make(table, len(data))
		for k, x := range data {
			v := int32(x) % int32(len(labels))
			var why any = v
			if x%5 == 0 {
				why = nil
			}
			tb[k] = []any{int64(k), float64(x), int64(x), float64(x), x%2 == 0, x%3 == 0, v, why}
		}
		checkParquetFile(t, writeTables(t, []table{tb}, labels, "none", false), []table{tb}, labels)
	})
}

func TestParquetRefusesNullsInRequiredColumns(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	bld := array.NewFloat64Builder(memory.DefaultAllocator)
	bld.AppendNull()
	col := bld.NewArray()
	rec := array.NewRecord(schema, []arrow.Array{col}, 1)
	w, err := New("parquet", io.Discard, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err == nil {
		t.Errorf("a NULL in a column not declared nullable was written")
	}
}

// A dictionary index outside the labels is refused wherever it stands: first, inside a
// run of valid indices, or ending one (the encoder checks each run's index once).
func TestParquetRefusesIndicesOutsideTheDictionary(t *testing.T) {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "label", Type: dt}}, nil)
	for _, idx := range [][]int32{{2}, {-1, -1}, {0, 0, 2, 2, 0}, {1, 1, 1, -1}, {0, 1, 0, 1, 5}} {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		sb.AppendValues([]string{"a", "b"}, nil)
		ib := array.NewInt32Builder(memory.DefaultAllocator)
		ib.AppendValues(idx, nil)
		dict, ix := sb.NewArray(), ib.NewArray()
		rec := array.NewRecord(schema, []arrow.Array{array.NewDictionaryArray(dt, ix, dict)}, int64(len(idx)))
		w, err := New("parquet", io.Discard, schema, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err == nil || !strings.Contains(err.Error(), "outside its 2 labels") {
			t.Errorf("indices %v of 2 labels: error %v", idx, err)
		}
	}
}

// Pages of one value repeated are compressed once per value and length and their bytes
// reused (parquetEncoder.compress): every value and statistic must still read back, for
// a value repeated across records, a new value, the same value at another length, NaN,
// −0 and +0 (the same number, other bits), and columns with nulls, and two encoders
// taking turns (each with its own pages) must write Write's bytes.
func TestUniformPages(t *testing.T) {
	negZero := math.Copysign(0, -1)
	uniform := []struct {
		n    int
		id   int64
		x, y float64
	}{
		{300, 7, 2.5, 1}, {300, 7, 2.5, 1}, {300, -3, 4, 1}, {301, 7, 2.5, 1}, {300, 7, 2.5, 1},
		{64, 0, math.NaN(), math.NaN()}, {64, 0, negZero, negZero}, {64, 0, 0, 0}, {1, 9, 3, 3}, {5, 9, math.Inf(-1), 1},
	}
	for _, compression := range Compressions {
		t.Run(compression, func(t *testing.T) {
			var tables []table
			var labels []string
			for i, u := range uniform {
				var tb table
				tb, labels = genTable(rand.New(rand.NewPCG(uint64(i), 3)), u.n, 3)
				for _, row := range tb {
					row[0], row[1], row[2] = u.id, u.x, u.id
					if row[3] != nil {
						row[3] = u.y
					}
				}
				tables = append(tables, tb)
			}
			b := writeTables(t, tables, labels, compression, false)
			if p := writeTables(t, tables, labels, compression, true); !bytes.Equal(p, b) {
				t.Errorf("pieces from two encoders appended in order differ from Write")
			}
			checkParquetFile(t, b, tables, labels)
		})
	}
}

// TestParquetSlicedNullableLabels writes a record sliced from a wider one (its arrays start
// at an offset), so a nullable dictionary column's indices and validity bits are read from
// the slice's rows, not the parent's first ones (sinks.indices), and reads it back.
func TestParquetSlicedNullableLabels(t *testing.T) {
	tb, labels := genTable(rand.New(rand.NewPCG(7, 11)), 300, 5)
	rec := tableRecord(tb, labels)
	defer rec.Release()
	const lo, hi = 37, 251
	part := rec.NewSlice(lo, hi)
	defer part.Release()
	var buf bytes.Buffer
	w, err := New("parquet", &buf, wideSchema, Options{Compression: "none", Metadata: map[string]string{"k": "v"}, Version: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(part); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkParquetFile(t, buf.Bytes(), []table{tb[lo:hi]}, labels)
}
