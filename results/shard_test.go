package results

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPartRange: the shard boundaries are ⌊parts·k/n⌋, computed here with
// big.Int; the old uint64 product wrapped for parts·k ≥ 2^64.
func TestPartRange(t *testing.T) {
	cases := []struct {
		parts uint64
		k, n  int
	}{
		{10, 1, 4}, {10, 4, 4}, {3, 2, 8}, {0, 1, 1}, {1, 1, 1},
		{math.MaxUint64, 2, 3}, {math.MaxUint64, 3, 3}, {math.MaxUint64 / 2, MaxShards, MaxShards},
		{1 << 40, 1 << 21, MaxShards}, {math.MaxUint64 - 1, 7, 9},
	}
	ref := func(parts uint64, k, n int) uint64 {
		x := new(big.Int).Mul(new(big.Int).SetUint64(parts), big.NewInt(int64(k)))
		return x.Div(x, big.NewInt(int64(n))).Uint64()
	}
	for _, c := range cases {
		first, end := PartRange(c.parts, c.k, c.n)
		if wf, we := ref(c.parts, c.k-1, c.n), ref(c.parts, c.k, c.n); first != wf || end != we {
			t.Errorf("PartRange(%d, %d, %d) = [%d, %d), want [%d, %d)", c.parts, c.k, c.n, first, end, wf, we)
		}
	}
	// The shards tile the parts with no gap and no overlap.
	for _, n := range []int{1, 3, 7, 64} {
		var next uint64
		for k := 1; k <= n; k++ {
			first, end := PartRange(40, k, n)
			if first != next || end < first {
				t.Fatalf("n=%d: shard %d is [%d, %d) after %d", n, k, first, end, next)
			}
			next = end
		}
		if next != 40 {
			t.Errorf("n=%d: shards end at %d, want 40", n, next)
		}
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseShard(t *testing.T) {
	cases := []struct {
		name   string
		shard  string
		count  int
		getenv func(string) string
		k, n   int
		err    string
	}{
		{"none", "", 0, env(), 0, 0, ""},
		{"K/N", "2/4", 0, env(), 2, 4, ""},
		{"K/N agrees with count", "4/4", 4, env(), 4, 4, ""},
		{"K/N disagrees with count", "1/4", 3, env(), 0, 0, "disagree"},
		{"count alone", "", 4, env(), 0, 0, "without --shard"},
		{"K is 1-based", "0/4", 0, env(), 0, 0, "K counts from 1"},
		{"K past N", "5/4", 0, env(), 0, 0, "1 ≤ K ≤ N"},
		{"junk", "two/4", 0, env(), 0, 0, "want K/N"},
		{"huge N", "1/9223372036854775807", 0, env(), 0, 0, "at most 4194304"},
		{"N past int", "1/99999999999999999999", 0, env(), 0, 0, "want K/N"},
		{"slurm", "auto", 0, env("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "3", "SLURM_ARRAY_TASK_COUNT", "4"), 1, 4, ""},
		{"slurm last", "auto", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "3", "SLURM_ARRAY_TASK_COUNT", "4"), 4, 4, ""},
		{"slurm from 1", "auto", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_MAX", "8"), 1, 8, ""},
		{"slurm no count", "auto", 0, env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "9"), 6, 10, ""},
		{"slurm stepped, no count", "auto", 0, env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "14", "SLURM_ARRAY_TASK_STEP", "2"), 0, 0, "contiguous range"},
		{"slurm step 1, no count", "auto", 0, env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "3", "SLURM_ARRAY_TASK_STEP", "1"), 3, 4, ""},
		{"slurm stepped", "auto", 0, env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "6", "SLURM_ARRAY_TASK_COUNT", "4"), 0, 0, "contiguous range"},
		{"slurm without min/max", "auto", 0, env("SLURM_ARRAY_TASK_ID", "2"), 0, 0, "MIN/MAX are not"},
		{"slurm bad id", "auto", 0, env("SLURM_ARRAY_TASK_ID", "x"), 0, 0, "not an integer"},
		{"slurm count mismatch", "auto", 3, env("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "3"), 0, 0, "4 tasks but the shard count is 3"},
		{"k8s", "auto", 0, env("JOB_COMPLETION_INDEX", "2", "MLSYSIM_SHARD_COUNT", "4"), 3, 4, ""},
		{"k8s count flag", "auto", 8, env("JOB_COMPLETION_INDEX", "7"), 8, 8, ""},
		{"k8s index past count", "auto", 0, env("JOB_COMPLETION_INDEX", "4", "MLSYSIM_SHARD_COUNT", "4"), 0, 0, "want 0 to 3"},
		{"k8s no count", "auto", 0, env("JOB_COMPLETION_INDEX", "0"), 0, 0, "--shard-count or MLSYSIM_SHARD_COUNT"},
		{"k8s count too big", "auto", 0, env("JOB_COMPLETION_INDEX", "0", "MLSYSIM_SHARD_COUNT", "9999999999"), 0, 0, "want 1 to"},
		{"auto outside a cluster", "auto", 0, env(), 0, 0, "neither SLURM_ARRAY_TASK_ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, n, err := ParseShard(c.shard, c.count, c.getenv)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %d/%d, err %v; want an error with %q", k, n, err, c.err)
				}
				return
			}
			if err != nil || k != c.k || n != c.n {
				t.Fatalf("got %d/%d, err %v; want %d/%d", k, n, err, c.k, c.n)
			}
		})
	}
}

