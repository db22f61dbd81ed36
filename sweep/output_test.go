package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/mlsysim/mlsysim/results"
)

// e2eGrid has 3·26·4·9·4·2·2 = 44,928 points (with today's 26 Cloud devices), a
// filter, infeasible points of both kinds, and parts (7000) that do not align
// with batches (3000).
const e2eGrid = `version: 1
name: e2e
study: serve
axes:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B]
  hardware: {tier: Cloud}
  precision: [fp16, fp8, int8, int4]
  batch_size: {pow2: [1, 256]}
  seq_len: [512, 2048, 8192, 32768]
  efficiency: [0.3, 0.6]
  cached_prefix_len: [0, 4096]
where: "precision != 'fp8' || hw.fp8_tflops > 0"
`

const (
	e2ePart  = 7000
	e2eBatch = 3000
)

// serveColumns is the serve study's result schema: point_id, the inputs in study
// order, then the outputs in study order (a few of which must be there).
func serveColumns(t *testing.T, st *Study) []string {
	t.Helper()
	cols := []string{"point_id",
		"model", "hardware", "precision", "efficiency", "batch_size", "seq_len", "prefill_chunk_tokens", "cached_prefix_len", "qps", "output_tokens",
		"kv_precision", "tp", "pp", "ep", "node_size", "tp_across_nodes", "fabric", "draft_model", "spec_tokens", "spec_acceptance",
		"engine", "step_overhead_ms", "region", "electricity_usd_per_kwh", "amortization_years", "unit_cost_usd", "accelerator_hour_usd"}
	if got := st.ParamNames(); !slices.Equal(got, cols[1:]) {
		t.Fatalf("serve parameters %v, want %v", got, cols[1:])
	}
	for _, c := range st.Columns {
		cols = append(cols, c.Name)
	}
	for _, must := range []string{"ttft_ms", "itl_ms", "tokens_per_s", "kv_cache_gb", "memory_utilization", "feasible", "infeasible_reason"} {
		if !slices.Contains(cols, must) {
			t.Fatalf("serve has no output %s: %v", must, cols)
		}
	}
	return cols
}

func e2eOptions(dir string) WriteOptions {
	return WriteOptions{Dir: dir, PartPoints: e2ePart, BatchSize: e2eBatch, Workers: 2, Version: "test"}
}

func mustWrite(t *testing.T, p *Plan, opt WriteOptions) *Manifest {
	t.Helper()
	m, err := WriteParts(context.Background(), p, opt)
	if err != nil {
		t.Fatalf("WriteParts(%s): %v", opt.Dir, err)
	}
	return m
}

func readManifest(t *testing.T, dir string) Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", ManifestName, err)
	}
	return m
}

// sameFiles reports the files that differ between two folders.
func sameFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if !slices.Equal(sortedNames(got), sortedNames(want)) {
		t.Fatalf("files %v, want %v", sortedNames(got), sortedNames(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs (%d bytes, want %d)", name, len(got[name]), len(b))
		}
	}
}

