package sweep

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/mlsysim/mlsysim/catalog"
)

const filterGrid = `version: 1
study: serve
axes:
  precision: [fp16, fp8, int8]
  hardware: {tier: Cloud}
  batch_size: [1, 8, 64, 512]
  model: [Llama3_8B, Mixtral_8x7B]
  seq_len: [1024, 4096]
where:
  - "precision != 'fp8' || hw.fp8_tflops > 0"
  - "batch_size <= 64 || model.family == 'moe'"
`

// bruteKept walks filterGrid's points in order from the catalog alone (not from
// the plan) and returns the ids the filters should keep.
func bruteKept(cat *catalog.Catalog) (kept []uint64, n uint64) {
	var cloud []*catalog.Hardware
	for _, h := range cat.Hardware {
		if h.Tier == "Cloud" {
			cloud = append(cloud, h)
		}
	}
	var id uint64
	for _, prec := range []string{"fp16", "fp8", "int8"} {
		for _, h := range cloud {
			for _, batch := range []float64{1, 8, 64, 512} {
				for _, model := range []string{"Llama3_8B", "Mixtral_8x7B"} {
					for range 2 { // seq_len
						m, _ := cat.ModelByKey(model)
						if (prec != "fp8" || h.Rates["fp8"] > 0) && (batch <= 64 || m.Family == catalog.MoE) {
							kept = append(kept, id)
						}
						id++
					}
				}
			}
		}
	}
	return kept, id
}

func TestWhereFilter(t *testing.T) {
	p := mustPlan(t, filterGrid)
	want, n := bruteKept(testCatalog())
	if p.N != n || !p.Filtered() {
		t.Fatalf("N = %d (filtered %v), want %d points before filtering", p.N, p.Filtered(), n)
	}
	if len(want) == 0 || uint64(len(want)) == n {
		t.Fatalf("the brute force keeps %d of %d: the test needs a filter that drops some points", len(want), n)
	}
	if got := p.countKept(0, p.N); got != uint64(len(want)) {
		t.Errorf("countKept = %d, want %d", got, len(want))
	}
	// Batches that split mixed-radix digits keep the same ids as the brute force.
	var got []uint64
	err := Run(context.Background(), p, Options{Workers: 3, BatchSize: 37}, func(rec arrow.Record) error {
		for _, id := range rec.Column(0).(*array.Int64).Int64Values() {
			got = append(got, uint64(id))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Run kept %d points, the brute force %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	// Kept rows carry the inputs of their id.
	var b, one Batch
	p.Fill(&b, 0, int(p.N))
	if !slices.Equal(b.IDs, want) || b.N != len(want) {
		t.Fatalf("Fill kept %d ids, want %d", b.N, len(want))
	}
	for k, id := range b.IDs {
		p.fill(&one, id, 1)
		for i := range p.Values {
			if b.In[i][k] != one.In[i][0] {
				t.Fatalf("row %d (point %d): %s = %v, regenerated %v", k, id, p.Values[i].Param.Name, b.In[i][k], one.In[i][0])
			}
		}
	}
	// countKept over part-sized windows adds up.
	var sum uint64
	for lo := uint64(0); lo < p.N; lo += 100 {
		sum += p.countKept(lo, min(lo+100, p.N))
	}
	if sum != uint64(len(want)) {
		t.Errorf("countKept over windows sums to %d, want %d", sum, len(want))
	}
}

func TestWhereWritesKeptRows(t *testing.T) {
	p := mustPlan(t, filterGrid)
	want, _ := bruteKept(testCatalog())
	dir := t.TempDir()
	m, err := WriteParts(context.Background(), p, WriteOptions{Dir: dir, PartPoints: 500, BatchSize: 77, Workers: 2, Format: "jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	rows := readDir(t, dir, "jsonl")
	var got []uint64
	for _, r := range rows {
		got = append(got, uint64(r["point_id"].(float64)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("files hold %d rows, the brute force keeps %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if m.Rows != uint64(len(want)) || m.Rows != p.countKept(0, p.N) {
		t.Errorf("manifest rows %d, countKept %d, want %d", m.Rows, p.countKept(0, p.N), len(want))
	}
	for _, part := range m.Parts {
		if part.Rows != p.countKept(part.FirstPoint, part.FirstPoint+part.Points) {
			t.Errorf("%s: %d rows, countKept %d", part.File, part.Rows, p.countKept(part.FirstPoint, part.FirstPoint+part.Points))
		}
	}
}

// TestWhereFixedAndZip: filters over a fixed parameter and over a zip group.
func TestWhereFixedAndZip(t *testing.T) {
	p := mustPlan(t, serveGrid("  seq_len: [1024, 2048, 4096]\n  prefill_chunk_tokens: [256, 512, 1024]\n  batch_size: [1, 2]\nfixed:\n  efficiency: 0.4\nzip: [[seq_len, prefill_chunk_tokens]]\nwhere: \"efficiency < 0.5 && prefill_chunk_tokens * 4 == seq_len && seq_len > 1024\"\n"))
	var b Batch
	p.Fill(&b, 0, int(p.N))
	if want := []uint64{2, 3, 4, 5}; !slices.Equal(b.IDs, want) {
		t.Errorf("kept %v, want %v", b.IDs, want)
	}
}

func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
