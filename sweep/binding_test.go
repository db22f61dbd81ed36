package sweep

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestBindingWallRuleEveryStudy holds every study, in both profiles, to binding.go's rule
// for a refused point: a split the model cannot take (tp 3 of Llama 3 8B's 32 heads, ep 3
// of Mixtral's 8 experts, pp 64 of 32 layers) names 14 Communication, a refusal no wall
// makes (a 200,000-token request past the 8,192-token context, fp4 on an A100, int4
// training, serve-sim without a rate) names no wall, and a wall's own verdict keeps the
// wall the study names. Each study is swept over those axes through the engine and every
// row checked; the studies that can refuse for a layout or an input must be seen doing it.
// Before the rule the serving studies named 4 Serving or 5 Batching for all of them, the
// node and fleet studies the largest share of a step they did not run.
func TestBindingWallRuleEveryStudy(t *testing.T) {
	fixed := map[string]string{ // parameters a study needs to plan at all
		"fleet":            "  cluster: Lab_64_H100\n",
		"network-roofline": "  cluster: Lab_64_H100\n",
		"moe":              "  cluster: Lab_64_H100\n",
		"serve-capacity":   "  qps: 10\n  target_p99_ms: 1000\n",
		"synthesis":        "  target_latency_ms: 10\n",
		"node":             "  training: true\n",
	}
	var names []string
	for n := range studies {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[uint8]map[string]bool{refusedByLayout: {}, refusedByInput: {}}
	for _, profile := range []string{"calibrated", "seed"} {
		for _, name := range names {
			st := studies[name]
			has := func(p string) bool { _, _, ok := st.Param(p); return ok }
			src := "version: 1\nstudy: " + name + "\nprofile: " + profile + "\nfixed:\n" + fixed[name]
			model := "Llama3_8B"
			if name == "moe" {
				model = "Mixtral_8x7B"
			}
			if has("model") {
				src += "  model: " + model + "\n"
			}
			if has("hardware") {
				src += "  hardware: A100\n"
			}
			src += "axes:\n"
			axes := 0
			for _, a := range []struct{ param, values string }{
				{"tp", "[1, 3]"}, {"pp", "[1, 64]"}, {"ep", "[1, 3]"}, {"seq_len", "[512, 200000]"}, {"precision", "[fp16, int4, fp4]"},
			} {
				if has(a.param) && !(name == "moe" && a.param != "ep") {
					src += "  " + a.param + ": " + a.values + "\n"
					axes++
				}
			}
			if axes == 0 {
				continue
			}
			p, err := planErr("binding.yaml", []byte(src))
			if err != nil {
				t.Fatalf("%s (%s): %v", name, profile, err)
			}
			labels := map[string]uint8{}
			for i, l := range reasonLabels {
				labels[l] = uint8(i)
			}
			for _, row := range runRows(t, p) {
				r, _ := row["infeasible_reason"].(string)
				wall := row["binding_wall"]
				class := reasonRefusal[labels[r]]
				if slices.Contains(st.wallReasons, labels[r]) {
					class = refusedByWall // the study's own wall decides it (compression)
				}
				switch class {
				case refusedByLayout:
					seen[class][name] = true
					if wall != "14 Communication" {
						t.Errorf("%s (%s) %s: binding_wall %q, want 14 Communication (a split the model cannot take)", name, profile, r, wall)
					}
				case refusedByInput:
					seen[class][name] = true
					if wall != "" {
						t.Errorf("%s (%s) %s: binding_wall %q, want none (no wall refuses it)", name, profile, r, wall)
					}
				}
			}
		}
	}
	for class, want := range map[uint8][]string{
		refusedByLayout: {"batching", "fleet", "moe", "serve", "serve-capacity", "serve-deploy", "serve-sim", "serve-sla", "train-memory"},
		refusedByInput:  {"batching", "fleet", "node", "serve", "serve-capacity", "serve-deploy", "serve-sim", "serve-sla", "train-memory"},
	} {
		for _, s := range want {
			if !seen[class][s] {
				t.Errorf("study %s refused no point of class %d: the grid no longer exercises it", s, class)
			}
		}
		var got []string
		for s := range seen[class] {
			got = append(got, s)
		}
		slices.Sort(got)
		t.Logf("class %d seen in %v", class, got)
	}
}

// runRows evaluates a plan through Run and returns its rows.
func runRows(t *testing.T, p *Plan) []map[string]any {
	t.Helper()
	var rows []map[string]any
	err := Run(context.Background(), p, Options{Workers: 1}, func(rec arrow.Record) error {
		for r := 0; r < int(rec.NumRows()); r++ {
			rows = append(rows, Row(rec, r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
