package sweep

// Reproducibility of the bundled example grids (grids/*.yaml, what `mlsysim sweep NAME`
// runs) under both profiles: a slice of each grid's points is the same rows, bit for bit,
// whatever the worker count and batch size, and whether it is evaluated in one range or
// as two shards that meet in the middle of a batch. The evaluators that remember work
// between the points of a batch — the fleet's groups (groups.go), the serving runs and
// pass memo (kernel/servingruns.go, passmemo.go), serve-deploy's step cache — see
// different neighbours in each arrangement, so a cache keyed on too little shows here.
// Seen to fail when a worker's output was altered by batch position (a row's tokens_per_s
// nudged by 1 ulp on the first point of every batch: the fleet grid's point 1927 then
// differs in tokens_per_s between the arrangements).

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/mlsysim/mlsysim/grids"
)

func rangeRows(t *testing.T, p *Plan, opt Options) []map[string]string {
	t.Helper()
	var rows []map[string]string
	err := Run(context.Background(), p, opt, func(rec arrow.Record) error {
		for r := 0; r < int(rec.NumRows()); r++ {
			m := map[string]string{}
			for k, v := range Row(rec, r) {
				m[k] = fmt.Sprint(v) // floats in full: %v round-trips, NaN included
			}
			rows = append(rows, m)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run %+v: %v", opt, err)
	}
	return rows
}

func TestBundledGridsReproducible(t *testing.T) {
	const span = 300 // points per grid: a slice from the middle, so a range is not aligned to a batch
	for _, name := range grids.Names() {
		for _, profile := range []string{"calibrated", "seed"} {
			t.Run(name+"/"+profile, func(t *testing.T) {
				b, _, ok := grids.Read(name)
				if !ok {
					t.Fatalf("no grid %s", name)
				}
				s, err := ParseSpec(name+".yaml", b)
				if err != nil {
					t.Fatal(err)
				}
				s.Profile = profile
				p, err := s.Plan(testCatalog())
				if err != nil {
					t.Fatal(err)
				}
				lo := p.N / 3
				hi := min(p.N, lo+span)
				mid := lo + (hi-lo)/2 + 1
				whole := rangeRows(t, p, Options{Workers: 1, BatchSize: int(hi - lo), Lo: lo, Hi: hi})
				small := rangeRows(t, p, Options{Workers: 3, BatchSize: 7, Lo: lo, Hi: hi})
				shards := append(rangeRows(t, p, Options{Workers: 2, BatchSize: 64, Lo: lo, Hi: mid}),
					rangeRows(t, p, Options{Workers: 2, BatchSize: 50, Lo: mid, Hi: hi})...)
				// A grid with a where filter keeps fewer rows than its range holds.
				if len(whole) == 0 || len(whole) > int(hi-lo) || len(small) != len(whole) || len(shards) != len(whole) {
					t.Fatalf("rows: %d, %d, %d; want the same, at most %d", len(whole), len(small), len(shards), hi-lo)
				}
				bad := 0
				for i := range whole {
					for _, c := range slices.Sorted(maps.Keys(whole[i])) {
						if w := whole[i][c]; w != small[i][c] || w != shards[i][c] {
							if bad++; bad <= 3 {
								t.Errorf("point %s column %s: %s in one batch, %s in batches of 7, %s as two shards", whole[i]["point_id"], c, w, small[i][c], shards[i][c])
							}
						}
					}
				}
				if bad > 3 {
					t.Errorf("… %d cells differ", bad)
				}
			})
		}
	}
}
