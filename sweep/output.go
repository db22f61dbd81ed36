package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/sync/errgroup"

	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sinks"
)

// Part sizing. A part is the unit of parallel writing, resuming and sharding,
// so a grid needs enough parts for every worker of every shard; but each part is
// a file with a footer and its own schema and metadata, so parts stay above a
// minimum size. PartPoints depends only on the grid and the shard count, never on
// the machine, so the same spec and shard count give the same files everywhere.
const (
	// DefaultPartPoints is the largest part the policy chooses (2^20 points).
	DefaultPartPoints = 1 << 20
	// MinPartPoints is the smallest part it chooses, and its granule (2^14):
	// at ~10^7 points/s per core a part is still milliseconds of work, and the
	// file's fixed cost (footer, metadata of ~10 KB) stays small beside it.
	MinPartPoints = 1 << 14
	// PartsPerShard is how many parts the policy aims at per shard, so a node
	// of up to that many workers keeps every core busy (with fewer workers the
	// imbalance at the end is at most one part in PartsPerShard/workers).
	PartsPerShard = 32
	// MaxPartPoints bounds --part-points: a part is one file written by one
	// worker; 2^30 points (~100 GB of rows) is past any sensible file.
	MaxPartPoints = 1 << 30
	// MaxParts bounds the parts of one run (2^18). The manifest lists every
	// part (~110 bytes of JSON each) and is read back by --resume, merge and
	// every query as an input of at most catalog.MaxInputBytes (64 MiB), so
	// 2^18 parts (~29 MB) keep the merged manifest of a sharded run readable,
	// and the writer's table of parts (56 bytes each) small. A grid past it
	// is refused before anything is allocated: 3.7e14 points made 3.5e8 parts
	// and 21 GB of part table before the first point.
	MaxParts = 1 << 18
)

// PartLayout is the part size and part count of a run of points over shards
// (0 = not sharded): partPoints, or PartPoints' choice when it is 0. A run of
// more than MaxParts parts is an error that says what would fit.
func PartLayout(points, partPoints uint64, shards int) (pp, parts uint64, err error) {
	pp = partPoints
	if pp == 0 {
		pp = PartPoints(points, shards)
	}
	if pp > MaxPartPoints {
		return 0, 0, fmt.Errorf("part size %d: at most %d points", pp, MaxPartPoints)
	}
	parts = ceilDiv(points, pp)
	if parts > MaxParts {
		need := ceilDiv(points, MaxParts)
		if need > MaxPartPoints {
			return 0, 0, fmt.Errorf("the grid's %d points make %d parts of %d, more than the %d one result can list (its manifest must stay readable); even parts of %d points (the most --part-points takes) are too few: shrink the grid to at most %d points",
				points, parts, pp, MaxParts, MaxPartPoints, uint64(MaxParts)*MaxPartPoints)
		}
		return 0, 0, fmt.Errorf("the grid's %d points make %d parts of %d, more than the %d one result can list (its manifest must stay readable); give --part-points %d or more (at most %d), or shrink the grid",
			points, parts, pp, MaxParts, need, MaxPartPoints)
	}
	return pp, parts, nil
}

// PartPoints is the part size for a grid of points split into shards (0 = not
// sharded): PartsPerShard parts per shard, rounded up to a multiple of
// MinPartPoints, between MinPartPoints and DefaultPartPoints.
func PartPoints(points uint64, shards int) uint64 {
	target := uint64(max(shards, 1)) * PartsPerShard
	pp := ceilDiv(ceilDiv(points, target), MinPartPoints) * MinPartPoints
	return min(max(pp, MinPartPoints), DefaultPartPoints)
}

// ceilDiv is ⌈a/b⌉ for b > 0, exact for every a: (a+b−1)/b wraps once a passes
// 2^64 − b, and a grid holds up to 2^63 − 1 points (MaxPoints) where b is a part
// or batch size. It counts parts of a grid and batches of a part; the shards'
// split of the parts is other arithmetic (results.PartRange: ⌊parts·k/n⌋ in 128 bits).
func ceilDiv(a, b uint64) uint64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// partBounds is the points [lo, hi) of part i of a grid of n points in parts of
// pp. Neither product wraps: i < ⌈n/pp⌉, so (i+1)·pp < n + pp ≤ 2^63 + 2^30.
func partBounds(i, pp, n uint64) (lo, hi uint64) {
	return i * pp, min((i+1)*pp, n)
}

