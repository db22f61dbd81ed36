package sinks

import "encoding/binary"

// thriftWriter appends Thrift compact-protocol structs, the encoding of Parquet's
// page headers and footer (parquet-format's parquet.thrift; Thrift's compact
// protocol specification). Its reader, for the footer alone, is in footer.go.
type thriftWriter struct {
	b    []byte
	last []int16 // last field id per open struct
}

// Compact-protocol type codes.
const (
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

func (t *thriftWriter) field(id int16, typ byte) {
	last := &t.last[len(t.last)-1]
	if d := id - *last; d > 0 && d <= 15 {
		t.b = append(t.b, byte(d)<<4|typ)
	} else {
		t.b = append(t.b, typ)
		t.b = binary.AppendVarint(t.b, int64(id))
	}
	*last = id
}

// begin opens a struct (the top-level one, or a list element).
func (t *thriftWriter) begin() { t.last = append(t.last, 0) }

// end closes the innermost struct.
func (t *thriftWriter) end() {
	t.b = append(t.b, 0)
	t.last = t.last[:len(t.last)-1]
}

func (t *thriftWriter) structField(id int16) {
	t.field(id, ctStruct)
	t.begin()
}

func (t *thriftWriter) i32(id int16, v int32) {
	t.field(id, ctI32)
	t.b = binary.AppendVarint(t.b, int64(v))
}

func (t *thriftWriter) i64(id int16, v int64) {
	t.field(id, ctI64)
	t.b = binary.AppendVarint(t.b, v)
}

func (t *thriftWriter) bool(id int16, v bool) {
	if v {
		t.field(id, ctTrue)
	} else {
		t.field(id, ctFalse)
	}
}

func (t *thriftWriter) binary(id int16, v []byte) {
	t.field(id, ctBinary)
	t.bytes(v)
}

func (t *thriftWriter) string(id int16, v string) {
	t.field(id, ctBinary)
	t.b = binary.AppendUvarint(t.b, uint64(len(v)))
	t.b = append(t.b, v...)
}

func (t *thriftWriter) bytes(v []byte) {
	t.b = binary.AppendUvarint(t.b, uint64(len(v)))
	t.b = append(t.b, v...)
}

// list opens a list field of n elements of type elem; the caller then writes
// the elements (begin/end around each struct element).
func (t *thriftWriter) list(id int16, elem byte, n int) {
	t.field(id, ctList)
	if n < 15 {
		t.b = append(t.b, byte(n)<<4|elem)
	} else {
		t.b = append(t.b, 0xf0|elem)
		t.b = binary.AppendUvarint(t.b, uint64(n))
	}
}

// Element writers for lists.
func (t *thriftWriter) elemI32(v int32) { t.b = binary.AppendVarint(t.b, int64(v)) }
func (t *thriftWriter) elemI64(v int64) { t.b = binary.AppendVarint(t.b, v) }
func (t *thriftWriter) elemBool(v bool) {
	if v {
		t.b = append(t.b, ctTrue)
	} else {
		t.b = append(t.b, ctFalse)
	}
}
