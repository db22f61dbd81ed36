package sweep

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// nonNegative reports whether a column holds a quantity that cannot be negative on any
// row, feasible or not: a time, a power, an energy, a price, a size, a rate, a count or
// a utilisation. Slack columns (a margin to a wall, negative when it is crossed) are not.
func nonNegative(col string) bool {
	if strings.HasSuffix(col, "_slack") || strings.HasSuffix(col, "_margin_gb_per_s") {
		return false
	}
	for _, s := range []string{"_ms", "_w", "_j", "_gb", "_usd", "_qps", "_per_s", "utilization", "joules_per_token",
		"usd_per_million_tokens", "tokens_per_s_per_accelerator", "tokens_per_s_per_user", "replicas", "accelerators", "instances"} {
		if strings.HasSuffix(col, s) {
			return true
		}
	}
	return false
}

// TestServingExtremesNeverNegative: every serving study over extreme but valid inputs —
// one-token prompts and outputs, rates from 1e-6 to 1000 requests/s, batch 1 and 1024,
// targets of 1 ms and 10 s — under both profiles writes no negative time, power, energy,
// price, size, rate, count or utilisation, and no draw outside [idle, TDP]
// (drawWithinTDP), on any row, infeasible rows included (they rank
// the closest misses and are what a query over the result reads). The aggregated
// calibrated fleet of serve-deploy at one output token was sized by its slots alone,
// whose hold ignores a prompt that leaves at once, so a replica prefilling 9.9× its time
// drew -202 W (Llama3_8B on A100 at 1000 requests/s).
func TestServingExtremesNeverNegative(t *testing.T) {
	cat := testCatalog()
	grids := []struct{ study, fixed, axes string }{
		{"serve-deploy", "", "  model: [Llama3_8B, Llama3_70B, GPT2]\n  hardware: [H100, A100]\n  qps: [0.000001, 1, 1000]\n  input_tokens: [1, 1024]\n  output_tokens: [1, 512]\n  mode: [aggregated, disaggregated]\n  target_ttft_ms: [1, 10000]\n  target_itl_ms: [1, 200]\n"},
		{"serve-sla", "", "  model: [Llama3_8B, Mixtral_8x7B, GPT2]\n  hardware: [H100, T4]\n  batch_size: [1, 1024]\n  seq_len: [1, 1024]\n  qps: [0.000001, 1000]\n  replicas: [1, 64]\n"},
		{"serve-capacity", "", "  model: [Llama3_8B, GPT2]\n  hardware: [H100, T4]\n  qps: [0.000001, 10000]\n  seq_len: [1, 1024]\n  output_tokens: [1, 1000]\n  max_batch_size: [1, 512]\n  target_p99_ms: [1, 100000]\n"},
		{"batching", "", "  model: [Llama3_8B, Mixtral_8x7B, GPT2]\n  hardware: [H100, T4]\n  seq_len: [1, 1024]\n  max_batch_size: [1, 512]\n  mean_request_tokens: [0, 1, 512]\n"},
		{"serve", "  batch_size: 256\n", "  model: [Llama3_8B, GPT2]\n  hardware: [H100, T4]\n  seq_len: [1, 1024]\n  output_tokens: [1, 512]\n  qps: [0, 0.000001, 1000]\n"},
	}
	for _, profile := range []string{"calibrated", "seed"} {
		for _, g := range grids {
			t.Run(profile+"/"+g.study, func(t *testing.T) {
				src := fmt.Sprintf("version: 1\nstudy: %s\nprofile: %s\n", g.study, profile)
				if g.fixed != "" {
					src += "fixed:\n" + g.fixed
				}
				rows := propRows(t, cat, src+"axes:\n"+g.axes)
				checked := 0
				var bad []string
				for _, r := range rows {
					for col, v := range r {
						f, ok := v.(float64)
						if !ok || !nonNegative(col) {
							continue
						}
						checked++
						// A deployment's fleet, a miss's included, serves its rate: a prefill
						// server busy more than all the time does not (the disaggregated pool's
						// ⌊λ·t_p⌋ + 1 instances, the aggregated replicas alike).
						if f < 0 || (col == "prefill_utilization" && f >= 1) || !drawWithinTDP(t, cat, r, col, f) {
							bad = append(bad, fmt.Sprintf("%s = %.6g at model=%v hardware=%v point %v (feasible %v, %v)",
								col, f, r["model"], r["hardware"], r["point_id"], r["feasible"], r["infeasible_reason"]))
						}
					}
				}
				if checked < 100*len(rows)/10 {
					t.Fatalf("only %d values checked on %d rows", checked, len(rows))
				}
				reportViolations(t, bad)
			})
		}
	}
}