// ManifestName is the manifest file in an output folder.
const ManifestName = results.ManifestName

// The folder's types are the results package's, named here for the engine's users.
type (
	PartInfo   = results.PartInfo
	ShardInfo  = results.ShardInfo
	ColumnInfo = results.Column
)

// WriteOptions control WriteParts.
type WriteOptions struct {
	Dir         string
	Format      string // parquet (default), arrow, csv, jsonl
	Compression string // parquet: zstd (default), snappy, none
	Workers     int    // 0 = GOMAXPROCS
	BatchSize   int    // points per batch (one row group); 0 = DefaultBatchSize
	PartPoints  uint64 // points per part; 0 = PartPoints(grid points, Shards)
	Shard       int    // 1..Shards; 0 = no sharding
	Shards      int
	Resume      bool   // keep complete parts of an interrupted run with the same spec
	Overwrite   bool   // replace an existing result in Dir
	Version     string // tool version recorded in files
	// Progress, if set, is called with the number of points finished so far.
	Progress func(done uint64)
}

// Manifest is the folder's manifest plus what this run found.
type Manifest struct {
	results.Manifest
	// Findings summarise the points written by this run (not stored in the file).
	Findings *Findings `json:"-"`
	// Rewritten names the parts --resume found damaged and wrote again, with
	// what was wrong (not stored in the file).
	Rewritten []string `json:"-"`
}

// WriteParts evaluates the plan into part files in opt.Dir; all workers share
// every part's batches (writeTodo). Each part is complete or absent; on
// cancellation, or on an error in a folder the user had, finished parts stay and
// the manifest says "running", so --resume can finish the job with the same
// result as an uninterrupted run. A run that fails (an I/O error, a full disk)
// in a folder it created removes it, parents it created included: it leaves
// nothing the user did not have (results.RemoveMade, as merge does).
func WriteParts(ctx context.Context, p *Plan, opt WriteOptions) (_ *Manifest, err error) {
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
	if opt.Shards < 0 || opt.Shards > results.MaxShards || (opt.Shards > 0 && (opt.Shard < 1 || opt.Shard > opt.Shards)) || (opt.Shards == 0 && opt.Shard != 0) {
		return nil, fmt.Errorf("shard %d/%d: want K/N with 1 ≤ K ≤ N ≤ %d", opt.Shard, opt.Shards, results.MaxShards)
	}
	pp, nParts, err := PartLayout(p.N, opt.PartPoints, opt.Shards)
	if err != nil {
		return nil, err
	}
	first, end := results.PartRange(nParts, opt.Shard, opt.Shards)
	m := &Manifest{Manifest: results.Manifest{Tool: "mlsysim", Version: opt.Version, Status: results.StatusRunning, Study: p.Study.Name, Profile: p.Profile,
		CatalogHash: p.Catalog.Hash, Format: opt.Format, Compression: opt.Compression,
		PointsTotal: p.N, PartPoints: pp, PartsTotal: nParts, BatchSize: batchPoints(opt), Columns: p.Columns()}}
	if p.Spec != nil {
		m.SpecName, m.SpecFile, m.SpecHash, m.Spec = p.Spec.Name, p.Spec.File, p.Spec.Hash, string(p.Spec.Raw)
	}
	if opt.Shards > 0 {
		m.Shard = &ShardInfo{Index: opt.Shard, Count: opt.Shards, FirstPart: first, EndPart: end}
	}
	made := results.MissingDirs(opt.Dir)
	held := false
	defer func() {
		if err != nil && !errors.Is(err, context.Canceled) {
			results.RemoveMade(made, held)
		}
	}()
	// Nothing in the folder is touched before the lock is ours: another run's
	// temporary files are its work in progress.
	lock, err := results.Acquire(opt.Dir, "sweep")
	if err != nil {
		return nil, err
	}
	held = true
	defer lock.Release() // before RemoveMade: the lock file goes with the folder
	// An interrupted run's temporary files go before this run's own appear.
	if err := results.RemoveTemps(opt.Dir); err != nil {
		return nil, err
	}
	// Preparing the folder — removing an old result's files with --overwrite,
	// writing the manifest that says "running", each unlink and the fsync
	// waiting on the disk — ran before any worker started (the unlinks of a
	// 31-part result took 28–83 ms on a busy machine: BENCHMARKS.md, "Two
	// workers on a 1M-point grid"). A fresh run knows its parts without
	// looking at the folder, so its workers evaluate and write their parts'
	// temporary files while the folder is prepared, and no part is renamed
	// into place before that is done. A resumed run must read the folder
	// first to know what is left.
	prepare := func() error {
		if err := prepareDir(opt, m); err != nil {
			return err
		}
		return results.WriteManifest(opt.Dir, m)
	}
	if opt.Resume {
		if err := prepare(); err != nil {
			return nil, err
		}
		prepare = nil
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
		lo, hi := partBounds(i, pp, p.N)
		path := filepath.Join(opt.Dir, results.PartName(i, opt.Format))
		if !opt.Resume {
			todo = append(todo, i)
			continue
		}
		if st, err := os.Stat(path); err == nil {
			rows := p.countKept(lo, hi)
			verr := results.VerifyPart(path, results.Expect{Format: opt.Format, Part: i, Rows: rows, SpecHash: m.SpecHash})
			if verr == nil {
				infos[i-first] = PartInfo{File: filepath.Base(path), FirstPoint: lo, Points: hi - lo, Rows: rows, Bytes: st.Size()}
				done.Add(hi - lo)
				continue
			}
			m.Rewritten = append(m.Rewritten, fmt.Sprintf("%s (%v)", filepath.Base(path), verr))
			if err := os.Remove(path); err != nil {
				return nil, err
			}
		}
		todo = append(todo, i)
	}
	if opt.Progress != nil {
		opt.Progress(done.Load())
	}

	total, err := writeTodo(ctx, p, opt, pp, todo, meta, prepare, func(i uint64, info PartInfo) { infos[i-first] = info }, &done)
	if err != nil {
		return nil, err
	}
	m.Status, m.Parts, m.Findings = results.StatusComplete, infos, total.findings(p)
	for _, in := range infos {
		m.Rows += in.Rows
		m.Bytes += in.Bytes
	}
	return m, results.WriteManifest(opt.Dir, m)
}

