package sinks

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// footerFile is a small file of ours: three row groups, the wide schema.
func footerFile(t testing.TB) []byte {
	var tables []table
	var labels []string
	for _, n := range []int{700, 1, 2048} {
		var tb table
		tb, labels = genTable(rand.New(rand.NewPCG(uint64(n), 9)), n, 7)
		tables = append(tables, tb)
	}
	return writeTables(t, tables, labels, "zstd", false)
}

// TestReadParquetFooter: our footer reader sees what parquet-go, an
// independent reader, sees in the same file: rows, row groups, the extent of
// every column chunk and the key-value metadata.
func TestReadParquetFooter(t *testing.T) {
	b := footerFile(t)
	got, err := ReadParquetFooter(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	md := pf.Metadata()
	if got.NumRows != md.NumRows || len(got.RowGroups) != len(md.RowGroups) {
		t.Fatalf("%d rows in %d row groups, parquet-go reads %d in %d", got.NumRows, len(got.RowGroups), md.NumRows, len(md.RowGroups))
	}
	for g, rg := range md.RowGroups {
		if got.RowGroups[g].NumRows != rg.NumRows || len(got.RowGroups[g].Chunks) != len(rg.Columns) {
			t.Fatalf("row group %d: %d rows, %d chunks; parquet-go %d, %d", g, got.RowGroups[g].NumRows, len(got.RowGroups[g].Chunks), rg.NumRows, len(rg.Columns))
		}
		for c, cc := range rg.Columns {
			start := cc.MetaData.DataPageOffset
			if d := cc.MetaData.DictionaryPageOffset; d > 0 && d < start {
				start = d
			}
			want := FooterChunk{Start: start, Length: cc.MetaData.TotalCompressedSize}
			if got.RowGroups[g].Chunks[c] != want {
				t.Errorf("row group %d chunk %d: %+v, parquet-go %+v", g, c, got.RowGroups[g].Chunks[c], want)
			}
		}
	}
	kv := map[string]string{}
	for _, e := range md.KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	if !maps.Equal(got.KeyValue, kv) || got.KeyValue["k"] != "v" || got.KeyValue["ARROW:schema"] == "" {
		t.Errorf("key-value metadata %v, parquet-go %v", got.KeyValue, kv)
	}
}

// TestReadParquetFooterSkips: fields the reader does not use — of every
// compact type, nested, in lists, sets and maps, booleans as elements —
// are skipped, and the fields around them still read.
func TestReadParquetFooterSkips(t *testing.T) {
	var tw thriftWriter
	tw.begin()
	raw := func(b ...byte) { tw.b = append(tw.b, b...) }
	tw.i32(1, 2)
	tw.field(2, ctDouble)
	raw(1, 2, 3, 4, 5, 6, 7, 8)
	tw.i64(3, 42)
	tw.field(4, ctList) // two row groups
	raw(2<<4 | ctStruct)
	for _, rows := range []int64{40, 2} {
		tw.begin()
		tw.list(1, ctStruct, 1)
		tw.begin()
		tw.structField(3) // ColumnMetaData
		tw.field(2, ctSet)
		raw(3<<4|ctTrue, 1, 2, 1) // a set of three booleans: one byte each
		tw.i64(7, 100)
		tw.field(8, ctMap)
		raw(1, ctBinary<<4|ctFalse, 1, 'x', 2) // {"x": false}
		tw.i64(9, 10)
		tw.field(10, ctByte)
		raw(0xff)
		tw.i64(11, 4)
		tw.end()
		tw.end()
		tw.field(2, ctI16)
		raw(0x02)
		tw.i64(3, rows)
		tw.end()
	}
	tw.bool(5, true) // field 5 with another type than key_value_metadata's list: skipped
	tw.list(6, ctStruct, 1)
	tw.begin()
	tw.string(1, "key")
	tw.string(2, "value")
	tw.end()
	tw.field(200, ctStruct) // a far field id: the long header form
	tw.begin()
	tw.string(1, "nested")
	tw.end()
	tw.list(5, ctStruct, 1)
	tw.begin()
	tw.string(1, "a")
	tw.string(2, "b")
	tw.end()
	tw.end()
	f, err := ReadParquetFooter(bytes.NewReader(fileAround(tw.b)), int64(len(fileAround(tw.b))))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows != 42 || len(f.RowGroups) != 2 || f.RowGroups[0].NumRows != 40 || f.RowGroups[1].NumRows != 2 {
		t.Fatalf("rows %d, row groups %+v", f.NumRows, f.RowGroups)
	}
	if c := f.RowGroups[1].Chunks; len(c) != 1 || c[0] != (FooterChunk{Start: 4, Length: 100}) {
		t.Errorf("chunks %+v, want one of 100 bytes from the dictionary page at 4", c)
	}
	if len(f.KeyValue) != 1 || f.KeyValue["a"] != "b" {
		t.Errorf("key-value metadata %v, want only a=b", f.KeyValue)
	}
}

// fileAround wraps a footer into the smallest file shape: magic, footer,
// its length, magic.
func fileAround(footer []byte) []byte {
	b := append([]byte("PAR1"), footer...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(footer)))
	return append(b, "PAR1"...)
}

// TestReadParquetFooterDamage: a file cut anywhere, or with its footer
// length or bytes damaged, is an error (or, for a flipped byte, a footer);
// never a panic or a read outside the file.
func TestReadParquetFooterDamage(t *testing.T) {
	b := footerFile(t)
	for n := 0; n < len(b); n += 1 + n/50 {
		if _, err := ReadParquetFooter(bytes.NewReader(b[:n]), int64(n)); err == nil {
			t.Fatalf("the first %d of %d bytes read as a whole file", n, len(b))
		}
	}
	long := bytes.Clone(b)
	binary.LittleEndian.PutUint32(long[len(long)-8:], uint32(len(b)))
	if _, err := ReadParquetFooter(bytes.NewReader(long), int64(len(long))); err == nil {
		t.Errorf("a footer length past the file's start was accepted")
	}
	footerLen := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		d := bytes.Clone(b)
		d[len(d)-8-footerLen+rng.IntN(footerLen)] ^= byte(1 + rng.IntN(255))
		ReadParquetFooter(bytes.NewReader(d), int64(len(d)))
	}
}

// FuzzParquetFooter: any footer bytes give a footer or an error, within
// bounded work.
func FuzzParquetFooter(f *testing.F) {
	b := footerFile(f)
	f.Add(b[len(b)-8-int(binary.LittleEndian.Uint32(b[len(b)-8:])) : len(b)-8])
	f.Add([]byte{0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, footer []byte) {
		file := fileAround(footer)
		ReadParquetFooter(bytes.NewReader(file), int64(len(file)))
	})
}
