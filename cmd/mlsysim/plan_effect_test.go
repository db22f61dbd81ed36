package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPlanKeysChangeTheAnswer: every plan key either changes the scorecard of the study
// the plan lands in, or is refused (exit 1, the key's plan line, "changes nothing"), or,
// where the seed's own format carries it, accepted with a warning saying it is ignored.
// Each case evaluates the plan with the key at two values; a key that silently does
// nothing would give the same scorecard twice with exit 0.
func TestPlanKeysChangeTheAnswer(t *testing.T) {
	const (
		head   = "version: \"1.0\"\nname: effect\n"
		node   = head + "workload: {name: %s, batch_size: 8%s}\nhardware: {name: %s%s}\n"
		fleet8 = head + "workload: {name: Llama3_8B, batch_size: 512%s}\nhardware: {name: %s, accelerators: 16, accelerators_per_node: 8%s}\nparallelism: {tp: 8%s}\n"
	)
	dsv3EP := head + "workload: {name: DeepSeek_V3, batch_size: 2048, seq_len: 4096}\nhardware: {name: H800, accelerators: 1024, accelerators_per_node: 8, precision: bf16}\nparallelism: {tp: 1, pp: 16, ep: 64, microbatches: 32, zero_stage: 1, activation_checkpointing: full}\n"
	type outcome int
	const (
		changes outcome = iota
		refused
		warned
	)
	cases := []struct {
		name, profile, key string
		a, b               string // the plan at the key's two values
		want               outcome
	}{
		{"node seq_len calibrated", "calibrated", "workload.seq_len", fmt.Sprintf(node, "Llama3_8B", ", seq_len: 1024", "H100", ""), fmt.Sprintf(node, "Llama3_8B", ", seq_len: 4096", "H100", ""), refused},
		{"node seq_len seed", "seed", "workload.seq_len", fmt.Sprintf(node, "Llama3_8B", ", seq_len: 1024", "H100", ""), fmt.Sprintf(node, "Llama3_8B", ", seq_len: 4096", "H100", ""), warned},
		{"node batch", "calibrated", "workload.batch_size", fmt.Sprintf(node, "Llama3_8B", "", "H100", ""), strings.Replace(fmt.Sprintf(node, "Llama3_8B", "", "H100", ""), "batch_size: 8", "batch_size: 64", 1), changes},
		{"node efficiency transformer", "calibrated", "hardware.efficiency", fmt.Sprintf(node, "Llama3_8B", "", "H100", ", efficiency: 0.01"), fmt.Sprintf(node, "Llama3_8B", "", "H100", ", efficiency: 0.9"), changes}, // memory-bound above ≈ 0.03
		{"node efficiency measured CNN", "calibrated", "hardware.efficiency", fmt.Sprintf(node, "ResNet50", "", "H100", ", efficiency: 0.2"), fmt.Sprintf(node, "ResNet50", "", "H100", ", efficiency: 0.9"), refused},
		{"node efficiency CNN seed", "seed", "hardware.efficiency", fmt.Sprintf(node, "ResNet50", "", "H100", ", efficiency: 0.2"), fmt.Sprintf(node, "ResNet50", "", "H100", ", efficiency: 0.9"), changes},
		{"node precision", "calibrated", "hardware.precision", fmt.Sprintf(node, "Llama3_8B", "", "H100", ", precision: fp16"), fmt.Sprintf(node, "Llama3_8B", "", "H100", ", precision: int8"), changes},
		{"fleet efficiency measured", "calibrated", "hardware.efficiency", fmt.Sprintf(fleet8, "", "H100", ", efficiency: 0.2", ""), fmt.Sprintf(fleet8, "", "H100", ", efficiency: 0.9", ""), refused},
		{"fleet efficiency unmeasured", "calibrated", "hardware.efficiency", fmt.Sprintf(fleet8, "", "MI250X", ", efficiency: 0.2", ""), fmt.Sprintf(fleet8, "", "MI250X", ", efficiency: 0.9", ""), changes},
		{"fleet efficiency unmeasured precision", "calibrated", "hardware.efficiency", fmt.Sprintf(fleet8, "", "H100", ", precision: fp32, efficiency: 0.2", ""), fmt.Sprintf(fleet8, "", "H100", ", precision: fp32, efficiency: 0.9", ""), changes},
		{"fleet efficiency seed", "seed", "hardware.efficiency", // the seed counts one token per sequence: its node step is memory-bound above η ≈ 0.01
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", efficiency: 0.001", ""), "Llama3_8B", "GPT2_Small", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", efficiency: 0.9", ""), "Llama3_8B", "GPT2_Small", 1), changes},
		{"fleet seq_len", "calibrated", "workload.seq_len", fmt.Sprintf(fleet8, ", seq_len: 1024", "H100", "", ""), fmt.Sprintf(fleet8, ", seq_len: 4096", "H100", "", ""), changes},
		{"intra_node_bw", "calibrated", "hardware.intra_node_bw", fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 100 GB/s", ""), fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 900 GB/s", ""), changes},
		{"intra_node_bw one per node", "calibrated", "hardware.intra_node_bw",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 100 GB/s", ""), "accelerators_per_node: 8", "accelerators_per_node: 1", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 900 GB/s", ""), "accelerators_per_node: 8", "accelerators_per_node: 1", 1), refused},
		{"fabric", "calibrated", "hardware.fabric_bandwidth", fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 10 GB/s", ""), fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 100 GB/s", ""), changes},
		{"fabric seed dp across nodes", "seed", "hardware.fabric_bandwidth",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 10 GB/s", ""), "tp: 8", "tp: 1", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 100 GB/s", ""), "tp: 8", "tp: 1", 1), changes},
		{"fabric seed dp within a node", "seed", "hardware.fabric_bandwidth", fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 10 GB/s", ""), fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 100 GB/s", ""), refused},
		{"intra_node_bw seed", "seed", "hardware.intra_node_bw", fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 100 GB/s", ""), fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 900 GB/s", ""), changes},
		{"intra_node_bw seed pipeline only", "seed", "hardware.intra_node_bw",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 100 GB/s", ""), "tp: 8", "pp: 16", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", intra_node_bw: 900 GB/s", ""), "tp: 8", "pp: 16", 1), refused},
		{"fabric one node", "calibrated", "hardware.fabric_bandwidth",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 10 GB/s", ""), "accelerators: 16", "accelerators: 8", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", ", fabric_bandwidth: 100 GB/s", ""), "accelerators: 16", "accelerators: 8", 1), refused},
		{"pp", "calibrated", "parallelism.pp", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2"), changes},
		{"microbatches", "calibrated", "parallelism.microbatches", fmt.Sprintf(fleet8, "", "H100", "", ", microbatches: 1"), fmt.Sprintf(fleet8, "", "H100", "", ", microbatches: 4"), changes},
		{"virtual_stages", "calibrated", "parallelism.virtual_stages", fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2, microbatches: 4"), fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2, microbatches: 4, virtual_stages: 2"), changes},
		{"virtual_stages without pp", "seed", "parallelism.virtual_stages", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", virtual_stages: 2"), refused},
		{"zero_stage", "calibrated", "parallelism.zero_stage", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 3"), changes},
		{"zero_stage at dp 1", "calibrated", "parallelism.zero_stage", fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2"), fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2, zero_stage: 3"), refused},
		{"overlap", "calibrated", "parallelism.overlap", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", overlap: true"), changes},
		{"overlap at dp 1", "seed", "parallelism.overlap", fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2"), fmt.Sprintf(fleet8, "", "H100", "", ", pp: 2, overlap: true"), refused},
		// Under calibrated the cp ranks hold the same weights: gradients reduce and ZeRO
		// shards over dp·cp, so at dp 1 with cp 2 both change the step (they were refused
		// as changing nothing).
		{"zero_stage at dp 1, cp 2", "calibrated", "parallelism.zero_stage", fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2"), fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2, zero_stage: 1"), changes},
		{"overlap at dp 1, cp 2", "calibrated", "parallelism.overlap", fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2"), fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2, overlap: true"), changes},
		{"sequence_parallel", "calibrated", "parallelism.sequence_parallel", fmt.Sprintf(fleet8, "", "H100", "", ", sequence_parallel: false"), fmt.Sprintf(fleet8, "", "H100", "", ", sequence_parallel: true"), changes},
		{"sequence_parallel at tp 1", "calibrated", "parallelism.sequence_parallel",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", "", ""), "tp: 8", "tp: 1", 1), strings.Replace(fmt.Sprintf(fleet8, "", "H100", "", ", sequence_parallel: true"), "tp: 8", "tp: 1", 1), refused},
		{"sequence_parallel seed", "seed", "parallelism.sequence_parallel", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", sequence_parallel: false"), refused},
		{"cp", "calibrated", "parallelism.cp", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2"), changes},
		{"fp8_recipe", "calibrated", "hardware.fp8_recipe", fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_recipe: none", ""), fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_recipe: current", ""), changes},
		{"fp8_params", "calibrated", "hardware.fp8_params", fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_recipe: current, fp8_params: false", ""), fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_recipe: current, fp8_params: true", ""), changes},
		{"fp8_params without fp8_recipe", "calibrated", "hardware.fp8_params", fmt.Sprintf(fleet8, "", "H100", ", precision: bf16", ""), fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_params: true", ""), refused},
		{"fp8_recipe seed", "seed", "hardware.fp8_recipe", fmt.Sprintf(fleet8, "", "H100", ", precision: bf16", ""), fmt.Sprintf(fleet8, "", "H100", ", precision: bf16, fp8_recipe: current", ""), refused},
		{"cp seed", "seed", "parallelism.cp", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2"), refused},
		{"cp_attention", "calibrated", "parallelism.cp_attention", fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2, cp_attention: ring"), fmt.Sprintf(fleet8, "", "H100", "", ", cp: 2, cp_attention: allgather"), changes},
		{"cp_attention at cp 1", "calibrated", "parallelism.cp_attention", fmt.Sprintf(fleet8, "", "H100", "", ", cp_attention: ring"), fmt.Sprintf(fleet8, "", "H100", "", ", cp_attention: allgather"), refused},
		{"cp_attention seed", "seed", "parallelism.cp_attention", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", cp_attention: allgather"), refused},
		{"dp_shard", "calibrated", "parallelism.dp_shard", fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 3, dp_shard: 1"), fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 3, dp_shard: 2"), changes},
		{"dp_shard at ZeRO 0", "calibrated", "parallelism.dp_shard", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", dp_shard: 2"), refused},
		{"dp_shard seed", "seed", "parallelism.dp_shard", fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 3"), fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 3, dp_shard: 2"), refused},
		{"transformer_execution", "calibrated", "parallelism.transformer_execution", fmt.Sprintf(fleet8, "", "H100", "", ", transformer_execution: fused"), fmt.Sprintf(fleet8, "", "H100", "", ", transformer_execution: eager"), changes},
		{"transformer_execution seed", "seed", "parallelism.transformer_execution", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", transformer_execution: eager"), refused},
		{"flash_attention", "calibrated", "parallelism.flash_attention", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", flash_attention: false"), changes},
		{"flash_attention seed", "seed", "parallelism.flash_attention", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", flash_attention: false"), refused},
		{"fp32_gradients", "calibrated", "parallelism.fp32_gradients", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", fp32_gradients: false"), changes},
		{"optimizer_state_precision", "calibrated", "parallelism.optimizer_state_precision", fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 1"), fmt.Sprintf(fleet8, "", "H100", "", ", zero_stage: 1, optimizer_state_precision: bf16"), changes},
		{"pipeline_schedule", "calibrated", "parallelism.pipeline_schedule",
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", "", ", microbatches: 4"), "tp: 8", "tp: 1, pp: 2", 1),
			strings.Replace(fmt.Sprintf(fleet8, "", "H100", "", ", microbatches: 4, pipeline_schedule: dualpipe"), "tp: 8", "tp: 1, pp: 2", 1), changes},
		{"moe_a2a_overlap seed", "seed", "parallelism.moe_a2a_overlap", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", moe_a2a_overlap: true"), refused},
		// DeepSeek-V3 on 1024 H800, EP 64 over 8 nodes: DeepEP sends a token to 3.5 other
		// nodes, not 7 copies.
		{"moe_dispatcher", "calibrated", "parallelism.moe_dispatcher", dsv3EP, strings.Replace(dsv3EP, "ep: 64", "ep: 64, moe_dispatcher: deepep", 1), changes},
		{"moe_dispatcher seed", "seed", "parallelism.moe_dispatcher", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", moe_dispatcher: deepep"), refused},
		{"pipeline_schedule seed", "seed", "parallelism.pipeline_schedule", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", pipeline_schedule: dualpipe"), refused},
		{"optimizer_state_precision seed", "seed", "parallelism.optimizer_state_precision", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", optimizer_state_precision: bf16"), refused},
		{"fp32_gradients seed", "seed", "parallelism.fp32_gradients", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", fp32_gradients: false"), refused},
		{"activation_checkpointing", "calibrated", "parallelism.activation_checkpointing", fmt.Sprintf(fleet8, "", "H100", "", ", activation_checkpointing: none"), fmt.Sprintf(fleet8, "", "H100", "", ", activation_checkpointing: full"), changes},
		{"activation_checkpointing seed", "seed", "parallelism.activation_checkpointing", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", activation_checkpointing: full"), refused},
		{"activation_checkpointing under recomputation", "calibrated", "parallelism.activation_checkpointing",
			fmt.Sprintf(fleet8, "", "H100", "", ", activation_recomputation: true"), fmt.Sprintf(fleet8, "", "H100", "", ", activation_recomputation: true, activation_checkpointing: none"), refused},
		{"activation_recomputation", "seed", "parallelism.activation_recomputation", fmt.Sprintf(fleet8, "", "H100", "", ""), fmt.Sprintf(fleet8, "", "H100", "", ", activation_recomputation: true"), changes},
		{"mtbf_hours", "calibrated", "ops.mtbf_hours", fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {duration_days: 7}\n", fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {duration_days: 7, mtbf_hours: 100}\n", refused},
		// A rental price includes power: the electricity price beside it gave the same
		// scorecard (TCO, energy cost 0) with exit 0, in both profiles.
		{"electricity beside rental", "calibrated", "ops.electricity_usd_per_kwh",
			fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {rental_usd_per_accelerator_hour: 2, electricity_usd_per_kwh: 0.05}\n",
			fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {rental_usd_per_accelerator_hour: 2, electricity_usd_per_kwh: 0.3}\n", refused},
		{"electricity beside rental seed", "seed", "ops.electricity_usd_per_kwh",
			fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {rental_usd_per_accelerator_hour: 2, electricity_usd_per_kwh: 0.05}\n",
			fmt.Sprintf(fleet8, "", "H100", "", "") + "ops: {rental_usd_per_accelerator_hour: 2, electricity_usd_per_kwh: 0.3}\n", refused},
	}
	for _, op := range []struct{ key, a, b string }{
		{"ops.region", "region: US_Avg", "region: Quebec"}, {"ops.duration_days", "duration_days: 7", "duration_days: 30"},
		{"ops.electricity_usd_per_kwh", "electricity_usd_per_kwh: 0.05", "electricity_usd_per_kwh: 0.2"},
		{"ops.carbon_tax_usd_per_t", "carbon_tax_usd_per_t: 0", "carbon_tax_usd_per_t: 100"},
		{"ops.carbon_intensity_g_per_kwh", "carbon_intensity_g_per_kwh: 10", "carbon_intensity_g_per_kwh: 500"},
		{"ops.pue", "pue: 1.1", "pue: 1.5"}, {"ops.wue_l_per_kwh", "wue_l_per_kwh: 0.1", "wue_l_per_kwh: 1"},
		{"ops.power_per_accelerator_w", "power_per_accelerator_w: 300", "power_per_accelerator_w: 700"},
		{"ops.rental_usd_per_accelerator_hour", "rental_usd_per_accelerator_hour: 1", "rental_usd_per_accelerator_hour: 3"},
	} {
		base := fmt.Sprintf(fleet8, "", "H100", "", "")
		cases = append(cases, struct {
			name, profile, key string
			a, b               string
			want               outcome
		}{op.key, "calibrated", op.key, base + "ops: {" + op.a + "}\n", base + "ops: {" + op.b + "}\n", changes})
	}
	dir := t.TempDir()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var runs [2]cliResult
			for j, plan := range []string{tc.a, tc.b} {
				file := filepath.Join(dir, fmt.Sprintf("p%d-%d.yaml", i, j))
				if err := os.WriteFile(file, []byte(plan), 0o644); err != nil {
					t.Fatal(err)
				}
				runs[j] = mlsysim(t, "--profile", tc.profile, "eval", file, "-o", "json")
			}
			r := runs[1] // b states the key (a may leave it out)
			switch tc.want {
			case refused:
				leaf := tc.key[strings.LastIndex(tc.key, ".")+1:]
				line := strings.Count(tc.b[:strings.Index(tc.b, leaf+":")], "\n") + 1
				msg := r.stdout + r.stderr // -o json puts the error on stdout
				if r.code != exitBadInput || !strings.Contains(msg, fmt.Sprintf(".yaml:%d: ", line)) || !strings.Contains(msg, leaf) ||
					!strings.Contains(msg, "changes nothing") && !strings.Contains(msg, "overridden") && !strings.Contains(msg, "not used") {
					t.Fatalf("want exit 1 naming %s at line %d\n%v", tc.key, line, r)
				}
			case warned:
				if r.code != exitOK || !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr, tc.key) || !strings.Contains(r.stderr, "changes nothing") {
					t.Fatalf("want exit 0 with a warning naming %s\n%v", tc.key, r)
				}
			case changes:
				for _, r := range runs {
					if r.code != exitOK {
						t.Fatalf("want exit 0\n%v", r)
					}
				}
				if scorecardOf(t, runs[0].stdout) == scorecardOf(t, runs[1].stdout) {
					t.Fatalf("%s at two values gives the same scorecard, and is not refused:\n%s", tc.key, runs[0].stdout)
				}
			}
		})
	}
}

