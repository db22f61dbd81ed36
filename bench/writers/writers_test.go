package writers

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/sweep"
)

// points is how many points of each grid are written per iteration: eight
// record batches of the sweep's default 32,768 points (one row group each).
const points = 8 * sweep.DefaultBatchSize

// records evaluates the first points of a bench grid and keeps the records
// (Run's records live only until emit returns, so they pass through Arrow IPC).
func records(b *testing.B, grid string) (*arrow.Schema, []arrow.Record) {
	b.Helper()
	src, err := os.ReadFile("../" + grid + ".yaml")
	if err != nil {
		b.Fatal(err)
	}
	spec, err := sweep.ParseSpec(grid, src)
	if err != nil {
		b.Fatal(err)
	}
	p, err := spec.Plan(catalog.MustDefault())
	if err != nil {
		b.Fatal(err)
	}
	if err := p.SetProfile("calibrated"); err != nil { // the command's default
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(p.Schema()))
	if err := sweep.Run(context.Background(), p, sweep.Options{Hi: points}, w.Write); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := ipc.NewReader(&buf)
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.Record
	for r.Next() {
		rec := r.Record()
		rec.Retain()
		recs = append(recs, rec)
	}
	return p.Schema(), recs
}

// counter discards what it is given and counts it: the writers are compared
// without the disk.
type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

type writer interface {
	Write(arrow.Record) error
	Close() error
}

// The three writers, each configured for the output mlsysim promises: zstd at
// its fastest level, one row group per record, statistics, dictionary pages
// for the label columns only, ARROW:schema in the footer where the writer can.
var writers = []struct {
	name string
	open func(io.Writer, *arrow.Schema) (writer, error)
}{
	{"ours", func(w io.Writer, s *arrow.Schema) (writer, error) {
		return sinks.New("parquet", w, s, sinks.Options{Compression: "zstd", Version: "bench"})
	}},
	{"pqarrow", func(w io.Writer, s *arrow.Schema) (writer, error) {
		opts := []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCompressionLevel(1),
			parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithStats(true), parquet.WithPageIndexEnabled(true),
			parquet.WithDictionaryDefault(false), parquet.WithMaxRowGroupLength(sweep.DefaultBatchSize)}
		for _, f := range s.Fields() {
			if f.Type.ID() == arrow.DICTIONARY {
				opts = append(opts, parquet.WithDictionaryFor(f.Name, true))
			}
		}
		return pqarrow.NewFileWriter(s, w, parquet.NewWriterProperties(opts...), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	}},
	{"parquet-go", func(w io.Writer, s *arrow.Schema) (writer, error) {
		return newParquetWriter(w, s, nil)
	}},
}

// BenchmarkWriters: one iteration writes the grid's records as one file with
// one goroutine; points/s and output bytes per point are reported.
func BenchmarkWriters(b *testing.B) {
	for _, grid := range []string{"node-1m", "serve-1m", "fleet-10m"} {
		b.Run(grid, func(b *testing.B) {
			schema, recs := records(b, grid)
			for _, wr := range writers {
				b.Run(wr.name, func(b *testing.B) {
					var n counter
					for b.Loop() {
						n = 0
						w, err := wr.open(&n, schema)
						if err != nil {
							b.Fatal(err)
						}
						for _, rec := range recs {
							if err := w.Write(rec); err != nil {
								b.Fatal(err)
							}
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(points)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
					b.ReportMetric(float64(n)/points, "bytes/point")
				})
			}
		})
	}
}
