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
		t.Run(tc.name, func(t *testing.T) { checkBind(t, "placement", cols, tc.units, tc.params, tc.want) })
	}
}

// TestBatchingSLAUnit: batching bounds a latency column by max, in ms. A column
// in another unit (tokens_per_s ≤ 5000, a throughput bound the wrong way; a
// memory in GB) answered "the largest batch" with exit 0; now refused naming
// the columns in ms, where the result declares units.
func TestBatchingSLAUnit(t *testing.T) {
	cols := []Column{{"point_id", "BIGINT"}, {"model", "VARCHAR"}, {"hardware", "VARCHAR"}, {"batch_size", "BIGINT"}, {"itl_ms", "DOUBLE"},
		{"ttft_ms", "DOUBLE"}, {"tokens_per_s", "DOUBLE"}, {"kv_cache_gb", "DOUBLE"}, {"feasible", "BOOLEAN"}}
	units := map[string]string{"itl_ms": "ms", "ttft_ms": "ms", "kv_cache_gb": "GB"}
	for _, tc := range []struct {
		name   string
		units  map[string]string
		params map[string]string
		want   []string // error parts; none: accepted
	}{
		{"default itl_ms", units, map[string]string{"max": "50"}, nil},
		{"ttft_ms", units, map[string]string{"max": "500", "sla": "ttft_ms"}, nil},
		{"throughput", units, map[string]string{"max": "5000", "sla": "tokens_per_s"}, []string{"parameter sla", "column tokens_per_s has no unit", "want a column in ms", "columns in ms: itl_ms, ttft_ms"}},
		{"memory", units, map[string]string{"max": "5", "sla": "kv_cache_gb"}, []string{"column kv_cache_gb is in GB", "want a column in ms"}},
		{"no units declared", nil, map[string]string{"max": "5000", "sla": "tokens_per_s"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { checkBind(t, "batching", cols, tc.units, tc.params, tc.want) })
	}
}

// checkBind binds the bundled query name to cols and params: accepted when want is
// empty, else refused with an error holding every part of want.
func checkBind(t *testing.T, name string, cols []Column, units, params map[string]string, want []string) {
	t.Helper()
	_, err := mustLookup(t, name).bind(cols, units, params)
	switch {
	case want == nil && err != nil:
		t.Fatalf("refused: %v", err)
	case want != nil && err == nil:
		t.Fatalf("accepted; want an error with %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}
