package sweep

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSpec: no input makes ParseSpec or Plan panic, and a plan that comes
// back is consistent: N is the product of its dimensions and any point fills.
// Generators are capped (maxAxisValues), so no input allocates without bound.
func FuzzParseSpec(f *testing.F) {
	for _, pattern := range []string{"../grids/*.yaml", "../testdata/grids/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(filterGrid))
	f.Add([]byte(serveGrid("  seq_len: [1024, 2048]\n  prefill_chunk_tokens: [0, 512]\nzip: [[seq_len, prefill_chunk_tokens]]\n")))
	f.Add([]byte("version: 1\nstudy: serve\naxes: &a\n  model: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec("fuzz.yaml", b)
		if err != nil {
			return
		}
		p, err := s.Plan(testCatalog())
		if err != nil {
			return
		}
		n := uint64(1)
		for _, d := range p.Dims {
			if d.Len < 2 && len(d.Params) < 2 {
				t.Fatalf("dimension of length %d", d.Len)
			}
			n *= uint64(d.Len)
		}
		if n != p.N || p.N == 0 {
			t.Fatalf("N = %d, dims multiply to %d", p.N, n)
		}
		var batch Batch
		for _, id := range []uint64{0, p.N / 2, p.N - 1} {
			p.Fill(&batch, id, 1)
			if batch.N > 1 {
				t.Fatalf("Fill of one point gave %d rows", batch.N)
			}
		}
		if p.Filtered() && p.countKept(0, min(p.N, 1<<16)) == 0 && p.N <= 1<<16 {
			t.Fatalf("the filter keeps no point but Plan accepted it")
		}
	})
}
