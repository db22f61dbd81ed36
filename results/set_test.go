package results_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sweep"
)

var testCatalog = sync.OnceValue(catalog.MustDefault)

// setGrid has 3·8·3·10 = 720 points; with 40-point parts, 18 parts, which 4
// shards split at ⌊18k/4⌋: 0–3, 4–8, 9–12, 13–17.
const setGrid = `version: 1
name: set
study: node
axes:
  model: [ResNet50, Llama3_8B, BERT_Base]
  hardware: [H100, A100, MI300X, T4, B200, V100, Gaudi2, H200]
  precision: [fp16, int8, fp32]
  batch_size: {pow2: [1, 512]}
`

func plan(t *testing.T, src string) *sweep.Plan {
	t.Helper()
	s, err := sweep.ParseSpec("set.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Plan(testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// write sweeps p into a new folder: shard k of n (n = 0: the whole run).
func write(t *testing.T, p *sweep.Plan, k, n int) string {
	t.Helper()
	dir := t.TempDir()
	_, err := sweep.WriteParts(context.Background(), p, sweep.WriteOptions{Dir: dir, PartPoints: 40, Shard: k, Shards: n, Version: "test", Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func shards(t *testing.T, p *sweep.Plan, n int) []string {
	var dirs []string
	for k := 1; k <= n; k++ {
		dirs = append(dirs, write(t, p, k, n))
	}
	return dirs
}

// readParts is the bytes of each part file of a set, by base name.
func readParts(t *testing.T, files []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestMergeEqualsWholeRun(t *testing.T) {
	p := plan(t, setGrid)
	whole := write(t, p, 0, 0)
	wantSet, err := results.Resolve([]string{whole})
	if err != nil {
		t.Fatal(err)
	}
	want := readParts(t, wantSet.Files)
	if len(want) != 18 {
		t.Fatalf("the whole run has %d parts, the test wants 18", len(want))
	}
	dirs := shards(t, p, 4)
	check := func(t *testing.T, m *results.Manifest, out string) {
		t.Helper()
		got, err := results.Resolve([]string{out})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Files) != len(want) {
			t.Fatalf("%d parts merged, want %d", len(got.Files), len(want))
		}
		for name, b := range readParts(t, got.Files) {
			if !bytes.Equal(b, want[name]) {
				t.Errorf("%s differs from the whole run's", name)
			}
		}
		ref := wantSet.Manifest
		if m.Shard != nil || m.Status != results.StatusComplete || m.Rows != ref.Rows || m.Bytes != ref.Bytes || len(m.MergedFrom) != 4 || m.SpecHash != ref.SpecHash {
			t.Errorf("merged manifest: shard %v, status %s, rows %d (want %d), bytes %d (want %d), from %v", m.Shard, m.Status, m.Rows, ref.Rows, m.Bytes, ref.Bytes, m.MergedFrom)
		}
		disk, err := results.ReadManifest(out)
		if err != nil || disk.Rows != m.Rows || len(disk.Parts) != len(want) {
			t.Errorf("manifest on disk: %+v, %v", disk, err)
		}
	}
	t.Run("into a new folder", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "all")
		m, err := results.Merge(dirs, out, results.MergeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, m, out)
		// The inputs are untouched and still resolve as shards.
		for _, d := range dirs {
			if m, err := results.ReadManifest(d); err != nil || m.Shard == nil {
				t.Errorf("%s after the merge: %+v, %v", d, m, err)
			}
		}
		if _, err := results.Merge(dirs, out, results.MergeOptions{}); err == nil || !strings.Contains(err.Error(), "already holds a result") {
			t.Errorf("merging again into a full folder: %v", err)
		}
		if _, err := results.Merge(dirs, out, results.MergeOptions{Overwrite: true}); err != nil {
			t.Errorf("merging again with overwrite: %v", err)
		}
	})
	t.Run("in place", func(t *testing.T) {
		copies := shards(t, p, 4)
		m, err := results.Merge(copies, copies[2], results.MergeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, m, copies[2])
	})
	t.Run("read through a glob", func(t *testing.T) {
		root := t.TempDir()
		for i, d := range dirs {
			if err := os.Rename(d, filepath.Join(root, "shard-"+string(rune('a'+i)))); err != nil {
				t.Fatal(err)
			}
		}
		set, err := results.Resolve([]string{filepath.Join(root, "shard-*")})
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range readParts(t, set.Files) {
			if !bytes.Equal(b, want[name]) {
				t.Errorf("%s differs from the whole run's", name)
			}
		}
		if len(set.Files) != len(want) || set.Manifest.Rows != wantSet.Manifest.Rows {
			t.Errorf("%d files, %d rows", len(set.Files), set.Manifest.Rows)
		}
	})
}

// TestCombineRefuses: every way a set of folders is not one whole run is an
// error naming what is wrong.
func TestCombineRefuses(t *testing.T) {
	p := plan(t, setGrid)
	dirs := shards(t, p, 4)
	other := shards(t, plan(t, strings.Replace(setGrid, "fp32]", "fp8]", 1)), 4)
	whole := write(t, p, 0, 0)
	running := write(t, p, 4, 4)
	m, _ := results.ReadManifest(running)
	m.Status = results.StatusRunning
	if err := results.WriteManifest(running, m); err != nil {
		t.Fatal(err)
	}
	damaged := write(t, p, 2, 4)
	if err := os.Truncate(filepath.Join(damaged, "part-00006.parquet"), 100); err != nil {
		t.Fatal(err)
	}
	missingFile := write(t, p, 3, 4)
	if err := os.Remove(filepath.Join(missingFile, "part-00010.parquet")); err != nil {
		t.Fatal(err)
	}
	// A manifest that claims 2^62 parts (hand-edited, or damaged): refused by
	// the parts it lacks, without allocating or walking 2^62 of anything.
	var huge []string
	for k := 1; k <= 2; k++ {
		dir := write(t, p, k, 4)
		hm, _ := results.ReadManifest(dir)
		hm.PartsTotal, hm.PointsTotal, hm.PartPoints = 1<<62, 1<<62, 1
		if err := results.WriteManifest(dir, hm); err != nil {
			t.Fatal(err)
		}
		huge = append(huge, dir)
	}
	plain := filepath.Join(t.TempDir(), "x.parquet")
	os.WriteFile(plain, []byte("PAR1"), 0o644)
	for _, c := range []struct {
		name string
		dirs []string
		want []string
	}{
		{"a shard missing", dirs[:3], []string{"parts 13–17 of the run's 18 are missing", "shard 4/4"}},
		{"two shards missing", []string{dirs[0], dirs[3]}, []string{"parts 4–12", "shard 2/4, 3/4"}},
		{"a shard twice", append(append([]string{}, dirs...), dirs[1]), []string{"given twice"}},
		{"overlap", append(append([]string{}, dirs...), whole), []string{"18 parts are given more than once", "part 0 is in"}},
		{"another spec", append(append([]string{}, dirs[:2]...), other[2:]...), []string{"not parts of one run", "spec hash"}},
		{"unfinished", append(append([]string{}, dirs[:3]...), running), []string{"unfinished sweep (status running)", "--resume"}},
		{"damaged part", []string{dirs[0], damaged, dirs[2], dirs[3]}, []string{"part-00006.parquet is damaged", "--resume --out"}},
		{"part file gone", []string{dirs[0], dirs[1], missingFile, dirs[3]}, []string{"part-00010.parquet is missing"}},
		{"manifests claiming 2^62 parts", huge, []string{"parts 9–4611686018427387903 of the run's 4611686018427387904 are missing", "(the parts of shard 1/4, 2/4, 3/4, 4/4"}},
		{"a plain file among folders", []string{dirs[0], plain}, []string{"is a file; every input must be a sweep output folder"}},
		{"a folder that is not a sweep", []string{dirs[0], t.TempDir()}, []string{"has no _manifest.json"}},
		{"a glob matching nothing", []string{filepath.Join(t.TempDir(), "shard-*")}, []string{"matches no folder or file"}},
		{"a URL", []string{"s3://bucket/out"}, []string{"s3:// URLs are not supported"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := results.Resolve(c.dirs)
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to say %q", err, w)
				}
			}
			out := filepath.Join(t.TempDir(), "merged")
			if _, err := results.Merge(c.dirs, out, results.MergeOptions{}); err == nil {
				t.Errorf("Merge accepted what Resolve refused")
			}
			if _, err := os.Stat(filepath.Join(out, results.ManifestName)); err == nil {
				t.Errorf("a refused merge wrote a manifest")
			}
		})
	}
}

// TestResolveOne: one folder reads the parts its manifest lists, each verified.
func TestResolveOne(t *testing.T) {
	p := plan(t, setGrid)
	dir := write(t, p, 0, 0)
	os.WriteFile(filepath.Join(dir, "part-of-thesis.parquet"), []byte("not ours"), 0o644)
	set, err := results.Resolve([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Files) != 18 || set.Manifest == nil {
		t.Errorf("%d files (want the 18 listed), manifest %v", len(set.Files), set.Manifest != nil)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-00003.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := results.Resolve([]string{dir}); err == nil || !strings.Contains(err.Error(), "part-00003.parquet is damaged") {
		t.Errorf("an emptied part: err = %v", err)
	}
}

// TestRowGroups: a set counts the row groups of the parts it checked (queries
// sizes DuckDB's threads by them), and 0 where it checked none.
func TestRowGroups(t *testing.T) {
	p := plan(t, setGrid)
	batched := t.TempDir()
	// 40-point parts in batches of 16 points: row groups of 16, 16 and 8.
	if _, err := sweep.WriteParts(context.Background(), p, sweep.WriteOptions{Dir: batched, PartPoints: 40, BatchSize: 16, Version: "test", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	os.Link(filepath.Join(batched, "part-00000.parquet"), filepath.Join(plain, "part-00000.parquet"))
	for _, tc := range []struct {
		name   string
		inputs []string
		want   int
	}{
		{"whole run, one row group a part", []string{write(t, p, 0, 0)}, 18},
		{"whole run, three row groups a part", []string{batched}, 18 * 3},
		{"four shards", shards(t, p, 4), 18},
		{"a folder without a manifest (not checked)", []string{plain}, 0},
	} {
		set, err := results.Resolve(tc.inputs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if set.RowGroups != tc.want {
			t.Errorf("%s: %d row groups, want %d", tc.name, set.RowGroups, tc.want)
		}
	}
}

// TestResolveRunning: an unfinished sweep reads the parts written so far, and
// each must be one of its own: a part of another run copied in, a part number
// past the run's 18, or a shard's folder holding a part of another shard was
// read as this run's rows with exit 0.
func TestResolveRunning(t *testing.T) {
	p := plan(t, setGrid)
	running := func(k, n int) string {
		dir := write(t, p, k, n)
		m, err := results.ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		m.Status = results.StatusRunning
		if err := results.WriteManifest(dir, m); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	other := write(t, plan(t, strings.Replace(setGrid, "name: set", "name: other", 1)), 0, 0)
	copyPart := func(from, to string, part string) {
		b, err := os.ReadFile(filepath.Join(from, part))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, part), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	dir := running(0, 0)
	if err := os.Remove(filepath.Join(dir, "part-00005.parquet")); err != nil {
		t.Fatal(err)
	}
	set, err := results.Resolve([]string{dir})
	if err != nil || len(set.Files) != 17 {
		t.Fatalf("the 17 parts written so far: %v files, err %v", set, err)
	}

	for _, tc := range []struct {
		name string
		dir  func() string
		want string
	}{
		{"another run's part", func() string {
			d := running(0, 0)
			copyPart(other, d, "part-00003.parquet")
			return d
		}, "part-00003.parquet is not a part of this unfinished sweep (written for spec"},
		{"a part number past the run", func() string {
			d := running(0, 0)
			if err := os.Rename(filepath.Join(d, "part-00017.parquet"), filepath.Join(d, "part-00018.parquet")); err != nil {
				t.Fatal(err)
			}
			return d
		}, "part-00018.parquet is not a part of this unfinished sweep (it writes parts 0 to 17)"},
		{"another shard's part", func() string {
			d := running(1, 4) // parts 0–3
			copyPart(write(t, p, 2, 4), d, "part-00004.parquet")
			return d
		}, "part-00004.parquet is not a part of this unfinished sweep (it writes parts 0 to 3)"},
		{"a part under another number", func() string {
			d := running(0, 0)
			if err := os.Rename(filepath.Join(d, "part-00002.parquet"), filepath.Join(d, "part-00001.parquet")); err != nil {
				t.Fatal(err)
			}
			return d
		}, "says it is part 2, not part 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := results.Resolve([]string{tc.dir()}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
