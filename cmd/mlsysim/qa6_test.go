//go:build cgo && !lean

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// keptRows runs optimize serving with --keep and reads back every row it swept.
func keptRows(t *testing.T, code int, args ...string) (map[string]any, []map[string]any) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kept")
	r := mlsysim(t, append([]string{"optimize", "serving", "-o", "json", "--keep", dir}, args...)...)
	if r.code != code {
		t.Fatalf("exit %d, want %d\n%v", r.code, code, r)
	}
	obj := oneObject(t, r.stdout)
	q := mlsysim(t, "query", "--sql", "SELECT point_id, "+strings.Join(keptColumns, ", ")+" FROM results", dir, "-o", "json")
	if q.code != exitOK {
		t.Fatalf("reading the kept sweep: %v", q)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(q.stdout), &rows); err != nil {
		t.Fatalf("query -o json: %v", err)
	}
	if got := obj["total_searched"].(float64); int(got) != len(rows) {
		t.Fatalf("total_searched %v, kept %d rows", got, len(rows))
	}
	return obj, rows
}

// keptColumns are the columns the brute-force checks read (all that optimize serving
// reports, and what its economics are made of).
var keptColumns = append([]string{"feasible", "prefill_ms", "decode_step_ms", "kv_transfer_ms", "power_w", "region", "electricity_usd_per_kwh"},
	servingColumnsShown...)

// deploymentKey is what makes two rows the same deployment (queries/deployments.sql).
func deploymentKey(r map[string]any) string {
	var b strings.Builder
	for _, c := range []string{"hardware", "precision", "kv_precision", "tp", "pp", "ep", "mode", "prefill_tp"} {
		fmt.Fprint(&b, r[c], "|")
	}
	return b.String()
}

// sameRow: a reported candidate is the swept row of its deployment and batch, number for number.
func sameRow(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	if deploymentKey(got) != deploymentKey(want) || got["batch_size"] != want["batch_size"] {
		t.Errorf("%s is %s batch %v; brute force finds %s batch %v", what, deploymentKey(got), got["batch_size"], deploymentKey(want), want["batch_size"])
		return
	}
	for k, v := range got {
		if w, ok := want[k]; ok && fmt.Sprint(v) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v, the swept row says %v", what, k, v, w)
		}
	}
}

