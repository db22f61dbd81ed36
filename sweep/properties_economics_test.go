package sweep

// Economics and sustainability as the documents state them (docs/PHYSICS.md §26–27, the
// fleet's operations inputs, and the serving studies' $ per million tokens), under both
// profiles: each priced column recomputed by hand from the others and the catalog, the
// rental and the capex + opex paths each, and the prices and durations moving the costs
// one way only. Each check was seen to fail against a broken input: with 365.25 days a
// year in the hand formulas, or the maintenance ratio 0.04, the capex path fails; with
// the PUE left out of the serving hour, the owned path fails.

import (
	"fmt"
	"testing"
)

// TestFleetOperationsByHand: on every feasible fleet row, over electricity prices,
// rental prices (0: owned), stated power (0: the TDP model), unit costs, durations and
// regions:
//
//	it_energy_kwh = P · N · 24 · days / 1000, P the stated power or TDP · (0.3 + 0.7 · hfu)
//	  (both profiles: the seed's hfu is its node HFU × scaling efficiency, 4/3 of its mfu
//	  with recomputation; docs/PHYSICS.md §28 said node MFU, which this test caught)
//	energy_kwh = it · PUE;  carbon_kg = energy · intensity / 1000;  water_l = energy · WUE
//	owned:  capex = unit · N / years · days / 365;  maintenance = unit · N · 0.05 · days / 365
//	        energy_cost = energy_kwh · price;  tco = capex + energy_cost + maintenance
//	rented: tco = rental · N · 24 · days;  capex = energy_cost = maintenance = 0
//
// and across points: twice the electricity price never lowers the TCO or the objective
// (owned: the energy cost doubles; rented: nothing moves), ten times the days multiply
// energy, carbon, water and TCO by ten.
func TestFleetOperationsByHand(t *testing.T) {
	cat := testCatalog()
	h, err := cat.HardwareByKey("H100")
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []string{"calibrated", "seed"} {
		t.Run(profile, func(t *testing.T) {
			const axes = "  nodes: [4, 16]\n  region: [Quebec, India_Avg]\n  unit_cost_usd: [20000, 40000]\n  rental_usd_per_accelerator_hour: [0, 2.5]\n  power_per_accelerator_w: [0, 500]\n  duration_days: [1, 10]\n  electricity_usd_per_kwh: [0.06, 0.12, 0.24]\n"
			src := fmt.Sprintf("version: 1\nstudy: fleet\nprofile: %s\nfixed:\n  cluster: Research_256\n  model: Llama3_8B\n  tp: 8\n  batch_size: 128\n  seq_len: 2048\n  zero_stage: 3\n  activation_recomputation: true\n  amortization_years: 4\naxes:\n%s", profile, axes)
			rows := propRows(t, cat, src)
			var bad []string
			eq := func(r map[string]any, what string, got, want float64) {
				if !near(got, want) {
					bad = append(bad, fmt.Sprintf("nodes %v %v unit %v rental %v power %v days %v price %v: %s %.12g, want %.12g", r["nodes"], r["region"], r["unit_cost_usd"],
						r["rental_usd_per_accelerator_hour"], r["power_per_accelerator_w"], r["duration_days"], r["electricity_usd_per_kwh"], what, got, want))
				}
			}
			checked := 0
			for _, r := range rows {
				if !feasible(r) {
					continue
				}
				checked++
				g, err := cat.GridByKey(fmt.Sprint(r["region"]))
				if err != nil {
					t.Fatal(err)
				}
				n, days := num(r, "total_accelerators"), num(r, "duration_days")
				p := num(r, "power_per_accelerator_w")
				if p == 0 {
					p = h.TDPW * (0.3 + 0.7*num(r, "hfu"))
				}
				eq(r, "IT energy", num(r, "it_energy_kwh"), p*n*24*days/1000)
				eq(r, "PUE", num(r, "pue"), g.PUE)
				eq(r, "energy", num(r, "energy_kwh"), num(r, "it_energy_kwh")*g.PUE)
				eq(r, "carbon", num(r, "carbon_kg"), num(r, "energy_kwh")*g.CarbonGPerKWh/1000)
				eq(r, "water", num(r, "water_l"), num(r, "energy_kwh")*g.WUELPerKWh)
				if rent := num(r, "rental_usd_per_accelerator_hour"); rent > 0 {
					eq(r, "rented TCO", num(r, "tco_usd"), rent*n*24*days)
					eq(r, "rented capex + energy cost + maintenance", num(r, "capex_usd")+num(r, "energy_cost_usd")+num(r, "maintenance_usd"), 0)
				} else {
					unit := num(r, "unit_cost_usd")
					eq(r, "capex", num(r, "capex_usd"), unit*n/4*days/365)
					eq(r, "maintenance", num(r, "maintenance_usd"), unit*n*0.05*days/365)
					eq(r, "energy cost", num(r, "energy_cost_usd"), num(r, "energy_kwh")*num(r, "electricity_usd_per_kwh"))
					eq(r, "owned TCO", num(r, "tco_usd"), num(r, "capex_usd")+num(r, "energy_cost_usd")+num(r, "maintenance_usd"))
				}
			}
			others := axisNames(axes)
			pairs := orderedPairs(rows, others, "electricity_usd_per_kwh", func(a, b map[string]any) {
				k := num(b, "electricity_usd_per_kwh") / num(a, "electricity_usd_per_kwh")
				for _, c := range []string{"tco_usd", "objective_usd"} {
					if !(num(b, c) >= num(a, c)) {
						bad = append(bad, fmt.Sprintf("%s → price %v: %s falls %.9g → %.9g", rowKey(a, others), b["electricity_usd_per_kwh"], c, num(a, c), num(b, c)))
					}
				}
				want := k * num(a, "energy_cost_usd")
				if !near(num(b, "energy_cost_usd"), want) {
					bad = append(bad, fmt.Sprintf("%s → price %v: energy cost %.9g, want %.9g", rowKey(a, others), b["electricity_usd_per_kwh"], num(b, "energy_cost_usd"), want))
				}
			})
			pairs += orderedPairs(rows, others, "duration_days", func(a, b map[string]any) {
				for _, c := range []string{"it_energy_kwh", "energy_kwh", "carbon_kg", "water_l", "tco_usd", "objective_usd"} {
					if !near(num(b, c), 10*num(a, c)) {
						bad = append(bad, fmt.Sprintf("%s → days %v: %s %.9g, want 10 × %.9g", rowKey(a, others), b["duration_days"], c, num(b, c), num(a, c)))
					}
				}
			})
			if checked < 100 || pairs < 100 {
				t.Fatalf("only %d feasible rows, %d pairs", checked, pairs)
			}
			t.Logf("%d rows, %d pairs", checked, pairs)
			reportViolations(t, bad)
		})
	}
}

