package sweep

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// Decimal parameters had no ceiling, and those that divide no floor above 0: 1e308 or a
// subnormal such as 1e-310 was accepted and either overflowed (the run stopped with a
// dump of the point's inputs, naming no parameter) or came out as a finite absurdity at
// exit 0 (eval -e 1e-300: a step of 1.6e298 s). A value between a sentinel and the
// physical range (pue_override 0.5: a facility drawing half its IT power) was used as
// given, or as the sentinel (carbon_intensity_g_per_kwh -0.5: the region's). Each is
// now refused where it is written, naming the parameter and what it wants.
func TestDecimalLimitsRefuse(t *testing.T) {
	fleet := "version: 1\nstudy: fleet\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n"
	study := func(name, axes string) string {
		return "version: 1\nstudy: " + name + "\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n" + axes
	}
	cases := []struct {
		name, src, param, want string
	}{
		{"serve qps subnormal", serveGrid("  qps: 1e-310\n"), "qps", "want 0 or ≥ 1e-15"},
		{"serve qps smallest float", serveGrid("  qps: 5e-324\n"), "qps", "want 0 or ≥ 1e-15"},
		{"serve-sim qps subnormal (it never finished)", study("serve-sim", "  qps: 1e-310\n"), "qps", "want 0 or ≥ 1e-15"},
		{"serve-sla qps subnormal", study("serve-sla", "  qps: 1e-310\n"), "qps", "want ≥ 1e-15"},
		{"serve-capacity qps 1e308", study("serve-capacity", "  qps: 1e308\n  target_p99_ms: 1000\n"), "qps", "want ≤ 10000000"},
		{"serving efficiency subnormal", serveGrid("  efficiency: 1e-310\n"), "efficiency", "want 0 or ≥ 1e-06"},
		{"node efficiency 1e-300", study("node", "  efficiency: 1e-300\n"), "efficiency", "want ≥ 1e-06"},
		{"amortization subnormal", serveGrid("  amortization_years: 1e-310\n"), "amortization_years", "want ≥ 0.001"},
		{"unit cost 1e300", serveGrid("  unit_cost_usd: 1e300\n"), "unit_cost_usd", "want ≤ 1000000000000000"},
		{"pue below 1", fleet + "  pue_override: 0.5\n", "pue_override", "want 0 or ≥ 1"},
		{"carbon between sentinel and 0", fleet + "  carbon_intensity_g_per_kwh: -0.5\n", "carbon_intensity_g_per_kwh", "want -1 or ≥ 0"},
		{"energy_utilization between sentinel and 0", fleet + "  energy_utilization: -0.25\n", "energy_utilization", "want -1 or ≥ 0"},
		{"budget 1e308", fleet + "  budget_usd: 1e308\n", "budget_usd", "want ≤ "},
		{"congestion 1e308", fleet + "  congestion: 1e308\n", "congestion", "want ≤ 1000"},
		{"gpu-days 1e300", "version: 1\nstudy: scaling\naxes:\n  compute_budget_gpu_days: 1e300\n", "compute_budget_gpu_days", "want ≤ "},
		{"checkpoint interval 1e308", "version: 1\nstudy: reliability\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n  job_duration_hours: 100\n  checkpoint_interval_hours: 1e308\n", "checkpoint_interval_hours", "want ≤ 876600"},
		{"perturbation 1e-30 %", study("sensitivity", "  perturbation_pct: 1e-30\n"), "perturbation_pct", "want ≥ 0.001"},
		{"target latency 1e308", study("synthesis", "  target_latency_ms: 1e308\n"), "target_latency_ms", "want ≤ 10000000"},
		{"logspace past the ceiling", serveGrid("  unit_cost_usd: {logspace: [1, 1e20, 3]}\n"), "unit_cost_usd", "want ≤ "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := planErr("d.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("planned; want %s refused", c.param)
			}
			if miss, ok := containsAll(err.Error(), "d.yaml:", c.param, "out of range", c.want); !ok {
				t.Errorf("error lacks %q: %v", miss, err)
			}
		})
	}
}

// walkRequired is the value a range walk gives each required parameter with no default.
var walkRequired = map[string]string{"model": "Llama3_8B", "hardware": "H100", "cluster": "Research_256", "fabric": "InfiniBand_NDR",
	"arrival_rate_jobs_per_day": "10", "avg_job_duration_days": "1", "job_duration_hours": "100", "qps": "10",
	"target_p99_ms": "1000", "target_latency_ms": "100"}