func TestZeroBased(t *testing.T) {
	for _, c := range []struct{ i, n, k int }{{0, 1, 1}, {0, 4, 1}, {3, 4, 4}, {-1, 4, 0}, {4, 4, 0}, {0, 0, 0}, {0, MaxShards + 1, 0}} {
		k, n, err := ZeroBased(c.i, c.n)
		if (c.k == 0) != (err != nil) || (err == nil && (k != c.k || n != c.n)) {
			t.Errorf("ZeroBased(%d, %d) = %d/%d, %v; want shard %d", c.i, c.n, k, n, err, c.k)
		}
	}
}

func TestCheckLocal(t *testing.T) {
	for _, c := range []struct {
		path string
		ok   bool
	}{
		{"s3://bucket/x", false}, {"gs://b/x", false}, {"https://example.com/a.yaml", false}, {"file:///tmp/x", false},
		{"az+blob://c/x", false}, {"out/x", true}, {"/abs/out", true}, {"C:\\out", true}, {"out:x", true}, {"./s3://x", true}, {"", true},
	} {
		if err := CheckLocal(c.path); (err == nil) != c.ok {
			t.Errorf("CheckLocal(%q) = %v, want ok=%v", c.path, err, c.ok)
		}
	}
}

func TestPartNames(t *testing.T) {
	for _, c := range []struct {
		name   string
		i      uint64
		format string
		ok     bool
	}{
		{"part-00000.parquet", 0, "parquet", true}, {"part-00042.csv", 42, "csv", true}, {"part-123456.arrow", 123456, "arrow", true},
		{"part-of-thesis.docx", 0, "", false}, {"part-1.parquet", 0, "", false}, {"part-000001.parquet", 0, "", false},
		{"part-00000.parquet.bak", 0, "", false}, {".part-00000.parquet", 0, "", false}, {"part-00000.txt", 0, "", false},
	} {
		i, f, ok := ParsePartName(c.name)
		if ok != c.ok || i != c.i || f != c.format {
			t.Errorf("ParsePartName(%q) = %d, %q, %v; want %d, %q, %v", c.name, i, f, ok, c.i, c.format, c.ok)
		}
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{".part-00003.parquet.12345.tmp", true}, {"._manifest.json.99.tmp", true}, {".part-00003.parquet.tmp", false},
		{".thesis.docx.1.tmp", false}, {"part-00003.parquet.1.tmp", false}, {".part-00003.parquet.x1.tmp", false},
	} {
		if IsTemp(c.name) != c.ok {
			t.Errorf("IsTemp(%q) = %v, want %v", c.name, !c.ok, c.ok)
		}
	}
}

// FuzzParsePartName: ParsePartName accepts exactly the names the expression
// `^part-([0-9]{5,20})\.(parquet|arrow|csv|jsonl)$` matches whose digits are
// the ones PartName writes, and returns its groups.
func FuzzParsePartName(f *testing.F) {
	re := regexp.MustCompile(`^part-([0-9]{5,20})\.(parquet|arrow|csv|jsonl)$`)
	for _, s := range []string{"part-00000.parquet", "part-00042.csv", "part-123456.arrow", "part-00001.jsonl",
		"part-1.parquet", "part-000001.parquet", "part-00000.parquet.bak", ".part-00000.parquet", "part-00000.txt",
		"part-99999999999999999999.csv", "part-18446744073709551615.csv", "part-18446744073709551616.csv",
		"part-0000a.csv", "part-+0001.csv", "part-00000.", "part-.csv", "part-00000.PARQUET", "part-١٢٣٤٥.csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		i, format, ok := ParsePartName(name)
		want := false
		if m := re.FindStringSubmatch(name); m != nil {
			n, err := strconv.ParseUint(m[1], 10, 64)
			want = err == nil && PartName(n, m[2]) == name
			if want && (i != n || format != m[2]) {
				t.Errorf("ParsePartName(%q) = %d, %q; want %d, %q", name, i, format, n, m[2])
			}
		}
		if ok != want {
			t.Errorf("ParsePartName(%q) ok = %v, want %v", name, ok, want)
		}
	})
}