// batchPoints is the run's points per batch (one row group).
func batchPoints(opt WriteOptions) uint64 {
	if opt.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return uint64(opt.BatchSize)
}

// writeTodo writes the listed parts. Their batches are the jobs of one worker
// pool: workers evaluate and encode batches in parallel, whichever part they
// belong to, and append them to their part's file in point order, so a grid of
// a single part keeps every core busy and a file's bytes do not depend on the
// number of workers. prepare, if set, readies the folder beside the workers;
// no part file is created before it has returned.
func writeTodo(ctx context.Context, p *Plan, opt WriteOptions, pp uint64, todo []uint64, meta map[string]string,
	prepare func() error, finished func(part uint64, info PartInfo), done *atomic.Uint64) (*findingsAcc, error) {
	bs := batchPoints(opt)
	// firstJob[t] is the number of the first batch of part todo[t].
	firstJob := make([]uint64, len(todo)+1)
	for t, i := range todo {
		lo, hi := partBounds(i, pp, p.N)
		firstJob[t+1] = firstJob[t] + ceilDiv(hi-lo, bs)
	}
	jobs := firstJob[len(todo)]
	workers := opt.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	schema := p.Schema()
	workers = int(min(uint64(workers), max(jobs, 1)))
	defer spareProc(workers)()
	g, ctx := errgroup.WithContext(ctx)
	q := &appendQueue{p: p, opt: opt, pp: pp, bs: bs, todo: todo, firstJob: firstJob, meta: meta, schema: schema,
		g: g, ctx: ctx, ready: make(chan struct{}), finished: finished, done: done, pending: map[uint64]*encodedBatch{}}
	defer q.abort()
	if prepare == nil {
		close(q.ready)
	} else {
		g.Go(func() error {
			if prepareHook != nil {
				prepareHook()
			}
			q.prepareErr = prepare()
			close(q.ready)
			if preparedHook != nil {
				preparedHook()
			}
			return q.prepareErr
		})
	}
	adviseWorkerHeap(p, workers, min(bs, p.N))
	var next atomic.Uint64
	var mu sync.Mutex
	total := newFindingsAcc(p)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			ev := p.Study.newEval(p)
			rb := newRecordBuilder(p)
			acc := newFindingsAcc(p)
			defer func() {
				mu.Lock()
				total.merge(acc)
				mu.Unlock()
			}()
			enc, err := sinks.NewEncoder(opt.Format, schema, sinks.Options{Compression: opt.Compression})
			if err != nil {
				return err
			}
			// A batch encoded before its turn to be appended waits in the queue
			// while its worker evaluates the next ones. Before, a worker idled
			// until the batch before its own was in, and two workers moved in
			// lockstep, each pair of batches taking as long as the slower one
			// (BENCHMARKS.md, "Sweep scheduling"). A token per batch not yet
			// appended bounds how far a worker runs ahead (a Parquet row group
			// waiting is its compressed bytes, ~1 MB per 32K points).
			tokens := make(chan struct{}, queuedPerWorker)
			var b Batch
			var o Outputs
			for {
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return ctx.Err()
				}
				j := next.Add(1) - 1
				if j >= jobs {
					return nil
				}
				i, start, n, _ := q.locate(j)
				p.Fill(&b, start, int(n))
				e := &encodedBatch{job: j, rows: uint64(b.N), tokens: tokens}
				if b.N > 0 {
					o.resize(p.Study, b.N)
					ev.eval(&b, &o)
					p.settleBinding(&b, &o)
					if err := p.checkFinite(&b, &o); err != nil {
						return fmt.Errorf("part %d: %w", i, err)
					}
					acc.add(p, &b, &o)
					rec := rb.build(&b, &o)
					piece, err := enc.Encode(rec)
					if err != nil {
						rec.Release()
						return fmt.Errorf("part %d: %w", i, err)
					}
					e.piece = piece
					if piece.Independent() {
						rec.Release()
					} else {
						e.rec, e.appended = rec, make(chan struct{})
					}
				}
				if err := q.put(e); err != nil {
					return err
				}
				if e.appended != nil {
					// The piece lives in the batch's buffers or the encoder's:
					// both wait until it is appended.
					select {
					case <-e.appended:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			}
		})
	}
	err := g.Wait()
	// A failed preparation is the run's error, whichever goroutine saw it first: a
	// finished part waiting on the folder can report "not kept" before the
	// preparation's own goroutine returns (errgroup keeps the first error).
	if q.prepareErr != nil {
		err = q.prepareErr
	}
	return total, err
}

