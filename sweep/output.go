package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/mlsysim/mlsysim/sinks"
)

// DefaultPartPoints is how many grid points one output part covers: the unit of
// parallel writing, resuming and sharding.
const DefaultPartPoints = 1 << 20

// ManifestName is the manifest file in an output folder.
const ManifestName = "_manifest.json"

// WriteOptions control WriteParts.
type WriteOptions struct {
	Dir         string
	Format      string // parquet (default), arrow, csv, jsonl
	Compression string // parquet: zstd (default), snappy, none
	Workers     int    // 0 = GOMAXPROCS
	BatchSize   int    // points per kernel call; 0 = DefaultBatchSize
	PartPoints  uint64 // points per part; 0 = DefaultPartPoints
	Shard       int    // 1..Shards; 0 = no sharding
	Shards      int
	Resume      bool   // keep complete parts of an interrupted run with the same spec
	Overwrite   bool   // replace an existing result in Dir
	Version     string // tool version recorded in files
	// Progress, if set, is called with the number of points finished so far.
	Progress func(done uint64)
}

// PartInfo describes one written part.
type PartInfo struct {
	File       string `json:"file"`
	FirstPoint uint64 `json:"first_point"`
	Points     uint64 `json:"points"`
	Rows       uint64 `json:"rows"`
	Bytes      int64  `json:"bytes"`
}

// Manifest is _manifest.json: enough to know exactly what produced the folder.
type Manifest struct {
	Tool        string       `json:"tool"`
	Version     string       `json:"version"`
	Status      string       `json:"status"` // running | complete
	Study       string       `json:"study"`
	Profile     string       `json:"profile"`
	SpecName    string       `json:"spec_name,omitempty"`
	SpecFile    string       `json:"spec_file,omitempty"`
	SpecHash    string       `json:"spec_hash"`
	Spec        string       `json:"spec"`
	CatalogHash string       `json:"catalog_hash"`
	Format      string       `json:"format"`
	Compression string       `json:"compression,omitempty"`
	PointsTotal uint64       `json:"points_total"`
	PartPoints  uint64       `json:"part_points"`
	PartsTotal  uint64       `json:"parts_total"`
	Shard       *ShardInfo   `json:"shard,omitempty"`
	Rows        uint64       `json:"rows"`
	Bytes       int64        `json:"bytes"`
	Parts       []PartInfo   `json:"parts"`
	Columns     []ColumnInfo `json:"columns"`
	// Findings summarise the points written by this run (not stored in the file).
	Findings *Findings `json:"-"`
}

// ShardInfo says which slice of the parts a sharded run wrote.
type ShardInfo struct {
	Index     int    `json:"index"`
	Count     int    `json:"count"`
	FirstPart uint64 `json:"first_part"`
	EndPart   uint64 `json:"end_part"` // exclusive
}

// PartRange returns the parts [first, end) of shard k (1-based) of n: contiguous
// and deterministic, so the shards' union is the whole run.
func PartRange(parts uint64, k, n int) (first, end uint64) {
	if n <= 0 {
		return 0, parts
	}
	return parts * uint64(k-1) / uint64(n), parts * uint64(k) / uint64(n)
}

func partName(i uint64, format string) string {
	return fmt.Sprintf("part-%05d%s", i, sinks.Ext(format))
}

