package queries

import (
	"strings"
	"testing"
)

// TestPlacementUnits: placement adds cost + tax · carbon / 1000, so its cost must be a
// column in USD and its carbon one in kg; any numeric column was taken before, and
// cost=mfu ranked a fleet by MFU + carbon tax with exit 0 (a dimensionless share added
// to dollars). Where the result declares no units (a query's own output file) nothing
// can be checked and nothing is refused.
func TestPlacementUnits(t *testing.T) {
	cols := []Column{{"point_id", "UBIGINT"}, {"model", "VARCHAR"}, {"mfu", "DOUBLE"}, {"step_latency_ms", "DOUBLE"},
		{"tco_usd", "DOUBLE"}, {"capex_usd", "DOUBLE"}, {"carbon_kg", "DOUBLE"}, {"water_l", "DOUBLE"}, {"feasible", "BOOLEAN"}}
	units := map[string]string{"step_latency_ms": "ms", "tco_usd": "USD", "capex_usd": "USD", "carbon_kg": "kg", "water_l": "L"}
	for _, tc := range []struct {
		name   string
		units  map[string]string
		params map[string]string
		want   []string // error parts; none: accepted
	}{
		{"defaults", units, map[string]string{}, nil},
		{"cost capex", units, map[string]string{"cost": "capex_usd"}, nil},
		{"cost mfu", units, map[string]string{"cost": "mfu"}, []string{"parameter cost", "column mfu has no unit", "want a column in USD", "columns in USD: tco_usd, capex_usd"}},
		{"cost in ms", units, map[string]string{"cost": "step_latency_ms"}, []string{"column step_latency_ms is in ms", "columns in USD"}},
		{"carbon water", units, map[string]string{"carbon": "water_l"}, []string{"parameter carbon", "column water_l is in L", "columns in kg: carbon_kg"}},
		{"carbon in USD", units, map[string]string{"carbon": "capex_usd", "cost": "tco_usd"}, []string{"column capex_usd is in USD", "want a column in kg"}},
		{"no units declared", nil, map[string]string{"cost": "mfu"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustLookup(t, "placement").bind(cols, tc.units, tc.params)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && err == nil:
				t.Fatalf("accepted; want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}
