package sinks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// ParquetFooter is what a Parquet file's footer (parquet-format's FileMetaData)
// says of its rows, where its column chunks lie and its key-value metadata:
// the part of it that checking a file needs. ReadParquetFooter reads it without
// a Parquet library, so that the binary links none (parquet-go's package
// initialisers were a quarter of a command's start-up; BENCHMARKS.md).
type ParquetFooter struct {
	NumRows   int64
	RowGroups []FooterRowGroup
	KeyValue  map[string]string
}

// FooterRowGroup is one row group: its row count and each column chunk's
// extent in the file (from its dictionary page, if any, to its last page).
type FooterRowGroup struct {
	NumRows int64
	Chunks  []FooterChunk
}

// FooterChunk is the byte range [Start, Start+Length) of one column chunk.
type FooterChunk struct{ Start, Length int64 }

// ReadParquetFooter reads the footer of the Parquet file r of size bytes: the
// magic at both ends, the footer length, and the FileMetaData fields in
// ParquetFooter. Fields it does not need are skipped, whatever they hold.
func ReadParquetFooter(r io.ReaderAt, size int64) (*ParquetFooter, error) {
	if size < 12 {
		return nil, fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	if !bytes.Equal(head[:4], parquetMagic) || !bytes.Equal(tail[4:], parquetMagic) {
		return nil, errors.New("no PAR1 magic at both ends")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, fmt.Errorf("a footer of %d bytes does not fit in %d", n, size)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, size-8-n); err != nil {
		return nil, err
	}
	t := thriftReader{b: b}
	f := &ParquetFooter{KeyValue: map[string]string{}}
	err := t.structure(func(id int16, typ byte) error {
		switch {
		case id == 3 && typ == ctI64:
			f.NumRows = t.varint()
		case id == 4 && typ == ctList:
			return t.list(ctStruct, func() error {
				var g FooterRowGroup
				err := t.structure(func(id int16, typ byte) error {
					switch {
					case id == 1 && typ == ctList:
						return t.list(ctStruct, func() error {
							c, err := t.columnChunk()
							g.Chunks = append(g.Chunks, c)
							return err
						})
					case id == 3 && typ == ctI64:
						g.NumRows = t.varint()
					default:
						return t.skip(typ, 0)
					}
					return nil
				})
				f.RowGroups = append(f.RowGroups, g)
				return err
			})
		case id == 5 && typ == ctList:
			return t.list(ctStruct, func() error {
				var k, v string
				err := t.structure(func(id int16, typ byte) error {
					switch {
					case id == 1 && typ == ctBinary:
						k = string(t.binary())
					case id == 2 && typ == ctBinary:
						v = string(t.binary())
					default:
						return t.skip(typ, 0)
					}
					return nil
				})
				f.KeyValue[k] = v
				return err
			})
		default:
			return t.skip(typ, 0)
		}
		return nil
	})
	if err == nil {
		err = t.err
	}
	if err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	return f, nil
}

// columnChunk reads a ColumnChunk's extent from its ColumnMetaData (field 3).
func (t *thriftReader) columnChunk() (FooterChunk, error) {
	var size, data, dict int64
	err := t.structure(func(id int16, typ byte) error {
		if id != 3 || typ != ctStruct {
			return t.skip(typ, 0)
		}
		return t.structure(func(id int16, typ byte) error {
			switch {
			case id == 7 && typ == ctI64:
				size = t.varint()
			case id == 9 && typ == ctI64:
				data = t.varint()
			case id == 11 && typ == ctI64:
				dict = t.varint()
			default:
				return t.skip(typ, 0)
			}
			return nil
		})
	})
	start := data
	if dict > 0 && dict < start {
		start = dict
	}
	return FooterChunk{Start: start, Length: size}, err
}

// thriftReader reads the Thrift compact protocol from a byte slice. A read past
// the end sets err and returns zeros, so callers check err once.
type thriftReader struct {
	b   []byte
	err error
}

var errShort = errors.New("ends inside a value")

func (t *thriftReader) byte() byte {
	if len(t.b) == 0 {
		t.fail(errShort)
		return 0
	}
	c := t.b[0]
	t.b = t.b[1:]
	return c
}

func (t *thriftReader) fail(err error) {
	if t.err == nil {
		t.err = err
	}
	t.b = nil
}

func (t *thriftReader) uvarint() uint64 {
	v, n := binary.Uvarint(t.b)
	if n <= 0 {
		t.fail(errors.New("a malformed varint"))
		return 0
	}
	t.b = t.b[n:]
	return v
}

// varint reads a zigzag-encoded integer (i16, i32 and i64 alike).
func (t *thriftReader) varint() int64 {
	u := t.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (t *thriftReader) binary() []byte {
	n := t.uvarint()
	if n > uint64(len(t.b)) {
		t.fail(errShort)
		return nil
	}
	v := t.b[:n]
	t.b = t.b[n:]
	return v
}

// structure reads a struct's fields up to its stop byte, calling f with each
// field's id and type; f reads or skips the value.
func (t *thriftReader) structure(f func(id int16, typ byte) error) error {
	var last int64
	for t.err == nil {
		h := t.byte()
		if h == 0 {
			return t.err
		}
		id := last + int64(h>>4)
		if h>>4 == 0 {
			id = t.varint()
		}
		if id < math.MinInt16 || id > math.MaxInt16 {
			t.fail(fmt.Errorf("field id %d", id))
			break
		}
		last = id
		if err := f(int16(id), h&0x0f); err != nil {
			return err
		}
	}
	return t.err
}

// list reads a list header, which must hold elements of type elem, and calls
// f once per element.
func (t *thriftReader) list(elem byte, f func() error) error {
	n, typ := t.listHeader()
	if t.err == nil && typ != elem {
		return fmt.Errorf("a list of type %d where %d was expected", typ, elem)
	}
	for range n {
		if t.err != nil {
			break
		}
		if err := f(); err != nil {
			return err
		}
	}
	return t.err
}

func (t *thriftReader) listHeader() (uint64, byte) {
	h := t.byte()
	n := uint64(h >> 4)
	if n == 15 {
		n = t.uvarint()
	}
	// Every element takes at least one byte, so a longer list is damage.
	if n > uint64(len(t.b)) {
		t.fail(errShort)
		return 0, 0
	}
	return n, h & 0x0f
}

// maxDepth bounds the nesting skip follows, so damaged input cannot recurse
// without end.
const maxDepth = 64

// skip reads past a value of compact type typ.
func (t *thriftReader) skip(typ byte, depth int) error {
	if depth > maxDepth {
		t.fail(errors.New("nested too deeply"))
		return t.err
	}
	switch typ {
	case ctTrue, ctFalse: // a boolean field's value is its type
	case ctByte:
		t.byte()
	case ctI16, ctI32, ctI64:
		t.varint()
	case ctDouble:
		if len(t.b) < 8 {
			t.fail(errShort)
		} else {
			t.b = t.b[8:]
		}
	case ctBinary:
		t.binary()
	case ctList, ctSet:
		n, elem := t.listHeader()
		for range n {
			if t.err != nil {
				break
			}
			t.skipElem(elem, depth+1)
		}
	case ctMap:
		n := t.uvarint()
		if n == 0 {
			break
		}
		if n > uint64(len(t.b)) {
			t.fail(errShort)
			break
		}
		kv := t.byte()
		for range n {
			if t.err != nil {
				break
			}
			t.skipElem(kv>>4, depth+1)
			t.skipElem(kv&0x0f, depth+1)
		}
	case ctStruct:
		return t.structure(func(_ int16, typ byte) error { return t.skip(typ, depth+1) })
	default:
		t.fail(fmt.Errorf("unknown type code %d", typ))
	}
	return t.err
}

// skipElem reads past a list, set or map element: as skip, except that a
// boolean element is a byte of its own.
func (t *thriftReader) skipElem(typ byte, depth int) {
	if typ == ctTrue || typ == ctFalse {
		t.byte()
		return
	}
	t.skip(typ, depth)
}
