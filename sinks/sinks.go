// Package sinks writes Arrow records to files and streams: Parquet (parquet-go,
// typed columns), Arrow IPC (file or stream), CSV and JSON lines. It knows no
// physics: any record goes. Files are written under a temporary name and renamed
// when complete, so a result path never holds a half-written file.
package sinks

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
	Close() error
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
			return &arrowStream{ipc.NewWriter(w, ipc.WithSchema(s))}, nil
		}
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(s))
		if err != nil {
			return nil, err
		}
		return fw, nil
	case "csv":
		return newCSVWriter(w, schema), nil
	case "jsonl":
		return &jsonlWriter{w: bufio.NewWriterSize(w, 1<<20)}, nil
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

type arrowStream struct{ w *ipc.Writer }

func (a *arrowStream) Write(r arrow.Record) error { return a.w.Write(r) }
func (a *arrowStream) Close() error               { return a.w.Close() }

// csvWriter writes a header row, then one row per point; floats unrounded.
type csvWriter struct {
	w      *csv.Writer
	header []string
	row    []string
	wrote  bool
}

func newCSVWriter(w io.Writer, schema *arrow.Schema) *csvWriter {
	c := &csvWriter{w: csv.NewWriter(bufio.NewWriterSize(w, 1<<20))}
	for _, f := range schema.Fields() {
		c.header = append(c.header, f.Name)
	}
	return c
}

func (c *csvWriter) Write(rec arrow.Record) error {
	if !c.wrote {
		if err := c.w.Write(c.header); err != nil {
			return err
		}
		c.wrote = true
	}
	c.row = grow(c.row, int(rec.NumCols()))
	for r := 0; r < int(rec.NumRows()); r++ {
		for i := range c.row {
			c.row[i] = cellString(rec.Column(i), r)
		}
		if err := c.w.Write(c.row); err != nil {
			return err
		}
	}
	return c.w.Error()
}

func (c *csvWriter) Close() error {
	if !c.wrote {
		c.w.Write(c.header)
	}
	c.w.Flush()
	return c.w.Error()
}

// jsonlWriter writes one JSON object per point, keys in column order.
type jsonlWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (j *jsonlWriter) Write(rec arrow.Record) error {
	names := make([][]byte, rec.NumCols())
	for i := range names {
		names[i], _ = json.Marshal(rec.ColumnName(i))
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		b := append(j.buf[:0], '{')
		for i := 0; i < int(rec.NumCols()); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, names[i]...)
			b = append(b, ':')
			b = appendJSONCell(b, rec.Column(i), r)
		}
		b = append(b, '}', '\n')
		j.buf = b
		if _, err := j.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonlWriter) Close() error { return j.w.Flush() }

func cellString(a arrow.Array, r int) string {
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

// Create opens a temporary file that becomes path on Commit.
func Create(path string) (*File, error) {
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
		err = os.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.File.Name())
	}
	return err
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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
