package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestPointGroups checks pointGroups against the input columns themselves: points of
// one group agree on every parameter that is not free; groups are numbered in order of
// first appearance, each First is its group's first point; and, where every dimension
// lists distinct values, points that agree on the read parameters share a group (as
// many groups as distinct combinations). Batches start anywhere, are any length, and
// may be filtered.
func TestPointGroups(t *testing.T) {
	const head = "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n"
	cases := []struct {
		name, src string
		free      []string
		distinct  bool // every dimension's values distinct: groups are exactly the distinct combinations
	}{
		{"free fastest", head + "axes:\n  model: [Llama3_8B, Llama3_70B]\n  tp: [1, 2, 4]\n  region: [US_Avg, France, Iceland]\n",
			[]string{"region"}, true},
		{"free slowest", head + "axes:\n  region: [US_Avg, France]\n  tp: [1, 2, 4]\n  model: [Llama3_8B, Mixtral_8x7B]\n",
			[]string{"region"}, true},
		{"free between", head + "axes:\n  model: [Llama3_8B]\n  tp: [1, 2]\n  duration_days: [1, 7, 30]\n  pp: [1, 2, 4]\n  region: [US_Avg, France]\n",
			[]string{"region", "duration_days"}, true},
		{"nothing free", head + "axes:\n  model: [Llama3_8B]\n  tp: [1, 2]\n  pp: [1, 2, 4]\n", nil, true},
		{"all free", head + "axes:\n  model: [Llama3_8B]\n  region: [US_Avg, France]\n  duration_days: [1, 7]\n", []string{"region", "duration_days"}, true},
		{"filtered", head + "axes:\n  model: [Llama3_8B]\n  tp: [1, 2, 4, 8]\n  region: [US_Avg, France, Iceland]\n  pp: [1, 2, 4]\nwhere:\n  - tp * pp <= 8\n",
			[]string{"region"}, true},
		// A zipped dimension with a free and a read parameter: its read values repeat, so
		// groups may split points that agree (never merge points that do not).
		{"zipped", head + "axes:\n  model: [Llama3_8B]\n  tp: [1, 2]\n  region: [US_Avg, France, Iceland]\n  pp: [1, 1, 2]\n" +
			"zip: [[region, pp]]\n", []string{"region"}, false},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, tc.src)
			g := newPointGroups(p, tc.free...)
			for try := 0; try < 40; try++ {
				lo := rng.Uint64N(p.N)
				n := 1 + rng.IntN(int(p.N-lo))
				var b Batch
				p.Fill(&b, lo, n)
				g.assign(&b)
				checkGroups(t, p, &b, g, tc.free, tc.distinct, fmt.Sprintf("points %d..%d", lo, lo+uint64(n)-1))
			}
		})
	}
}

func checkGroups(t *testing.T, p *Plan, b *Batch, g *pointGroups, free []string, distinct bool, where string) {
	t.Helper()
	tuple := func(k int) string {
		var sb strings.Builder
		for i, col := range b.In {
			if !slices.Contains(free, p.Study.Params[i].Name) {
				fmt.Fprintf(&sb, "%x,", math.Float64bits(col[k]))
			}
		}
		return sb.String()
	}
	if len(g.Of) != b.N {
		t.Fatalf("%s: %d group indexes for %d points", where, len(g.Of), b.N)
	}
	groupOf := map[string]int32{}
	next := int32(0)
	for k := 0; k < b.N; k++ {
		j := g.Of[k]
		switch {
		case j < 0 || int(j) >= len(g.First):
			t.Fatalf("%s: point %d in group %d of %d", where, k, j, len(g.First))
		case j == next:
			if g.First[j] != int32(k) {
				t.Fatalf("%s: group %d first appears at point %d, First says %d", where, j, k, g.First[j])
			}
			next++
		case j > next:
			t.Fatalf("%s: point %d opens group %d before group %d", where, k, j, next)
		}
		if tuple(k) != tuple(int(g.First[j])) {
			t.Fatalf("%s: point %d and point %d share group %d but differ in a read parameter", where, k, g.First[j], j)
		}
		if want, seen := groupOf[tuple(k)]; distinct && seen && want != j {
			t.Fatalf("%s: point %d is in group %d, an equal point in group %d", where, k, j, want)
		}
		groupOf[tuple(k)] = j
	}
	if int(next) != len(g.First) {
		t.Fatalf("%s: %d groups numbered, %d listed", where, next, len(g.First))
	}
}

// TestFleetGroupedEqualsPointwise evaluates fleet grids as whole batches (the step
// once per group) and each point alone (a one-point batch is its own group) and wants
// every output bit equal, under both profiles. Every operations-only parameter varies
// inside each group — zipped, so that one dimension changes them all at once, and in
// the middle of the axes, so groups are not runs — and a filter drops points: a
// parameter wrongly declared free would give a group's later points the first point's
// step.
func TestFleetGroupedEqualsPointwise(t *testing.T) {
	free := map[string][2]string{
		"region": {"US_Avg", "France"}, "pue_override": {"0", "1.3"}, "carbon_intensity_g_per_kwh": {"-1", "200"},
		"wue_l_per_kwh": {"-1", "0.5"}, "power_per_accelerator_w": {"0", "500"}, "rental_usd_per_accelerator_hour": {"0", "2.5"},
		"energy_utilization": {"-1", "0.6"}, "duration_days": {"1", "30"}, "electricity_usd_per_kwh": {"0.12", "0.08"},
		"unit_cost_usd": {"0", "30000"}, "amortization_years": {"3", "4"}, "infrastructure_multiplier": {"1", "1.5"},
		"carbon_tax_usd_per_t": {"0", "150"}, "budget_usd": {"0", "2e6"}, "carbon_budget_kg": {"0", "4e4"},
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range free {
			if !yield(n) {
				return
			}
		}
	})
	if want := slices.Sorted(slices.Values(fleetOperationsParams)); !slices.Equal(names, want) {
		t.Fatalf("the test varies %v; fleetOperationsParams lists %v", names, want)
	}
	var axes strings.Builder
	for _, n := range names {
		fmt.Fprintf(&axes, "  %s: [%s, %s]\n", n, free[n][0], free[n][1])
	}
	src := "version: 1\nstudy: fleet\nfixed:\n  cluster: Research_256\n  batch_size: 256\n  microbatches: 4\naxes:\n" +
		"  model: [Llama3_8B, Mixtral_8x7B]\n  nodes: [8, 32]\n  tp: [1, 2, 8]\n" + axes.String() +
		"  pp: [1, 2, 4]\n  ep: [1, 2]\n  zero_stage: [1, 3]\n  activation_recomputation: [false, true]\n" +
		"zip: [[" + strings.Join(names, ", ") + "]]\nwhere:\n  - tp * pp <= 16\n"
	for _, profile := range Profiles {
		t.Run(profile, func(t *testing.T) {
			p := mustPlan(t, src)
			if err := p.SetProfile(profile); err != nil {
				t.Fatal(err)
			}
			b, all, _ := wholeAndAlone(t, p)
			g := newPointGroups(p, fleetOperationsParams...)
			if g.assign(b); len(g.First)*2 > b.N {
				t.Fatalf("%d groups for %d points: the grid should repeat steps", len(g.First), b.N)
			}
			feasible := 0
			for _, ok := range all.Bool[slices.IndexFunc(p.Study.Columns, func(c Column) bool { return c.Name == "feasible" })][:b.N] {
				if ok {
					feasible++
				}
			}
			if feasible == 0 || feasible == b.N {
				t.Errorf("%d of %d points feasible: the grid should have both", feasible, b.N)
			}
		})
	}
}
