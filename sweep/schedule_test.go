package sweep

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/mlsysim/mlsysim/results"
)

// holdFirst holds the batch of point 0 until the batch of point release has been
// evaluated (or a timeout passed, recorded in timedOut).
type holdFirst struct {
	ev       evaluator
	release  uint64
	held     chan struct{}
	timedOut *atomic.Bool
}

func (h holdFirst) eval(b *Batch, o *Outputs) {
	if b.Lo == 0 {
		select {
		case <-h.held:
		case <-time.After(20 * time.Second):
			h.timedOut.Store(true)
		}
	}
	h.ev.eval(b, o)
	if b.Lo == h.release {
		close(h.held)
	}
}

// A batch that takes longer than the ones after it holds up no worker: the
// others go on evaluating and encoding while it runs, their batches waiting in
// the append queue, and the files are the bytes one worker writes. The first
// batch is held until the fourth has been evaluated; workers that waited for
// their turn to append before taking another batch (in lockstep) never reach it.
func TestSlowBatchHoldsUpNoWorker(t *testing.T) {
	unfiltered := strings.Replace(e2eGrid, "where:", "#", 1) // batches share their fixed columns
	for name, grid := range map[string]string{"filtered": e2eGrid, "unfiltered": unfiltered} {
		t.Run(name, func(t *testing.T) {
			p := mustPlan(t, grid)
			ref := t.TempDir()
			opt := e2eOptions(ref)
			opt.Workers = 1
			mustWrite(t, p, opt)

			// With parts of 7,000 points and batches of 3,000, the fourth batch is
			// the first of the second part.
			var timedOut atomic.Bool
			held := make(chan struct{})
			st := *p.Study
			inner := st.newEval
			st.newEval = func(p *Plan) evaluator {
				return holdFirst{ev: inner(p), release: e2ePart, held: held, timedOut: &timedOut}
			}
			slow := *p
			slow.Study = &st
			dir := t.TempDir()
			mustWrite(t, &slow, e2eOptions(dir)) // two workers
			if timedOut.Load() {
				t.Fatal("the fourth batch was not evaluated while the first was held: the other worker waited for it")
			}
			sameFiles(t, dirFiles(t, dir), dirFiles(t, ref))
		})
	}
}

// The batches of an unfiltered plan share one column per fixed parameter, which
// follows the parameter's value; a filtered plan's batches own theirs (a filter
// compacts them in place), and a batch moved from one kind of plan to the other
// never writes into a shared column.
func TestFixedColumnsShared(t *testing.T) {
	unfiltered := mustPlan(t, strings.Replace(e2eGrid, "where:", "#", 1))
	filtered := mustPlan(t, e2eGrid)
	_, i, _ := unfiltered.Study.Param("tp")
	if unfiltered.Values[i].Dim >= 0 || filtered.Values[i].Dim >= 0 {
		t.Fatal("the test wants tp fixed")
	}
	x := unfiltered.Values[i].Nums[0]
	var a, b Batch
	unfiltered.Fill(&a, 0, 100)
	unfiltered.Fill(&b, 5000, 60)
	if &a.In[i][0] != &b.In[i][0] || len(b.In[i]) != 60 || cap(b.In[i]) != 60 {
		t.Errorf("two batches of an unfiltered plan: tp columns at %p and %p (len %d, cap %d), want one shared column cut to 60", &a.In[i][0], &b.In[i][0], len(b.In[i]), cap(b.In[i]))
	}
	// The record builder converts a shared column once, and again when it changes.
	rb := newRecordBuilder(unfiltered)
	var o Outputs
	o.resize(unfiltered.Study, 60)
	tpCell := func(b *Batch) int64 {
		rec := rb.build(b, &o)
		defer rec.Release()
		return rec.Column(1 + i).(*array.Int64).Value(b.N - 1)
	}
	first := tpCell(&b)
	unfiltered.Values[i].Nums[0] = x * 2
	unfiltered.Fill(&b, 0, 60)
	if b.In[i][59] != x*2 || a.In[i][99] != x {
		t.Errorf("after the value changed: %v in the new batch, %v in the old; want %v and %v", b.In[i][59], a.In[i][99], x*2, x)
	}
	if got := tpCell(&b); first != int64(x) || got != int64(x*2) {
		t.Errorf("record's tp: %d, then %d after the value changed; want %d and %d", first, got, int64(x), int64(x*2))
	}
	unfiltered.Values[i].Nums[0] = x

	shared := a.In[i]
	filtered.Fill(&a, 0, 100) // the same batch, now for a filtered plan
	if &a.In[i][0] == &shared[0] {
		t.Fatal("a filtered plan's batch writes into the shared column")
	}
	for k, v := range shared {
		if v != x {
			t.Fatalf("shared column changed at %d: %v, want %v", k, v, x)
		}
	}
	for k := range a.N {
		if a.In[i][k] != x {
			t.Fatalf("filtered batch: tp %v at %d, want %v", a.In[i][k], k, x)
		}
	}
}

