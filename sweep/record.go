package sweep

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// PointIDColumn is the first column of every result. It is a signed 64-bit
// integer because Spark, Trino and BigQuery handle unsigned ones poorly; a plan
// never holds more than MaxPoints points.
var PointIDColumn = ColumnInfo{Name: "point_id", Type: "int64", Doc: "index of the point in the grid; regenerates its inputs", Input: true}

// Columns lists the result columns of a plan: point_id, the inputs, the outputs.
func (p *Plan) Columns() []ColumnInfo {
	cs := []ColumnInfo{PointIDColumn}
	for _, v := range p.Values {
		t := "float64"
		switch v.Param.Kind {
		case KindInt:
			t = "int64"
		case KindBool:
			t = "bool"
		case KindFloat:
		default:
			t = "string"
		}
		cs = append(cs, ColumnInfo{Name: v.Param.Name, Type: t, Unit: v.Param.Unit, Doc: v.Param.Doc, Input: true, Labels: v.Labels})
	}
	for _, c := range p.Study.Columns {
		t := map[ColType]string{Float64: "float64", Bool: "bool", Enum: "string"}[c.Type]
		labels := c.Labels
		if c.LabelsFrom != nil {
			labels = c.LabelsFrom(p)
		}
		cs = append(cs, ColumnInfo{Name: c.Name, Type: t, Nullable: c.Nullable, Unit: c.Unit, Doc: c.Doc, Labels: labels})
	}
	return cs
}

// Schema is the Arrow schema of the plan's records. Strings are
// dictionary-encoded; each field's metadata holds its unit and description.
func (p *Plan) Schema() *arrow.Schema {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var fields []arrow.Field
	for _, c := range p.Columns() {
		var t arrow.DataType
		switch c.Type {
		case "int64":
			t = arrow.PrimitiveTypes.Int64
		case "bool":
			t = arrow.FixedWidthTypes.Boolean
		case "string":
			t = dict
		default:
			t = arrow.PrimitiveTypes.Float64
		}
		md := arrow.NewMetadata([]string{"unit", "description"}, []string{c.Unit, c.Doc})
		fields = append(fields, arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable, Metadata: md})
	}
	return arrow.NewSchema(fields, nil)
}

// recordBuilder turns a batch and its outputs into an Arrow record. Float
// columns are the batch's own slices and the other columns live in storage the
// builder reuses, so a record is valid only until the next build: consume it
// (write it, copy what you keep) first.
type recordBuilder struct {
	plan   *Plan
	schema *arrow.Schema
	dicts  []arrow.Array // per column: dictionary values for string columns
	ids    []int64
	i64    [][]int64  // per column: storage of integer columns
	idx    [][]int32  // per column: dictionary indices
	bits   [][]byte   // per column: boolean values, or the validity of a nullable column
	from   []*float64 // per input column: the first value of the column last converted
	fromN  []int      // and its length
}

func newRecordBuilder(p *Plan) *recordBuilder {
	cols := p.Columns()
	rb := &recordBuilder{plan: p, schema: p.Schema(), dicts: make([]arrow.Array, len(cols)),
		i64: make([][]int64, len(cols)), idx: make([][]int32, len(cols)), bits: make([][]byte, len(cols)),
		from: make([]*float64, len(cols)), fromN: make([]int, len(cols))}
	for i, c := range cols {
		if c.Type != "string" {
			continue
		}
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		sb.AppendValues(c.Labels, nil)
		rb.dicts[i] = sb.NewArray()
		sb.Release()
	}
	return rb
}

