package results

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/mlsysim/mlsysim/sinks"
)

// Expect is what a part file must hold to belong to its run.
type Expect struct {
	Format   string // parquet, arrow, csv, jsonl
	Part     uint64 // index: the file's mlsysim.part
	Rows     uint64
	SpecHash string // the file's mlsysim.spec_hash (Parquet and Arrow carry it)
	// AtMost makes Rows a bound: a running sweep's manifest does not list its
	// parts' rows, and where filters drop points, so a part holds at most its points.
	AtMost bool
}

// VerifyPart checks that the part file at path is whole and is the part
// expected: Parquet by its magic bytes, footer, the extent of its column chunks,
// row count and key-value metadata; Arrow by its footer, records and schema
// metadata; CSV and JSON lines (which carry no metadata) by complete, parseable
// rows and their count. Page contents are not decompressed, so a bit flipped
// inside a Parquet page is found by the reader, not here. The error says what
// is wrong, for a person.
func VerifyPart(path string, want Expect) error {
	_, err := verifyPart(path, want)
	return err
}

// verifyPart is VerifyPart, also returning the Parquet file's row groups (0
// for the other formats).
func verifyPart(path string, want Expect) (rowGroups int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return 0, errors.New("not a regular file")
	}
	var rows uint64
	var meta map[string]string
	switch want.Format {
	case "parquet":
		rows, rowGroups, meta, err = inspectParquet(f, st.Size())
	case "arrow":
		rows, meta, err = inspectArrow(f)
	case "csv":
		rows, err = countCSV(f)
	case "jsonl":
		rows, err = countJSONL(f)
	default:
		return 0, fmt.Errorf("unknown format %q", want.Format)
	}
	if err != nil {
		return 0, err
	}
	switch {
	case want.AtMost && rows > want.Rows:
		return 0, fmt.Errorf("holds %d rows, more than its %d points", rows, want.Rows)
	case !want.AtMost && rows != want.Rows:
		return 0, fmt.Errorf("holds %d rows, want %d", rows, want.Rows)
	}
	if meta == nil {
		return rowGroups, nil
	}
	if got := meta["mlsysim.spec_hash"]; got != want.SpecHash {
		return 0, fmt.Errorf("written for spec %s, not this run's %s", orNone(got), orNone(want.SpecHash))
	}
	if got, want := meta["mlsysim.part"], strconv.FormatUint(want.Part, 10); got != want {
		return 0, fmt.Errorf("says it is part %s, not part %s", orNone(got), want)
	}
	return rowGroups, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func inspectParquet(f *os.File, size int64) (uint64, int, map[string]string, error) {
	md, err := sinks.ReadParquetFooter(f, size)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("not a whole Parquet file: %w", err)
	}
	var sum int64
	for i, rg := range md.RowGroups {
		sum += rg.NumRows
		for _, c := range rg.Chunks {
			if c.Start < 4 || c.Length < 0 || c.Start > size-c.Length {
				return 0, 0, nil, fmt.Errorf("row group %d: a column chunk lies outside the file's %d bytes", i, size)
			}
		}
	}
	if sum != md.NumRows || md.NumRows < 0 {
		return 0, 0, nil, fmt.Errorf("the footer counts %d rows but its row groups %d", md.NumRows, sum)
	}
	return uint64(md.NumRows), len(md.RowGroups), md.KeyValue, nil
}

func inspectArrow(f *os.File) (uint64, map[string]string, error) {
	r, err := ipc.NewFileReader(f)
	if err != nil {
		return 0, nil, fmt.Errorf("not a whole Arrow file: %w", err)
	}
	defer r.Close()
	var rows uint64
	for i := range r.NumRecords() {
		rec, err := r.RecordBatch(i)
		if err != nil {
			return 0, nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		rows += uint64(rec.NumRows())
		rec.Release()
	}
	meta := map[string]string{}
	md := r.Schema().Metadata()
	for i, k := range md.Keys() {
		meta[k] = md.Values()[i]
	}
	return rows, meta, nil
}

// endsInNewline: our CSV and JSON lines writers end every row with one, so a
// file cut anywhere else is incomplete.
func endsInNewline(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return errors.New("empty file")
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, st.Size()-1); err != nil {
		return err
	}
	if b[0] != '\n' {
		return errors.New("the last row is cut off")
	}
	return nil
}

func countCSV(f *os.File) (uint64, error) {
	if err := endsInNewline(f); err != nil {
		return 0, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	var n uint64
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("not whole CSV: %w", err)
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("no header row")
	}
	return n - 1, nil
}

func countJSONL(f *os.File) (uint64, error) {
	if err := endsInNewline(f); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<20))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	var n uint64
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 || !json.Valid(line) {
			return 0, fmt.Errorf("line %d is not a JSON object", n+1)
		}
		n++
	}
	return n, sc.Err()
}