// TestOptimizeServingBruteForce re-evaluates what optimize serving reports against every
// row it swept (--keep): the recommendation is the cheapest feasible row (ties: the smaller
// sla_ratio), each mode's best the cheapest of that mode, the top candidates the cheapest
// distinct deployments in order, the frontier exactly the non-dominated feasible points of
// tokens/s per accelerator and per user, a disaggregated prefill instance holds the weights
// (141 GB at FP16 do not fit one 80 GiB H100), and each feasible row's economics follow from its
// own power, fleet and the catalog price by hand: $/h = unit cost · (1/3 y + 5 % maintenance)
// / 8760 h + W/1000 · PUE · $/kWh (docs/PHYSICS.md §34), tokens/s = QPS · OSL.
func TestOptimizeServingBruteForce(t *testing.T) {
	const qps, isl, osl, ttft, itl = 4.0, 1024.0, 256.0, 400.0, 25.0
	obj, rows := keptRows(t, exitOK, "Llama3_70B", "--qps", "4", "--ttft-ms", "400", "--itl-ms", "25", "--hardware", "H100,MI300X",
		"--precision", "fp16,fp8,int4", "--max-batch", "6", "--top", "6")
	cat := catalog.MustDefault()
	var feasible []map[string]any
	cheaper := func(a, b map[string]any) bool {
		// Prices to three significant figures (queries/deployments.sql), then the smaller
		// sla_ratio, then the less loaded decode slots, then the lower point id.
		sig3 := func(x float64) float64 {
			p := math.Pow(10, 2-math.Floor(math.Log10(x)))
			return math.Round(x*p) / p
		}
		ua, ub := sig3(a["usd_per_million_tokens"].(float64)), sig3(b["usd_per_million_tokens"].(float64))
		if ua != ub {
			return ua < ub
		}
		if sa, sb := a["sla_ratio"].(float64), b["sla_ratio"].(float64); sa != sb {
			return sa < sb
		}
		if da, db := a["decode_utilization"].(float64), b["decode_utilization"].(float64); da != db {
			return da < db
		}
		return a["point_id"].(float64) < b["point_id"].(float64)
	}
	best := map[string]map[string]any{}     // per mode, "" for all
	byDeploy := map[string]map[string]any{} // cheapest row of each deployment
	for _, r := range rows {
		if r["feasible"] != true {
			continue
		}
		feasible = append(feasible, r)
		for _, k := range []string{"", r["mode"].(string)} {
			if b, ok := best[k]; !ok || cheaper(r, b) {
				best[k] = r
			}
		}
		if b, ok := byDeploy[deploymentKey(r)]; !ok || cheaper(r, b) {
			byDeploy[deploymentKey(r)] = r
		}
		// By hand, from the row's own columns and the catalog.
		num := func(k string) float64 { return r[k].(float64) }
		id := fmt.Sprintf("%v %v batch %v", deploymentKey(r), r["mode"], r["batch_size"])
		if num("ttft_ms") > ttft || num("itl_ms") > itl || num("ttft_ms") < num("prefill_ms") || num("itl_ms") < num("decode_step_ms") {
			t.Errorf("%s: TTFT %v (prefill %v), ITL %v (step %v) against %v/%v ms", id, num("ttft_ms"), num("prefill_ms"), num("itl_ms"), num("decode_step_ms"), ttft, itl)
		}
		accels := num("replicas")*num("tp")*num("pp") + num("prefill_instances")*num("prefill_tp")*b2f(r["mode"] == "disaggregated")
		tokens := qps * osl
		h, err := cat.HardwareByKey(r["hardware"].(string))
		if err != nil {
			t.Fatal(err)
		}
		g, err := cat.GridByKey(r["region"].(string))
		if err != nil {
			t.Fatal(err)
		}
		hour := h.UnitCostUSD*(1.0/3+0.05)/(365*24) + num("power_w")/1000*g.PUE*num("electricity_usd_per_kwh")
		if r["mode"] == "disaggregated" && !(num("prefill_tp")*h.MemCapacityBytes > 70.6e9*bytesPerParam[r["precision"].(string)]) {
			t.Errorf("%s: a prefill instance of tp %v cannot hold Llama3_70B's weights", id, r["prefill_tp"])
		}
		for _, c := range []struct {
			col  string
			want float64
		}{
			{"accelerators", accels},
			{"tokens_per_s_per_accelerator", tokens / accels},
			{"tokens_per_s_per_user", 1000 / num("itl_ms")},
			{"joules_per_token", num("power_w") * accels / tokens},
			{"usd_per_million_tokens", accels * hour / (tokens * 3600) * 1e6},
		} {
			if got := num(c.col); math.Abs(got-c.want) > 1e-9*math.Abs(c.want) {
				t.Errorf("%s: %s = %.12g, by hand %.12g", id, c.col, got, c.want)
			}
		}
	}
	if len(feasible) == 0 || len(feasible) == len(rows) {
		t.Fatalf("%d of %d rows feasible: the search should hold both", len(feasible), len(rows))
	}
	sameRow(t, "best", obj["best"].(map[string]any), best[""])
	for _, m := range []string{"aggregated", "disaggregated"} {
		sameRow(t, "best_"+m, obj["best_"+m].(map[string]any), best[m])
	}
	var deployments []map[string]any
	for _, r := range byDeploy {
		deployments = append(deployments, r)
	}
	for i := range deployments { // selection sort: few deployments, and the order is the point
		for j := i + 1; j < len(deployments); j++ {
			if cheaper(deployments[j], deployments[i]) {
				deployments[i], deployments[j] = deployments[j], deployments[i]
			}
		}
	}
	top := obj["top_candidates"].([]any)
	if len(top) != 6 {
		t.Fatalf("%d top candidates, want --top 6", len(top))
	}
	for i, c := range top {
		sameRow(t, fmt.Sprintf("top_candidates[%d]", i), c.(map[string]any), deployments[i])
	}

	perAcc := func(r map[string]any) float64 { return r["tokens_per_s_per_accelerator"].(float64) }
	perUser := func(r map[string]any) float64 { return r["tokens_per_s_per_user"].(float64) }
	dominates := func(a, b map[string]any) bool {
		return perAcc(a) >= perAcc(b) && perUser(a) >= perUser(b) && (perAcc(a) > perAcc(b) || perUser(a) > perUser(b))
	}
	want := map[[2]float64]bool{}
	for _, r := range feasible {
		undominated := true
		for _, o := range feasible {
			if dominates(o, r) {
				undominated = false
				break
			}
		}
		if undominated {
			want[[2]float64{perAcc(r), perUser(r)}] = true
		}
	}
	got := map[[2]float64]bool{}
	for _, f := range obj["frontier"].([]any) {
		m := f.(map[string]any)
		p := [2]float64{perAcc(m), perUser(m)}
		if got[p] || !want[p] || m["infeasible_reason"] != nil {
			t.Errorf("frontier point %v: repeated %v, on the brute-force frontier %v, reason %v", p, got[p], want[p], m["infeasible_reason"])
		}
		got[p] = true
	}
	if len(got) != len(want) {
		t.Errorf("frontier has %d points, brute force %d", len(got), len(want))
	}
}