// queuedPerWorker is how many of a worker's batches may be encoded and not yet
// appended, the one it is evaluating included.
const queuedPerWorker = 3

// encodedBatch is a batch evaluated and encoded, waiting to be appended.
type encodedBatch struct {
	job      uint64
	rows     uint64        // rows of the batch (its points that pass the filters)
	piece    sinks.Piece   // zero when no point passed
	tokens   chan struct{} // its worker's: one is taken back once appended
	rec      arrow.Record  // the record a piece that is not Independent points into
	appended chan struct{} // closed once appended, when rec is set
}

// appendQueue appends encoded batches to their parts' files in job order. A
// worker hands in its batch with put; whichever worker finds the next batch due
// appends it and every queued one after it, one worker at a time.
type appendQueue struct {
	p        *Plan
	opt      WriteOptions
	pp, bs   uint64
	todo     []uint64
	firstJob []uint64
	meta     map[string]string
	schema   *arrow.Schema
	g        *errgroup.Group // finishes parts beside the workers
	ctx      context.Context // g's
	ready    chan struct{}   // closed once the folder's preparation has returned
	// prepareErr is what the preparation returned, read after ready is closed:
	// parts are renamed into place only when it is nil.
	prepareErr error
	finished   func(part uint64, info PartInfo)
	done       *atomic.Uint64

	mu      sync.Mutex
	next    uint64 // the job to append next
	pending map[uint64]*encodedBatch
	writing bool      // a worker is appending
	err     error     // the first append that failed; nothing is appended after it
	open    *partFile // the part being appended to; touched only by the appending worker
	early   int       // parts created, up to maxEarlyParts; touched only by the appending worker
}