// A fresh run's workers evaluate and write their parts while the folder is
// prepared (an old result removed, the manifest written), and rename no part
// into place before that is done; the files are those of a run whose folder was
// ready first. A preparation that fails stops the run with its error and
// leaves no part and no temporary file behind.
func TestWorkersStartBeforeFolderReady(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	pp := uint64(e2ePart)
	var todo []uint64
	for i := range (p.N + pp - 1) / pp {
		todo = append(todo, i)
	}
	write := func(dir string, prepare func(done *atomic.Uint64) error) (map[uint64]PartInfo, error) {
		var mu sync.Mutex
		infos := map[uint64]PartInfo{}
		var done atomic.Uint64
		opt := e2eOptions(dir)
		opt.Format, opt.Compression = "parquet", "zstd"
		var prep func() error
		if prepare != nil {
			prep = func() error { return prepare(&done) }
		}
		_, err := writeTodo(context.Background(), p, opt, pp, todo, map[string]string{"k": "v"}, prep,
			func(i uint64, info PartInfo) { mu.Lock(); infos[i] = info; mu.Unlock() }, &done)
		return infos, err
	}
	ref := t.TempDir()
	refInfos, err := write(ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	// held waits until every batch was appended to its part's file, then
	// checks that the parts are all there as temporary files and none in place.
	// Before, a worker waited to create its part, and no more than
	// 2·queuedPerWorker batches were evaluated while the folder was prepared.
	held := func(dir string, done *atomic.Uint64) {
		deadline := time.Now().Add(20 * time.Second)
		for done.Load() < p.N && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := done.Load(); n < p.N {
			t.Errorf("%d of %d points written while the folder was being prepared", n, p.N)
		}
		var temps int
		for name := range dirFiles(t, dir) {
			if _, _, ok := results.ParsePartName(name); ok {
				t.Errorf("part %s renamed into place before the folder was prepared", name)
			}
			if results.IsTemp(name) {
				temps++
			}
		}
		if temps != len(todo) {
			t.Errorf("%d temporary part files while the folder was being prepared, want %d", temps, len(todo))
		}
	}
	dir := t.TempDir()
	infos, err := write(dir, func(done *atomic.Uint64) error {
		held(dir, done)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(infos, refInfos) {
		t.Errorf("parts %v, want %v", infos, refInfos)
	}
	sameFiles(t, dirFiles(t, dir), dirFiles(t, ref))

	failed := t.TempDir()
	refused := errors.New("the folder holds another result")
	if _, err := write(failed, func(done *atomic.Uint64) error {
		held(failed, done)
		return refused
	}); !errors.Is(err, refused) {
		t.Errorf("a failed preparation: err = %v, want %v", err, refused)
	}
	if names := dirFiles(t, failed); len(names) > 0 {
		t.Errorf("a failed preparation left %v", sortedNames(names))
	}

	// The preparation's error is the run's even when the parts waiting on it
	// return first: before, errgroup kept whichever came first, and a finished
	// part's "not kept: the folder was not prepared" could hide the cause.
	preparedHook = func() { time.Sleep(200 * time.Millisecond) }
	defer func() { preparedHook = nil }()
	late := t.TempDir()
	if _, err := write(late, func(done *atomic.Uint64) error {
		held(late, done)
		return refused
	}); err != refused {
		t.Errorf("a failed preparation, parts first: err = %v, want %v itself", err, refused)
	}
}

// No more than maxEarlyParts parts are written before the folder is ready:
// each holds its file open until then.
func TestEarlyPartsBounded(t *testing.T) {
	p := mustPlan(t, e2eGrid)
	const pp = 300 // 150 parts of one batch
	var todo []uint64
	for i := range (p.N + pp - 1) / pp {
		todo = append(todo, i)
	}
	dir := t.TempDir()
	opt := e2eOptions(dir)
	opt.BatchSize, opt.Format, opt.Compression = pp, "parquet", "zstd"
	var done atomic.Uint64
	temps := func() (n int) {
		for name := range dirFiles(t, dir) {
			if results.IsTemp(name) {
				n++
			}
		}
		return n
	}
	_, err := writeTodo(context.Background(), p, opt, pp, todo, map[string]string{}, func() error {
		deadline := time.Now().Add(20 * time.Second)
		for temps() < maxEarlyParts && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // time to open one more, if it could
		if n := temps(); n != maxEarlyParts {
			t.Errorf("%d parts written before the folder was ready, want %d", n, maxEarlyParts)
		}
		return nil
	}, func(uint64, PartInfo) {}, &done)
	if err != nil {
		t.Fatal(err)
	}
	if done.Load() != p.N {
		t.Errorf("%d points written, want %d", done.Load(), p.N)
	}
}
