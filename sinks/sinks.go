// Package sinks writes Arrow records to files and streams: Parquet (parquet-go,
// typed columns), Arrow IPC (file or stream), CSV and JSON lines. It knows no
// physics: any record goes. Files are written under a temporary name and renamed
// when complete, so a result path never holds a half-written file.
package sinks

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Formats lists the output formats, with their file extensions.
var Formats = []string{"parquet", "arrow", "csv", "jsonl"}

// Ext is the file extension of a format.
func Ext(format string) string { return "." + format }

// Options configure a writer.
type Options struct {
	Compression string            // Parquet codec: zstd (default), snappy, none
	Metadata    map[string]string // key-value metadata (Parquet footer, Arrow schema)
	Version     string            // tool version, recorded as the file's creator
	Stream      bool              // Arrow: IPC stream format instead of file format
}

// Writer receives records in order and finishes the file on Close.
type Writer interface {
	Write(arrow.Record) error
	// Append writes a piece made by an Encoder of the same format and schema.
	Append(Piece) error
	Close() error
}

// Piece is one record prepared by an Encoder for a Writer.
type Piece struct {
	rec  arrow.Record // arrow: the record itself (IPC serialisation is a copy)
	text []byte       // csv, jsonl: the formatted rows
	rg   *rowGroup    // parquet: the encoded column chunks of one row group
}

// Independent reports whether the piece stays valid until it is appended,
// whatever its encoder encodes meanwhile and whatever becomes of the record
// (parquet). Other pieces are valid until their encoder's next Encode, and an
// arrow piece shares the record's buffers.
func (p Piece) Independent() bool { return p.rg != nil }

// Encoder does the costly part of writing a record (compression, formatting),
// so that several goroutines, each with an Encoder of its own, can prepare the
// records that one Writer appends in order. A Piece is valid until its
// encoder's next Encode (a parquet one until appended: Independent); an arrow
// Piece shares the record's buffers.
type Encoder interface {
	Encode(arrow.Record) (Piece, error)
}

// New returns a writer of the given format.
func New(format string, w io.Writer, schema *arrow.Schema, opt Options) (Writer, error) {
	switch format {
	case "parquet":
		return newParquetWriter(w, schema, opt)
	case "arrow":
		md := arrow.MetadataFrom(opt.Metadata)
		s := arrow.NewSchema(schema.Fields(), &md)
		if opt.Stream {
			return &arrowWriter{w: ipc.NewWriter(w, ipc.WithSchema(s))}, nil
		}
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(s))
		if err != nil {
			return nil, err
		}
		return &arrowWriter{w: fw}, nil
	case "csv":
		return newCSVWriter(w, schema), nil
	case "jsonl":
		return &textWriter{w: bufio.NewWriterSize(w, 1<<20), enc: &jsonlEncoder{}}, nil
	}
	return nil, fmt.Errorf("format %q is not supported; valid: %s", format, strings.Join(Formats, ", "))
}

// NewEncoder returns an encoder for writers of the format, schema and options.
func NewEncoder(format string, schema *arrow.Schema, opt Options) (Encoder, error) {
	switch format {
	case "parquet":
		return newParquetEncoder(schema, opt)
	case "arrow":
		return arrowEncoder{}, nil
	case "csv":
		return &csvEncoder{}, nil
	case "jsonl":
		return &jsonlEncoder{}, nil
	}
	return nil, fmt.Errorf("format %q is not supported; valid: %s", format, strings.Join(Formats, ", "))
}

// CheckFormat validates a format name.
func CheckFormat(format string) error {
	if !slices.Contains(Formats, format) {
		return fmt.Errorf("format %q is not supported; valid: %s", format, strings.Join(Formats, ", "))
	}
	return nil
}

// ipcWriter is what the Arrow IPC file and stream writers have in common.
type ipcWriter interface {
	Write(arrow.Record) error
	Close() error
}

type arrowWriter struct{ w ipcWriter }

func (a *arrowWriter) Write(r arrow.Record) error { return a.w.Write(r) }
func (a *arrowWriter) Close() error               { return a.w.Close() }
func (a *arrowWriter) Append(p Piece) error {
	if p.rec == nil {
		return errors.New("arrow sink: a piece encoded for another format")
	}
	return a.w.Write(p.rec)
}

// arrowEncoder leaves the work to the writer: serialising a record is a copy.
type arrowEncoder struct{}

func (arrowEncoder) Encode(r arrow.Record) (Piece, error) { return Piece{rec: r}, nil }

// textWriter appends formatted rows; the CSV writer adds a header.
type textWriter struct {
	w      *bufio.Writer
	enc    Encoder
	header []byte // csv: written before the first rows, or alone when there are none
	wrote  bool
}