// scorecardOf is the answer in a plan's JSON: the lens metrics and the binding wall,
// without the echoed inputs.
func scorecardOf(t *testing.T, stdout string) string {
	t.Helper()
	obj := oneObject(t, stdout)
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if strings.HasPrefix(k, "f_") || strings.HasPrefix(k, "p_") || strings.HasPrefix(k, "m_") || k == "binding_wall" {
			fmt.Fprintf(&b, "%s=%v\n", k, obj[k])
		}
	}
	return b.String()
}

// TestScorecardContextShare: feasibility.context_utilization appears where a step
// processes whole sequences and the catalog knows the window — seq_len / context_tokens,
// 2048 / 131072 for Llama-3 8B (its config.json max_position_embeddings) — and nowhere
// else: an inference step reads no seq_len, and an unknown window printed "+Inf %".
func TestScorecardContextShare(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the share's cell, or "" for no row
	}{
		{[]string{"eval", "Llama3_8B", "H100", "-o", "html"}, ""},
		{[]string{"eval", "Llama3_8B", "H100", "--training", "-o", "html"}, "1.6 %"},
		{[]string{"eval", "ResNet50", "H100", "-o", "html"}, ""},
	} {
		r := mlsysim(t, tc.args...)
		if r.code != exitOK || strings.Contains(r.stdout, "Inf") || strings.Contains(r.stdout, "NaN") {
			t.Fatalf("%v: want exit 0 and no Inf or NaN\n%v", tc.args, r)
		}
		row := `context_utilization</td><td class="v">`
		if got := strings.Contains(r.stdout, row); got != (tc.want != "") || tc.want != "" && !strings.Contains(r.stdout, row+tc.want+"<") {
			t.Errorf("%v: want context_utilization %q\n%s", tc.args, tc.want, r.stdout)
		}
	}
}