func (rb *recordBuilder) build(b *Batch, o *Outputs) arrow.Record {
	n := b.N
	cols := make([]arrow.Array, 0, len(rb.schema.Fields()))
	rb.ids = grow(rb.ids, n)
	if rb.plan.filter != nil {
		for k, id := range b.IDs[:n] {
			rb.ids[k] = int64(id)
		}
	} else {
		for k := range rb.ids {
			rb.ids[k] = int64(b.Lo) + int64(k)
		}
	}
	cols = append(cols, fixedArray(arrow.PrimitiveTypes.Int64, n, arrow.Int64Traits.CastToBytes(rb.ids)))
	ci := 1
	for i, v := range rb.plan.Values {
		col := b.In[i][:n]
		// A shared column never changes (Plan.fill), so one this builder has
		// converted before needs no converting again.
		same := n > 0 && i < len(b.shared) && b.shared[i] && rb.from[ci] == &col[0] && rb.fromN[ci] == n
		if n > 0 {
			rb.from[ci], rb.fromN[ci] = &col[0], n
		}
		switch v.Param.Kind {
		case KindInt:
			if !same {
				rb.i64[ci] = grow(rb.i64[ci], n)
				for k, x := range col {
					rb.i64[ci][k] = int64(x)
				}
			}
			cols = append(cols, fixedArray(arrow.PrimitiveTypes.Int64, n, arrow.Int64Traits.CastToBytes(rb.i64[ci])))
		case KindBool:
			cols = append(cols, boolArray(setBits(rb.bitmap(ci, n), col)))
		case KindFloat:
			cols = append(cols, fixedArray(arrow.PrimitiveTypes.Float64, n, arrow.Float64Traits.CastToBytes(col)))
		default:
			if !same {
				rb.idx[ci] = grow(rb.idx[ci], n)
				for k, x := range col {
					rb.idx[ci][k] = int32(x)
				}
			}
			cols = append(cols, rb.dict(ci, n, false))
		}
		ci++
	}
	for i, c := range rb.plan.Study.Columns {
		switch c.Type {
		case Float64:
			cols = append(cols, fixedArray(arrow.PrimitiveTypes.Float64, n, arrow.Float64Traits.CastToBytes(o.F64[i][:n])))
		case Bool:
			cols = append(cols, boolArray(setBits(rb.bitmap(ci, n), o.Bool[i][:n])))
		case Enum:
			rb.idx[ci] = grow(rb.idx[ci], n)
			for k, x := range o.Code[i][:n] {
				rb.idx[ci][k] = int32(x)
			}
			cols = append(cols, rb.dict(ci, n, c.Nullable))
		}
		ci++
	}
	rec := array.NewRecord(rb.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// fixedArray wraps little-endian values as an Arrow array without copying.
func fixedArray(t arrow.DataType, n int, values []byte) arrow.Array {
	d := array.NewData(t, n, []*memory.Buffer{nil, memory.NewBufferBytes(values)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// boolArray wraps a bitmap of n values as an Arrow boolean array without copying.
func boolArray(bm []byte, n int) arrow.Array {
	d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, memory.NewBufferBytes(bm)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// bitmap is column ci's cleared bitmap storage for n values.
func (rb *recordBuilder) bitmap(ci, n int) []byte {
	bm := grow(rb.bits[ci], (n+7)/8)
	clear(bm)
	rb.bits[ci] = bm
	return bm
}

// setBits sets bit k of bm, least significant bit first, where vals[k] is not zero
// (true, a non-zero number or index), and returns bm and the number of values. A
// comparison per value, where a callback per value cost ~35 instructions a cell.
func setBits[T comparable](bm []byte, vals []T) ([]byte, int) {
	var zero T
	for k, v := range vals {
		if v != zero {
			bm[k>>3] |= 1 << (k & 7)
		}
	}
	return bm, len(vals)
}

// dict builds column ci from its indices; when nullable, index 0 (the empty
// label) is written as NULL.
func (rb *recordBuilder) dict(ci, n int, nullable bool) arrow.Array {
	idx := rb.idx[ci]
	var valid *memory.Buffer
	nulls := 0
	if nullable {
		bm, _ := setBits(rb.bitmap(ci, n), idx[:n])
		valid = memory.NewBufferBytes(bm)
		for _, x := range idx[:n] {
			if x == 0 {
				nulls++
			}
		}
	}
	d := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx[:n]))}, nil, nulls, 0)
	defer d.Release()
	ind := array.MakeFromData(d)
	defer ind.Release()
	return array.NewDictionaryArray(rb.schema.Field(ci).Type, ind, rb.dicts[ci])
}

// Row reads row r of a record as column name → Go value (float64, int64, bool,
// string, or nil for NULL), for rendering single points.
func Row(rec arrow.Record, r int) map[string]any {
	row := make(map[string]any, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		row[f.Name] = value(rec.Column(i), r)
	}
	return row
}

func value(a arrow.Array, r int) any {
	if a.IsNull(r) {
		return nil
	}
	switch c := a.(type) {
	case *array.Float64:
		return c.Value(r)
	case *array.Int64:
		return c.Value(r)
	case *array.Boolean:
		return c.Value(r)
	case *array.String:
		return c.Value(r)
	case *array.Dictionary:
		return value(c.Dictionary(), c.GetValueIndex(r))
	}
	return strings.TrimSpace(a.ValueStr(r))
}