func TestWriteParts(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	nParts := (p.N + e2ePart - 1) / e2ePart
	if p.N < 20000 || nParts < 6 {
		t.Fatalf("the grid has %d points in %d parts; the test wants ≥ 20K points and ≥ 6 parts", p.N, nParts)
	}
	ref := t.TempDir()
	refOpt := e2eOptions(ref)
	refOpt.Workers = 1
	m := mustWrite(t, p, refOpt)
	refFiles := dirFiles(t, ref)

	t.Run("manifest", func(t *testing.T) {
		disk := readManifest(t, ref)
		if disk.Status != "complete" || m.Status != "complete" {
			t.Errorf("status %q on disk, %q returned; want complete", disk.Status, m.Status)
		}
		if disk.PartsTotal != nParts || uint64(len(disk.Parts)) != nParts || disk.PointsTotal != p.N {
			t.Errorf("%d parts listed, %d total, %d points; want %d parts of %d points", len(disk.Parts), disk.PartsTotal, disk.PointsTotal, nParts, p.N)
		}
		if disk.Rows != p.countKept(0, p.N) || disk.SpecHash != p.Spec.Hash || disk.CatalogHash != testCatalog().Hash || disk.Spec != e2eGrid {
			t.Errorf("rows %d (want %d), spec hash %q, catalog hash %q", disk.Rows, p.countKept(0, p.N), disk.SpecHash, disk.CatalogHash)
		}
		var total int64
		for i, part := range disk.Parts {
			if part.File != fmt.Sprintf("part-%05d.parquet", i) || part.FirstPoint != uint64(i)*e2ePart {
				t.Errorf("part %d: %+v", i, part)
			}
			if got := int64(len(refFiles[part.File])); got != part.Bytes {
				t.Errorf("%s: %d bytes on disk, manifest says %d", part.File, got, part.Bytes)
			}
			total += part.Bytes
		}
		if total != disk.Bytes {
			t.Errorf("parts add up to %d bytes, manifest total %d", total, disk.Bytes)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		dir := t.TempDir()
		opt := e2eOptions(dir)
		opt.Workers = 3 // another schedule, the same bytes
		mustWrite(t, p, opt)
		sameFiles(t, dirFiles(t, dir), refFiles)
	})

	t.Run("shards", func(t *testing.T) {
		union := map[string][]byte{}
		for k := 1; k <= 4; k++ {
			dir := t.TempDir()
			opt := e2eOptions(dir)
			opt.Shard, opt.Shards = k, 4
			sm := mustWrite(t, p, opt)
			files := dirFiles(t, dir)
			first, end := results.PartRange(nParts, k, 4)
			if first == end {
				t.Fatalf("shard %d/4 is empty; the test wants every shard to write", k)
			}
			var listed []string
			for _, part := range readManifest(t, dir).Parts {
				listed = append(listed, part.File)
			}
			var want []string
			for i := first; i < end; i++ {
				want = append(want, fmt.Sprintf("part-%05d.parquet", i))
			}
			if !slices.Equal(listed, want) || sm.Shard == nil || sm.Shard.Index != k || sm.Shard.FirstPart != first || sm.Shard.EndPart != end {
				t.Errorf("shard %d/4 manifest lists %v (shard %+v), want %v", k, listed, sm.Shard, want)
			}
			for name, b := range files {
				if name == ManifestName || name == results.LockName {
					continue
				}
				if !slices.Contains(want, name) {
					t.Errorf("shard %d/4 wrote %s, outside its parts", k, name)
				}
				if _, dup := union[name]; dup {
					t.Errorf("%s written by two shards", name)
				}
				union[name] = b
			}
		}
		want := dirFiles(t, ref)
		delete(want, ManifestName)
		delete(want, results.LockName)
		sameFiles(t, union, want)
	})

	t.Run("resume", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opt := e2eOptions(dir)
		half := p.N / 2
		opt.Progress = func(done uint64) {
			if done >= half {
				cancel()
			}
		}
		// The folder is prepared only after the cancel, as on a busy disk where
		// the manifest's fsync outlasts the run: the parts completed before the
		// cancel are kept all the same (they were thrown away, so the test
		// failed under load).
		prepareHook = func() { <-ctx.Done() }
		_, err := WriteParts(ctx, p, opt)
		prepareHook = nil
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run: err = %v, want context.Canceled", err)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(tmp) > 0 {
			t.Errorf("temporary files remain: %v", tmp)
		}
		if st := readManifest(t, dir).Status; st != "running" {
			t.Errorf("manifest status %q after cancel, want running", st)
		}
		// Every part whose last batch was appended before the cancel is kept:
		// those wholly below the point that crossed half, at least.
		kept := partFiles(t, dir)
		if wholeBelow := half / e2ePart; uint64(len(kept)) < wholeBelow || uint64(len(kept)) >= nParts {
			t.Fatalf("%d of %d parts complete after cancelling at half; want at least the %d below it, not all", len(kept), nParts, wholeBelow)
		}
		mtimes := map[string]time.Time{}
		for _, f := range kept {
			if !bytes.Equal(mustRead(t, f), refFiles[filepath.Base(f)]) {
				t.Errorf("%s, complete before the cancel, differs from the uninterrupted run", filepath.Base(f))
			}
			st, _ := os.Stat(f)
			mtimes[f] = st.ModTime()
		}

		// A temporary file left by a killed run (no Abort) is cleared.
		stale := filepath.Join(dir, ".part-00006.parquet.12345.tmp")
		if err := os.WriteFile(stale, []byte("half a part"), 0o644); err != nil {
			t.Fatal(err)
		}
		// The resumed run starts its progress at the points of the parts it keeps.
		var keptPoints uint64
		for _, f := range kept {
			i, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "part-"), ".parquet"), 10, 64)
			keptPoints += min(e2ePart, p.N-i*e2ePart)
		}
		var first atomic.Uint64
		first.Store(math.MaxUint64)
		opt.Resume = true
		opt.Progress = func(done uint64) { first.CompareAndSwap(math.MaxUint64, done) }
		mustWrite(t, p, opt)
		sameFiles(t, dirFiles(t, dir), refFiles)
		for f, mt := range mtimes {
			if st, _ := os.Stat(f); !st.ModTime().Equal(mt) {
				t.Errorf("resume rewrote %s, which was complete", filepath.Base(f))
			}
		}
		if got := first.Load(); got != keptPoints {
			t.Errorf("resume reported %d points done at start, want the %d its kept parts cover", got, keptPoints)
		}
	})

	t.Run("refuses", func(t *testing.T) {
		dir := t.TempDir()
		mustWrite(t, p, e2eOptions(dir))
		if _, err := WriteParts(context.Background(), p, e2eOptions(dir)); err == nil || !strings.Contains(err.Error(), "already holds a result") {
			t.Errorf("writing into a full folder without --resume or --overwrite: err = %v", err)
		}
		other := mustPlan(t, strings.Replace(e2eGrid, "[0.3, 0.6]", "[0.3, 0.7]", 1))
		cases := []struct {
			name string
			plan *Plan
			edit func(*WriteOptions)
			want string
		}{
			{"spec", other, nil, "spec hash " + p.Spec.Hash},
			{"part size", p, func(o *WriteOptions) { o.PartPoints = 5000 }, "part size 7000 → 5000"},
			{"format", p, func(o *WriteOptions) { o.Format = "arrow" }, "format parquet → arrow"},
			{"compression", p, func(o *WriteOptions) { o.Compression = "snappy" }, "compression zstd → snappy"},
			{"version", p, func(o *WriteOptions) { o.Version = "other" }, "version test → other"},
			{"shard", p, func(o *WriteOptions) { o.Shard, o.Shards = 1, 2 }, "shard none → 1/2"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				opt := e2eOptions(dir)
				opt.Resume = true
				if c.edit != nil {
					c.edit(&opt)
				}
				_, err := WriteParts(context.Background(), c.plan, opt)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("resume with a different %s: err = %v, want it to name %q", c.name, err, c.want)
				}
			})
		}
		// Nothing was touched by the refusals; --overwrite replaces the result.
		sameFiles(t, dirFiles(t, dir), refFiles)
		opt := e2eOptions(dir)
		opt.Overwrite = true
		mustWrite(t, other, opt)
		if readManifest(t, dir).SpecHash != other.Spec.Hash {
			t.Errorf("--overwrite did not replace the result")
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refRows evaluates a plan in memory: point_id → normalised row.
func refRows(t *testing.T, p *Plan) map[float64]map[string]any {
	t.Helper()
	rows := map[float64]map[string]any{}
	err := Run(context.Background(), p, Options{BatchSize: 5000}, func(rec arrow.Record) error {
		for k := range int(rec.NumRows()) {
			row := Row(rec, k)
			for n, v := range row {
				row[n] = normValue(v)
			}
			rows[row["point_id"].(float64)] = row
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWriteFormats(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	columns := serveColumns(t, p.Study)
	ref := refRows(t, p)
	kept := p.countKept(0, p.N)
	if uint64(len(ref)) != kept {
		t.Fatalf("Run gave %d rows, countKept %d", len(ref), kept)
	}
	for _, format := range []string{"parquet", "arrow", "csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			opt := e2eOptions(dir)
			opt.Format = format
			m := mustWrite(t, p, opt)
			files := partFiles(t, dir)
			if len(files) != len(m.Parts) {
				t.Fatalf("%d part files, manifest lists %d", len(files), len(m.Parts))
			}
			var rows uint64
			lastID := -1.0
			for i, f := range files {
				if !strings.HasSuffix(f, "."+format) {
					t.Errorf("%s: want extension .%s", f, format)
				}
				tb := readFile(t, f, format)
				if !slices.Equal(tb.names, columns) {
					t.Fatalf("%s: columns %v, want %v", filepath.Base(f), tb.names, columns)
				}
				if uint64(len(tb.rows)) != m.Parts[i].Rows {
					t.Errorf("%s: %d rows, manifest says %d", filepath.Base(f), len(tb.rows), m.Parts[i].Rows)
				}
				rows += uint64(len(tb.rows))
				for _, row := range tb.rows {
					id := row["point_id"].(float64)
					if id <= lastID {
						t.Fatalf("%s: point %v after %v; rows must be in point order", filepath.Base(f), id, lastID)
					}
					lastID = id
					want := ref[id]
					for _, c := range columns {
						if format == "csv" && want[c] == nil && row[c] == "" {
							continue // CSV writes NULL as an empty cell
						}
						if !sameValue(row[c], want[c]) {
							t.Fatalf("%s: point %v, %s = %v (%T), want %v", filepath.Base(f), id, c, row[c], row[c], want[c])
						}
					}
				}
				if format == "parquet" || format == "arrow" {
					checkMeta(t, p, filepath.Base(f), tb.meta, format, columns)
				}
				if format == "parquet" && i == 0 {
					checkEvalPoint(t, p, tb.rows)
				}
			}
			if rows != kept || m.Rows != kept {
				t.Errorf("%d rows in files, manifest %d, countKept %d", rows, m.Rows, kept)
			}
		})
	}
}

func checkMeta(t *testing.T, p *Plan, file string, meta map[string]string, format string, columns []string) {
	t.Helper()
	want := map[string]string{
		"mlsysim.spec_hash": p.Spec.Hash, "mlsysim.catalog_hash": testCatalog().Hash,
		"mlsysim.study": "serve", "mlsysim.version": "test", "mlsysim.spec": e2eGrid,
	}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("%s: metadata %s = %.60q, want %.60q", file, k, meta[k], v)
		}
	}
	var cols []ColumnInfo
	if err := json.Unmarshal([]byte(meta["mlsysim.columns"]), &cols); err != nil {
		t.Fatalf("%s: mlsysim.columns: %v", file, err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, columns) {
		t.Errorf("%s: mlsysim.columns names %v, want %v", file, names, columns)
	}
	if format == "parquet" {
		part, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(file, "part-"), ".parquet"))
		if meta["mlsysim.part"] != strconv.Itoa(part) || meta["mlsysim.first_point"] != strconv.Itoa(part*e2ePart) {
			t.Errorf("%s: part metadata %q, first point %q", file, meta["mlsysim.part"], meta["mlsysim.first_point"])
		}
	}
}