// TestPlanMacroUnpriced: TPU v4 has no catalog price, so a plan's TCO would be its energy
// alone; the macro lens leaves TCO, capex and the objective out (an assert on TCO fails as
// unavailable, exit 3) and says why, until the plan states a rental price: then TCO =
// 2 USD × 16 accelerators × 24 h × 7 days = 5376 USD.
func TestPlanMacroUnpriced(t *testing.T) {
	const plan = "version: \"1.0\"\nname: tpu\nworkload: {name: Llama3_8B, batch_size: 64}\nhardware: {name: TPUv4, accelerators: 16, accelerators_per_node: 4}\nparallelism: {tp: 4}\n"
	dir := t.TempDir()
	write := func(name, src string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	unpriced := write("unpriced.yaml", plan+"ops: {duration_days: 7}\nconstraints: {assert: [{metric: macro.tco_usd, max: 1e9}]}\n")
	r := mlsysim(t, "eval", unpriced, "-o", "json")
	if r.code != exitAssert || !strings.Contains(r.stdout, "macro.tco_usd is not available") {
		t.Fatalf("want exit 3: TCO unavailable\n%v", r)
	}
	obj := oneObject(t, r.stdout)
	for _, k := range []string{"m_tco_usd", "m_capex", "m_objective_usd"} {
		if _, ok := obj[k]; ok {
			t.Errorf("%s = %v for an accelerator without a price", k, obj[k])
		}
	}
	if text := mlsysim(t, "eval", unpriced).stdout; !strings.Contains(text, "TCO unknown: TPUv4 states no price") {
		t.Errorf("the macro summary should say why TCO is missing:\n%s", text)
	}
	rented := oneObject(t, mlsysim(t, "eval", write("rented.yaml", plan+"ops: {duration_days: 7, rental_usd_per_accelerator_hour: 2}\n"), "-o", "json").stdout)
	if got := rented["m_tco_usd"]; got != 5376.0 {
		t.Errorf("rented TCO %v, want 5376", got)
	}
}

// TestOptimizeBatchingRefusesPlanKeys: optimize batching serves one replica per
// accelerator, so a parallelism block, which it never reads, and a training step's FP8
// recipe are refused with their line, not ignored.
func TestOptimizeBatchingRefusesPlanKeys(t *testing.T) {
	const head = "version: \"1.0\"\nname: b\nworkload: {name: Llama3_8B, batch_size: 8, seq_len: 256}\n"
	for _, tc := range []struct{ name, plan, want string }{
		{"parallelism", head + "hardware: {name: H100, accelerators: 8, accelerators_per_node: 8}\nparallelism: {tp: 8}\n", "parallelism block"},
		{"fp8_recipe", head + "hardware: {name: H100, accelerators: 8, accelerators_per_node: 8, precision: bf16, fp8_recipe: current}\n",
			"p.yaml:4: hardware.fp8_recipe changes nothing for optimize batching"},
	} {
		f := filepath.Join(t.TempDir(), "p.yaml")
		if err := os.WriteFile(f, []byte(tc.plan), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mlsysim(t, "optimize", "batching", f, "--sla-ms", "1000", "--qps", "5")
		if r.code != exitBadInput || !strings.Contains(r.stderr, tc.want) {
			t.Fatalf("%s: want exit 1 saying %q\n%v", tc.name, tc.want, r)
		}
	}
}