// TestOptimizeServingClosestMiss: when nothing meets the targets, the closest miss is the
// row with the smallest sla_ratio of all swept (ties: the cheaper), and its ratio is what its
// own latencies and fleet give: max(unqueued TTFT / target, decode step / target, fleet / limit).
func TestOptimizeServingClosestMiss(t *testing.T) {
	const ttft, itl, limit = 60.0, 8.0, 4.0
	obj, rows := keptRows(t, exitPhysics, "Llama3_70B", "--qps", "30", "--ttft-ms", "60", "--itl-ms", "8", "--hardware", "H100,MI300X",
		"--precision", "fp8", "--max-batch", "4", "--max-accelerators", "4")
	miss, ok := obj["closest_miss"].(map[string]any)
	if !ok {
		t.Fatalf("no closest_miss in %v", obj)
	}
	var closest map[string]any
	for _, r := range rows {
		if r["feasible"] == true {
			t.Fatalf("feasible row %v in a search that exited 2", r)
		}
		s, ok := r["sla_ratio"].(float64)
		if !ok || math.IsInf(s, 0) {
			continue
		}
		if closest == nil || s < closest["sla_ratio"].(float64) ||
			(s == closest["sla_ratio"].(float64) && r["usd_per_million_tokens"].(float64) < closest["usd_per_million_tokens"].(float64)) {
			closest = r
		}
	}
	sameRow(t, "closest_miss", miss, closest)
	num := func(k string) float64 { return closest[k].(float64) }
	unqueued := num("prefill_ms") + num("kv_transfer_ms")
	if closest["mode"] == "aggregated" {
		unqueued = num("prefill_ms") + num("decode_step_ms")
	}
	want := math.Max(math.Max(unqueued/ttft, num("decode_step_ms")/itl), num("accelerators")/limit)
	if got := num("sla_ratio"); math.Abs(got-want) > 1e-9*want || got <= 1 {
		t.Errorf("closest miss sla_ratio %v, by hand %v (and > 1)", got, want)
	}
}

// bytesPerParam of the weight formats the brute-force search takes.
var bytesPerParam = map[string]float64{"fp16": 2, "fp8": 1, "int4": 0.5}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestOptimizeServingKVNamed: the text names the KV cache's format where the search's value
// is "same" (an int4 row's cache is int4: "KV same" hid it); JSON keeps "same".
func TestOptimizeServingKVNamed(t *testing.T) {
	args := []string{"optimize", "serving", "Llama3_8B", "--qps", "2", "--ttft-ms", "500", "--itl-ms", "50", "--hardware", "H100",
		"--precision", "int4", "--max-batch", "4", "--disaggregated", "off"}
	best := oneObject(t, mlsysim(t, append(args, "-o", "json")...).stdout)["best"].(map[string]any)
	text := mlsysim(t, args...).stdout
	kv := best["kv_precision"].(string)
	want := "int4, KV " + kv
	if kv == "same" {
		want = "int4, KV int4"
	}
	if !strings.Contains(text, want) || strings.Contains(text, " same ") {
		t.Errorf("best KV %q; text should say %q and never 'same':\n%s", kv, want, text)
	}
}