// checkEvalPoint re-evaluates a few rows as one-point plans built from the
// row's inputs, the way eval does, and compares every output.
func checkEvalPoint(t *testing.T, p *Plan, rows []map[string]any) {
	t.Helper()
	for _, k := range []int{0, 1, len(rows) / 3, len(rows) / 2, len(rows) - 1} {
		row := rows[k]
		var axes []Axis
		for _, prm := range p.Study.Params {
			text := fmt.Sprint(row[prm.Name])
			if f, ok := row[prm.Name].(float64); ok {
				text = strconv.FormatFloat(f, 'g', -1, 64)
			}
			axes = append(axes, Axis{Name: prm.Name, Where: "test", Values: []AxisValue{{Text: text, Where: "test"}}})
		}
		one, err := NewPlan(testCatalog(), p.Study, axes, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := one.SetProfile(p.Profile); err != nil { // the file's profile, not the default
			t.Fatal(err)
		}
		got, err := EvalPoint(one)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Study.Columns {
			if !sameValue(row[c.Name], normValue(got[c.Name])) {
				t.Errorf("point %v: %s = %v in the file, EvalPoint gives %v", row["point_id"], c.Name, row[c.Name], got[c.Name])
			}
		}
	}
}

// TestInfeasibleKept: infeasible points are rows with feasible=false and a
// reason; a float column is NaN or ±Inf only on infeasible rows.
func TestInfeasibleKept(t *testing.T) {
	p := mustPlan(t, strings.Replace(e2eGrid, "where:", "# where:", 1))
	dir := t.TempDir()
	mustWrite(t, p, e2eOptions(dir))
	checkRows(t, readDir(t, dir, "parquet"), p.N, "out_of_memory", "cached_prefix_too_long")
}

// TestNoNaNOnFeasible scans every model on every device in all three studies.
func TestNoNaNOnFeasible(t *testing.T) {
	grids := []string{
		"version: 1\nstudy: node\naxes:\n  model: all\n  hardware: all\n  precision: all\n  batch_size: [1, 4096]\n  training: all\n",
		"version: 1\nstudy: serve\naxes:\n  model: {family: [transformer, moe]}\n  hardware: all\n  precision: all\n  batch_size: [1, 1024]\n  seq_len: [1, 32768]\n  prefill_chunk_tokens: [0, 512]\n",
		"version: 1\nstudy: train-memory\naxes:\n  model: {family: [transformer, moe]}\n  hardware: all\n  precision: [fp32, bf16, fp8]\n  batch_size: [1, 1024]\n  tp: [1, 8]\n  zero_stage: [0, 3]\n  activation_checkpointing: all\n",
	}
	for _, src := range grids {
		p := mustPlan(t, src)
		t.Run(p.Study.Name, func(t *testing.T) {
			feasible := 0
			err := Run(context.Background(), p, Options{}, func(rec arrow.Record) error {
				col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
				feas, ids := col("feasible").(*array.Boolean), col("point_id").(*array.Int64)
				reason := col("infeasible_reason")
				for k := range int(rec.NumRows()) {
					if !feas.Value(k) {
						if reason.IsNull(k) || reason.ValueStr(k) == "" {
							return fmt.Errorf("point %d is infeasible without a reason", ids.Value(k))
						}
						continue
					}
					if reason.IsValid(k) {
						return fmt.Errorf("point %d is feasible with reason %q, want NULL", ids.Value(k), reason.ValueStr(k))
					}
					feasible++
					for c, f := range rec.Schema().Fields() {
						x, ok := rec.Column(c).(*array.Float64)
						if ok && (math.IsNaN(x.Value(k)) || math.IsInf(x.Value(k), 0)) {
							return fmt.Errorf("point %d: %s = %v on a feasible row (%v)", ids.Value(k), f.Name, x.Value(k), Row(rec, k))
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			if feasible == 0 {
				t.Errorf("no feasible point at all")
			}
		})
	}
}

// TestWriteBadShard: a shard outside 1..Shards is refused, as the CLI does,
// and writes nothing.
func TestWriteBadShard(t *testing.T) {
	p := mustPlan(t, runGrid)
	for _, c := range []struct{ shard, shards int }{{0, 4}, {5, 4}, {3, 2}, {-1, 4}} {
		t.Run(fmt.Sprintf("%d/%d", c.shard, c.shards), func(t *testing.T) {
			dir := t.TempDir()
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				_, err = WriteParts(context.Background(), p, WriteOptions{Dir: dir, PartPoints: 100, Shard: c.shard, Shards: c.shards, Format: "csv"})
			}()
			parts := partFiles(t, dir)
			ok := err != nil && !strings.HasPrefix(err.Error(), "panic") && len(parts) == 0
			if !ok {
				t.Errorf("shard %d/%d: err = %v, %d part files written; want an error and no parts", c.shard, c.shards, err, len(parts))
			}
		})
	}
}

// TestWriteForeignFiles: files that are not results neither block a run nor get removed.
func TestWriteForeignFiles(t *testing.T) {
	p := mustPlan(t, runGrid)
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := WriteOptions{Dir: dir, PartPoints: 1000, Format: "csv"}
	mustWrite(t, p, opt)
	opt.Overwrite = true
	mustWrite(t, p, opt)
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Errorf("notes.txt: %q, %v", b, err)
	}
}
