package sweep

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Columns lists the result columns of a plan: point_id, the inputs, the outputs.
func (p *Plan) Columns() []ColumnInfo {
	cs := []ColumnInfo{{Name: "point_id", Type: "uint64", Doc: "index of the point in the grid; regenerates its inputs", Input: true}}
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
		cs = append(cs, ColumnInfo{Name: c.Name, Type: t, Unit: c.Unit, Doc: c.Doc, Labels: labels})
	}
	return cs
}

// Schema is the Arrow schema of the plan's records. Strings are dictionary-encoded.
func (p *Plan) Schema() *arrow.Schema {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var fields []arrow.Field
	for _, c := range p.Columns() {
		var t arrow.DataType
		switch c.Type {
		case "uint64":
			t = arrow.PrimitiveTypes.Uint64
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
		fields = append(fields, arrow.Field{Name: c.Name, Type: t, Metadata: md})
	}
	return arrow.NewSchema(fields, nil)
}

// recordBuilder turns a batch and its outputs into an Arrow record.
type recordBuilder struct {
	plan   *Plan
	schema *arrow.Schema
	dicts  []arrow.Array // per column: dictionary values for string columns
	mem    memory.Allocator
	idx    []int32
	i64    []int64
}

func newRecordBuilder(p *Plan) *recordBuilder {
	rb := &recordBuilder{plan: p, schema: p.Schema(), mem: memory.DefaultAllocator}
	for _, c := range p.Columns() {
		if c.Type != "string" {
			rb.dicts = append(rb.dicts, nil)
			continue
		}
		sb := array.NewStringBuilder(rb.mem)
		sb.AppendValues(c.Labels, nil)
		rb.dicts = append(rb.dicts, sb.NewArray())
		sb.Release()
	}
	return rb
}

func (rb *recordBuilder) build(b *Batch, o *Outputs) arrow.Record {
	n := b.N
	cols := make([]arrow.Array, 0, len(rb.schema.Fields()))
	ub := array.NewUint64Builder(rb.mem)
	ub.Reserve(n)
	if p := rb.plan; p.filter != nil {
		ub.AppendValues(b.IDs[:n], nil)
	} else {
		for k := 0; k < n; k++ {
			ub.UnsafeAppend(b.Lo + uint64(k))
		}
	}
	cols = append(cols, ub.NewArray())
	ub.Release()
	ci := 1
	for i, v := range rb.plan.Values {
		col := b.In[i][:n]
		switch v.Param.Kind {
		case KindInt:
			rb.i64 = grow(rb.i64, n)
			for k, x := range col {
				rb.i64[k] = int64(x)
			}
			bb := array.NewInt64Builder(rb.mem)
			bb.AppendValues(rb.i64, nil)
			cols = append(cols, bb.NewArray())
			bb.Release()
		case KindBool:
			bb := array.NewBooleanBuilder(rb.mem)
			bb.Reserve(n)
			for _, x := range col {
				bb.UnsafeAppend(x != 0)
			}
			cols = append(cols, bb.NewArray())
			bb.Release()
		case KindFloat:
			bb := array.NewFloat64Builder(rb.mem)
			bb.AppendValues(col, nil)
			cols = append(cols, bb.NewArray())
			bb.Release()
		default:
			rb.idx = grow(rb.idx, n)
			for k, x := range col {
				rb.idx[k] = int32(x)
			}
			cols = append(cols, rb.dict(ci, rb.idx))
		}
		ci++
	}
	for i, c := range rb.plan.Study.Columns {
		switch c.Type {
		case Float64:
			bb := array.NewFloat64Builder(rb.mem)
			bb.AppendValues(o.F64[i][:n], nil)
			cols = append(cols, bb.NewArray())
			bb.Release()
		case Bool:
			bb := array.NewBooleanBuilder(rb.mem)
			bb.AppendValues(o.Bool[i][:n], nil)
			cols = append(cols, bb.NewArray())
			bb.Release()
		case Enum:
			rb.idx = grow(rb.idx, n)
			for k, x := range o.Code[i][:n] {
				rb.idx[k] = int32(x)
			}
			cols = append(cols, rb.dict(ci, rb.idx))
		}
		ci++
	}
	rec := array.NewRecord(rb.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func (rb *recordBuilder) dict(ci int, idx []int32) arrow.Array {
	ib := array.NewInt32Builder(rb.mem)
	ib.AppendValues(idx, nil)
	ind := ib.NewArray()
	ib.Release()
	d := array.NewDictionaryArray(rb.schema.Field(ci).Type, ind, rb.dicts[ci])
	ind.Release()
	return d
}

// Row reads row r of a record as column name → Go value (float64, int64,
// uint64, bool or string), for rendering single points.
func Row(rec arrow.Record, r int) map[string]any {
	row := make(map[string]any, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		row[f.Name] = value(rec.Column(i), r)
	}
	return row
}

func value(a arrow.Array, r int) any {
	switch c := a.(type) {
	case *array.Float64:
		return c.Value(r)
	case *array.Int64:
		return c.Value(r)
	case *array.Uint64:
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