// TestServingOwnedHourByHand: a serving point that owns its accelerators pays, per
// accelerator-hour, its amortised price and 5 % maintenance a year and its draw at the
// region's PUE (kernel.AcceleratorHourUSD, docs/PHYSICS.md §33):
//
//	usd_per_million_tokens · tokens_per_s_per_accelerator · 3600 / 1e6
//	  = unit · (1/years + 0.05) / 8760 + power_w / 1000 · PUE · price
//
// and twice the electricity price never lowers $ per million tokens — serve, serve under
// load, batching, serve-sim, serve-deploy, serve-capacity and serve-sla, both profiles.
func TestServingOwnedHourByHand(t *testing.T) {
	cat := testCatalog()
	studies := []struct{ study, fixed, axes string }{
		{"serve", "  seq_len: 2048\n", "  batch_size: [1, 64]\n  tp: [1, 2]\n"},
		{"serve", "  seq_len: 1024\n  batch_size: 64\n", "  qps: [1, 8]\n"},
		{"batching", "  precision: fp16\n", "  max_batch_size: [8, 128]\n"},
		{"serve-sim", "  requests: 100\n  seq_len: 512\n  output_tokens: 64\n", "  qps: [1, 4]\n"},
		{"serve-deploy", "  target_ttft_ms: 2000\n  target_itl_ms: 100\n", "  qps: [2, 40]\n  mode: [aggregated, disaggregated]\n"},
		{"serve-capacity", "  target_p99_ms: 20000\n", "  qps: [1, 50]\n"},
		{"serve-sla", "  qps: 0.05\n", "  batch_size: [1, 16]\n"},
	}
	for _, profile := range []string{"calibrated", "seed"} {
		for _, sc := range studies {
			t.Run(profile+"/"+sc.study, func(t *testing.T) {
				axes := sc.axes + "  hardware: [H100, MI300X]\n  model: [Llama3_8B]\n  region: [Quebec, India_Avg]\n  unit_cost_usd: [0, 25000]\n  amortization_years: [2, 5]\n  electricity_usd_per_kwh: [0.1, 0.2]\n"
				rows := propRows(t, cat, fmt.Sprintf("version: 1\nstudy: %s\nprofile: %s\nfixed:\n%saxes:\n%s", sc.study, profile, sc.fixed, axes))
				var bad []string
				checked := 0
				for _, r := range rows {
					if !feasible(r) {
						continue
					}
					checked++
					hw, err := cat.HardwareByKey(fmt.Sprint(r["hardware"]))
					if err != nil {
						t.Fatal(err)
					}
					g, err := cat.GridByKey(fmt.Sprint(r["region"]))
					if err != nil {
						t.Fatal(err)
					}
					unit := num(r, "unit_cost_usd")
					if unit == 0 {
						unit = hw.UnitCostUSD
					}
					want := unit*(1/num(r, "amortization_years")+0.05)/8760 + num(r, "power_w")/1000*g.PUE*num(r, "electricity_usd_per_kwh")
					if got := num(r, "usd_per_million_tokens") * num(r, "tokens_per_s_per_accelerator") * 3600 / 1e6; !near(got, want) {
						bad = append(bad, fmt.Sprintf("%v %v: the hour costs %.12g USD, want %.12g", r["hardware"], rowKey(r, axisNames(axes)), got, want))
					}
				}
				pairs := orderedPairs(rows, axisNames(axes), "electricity_usd_per_kwh", func(a, b map[string]any) {
					if !(num(b, "usd_per_million_tokens") > num(a, "usd_per_million_tokens")) {
						bad = append(bad, fmt.Sprintf("%s: $/M tokens %.9g → %.9g at twice the electricity price", rowKey(a, axisNames(axes)), num(a, "usd_per_million_tokens"), num(b, "usd_per_million_tokens")))
					}
				})
				if checked < 8 || pairs < 4 {
					t.Fatalf("only %d feasible rows, %d pairs", checked, pairs)
				}
				reportViolations(t, bad)
			})
		}
	}
}