// prepareHook, if set (by tests), runs before the folder is prepared;
// preparedHook after its result is published, before its goroutine returns.
var prepareHook, preparedHook func()

// maxEarlyParts bounds the parts written before the folder is ready: each
// waits for it with its file open (a descriptor) before being renamed, so a
// slow preparation (unlinking a large old result) makes the appending worker
// wait rather than hold a file per part.
const maxEarlyParts = 64

// locate returns job j's part, first point, number of points and index in its part.
func (q *appendQueue) locate(j uint64) (part, start, n, k uint64) {
	t, _ := slices.BinarySearch(q.firstJob, j+1)
	t-- // todo[t] is the part of job j
	part, k = q.todo[t], j-q.firstJob[t]
	lo, hi := partBounds(part, q.pp, q.p.N)
	start = lo + k*q.bs
	return part, start, min(q.bs, hi-start), k
}

// put queues e and, unless another worker is appending, appends every batch
// that is due. A part whose last batch it appended is finished (footer, sync,
// rename) on a goroutine of its own: the sync waits for the disk (~2 ms here,
// once per part), and a worker waiting with it left its core idle.
func (q *appendQueue) put(e *encodedBatch) error {
	q.mu.Lock()
	q.pending[e.job] = e
	if q.writing || q.err != nil {
		err := q.err
		q.mu.Unlock()
		return err
	}
	q.writing = true
	var fins []*partFile
	for q.err == nil {
		d, ok := q.pending[q.next]
		if !ok {
			break
		}
		delete(q.pending, q.next)
		q.mu.Unlock()
		fin, err := q.append(d)
		q.mu.Lock()
		if fin != nil {
			fins = append(fins, fin)
		}
		q.err = err
		q.next++
	}
	q.writing = false
	err := q.err
	q.mu.Unlock()
	if err != nil && q.ctx.Err() == nil {
		// Parts completed in this call are not finished after a failure of
		// this worker's: their temporary files go, as the open part's does
		// (abort). After a cancel (or another goroutine's failure) they are
		// finished: every batch of theirs was appended before it was seen.
		for _, fin := range fins {
			fin.f.Abort()
		}
		return err
	}
	for _, fin := range fins {
		q.g.Go(func() error {
			info, err := fin.finish(q.ready, &q.prepareErr)
			if err != nil {
				return fmt.Errorf("part %d: %w", fin.part, err)
			}
			q.finished(fin.part, info)
			return nil
		})
	}
	return err
}

// append writes e to its part, creating the part at its first batch, and hands
// e's encoder back to its worker. It returns the part when e was its last batch.
func (q *appendQueue) append(e *encodedBatch) (*partFile, error) {
	i, start, n, k := q.locate(e.job)
	lo, hi := partBounds(i, q.pp, q.p.N)
	if k == 0 {
		// A cancelled run opens no new part. The select alone would not promise
		// that: with the folder ready and the run cancelled, it picks either case.
		if err := q.ctx.Err(); err != nil {
			return nil, err
		}
		if q.early == maxEarlyParts {
			select {
			case <-q.ready:
			case <-q.ctx.Done():
				return nil, q.ctx.Err()
			}
		}
		q.early = min(q.early+1, maxEarlyParts)
		pm := maps.Clone(q.meta)
		pm["mlsysim.part"] = strconv.FormatUint(i, 10)
		pm["mlsysim.first_point"] = strconv.FormatUint(lo, 10)
		pm["mlsysim.points"] = strconv.FormatUint(hi-lo, 10)
		pf, err := createPart(filepath.Join(q.opt.Dir, results.PartName(i, q.opt.Format)), q.opt, q.schema, pm)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i, err)
		}
		pf.part, pf.lo, pf.hi = i, lo, hi
		q.open = pf
	}
	if e.rows > 0 {
		if err := q.open.w.Append(e.piece); err != nil {
			return nil, fmt.Errorf("part %d: %w", i, err)
		}
		q.open.rows += e.rows
	}
	if e.rec != nil {
		e.rec.Release()
		close(e.appended)
	}
	<-e.tokens
	if d := q.done.Add(n); q.opt.Progress != nil {
		q.opt.Progress(d)
	}
	var fin *partFile
	if start+n == hi {
		fin, q.open = q.open, nil
	}
	return fin, nil
}