func newCSVWriter(w io.Writer, schema *arrow.Schema) *textWriter {
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(names)
	cw.Flush()
	return &textWriter{w: bufio.NewWriterSize(w, 1<<20), enc: &csvEncoder{}, header: buf.Bytes()}
}

func (t *textWriter) Write(rec arrow.Record) error {
	p, err := t.enc.Encode(rec)
	if err != nil {
		return err
	}
	return t.Append(p)
}

func (t *textWriter) Append(p Piece) error {
	if p.rg != nil || p.rec != nil {
		return errors.New("text sink: a piece encoded for another format")
	}
	if !t.wrote {
		t.wrote = true
		if _, err := t.w.Write(t.header); err != nil {
			return err
		}
	}
	_, err := t.w.Write(p.text)
	return err
}

func (t *textWriter) Close() error {
	if !t.wrote {
		if _, err := t.w.Write(t.header); err != nil {
			return err
		}
	}
	return t.w.Flush()
}

// csvEncoder formats one row per point; floats unrounded, nulls empty.
type csvEncoder struct {
	buf bytes.Buffer
	row []string
}

func (c *csvEncoder) Encode(rec arrow.Record) (Piece, error) {
	c.buf.Reset()
	w := csv.NewWriter(&c.buf)
	c.row = grow(c.row, int(rec.NumCols()))
	for r := 0; r < int(rec.NumRows()); r++ {
		for i := range c.row {
			c.row[i] = cellString(rec.Column(i), r)
		}
		if err := w.Write(c.row); err != nil {
			return Piece{}, err
		}
	}
	w.Flush()
	return Piece{text: c.buf.Bytes()}, w.Error()
}

// jsonlEncoder formats one JSON object per point, keys in column order.
type jsonlEncoder struct {
	buf []byte
}

func (j *jsonlEncoder) Encode(rec arrow.Record) (Piece, error) {
	names := make([][]byte, rec.NumCols())
	for i := range names {
		names[i], _ = json.Marshal(rec.ColumnName(i))
	}
	b := j.buf[:0]
	for r := 0; r < int(rec.NumRows()); r++ {
		b = append(b, '{')
		for i := 0; i < int(rec.NumCols()); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, names[i]...)
			b = append(b, ':')
			b = appendJSONCell(b, rec.Column(i), r)
		}
		b = append(b, '}', '\n')
	}
	j.buf = b
	return Piece{text: b}, nil
}

func cellString(a arrow.Array, r int) string {
	if a.IsNull(r) {
		return ""
	}
	switch c := a.(type) {
	case *array.Float64:
		return strconv.FormatFloat(c.Value(r), 'g', -1, 64)
	case *array.Int64:
		return strconv.FormatInt(c.Value(r), 10)
	case *array.Uint64:
		return strconv.FormatUint(c.Value(r), 10)
	case *array.Boolean:
		return strconv.FormatBool(c.Value(r))
	case *array.Dictionary:
		return c.Dictionary().(*array.String).Value(c.GetValueIndex(r))
	case *array.String:
		return c.Value(r)
	}
	return a.ValueStr(r)
}

func appendJSONCell(b []byte, a arrow.Array, r int) []byte {
	if a.IsNull(r) {
		return append(b, "null"...)
	}
	switch c := a.(type) {
	case *array.Float64:
		v := c.Value(r)
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return append(b, "null"...) // JSON has no Inf/NaN
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case *array.Int64:
		return strconv.AppendInt(b, c.Value(r), 10)
	case *array.Uint64:
		return strconv.AppendUint(b, c.Value(r), 10)
	case *array.Boolean:
		return strconv.AppendBool(b, c.Value(r))
	}
	return strconv.AppendQuote(b, cellString(a, r))
}

// File is an output file written under a temporary name in the same folder and
// renamed into place by Commit; Abort (or a Commit that fails) removes it.
type File struct {
	*os.File
	path string
	done bool
}

// Create opens a temporary file that becomes path on Commit. A path that is not a
// regular file (a folder, a device such as /dev/full or /dev/null, a pipe, or a
// link to one) is refused: the rename would put the output in its place, and
// 'validate --baseline-out /dev/full' run as root replaced the device with a file.
func Create(path string) (*File, error) {
	if err := replaceable(path); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Path is where the file appears on Commit.
func (f *File) Path() string { return f.path }

// Commit flushes, closes and renames the file into place.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = replaceable(f.path) // made since Create?
	}
	if err == nil {
		err = os.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.File.Name())
	}
	return err
}

// replaceable refuses a path that exists (through links) as anything but a regular
// file.
func replaceable(path string) error {
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch m := st.Mode(); {
	case m.IsDir():
		what = "a folder"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s is %s; an output is written to a new file renamed into its place, so give the name of a regular file", path, what)
}

// Abort closes and removes the temporary file; safe after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFileAtomic writes b to path via a temporary file and rename.
func WriteFileAtomic(path string, b []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