// drawWithinTDP: an accelerator's mean draw (power_w, sim_power_w) lies between the idle
// floor, kernel.IdlePowerFraction of its TDP, and the TDP. The seed's draw, TDP · (0.3 +
// 0.7 · HFU), passed the TDP where its memory-only decode step made HFU > 1 (1,056 W on a
// 700 W H100 in the batching study, 153 W on a 70 W T4 in serve-sla).
func drawWithinTDP(t *testing.T, cat *catalog.Catalog, r map[string]any, col string, w float64) bool {
	if (col != "power_w" && col != "sim_power_w") || w == 0 {
		return true
	}
	h, err := cat.HardwareByKey(fmt.Sprint(r["hardware"]))
	if err != nil || h.TDPW <= 0 {
		t.Fatalf("%v: no TDP to check %s against (%v)", r["hardware"], col, err)
	}
	return w >= kernel.IdlePowerFraction*h.TDPW*(1-1e-9) && w <= h.TDPW*(1+1e-9)
}

// TestRangeWalkNeverNegative: every numeric parameter of every study at its ceiling and at
// its floor, alone and all together, under both profiles, writes no negative time, power,
// energy, price, size, rate, count or utilisation (nonNegative) on its row, whether the
// point is feasible or not.
func TestRangeWalkNeverNegative(t *testing.T) {
	evaluated, refused := 0, 0
	var bad []string
	outputs := map[string]bool{}
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		for _, c := range st.Columns {
			outputs[name+"."+c.Name] = true
		}
	}
	eval := func(src string) {
		for _, prof := range Profiles {
			p, err := planErr("w.yaml", []byte(src))
			if err != nil {
				refused++
				continue
			}
			if err := p.SetProfile(prof); err != nil {
				t.Fatal(err)
			}
			row, err := EvalPoint(p)
			if err != nil {
				refused++
				t.Logf("%s, %s: %v", strings.ReplaceAll(src, "\n", "; "), prof, err)
				continue
			}
			evaluated++
			for col, v := range row {
				if f, ok := v.(float64); ok && outputs[p.Study.Name+"."+col] && nonNegative(col) && f < 0 {
					bad = append(bad, fmt.Sprintf("%s = %.6g (%s; %s; feasible %v, %v)", col, f, prof,
						strings.ReplaceAll(strings.TrimSpace(src[strings.Index(src, "axes:"):]), "\n", ";"), row["feasible"], row["infeasible_reason"]))
				}
			}
		}
	}
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		head := walkHead(st)
		allMax, allMin := head, head
		for i := range st.Params {
			q := &st.Params[i]
			if q.Kind != KindFloat && q.Kind != KindInt {
				continue
			}
			set := func(src string, x float64) string { return withAxis(src, q.Name, x) }
			eval(set(head, q.Max))
			eval(set(head, paramFloor(q)))
			// Not together: a million simulated requests, or 1024 prefill and 1024 decode
			// instances (the simulation scans every instance per event), at every extreme at
			// once is minutes of goodput bisection; each is walked alone above.
			if q.Name != "requests" && q.Name != "prefill_instances" && q.Name != "decode_instances" {
				allMax, allMin = set(allMax, q.Max), set(allMin, paramFloor(q))
			}
		}
		if name == "serve-sim" {
			// Every extreme at once simulates for minutes (a stall-free replica's capacity
			// runs 16 × its largest batch of requests, millions at tp × pp 1024²); each
			// parameter is walked alone above.
			continue
		}
		eval(allMax)
		eval(allMin)
	}
	t.Logf("%d points evaluated, %d refused", evaluated, refused)
	if evaluated < 500 {
		t.Errorf("only %d points evaluated", evaluated)
	}
	reportViolations(t, bad)
}