// WriteParts evaluates the plan into part files in opt.Dir, workers writing
// whole parts in parallel. Each part is complete or absent; on error or
// cancellation finished parts stay and the manifest says "running", so
// --resume can finish the job with the same result as an uninterrupted run.
func WriteParts(ctx context.Context, p *Plan, opt WriteOptions) (*Manifest, error) {
	if opt.Format == "" {
		opt.Format = "parquet"
	}
	if err := sinks.CheckFormat(opt.Format); err != nil {
		return nil, err
	}
	if opt.Format == "parquet" && opt.Compression == "" {
		opt.Compression = "zstd"
	}
	if opt.Format != "parquet" {
		opt.Compression = ""
	}
	if opt.Shards < 0 || (opt.Shards > 0 && (opt.Shard < 1 || opt.Shard > opt.Shards)) || (opt.Shards == 0 && opt.Shard != 0) {
		return nil, fmt.Errorf("shard %d/%d: want K/N with 1 ≤ K ≤ N", opt.Shard, opt.Shards)
	}
	pp := opt.PartPoints
	if pp == 0 {
		pp = DefaultPartPoints
	}
	nParts := (p.N + pp - 1) / pp
	first, end := PartRange(nParts, opt.Shard, opt.Shards)
	m := &Manifest{Tool: "mlsysim", Version: opt.Version, Status: "running", Study: p.Study.Name, Profile: p.Profile,
		CatalogHash: p.Catalog.Hash, Format: opt.Format, Compression: opt.Compression,
		PointsTotal: p.N, PartPoints: pp, PartsTotal: nParts, Columns: p.Columns()}
	if p.Spec != nil {
		m.SpecName, m.SpecFile, m.SpecHash, m.Spec = p.Spec.Name, p.Spec.File, p.Spec.Hash, string(p.Spec.Raw)
	}
	if opt.Shards > 0 {
		m.Shard = &ShardInfo{Index: opt.Shard, Count: opt.Shards, FirstPart: first, EndPart: end}
	}
	if err := prepareDir(opt, m); err != nil {
		return nil, err
	}
	if err := writeManifest(opt.Dir, m); err != nil {
		return nil, err
	}

	meta := map[string]string{
		"mlsysim.version": opt.Version, "mlsysim.study": m.Study, "mlsysim.profile": m.Profile, "mlsysim.spec_hash": m.SpecHash,
		"mlsysim.catalog_hash": m.CatalogHash, "mlsysim.spec": m.Spec,
	}
	if cb, err := json.Marshal(m.Columns); err == nil {
		meta["mlsysim.columns"] = string(cb)
	}

	infos := make([]PartInfo, end-first)
	var done atomic.Uint64
	var todo []uint64
	for i := first; i < end; i++ {
		lo, hi := i*pp, min((i+1)*pp, p.N)
		path := filepath.Join(opt.Dir, partName(i, opt.Format))
		if st, err := os.Stat(path); err == nil && opt.Resume {
			infos[i-first] = PartInfo{File: filepath.Base(path), FirstPoint: lo, Points: hi - lo, Rows: p.countKept(lo, hi), Bytes: st.Size()}
			done.Add(hi - lo)
			continue
		}
		todo = append(todo, i)
	}
	if opt.Progress != nil {
		opt.Progress(done.Load())
	}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	var mu sync.Mutex
	total := newFindingsAcc(p)
	for w := 0; w < min(workers, max(len(todo), 1)); w++ {
		g.Go(func() error {
			ev := p.Study.newEval(p)
			rb := newRecordBuilder(p)
			acc := newFindingsAcc(p)
			defer func() {
				mu.Lock()
				total.merge(acc)
				mu.Unlock()
			}()
			var b Batch
			var o Outputs
			for {
				j := int(next.Add(1) - 1)
				if j >= len(todo) {
					return nil
				}
				i := todo[j]
				lo, hi := i*pp, min((i+1)*pp, p.N)
				pm := map[string]string{"mlsysim.part": strconv.FormatUint(i, 10),
					"mlsysim.first_point": strconv.FormatUint(lo, 10), "mlsysim.points": strconv.FormatUint(hi-lo, 10)}
				for k, v := range meta {
					pm[k] = v
				}
				info, err := writePart(ctx, p, opt, filepath.Join(opt.Dir, partName(i, opt.Format)), lo, hi, pm, ev, rb, acc, &b, &o, func(n uint64) {
					d := done.Add(n)
					if opt.Progress != nil {
						mu.Lock()
						opt.Progress(d)
						mu.Unlock()
					}
				})
				if err != nil {
					return fmt.Errorf("part %d: %w", i, err)
				}
				infos[i-first] = info
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m.Status, m.Parts, m.Findings = "complete", infos, total.findings(p)
	for _, in := range infos {
		m.Rows += in.Rows
		m.Bytes += in.Bytes
	}
	return m, writeManifest(opt.Dir, m)
}

func writePart(ctx context.Context, p *Plan, opt WriteOptions, path string, lo, hi uint64, meta map[string]string,
	ev evaluator, rb *recordBuilder, acc *findingsAcc, b *Batch, o *Outputs, progress func(uint64)) (PartInfo, error) {
	f, err := sinks.Create(path)
	if err != nil {
		return PartInfo{}, err
	}
	defer f.Abort()
	w, err := sinks.New(opt.Format, f, rb.schema, sinks.Options{Compression: opt.Compression, Metadata: meta, Version: opt.Version})
	if err != nil {
		return PartInfo{}, err
	}
	bs := uint64(opt.BatchSize)
	if bs == 0 {
		bs = DefaultBatchSize
	}
	var rows uint64
	for start := lo; start < hi; start += bs {
		if err := ctx.Err(); err != nil {
			return PartInfo{}, err
		}
		n := int(min(bs, hi-start))
		p.Fill(b, start, n)
		if b.N > 0 {
			o.resize(p.Study, b.N)
			ev.eval(b, o)
			acc.add(p, b, o)
			rec := rb.build(b, o)
			err := w.Write(rec)
			rec.Release()
			if err != nil {
				return PartInfo{}, err
			}
			rows += uint64(b.N)
		}
		progress(uint64(n))
	}
	if err := w.Close(); err != nil {
		return PartInfo{}, err
	}
	if err := f.Commit(); err != nil {
		return PartInfo{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return PartInfo{}, err
	}
	return PartInfo{File: filepath.Base(path), FirstPoint: lo, Points: hi - lo, Rows: rows, Bytes: st.Size()}, nil
}

// countKept counts the points in [lo, hi) that pass the filters.
func (p *Plan) countKept(lo, hi uint64) uint64 {
	if p.filter == nil {
		return hi - lo
	}
	var n uint64
	for id := lo; id < hi; id++ {
		if p.keeps(id) {
			n++
		}
	}
	return n
}

// prepareDir creates the folder, refuses to mix results, and checks that a
// resumed run is the same run.
func prepareDir(opt WriteOptions, m *Manifest) error {
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(opt.Dir)
	if err != nil {
		return err
	}
	var existing []string
	for _, e := range entries {
		n := e.Name()
		if n == ManifestName || strings.HasPrefix(n, "part-") {
			existing = append(existing, n)
		} else if strings.HasPrefix(n, ".part-") && strings.HasSuffix(n, ".tmp") {
			os.Remove(filepath.Join(opt.Dir, n)) // left by a killed run
		}
	}
	if len(existing) == 0 {
		return nil
	}
	switch {
	case opt.Overwrite:
		for _, n := range existing {
			if err := os.Remove(filepath.Join(opt.Dir, n)); err != nil {
				return err
			}
		}
		return nil
	case !opt.Resume:
		return fmt.Errorf("%s already holds a result (%d files); use --resume to finish it, --overwrite to replace it, or another --out", opt.Dir, len(existing))
	}
	b, err := os.ReadFile(filepath.Join(opt.Dir, ManifestName))
	if err != nil {
		return fmt.Errorf("--resume: %s has parts but no %s to check them against; use --overwrite", opt.Dir, ManifestName)
	}
	var old Manifest
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("--resume: %s: %w", ManifestName, err)
	}
	var diffs []string
	check := func(what string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			diffs = append(diffs, fmt.Sprintf("%s %v → %v", what, a, b))
		}
	}
	check("spec hash", old.SpecHash, m.SpecHash)
	check("catalog hash", old.CatalogHash, m.CatalogHash)
	check("version", old.Version, m.Version)
	check("profile", old.Profile, m.Profile)
	check("format", old.Format, m.Format)
	check("compression", old.Compression, m.Compression)
	check("part size", old.PartPoints, m.PartPoints)
	check("shard", shardString(old.Shard), shardString(m.Shard))
	if len(diffs) > 0 {
		return errors.New("--resume: the folder was written by a different run (" + strings.Join(diffs, "; ") + "); use --overwrite or another --out")
	}
	return nil
}

func shardString(s *ShardInfo) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return sinks.WriteFileAtomic(filepath.Join(dir, ManifestName), append(b, '\n'))
}
