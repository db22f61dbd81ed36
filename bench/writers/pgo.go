// Package writers measures three ways of writing the same Arrow records as zstd
// Parquet: mlsysim's own encoder (sinks), arrow-go's pqarrow, and parquet-go's
// typed column buffers (this file: the sink mlsysim used before issue #13, kept
// here only to be measured). A module of its own, so that pqarrow and its
// dependencies never enter mlsysim's build.
package writers

import (
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
)

// zstdCodec is shared by every writer, as the sink shared it: it pools its
// encoders.
var zstdCodec = &zstd.Codec{Level: zstd.SpeedFastest}

// parquetWriter writes each Arrow record as one Parquet row group, column by
// column through typed buffers (a row-at-a-time writer is ~5× slower).
type parquetWriter struct {
	w      *parquet.Writer
	buf    *parquet.Buffer
	bools  []bool
	values []parquet.Value
	labels map[int][]parquet.Value // per dictionary column: one Value per label
	dicts  map[int]arrow.Array     // dictionary the labels were built from
}

func newParquetWriter(out io.Writer, schema *arrow.Schema, meta map[string]string) (*parquetWriter, error) {
	c := zstdCodec
	group := orderedGroup{}
	for _, f := range schema.Fields() {
		var n parquet.Node
		switch f.Type.ID() {
		case arrow.FLOAT64:
			n = parquet.Leaf(parquet.DoubleType)
		case arrow.INT64:
			n = parquet.Int(64)
		case arrow.BOOL:
			n = parquet.Leaf(parquet.BooleanType)
		case arrow.DICTIONARY, arrow.STRING:
			n = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		default:
			return nil, fmt.Errorf("parquet sink: column %s: type %s is not supported", f.Name, f.Type)
		}
		group = append(group, field{Node: parquet.Compressed(n, c), name: f.Name})
	}
	ps := parquet.NewSchema("mlsysim", group)
	opts := []parquet.WriterOption{ps, parquet.CreatedBy("mlsysim", "bench", "")}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	return &parquetWriter{
		w:      parquet.NewWriter(out, opts...),
		buf:    parquet.NewBuffer(ps),
		labels: map[int][]parquet.Value{},
		dicts:  map[int]arrow.Array{},
	}, nil
}

func (p *parquetWriter) Write(rec arrow.Record) error {
	p.buf.Reset()
	n := int(rec.NumRows())
	for i, cb := range p.buf.ColumnBuffers() {
		col := rec.Column(i)
		var err error
		switch a := col.(type) {
		case *array.Float64:
			_, err = cb.(parquet.DoubleWriter).WriteDoubles(a.Float64Values())
		case *array.Int64:
			_, err = cb.(parquet.Int64Writer).WriteInt64s(a.Int64Values())
		case *array.Boolean:
			p.bools = grow(p.bools, n)
			for k := range p.bools {
				p.bools[k] = a.Value(k)
			}
			_, err = cb.(parquet.BooleanWriter).WriteBooleans(p.bools)
		case *array.Dictionary:
			// This sink predates nullable columns: a NULL is written as the
			// label its index points at, with no definition levels.
			labels := p.labelValues(i, a.Dictionary())
			p.values = grow(p.values, n)
			for k := range p.values {
				p.values[k] = labels[a.GetValueIndex(k)]
			}
			_, err = cb.WriteValues(p.values)
		default:
			err = fmt.Errorf("arrow type %s is not supported", col.DataType())
		}
		if err != nil {
			return fmt.Errorf("parquet sink: column %s: %w", rec.ColumnName(i), err)
		}
	}
	_, err := p.w.WriteRowGroup(p.buf)
	return err
}

// labelValues caches one parquet.Value per dictionary entry; records of one run
// share their dictionaries, so this runs once per column.
func (p *parquetWriter) labelValues(col int, dict arrow.Array) []parquet.Value {
	if d, ok := p.dicts[col]; ok && d == dict {
		return p.labels[col]
	}
	s := dict.(*array.String)
	vals := make([]parquet.Value, s.Len())
	for j := range vals {
		vals[j] = parquet.ByteArrayValue([]byte(s.Value(j)))
	}
	p.labels[col], p.dicts[col] = vals, dict
	return vals
}

func (p *parquetWriter) Close() error { return p.w.Close() }

// orderedGroup is a Parquet group that keeps its columns in the order given
// (parquet.Group sorts them by name), so files list point_id, inputs, outputs.
type orderedGroup []field

type field struct {
	parquet.Node
	name string
}

func (f field) Name() string                           { return f.name }
func (f field) Value(base reflect.Value) reflect.Value { return base.FieldByName(exported(f.name)) }

func exported(name string) string { return "C_" + name }

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return fmt.Sprintf("group(%d columns)", len(g)) }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) Fields() []parquet.Field {
	fs := make([]parquet.Field, len(g))
	for i := range g {
		fs[i] = g[i]
	}
	return fs
}
func (g orderedGroup) GoType() reflect.Type {
	sf := make([]reflect.StructField, len(g))
	for i, f := range g {
		sf[i] = reflect.StructField{Name: exported(f.name), Type: f.GoType(), Tag: reflect.StructTag(`parquet:` + strconv.Quote(f.name))}
	}
	return reflect.StructOf(sf)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