// walkHead is a one-point grid of study st with its required parameters set (walkRequired;
// the moe study takes a mixture of experts), to which a walk adds the parameter it moves.
func walkHead(st *Study) string {
	head := "version: 1\nstudy: " + st.Name + "\naxes:\n"
	for _, q := range st.Params {
		if r, ok := walkRequired[q.Name]; ok && q.Default == "" {
			if st.Name == "moe" && q.Name == "model" {
				r = "Mixtral_8x7B"
			}
			head += "  " + q.Name + ": [" + r + "]\n"
		}
	}
	return head
}

// paramFloor is the smallest value a parameter accepts: the least above its sentinel gap,
// the next integer or float above an open minimum, else the minimum.
func paramFloor(q *Param) float64 {
	switch {
	case q.Gap:
		return q.Least
	case q.MinOpen && q.Kind == KindInt:
		return q.Min + 1
	case q.MinOpen:
		return math.Nextafter(q.Min, math.Inf(1))
	}
	return q.Min
}

// withAxis sets parameter name to the one value x in a walk's grid: replacing its line if
// the grid has one (a required value), else adding it.
func withAxis(src, name string, x float64) string {
	v := "  " + name + ": [" + strconv.FormatFloat(x, 'g', -1, 64) + "]"
	if strings.Contains(src, "  "+name+":") {
		lines := strings.Split(src, "\n")
		for k, l := range lines {
			if strings.HasPrefix(l, "  "+name+":") {
				lines[k] = v
			}
		}
		return strings.Join(lines, "\n")
	}
	return src + v + "\n"
}

// Every decimal parameter of every study has a finite ceiling, and its extreme values —
// the ceiling, the floor (or the smallest value above its sentinel), every parameter at
// its ceiling at once and every one at its floor at once, and 5e-324 where 0 is accepted
// with no gap above it — evaluate to finite outputs on
// feasible rows under both profiles (EvalPoint runs checkFinite, which refuses a NaN or
// ±Inf with the point's inputs). The bounds are what keep the models' products and
// quotients finite, so a bound too loose to do that fails here.
func TestEveryDecimalParamBounded(t *testing.T) {
	eval := func(t *testing.T, src string) {
		t.Helper()
		for _, prof := range Profiles {
			p, err := planErr("b.yaml", []byte(src))
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if err := p.SetProfile(prof); err != nil {
				t.Fatal(err)
			}
			if _, err := EvalPoint(p); err != nil {
				t.Errorf("%s, %s: %v", strings.ReplaceAll(src, "\n", "; "), prof, err)
			}
		}
	}
	n := 0
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		head := walkHead(st)
		allMax, allMin := head, head
		for i := range st.Params {
			q := &st.Params[i]
			if q.Kind != KindFloat {
				continue
			}
			n++
			if !(q.Max > 0 && !math.IsInf(q.Max, 0)) {
				t.Errorf("%s.%s: no finite ceiling (range %s)", name, q.Name, q.Range())
				continue
			}
			if err := checkRange(q, math.Nextafter(q.Max, math.Inf(1)), "x"); err == nil {
				t.Errorf("%s.%s: a value above its ceiling %g is accepted", name, q.Name, q.Max)
			}
			if q.Gap {
				if err := checkRange(q, math.Nextafter(q.Least, math.Inf(-1)), "x"); err == nil || q.Least <= q.Min {
					t.Errorf("%s.%s: a value just below %g, above its sentinel %g, is accepted", name, q.Name, q.Least, q.Min)
				}
			}
			set := func(src string, x float64) string { return withAxis(src, q.Name, x) }
			t.Run(name+"/"+q.Name, func(t *testing.T) {
				eval(t, set(head, q.Max))
				eval(t, set(head, paramFloor(q)))
				if q.Min == 0 && !q.MinOpen && !q.Gap { // 0 accepted, so every positive value is: the smallest too
					eval(t, set(head, math.SmallestNonzeroFloat64))
				}
			})
			allMax, allMin = set(allMax, q.Max), set(allMin, paramFloor(q))
		}
		t.Run(name+"/all", func(t *testing.T) {
			eval(t, allMax)
			eval(t, allMin)
		})
	}
	if n < 60 {
		t.Errorf("found %d decimal parameters; the walk missed studies", n)
	}
}

// A choice that is not valid is offered the closest valid ones, as an unknown model,
// flag or command is: "precision "bf61" is not valid" listed all eight formats.
func TestEnumOffersClosest(t *testing.T) {
	for _, c := range []struct{ axis, want string }{
		{"  precision: bf61\n", `precision "bf61" is not valid (did you mean bf16?); choose one of`},
		{"  kv_precision: [int, fp8]\n", `kv_precision "int" is not valid (did you mean int4 or int8?)`},
	} {
		_, err := planErr("e.yaml", []byte(serveGrid(c.axis)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "e.yaml:6") {
			t.Errorf("%s: %v; want %q at its line", strings.TrimSpace(c.axis), err, c.want)
		}
	}
}