// abort removes the temporary file of a part left unfinished by an error.
func (q *appendQueue) abort() {
	if q.open != nil {
		q.open.f.Abort()
	}
}

// partFile is a part being written.
type partFile struct {
	f            *sinks.File
	w            sinks.Writer
	part, lo, hi uint64 // the part and its point range
	rows         uint64
}

func createPart(path string, opt WriteOptions, schema *arrow.Schema, meta map[string]string) (*partFile, error) {
	f, err := sinks.Create(path)
	if err != nil {
		return nil, err
	}
	w, err := sinks.New(opt.Format, f, schema, sinks.Options{Compression: opt.Compression, Metadata: meta, Version: opt.Version})
	if err != nil {
		f.Abort()
		return nil, err
	}
	return &partFile{f: f, w: w}, nil
}

// finish closes the part's writer and, once the folder's preparation has
// returned without an error, renames the file into place. It waits for the
// preparation even after a cancel (which always returns: it touches only the
// folder): a part completed before a cancel is kept however long the
// preparation took, so --resume does not redo it. Before, a cancel while the
// manifest's fsync waited on a busy disk threw every completed part away.
func (pf *partFile) finish(ready <-chan struct{}, prepareErr *error) (PartInfo, error) {
	defer pf.f.Abort()
	if err := pf.w.Close(); err != nil {
		return PartInfo{}, err
	}
	<-ready
	if *prepareErr != nil {
		return PartInfo{}, fmt.Errorf("not kept: the folder was not prepared")
	}
	if commitHook != nil {
		if err := commitHook(pf.part); err != nil {
			return PartInfo{}, err
		}
	}
	if err := pf.f.Commit(); err != nil {
		return PartInfo{}, err
	}
	st, err := os.Stat(pf.f.Path())
	if err != nil {
		return PartInfo{}, err
	}
	return PartInfo{File: filepath.Base(pf.f.Path()), FirstPoint: pf.lo, Points: pf.hi - pf.lo, Rows: pf.rows, Bytes: st.Size()}, nil
}

// commitHook, if set, runs before a finished part is renamed into place; a test
// makes it fail as a full disk would.
var commitHook func(part uint64) error

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

// prepareDir removes an old result with --overwrite, refuses to mix results,
// and checks that a resumed run is the same run. The caller holds the folder's
// lock and has removed an interrupted run's temporary files (RemoveTemps):
// the files of this run's parts may be written meanwhile.
func prepareDir(opt WriteOptions, m *Manifest) error {
	existing, err := results.Existing(opt.Dir)
	if err != nil {
		return err
	}
	if len(existing) == 0 {
		return nil
	}
	switch {
	case opt.Overwrite:
		return results.Clear(opt.Dir)
	case !opt.Resume:
		return fmt.Errorf("%s already holds a result (%d files); use --resume to finish it, --overwrite to replace it, or another --out", opt.Dir, len(existing))
	}
	old, err := results.ReadManifest(opt.Dir)
	if errors.Is(err, results.ErrNoManifest) {
		return fmt.Errorf("--resume: %s has parts but no %s to check them against; use --overwrite", opt.Dir, ManifestName)
	}
	if err != nil {
		return fmt.Errorf("--resume: %w", err)
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
	// The batch size is a flag, not the spec: a kept part's row groups are
	// its size, and a resumed part written with another would make the
	// folder's bytes depend on where the run stopped. Refused rather than
	// adopted, as the part size is: the flag given is never silently ignored.
	if old.BatchSize != 0 && old.BatchSize != m.BatchSize && len(diffs) == 0 {
		return fmt.Errorf("--resume: %s was written with --batch-size %d, this run gives %d (the default is %d): a part's row groups are its batches, so a resumed folder would mix sizes and its bytes would depend on where the run stopped; resume with --batch-size %d, or use --overwrite or another --out",
			opt.Dir, old.BatchSize, m.BatchSize, DefaultBatchSize, old.BatchSize)
	}
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
