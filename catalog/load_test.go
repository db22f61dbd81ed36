package catalog

import (
	"strings"
	"testing"
	"testing/fstest"
)

const testSource = "source: {kind: estimate, ref: test}"

// miniFS is a small valid data tree; a test overrides or adds files.
func miniFS(over map[string]string) fstest.MapFS {
	files := map[string]string{
		"data/hardware/cloud.yaml": "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n" +
			"  host_link: {name: PCIe, bandwidth: 32 GB/s, direction: per_direction}\n  scale_up: {name: NVLink, bandwidth: 100 GB/s, direction: bidirectional_total}\n  " + testSource + "\n",
		"data/infra/grids.yaml":      "- {key: R, name: R, carbon_intensity: 100 gCO2e/kWh, pue: 1.1, " + testSource + "}\n",
		"data/systems/nodes.yaml":    "- {key: N, name: N, accelerator: G, accelerators_per_node: 4, " + testSource + "}\n",
		"data/systems/fabrics.yaml":  "- {key: F, name: F, bandwidth: 100 Gbps, " + testSource + "}\n",
		"data/systems/clusters.yaml": "- {key: C, name: C, node: N, nodes: 2, fabric: F, region: R, " + testSource + "}\n",
	}
	for k, v := range over {
		files[k] = v
	}
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func TestLoadDerivedDefaults(t *testing.T) {
	c, err := loadFS(miniFS(nil), "data")
	if err != nil {
		t.Fatal(err)
	}
	h := c.Hardware[0]
	// docs/CATALOG.md: dispatch_tax defaults to 0.01 ms (physics.md §2.2); a link without
	// direction is per_direction (physics.md §1.4).
	if h.DispatchTaxS != 0.01e-3 || h.HostLink.Direction != PerDirection || h.Tier != "Cloud" || h.File != "catalog/data/hardware/cloud.yaml:1" {
		t.Errorf("hardware defaults: %+v", *h)
	}
	// CATALOG.md: a node's intra-node bandwidth defaults to its accelerator's scale-up link
	// per direction; physics.md §2.3: nics_per_node 1, psus_per_node 2 by default.
	n := c.Nodes[0]
	if n.IntraNodeBytesPerS != 50e9 || n.NICsPerNode != 1 || n.PSUsPerNode != 2 || n.AcceleratorsPerNode != 4 {
		t.Errorf("node defaults: %+v", *n)
	}
	// physics.md §2.3: NetworkFabric topology "fat-tree", oversubscription 1.0.
	f := c.Fabrics[0]
	if f.BytesPerS != 12.5e9 || f.Topology != "fat-tree" || f.Oversubscription != 1 || f.LatencyS != 0 {
		t.Errorf("fabric defaults: %+v", *f)
	}
	if len(c.Hash) != 64 {
		t.Errorf("hash %q", c.Hash)
	}
}

func TestLoadHashFollowsData(t *testing.T) {
	a, err := loadFS(miniFS(nil), "data")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadFS(miniFS(map[string]string{"data/infra/grids.yaml": "- {key: R, name: R, carbon_intensity: 101 gCO2e/kWh, pue: 1.1, " + testSource + "}\n"}), "data")
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash == b.Hash {
		t.Error("changing one grid value left the catalog hash unchanged")
	}
}

// moeEngine is a valid engines.yaml entry E with its attributes' sources, plus the fused MoE
// fields and extra field sources given.
func moeEngine(fields, sources string) string {
	return "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " +
		fields + ", " + testSource + ", field_sources: {non_matmul_kernels: {kind: code, ref: a}, moe_kernels: {kind: code, ref: b}, allreduce_latency: {kind: microbenchmark, ref: c}, step_overhead: {kind: code, ref: d}, memory_fraction: {kind: code, ref: e}, fp8_attention: {kind: code, ref: f}, kv_cache_auto: {kind: code, ref: g}, prefill_token_budget: {kind: code, ref: h}" + sources + "}}\n"
}

// moeSources are the fused MoE fields' own sources.
const moeSources = ", fused_moe_default_tiles: {kind: code, ref: i}, fused_moe_tuned: {kind: code, ref: j}"

func TestLoadErrors(t *testing.T) {
	hw := "data/hardware/cloud.yaml"
	for _, tc := range []struct {
		name string
		over map[string]string
		want []string // substrings of the error, file:line first
	}{
		{"unknown tier file", map[string]string{"data/hardware/space.yaml": "[]\n"},
			[]string{"catalog/data/hardware/space.yaml", `unknown hardware tier file "space"`, "cloud, workstation, mobile, edge, tiny"}},
		{"unknown model category", map[string]string{"data/models/audio.yaml": "[]\n"},
			[]string{"catalog/data/models/audio.yaml", `unknown model category file "audio"`}},
		{"unknown folder", map[string]string{"data/misc/x.yaml": "[]\n"}, []string{`unknown catalog folder "misc"`}},
		{"unknown field", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memroy: {capacity: 1 GiB}\n"},
			[]string{"catalog/data/hardware/cloud.yaml:4:", `unknown key "memroy" (did you mean memory?)`}},
		{"not a list", map[string]string{"data/systems/fabrics.yaml": "key: F\n"},
			[]string{"catalog/data/systems/fabrics.yaml:1:", "want a YAML list of entries"}},
		{"unknown rate key", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  rates: {fp6: 2 TFLOP/s}\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  " + testSource + "\n"},
			[]string{"catalog/data/hardware/cloud.yaml:1:", "entry G", "rates.fp6", "use one of fp32, tf32"}},
		{"renamed rate key", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  rates: {fp32_cuda: 2 TFLOP/s}\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  " + testSource + "\n"},
			[]string{"catalog/data/hardware/cloud.yaml:1:", "rates.fp32_cuda", "renamed: write fp32"}},
		{"bus bandwidth above the link", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  scale_up: {name: L, bandwidth: 100 GB/s, direction: bidirectional_total, bus_bandwidth: 60 GB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "scale_up.bus_bandwidth", "60 GB/s exceeds the link's 50 GB/s per direction"}},
		{"nvls on a host link", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  host_link: {name: PCIe, bandwidth: 32 GB/s, direction: per_direction, nvls: true}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "host_link.nvls", "only a scale_up link"}},
		{"node saying nvls: true", map[string]string{"data/systems/nodes.yaml": "- {key: N, name: N, accelerator: G, accelerators_per_node: 4, nvls: true, " + testSource + "}\n"},
			[]string{"nodes.yaml:1:", "entry N", "nvls", "a node can only set nvls: false"}},
		{"rename without reason", map[string]string{"data/renamed.yaml": "- {kind: hardware, key: Old, now: New}\n"},
			[]string{"catalog/data/renamed.yaml:1:", "renamed", "needs kind, key, now and reason"}},
		{"bad direction", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  scale_up: {name: L, bandwidth: 1 GB/s, direction: both}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "scale_up.direction", `"both" is not per_direction or bidirectional_total`}},
		{"achievable bandwidth above peak", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s, achievable_bandwidth: 1.2 TB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "memory.achievable_bandwidth", "cannot exceed the peak"}},
		{"gemm efficiency above 1", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  gemm_efficiency: {bf16: 80}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "gemm_efficiency.bf16", "not a fraction of peak in (0, 1]"}},
		{"gemm efficiency of an unknown precision", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  gemm_efficiency: {bf17: 0.8}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "gemm_efficiency.bf17", "unknown precision key"}},
		{"attention efficiency of zero", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  attention_efficiency: {bf16: 0}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "attention_efficiency.bf16", "not a fraction of peak in (0, 1]"}},
		{"flash1 attention efficiency above one", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  attention_efficiency_flash1: {bf16: 1.2}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "attention_efficiency_flash1.bf16", "not a fraction of peak in (0, 1]"}},
		{"sustained matmul above the burst", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  gemm_efficiency: {bf16: 0.8}\n  gemm_sustained_efficiency: {bf16: 0.9}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "gemm_sustained_efficiency.bf16", "cannot exceed it"}},
		{"sustained matmul without a burst", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s}\n  gemm_sustained_efficiency: {bf16: 0.7}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "gemm_sustained_efficiency.bf16", "needs the burst one beside it (gemm_efficiency.bf16)"}},
		{"missing peak", map[string]string{hw: "- key: G\n  name: G\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "entry G", "peak: missing", `"989 TFLOP/s"`}},
		{"zero bandwidth", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 0 GB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:4:", "memory.bandwidth", "must be > 0"}},
		{"key with a space", map[string]string{hw: "- key: G 1\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 GB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", `key: "G 1": use ASCII letters, digits and _.- only`}},
		{"field source without ref", map[string]string{"data/systems/fabrics.yaml": "- {key: F, name: F, bandwidth: 1 Gbps, field_sources: {latency: {kind: estimate}}, " + testSource + "}\n"},
			[]string{"fabrics.yaml:1:", "field_sources.latency", "needs a ref"}},
		{"duplicate across tier files", map[string]string{"data/hardware/edge.yaml": "\n- {key: G, name: G2, peak: 1 TOPS, memory: {capacity: 1 GB, bandwidth: 1 GB/s}, " + testSource + "}\n"},
			[]string{"catalog/data/hardware/edge.yaml:2:", `duplicate hardware key "G"`}},
		{"node on unknown accelerator", map[string]string{"data/systems/nodes.yaml": "- {key: N, name: N, accelerator: g, " + testSource + "}\n"},
			[]string{"nodes.yaml:1: node N: accelerator", `unknown hardware "g"`, "did you mean G"}},
		{"cluster on unknown fabric", map[string]string{"data/systems/clusters.yaml": "- {key: C, name: C, node: N, nodes: 2, fabric: FF, " + testSource + "}\n"},
			[]string{"clusters.yaml:1: cluster C: fabric", `unknown fabric "FF"`}},
		{"cluster in unknown region", map[string]string{"data/systems/clusters.yaml": "- {key: C, name: C, node: N, nodes: 2, fabric: F, region: Mars, " + testSource + "}\n"},
			[]string{"clusters.yaml:1: cluster C: region", `unknown grid region "Mars"`}},
		{"cluster of no nodes", map[string]string{"data/systems/clusters.yaml": "- {key: C, name: C, node: N, nodes: 0, fabric: F, " + testSource + "}\n"},
			[]string{"clusters.yaml:1:", "nodes: must be ≥ 1"}},
		{"datacenter on unknown grid", map[string]string{"data/infra/datacenters.yaml": "- {key: D, name: D, grid: Q, " + testSource + "}\n"},
			[]string{"datacenters.yaml:1: datacenter D: grid", `unknown grid region "Q"`}},
		{"grid PUE below 1", map[string]string{"data/infra/grids.yaml": "- {key: R, name: R, carbon_intensity: 1 gCO2e/kWh, pue: 0.9, " + testSource + "}\n"},
			[]string{"grids.yaml:1:", "entry R", "pue: must be ≥ 1"}},
		{"grid without carbon", map[string]string{"data/infra/grids.yaml": "- {key: R, name: R, pue: 1.1, " + testSource + "}\n"},
			[]string{"grids.yaml:1:", "carbon_intensity: missing"}},
		{"fabric oversubscribed below 1", map[string]string{"data/systems/fabrics.yaml": "- {key: F, name: F, bandwidth: 1 Gbps, oversubscription: 0.5, " + testSource + "}\n"},
			[]string{"fabrics.yaml:1:", "oversubscription: must be ≥ 1"}},
		{"price without unit", map[string]string{"data/infra/prices.yaml": "- {key: P, name: P, value: 1, " + testSource + "}\n"},
			[]string{"prices.yaml:1:", "unit: missing"}},
		{"count that is not a number", map[string]string{"data/infra/cooling.yaml": "- {key: K, name: K, pue: high, " + testSource + "}\n"},
			[]string{"cooling.yaml:1:", `want a finite number, got "high"`}},
		{"engine attribute without its source", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + testSource +
			", field_sources: {non_matmul_kernels: {kind: code, ref: a}, moe_kernels: {kind: code, ref: b}, allreduce_latency: {kind: microbenchmark, ref: c}}}\n"},
			[]string{"engines.yaml:1:", "entry E", "field_sources: step_overhead needs its own source"}},
		{"engine prefill budget not a count", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8k, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", `prefill_token_budget: "8k": want context (the model's context window, vLLM's max_model_len), batch`}},
		{"engine prefill budget zero", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 0, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", `prefill_token_budget: "0": want`, "a whole number of tokens from 1 to 134217728"}},
		{"engine prefill floor without context", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, prefill_token_budget_min: 2048, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "prefill_token_budget_min: only with prefill_token_budget: context"}},
		{"engine without prefill budget", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "prefill_token_budget: missing"}},
		{"engine without step overhead", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "step_overhead: missing (0 ms when the engine overlaps it"}},
		{"engine kernels out of range", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 65, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "non_matmul_kernels: 65 is outside 0..64"}},
		{"engine without memory fraction", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "memory_fraction: missing"}},
		{"engine memory fraction above 1", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 1.5, memory_fraction_of: total, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "memory_fraction: 1.5 is outside (0, 1]"}},
		{"engine memory fraction of what", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: weights, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", `memory_fraction_of: "weights": want total`}},
		{"engine without attention precision", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "fp8_attention: missing"}},
		{"engine without its auto KV cache", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "kv_cache_auto: missing"}},
		{"engine auto KV cache unknown", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: fp8, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", `kv_cache_auto: "fp8": want checkpoint`}},
		{"engine without all-reduce latency", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "allreduce_latency: missing"}},
		{"engine with NCCL and a latency", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, allreduce_latency: 5 us, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "allreduce_latency: not used with allreduce: nccl"}},
		{"engine with NCCL and a workspace", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, allreduce_max_message: 8 MB, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "allreduce_max_message: not used with allreduce: nccl"}},
		{"engine workspace without its source", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, allreduce_max_message_two_ranks: 16 MB, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "allreduce_max_message needs its own source"}},
		{"engine dense experts without their source", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 5, moe_dense_experts: true, allreduce: nccl, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "moe_dense_experts needs its own source"}},
		{"engine workspace of zero", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce_latency: 5 us, allreduce_max_message: 0 MB, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "allreduce_max_message: must be > 0"}},
		{"engine host step rows", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8, 16], tp: [1, 2], in_process_ms: [[1, 2]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.in_process_ms: 1 rows: want one per tp (2)"}},
		{"engine host step row length", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8, 16], tp: [1], in_process_ms: [[1, 2]], control_plane_ms: [[1]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.control_plane_ms: row 1 (tp 1) has 1 values: want one per batch (2)"}},
		{"engine host step grid order", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [16, 8], tp: [1], in_process_ms: [[1, 2]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.batch: 8 after 16: want the grid in ascending order"}},
		{"engine host step fractional tp", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8], tp: [1.5], in_process_ms: [[1]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.tp: 1.5: want a whole number from 1"}},
		{"engine host step negative", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8], tp: [1], in_process_ms: [[-1]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.in_process_ms: -1 ms at tp 1, batch 8: want a time from 0 to 1000 ms"}},
		{"engine host step without its table", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8], tp: [1]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step.in_process_ms: missing"}},
		{"engine host step without its source", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: nccl, step_overhead: 0 ms, memory_fraction: 0.9, memory_fraction_of: total, fp8_attention: false, kv_cache_auto: checkpoint, prefill_token_budget: 8192, " + "host_step: {batch: [8], tp: [1], in_process_ms: [[1]]}, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", "host_step needs its own source"}},
		{"engine all-reduce kind", map[string]string{"data/systems/engines.yaml": "- {key: E, name: E, non_matmul_kernels: 6, moe_kernels: 4, allreduce: mpi, step_overhead: 0 ms, " + testSource + "}\n"},
			[]string{"engines.yaml:1:", `allreduce: "mpi": want nccl`}},
		{"fused_moe_tuned without the fallback", map[string]string{"data/systems/engines.yaml": moeEngine("fused_moe_tuned: [{hardware: G, experts: 8, width: 7168}]", "")},
			[]string{"engines.yaml:1:", "entry E", "fused_moe_tuned: given without fused_moe_default_tiles: true"}},
		{"fused_moe_default_tiles without its source", map[string]string{"data/systems/engines.yaml": moeEngine("fused_moe_default_tiles: true, fused_moe_tuned: []", "")},
			[]string{"engines.yaml:1:", "field_sources: fused_moe_default_tiles needs its own source"}},
		{"fused_moe_tuned shape", map[string]string{"data/systems/engines.yaml": moeEngine("fused_moe_default_tiles: true, fused_moe_tuned: [{hardware: G, experts: 0, width: 7168}]", moeSources)},
			[]string{"engines.yaml:1:", "fused_moe_tuned[0]", `{hardware: "G", experts: 0, width: 7168}`, "experts ≥ 1"}},
		{"fused_moe_tuned hardware", map[string]string{"data/systems/engines.yaml": moeEngine("fused_moe_default_tiles: true, fused_moe_tuned: [{hardware: Gx, experts: 8, width: 7168}]", moeSources)},
			[]string{"engines.yaml:1:", "engine E: fused_moe_tuned[0].hardware", `"Gx"`, "G"}},
		{"l2 bandwidth below memory", map[string]string{hw: "- key: G\n  name: G\n  peak: 1 TFLOP/s\n  memory: {capacity: 1 GiB, bandwidth: 1 TB/s, l2_bandwidth: 900 GB/s}\n  " + testSource + "\n"},
			[]string{"cloud.yaml:1:", "memory.l2_bandwidth", "above the memory.bandwidth it caches"}},
		{"model family", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: llm, parameters: 1e9, " + testSource + "}\n"},
			[]string{"language.yaml:1:", `family: "llm" is not one of`}},
		{"moe without active parameters", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: moe, parameters: 1e9, layers: 2, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "active_parameters: required for moe"}},
		{"kv heads above heads", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, heads: 8, kv_heads: 16, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "kv_heads: 16 exceeds heads 8"}},
		{"zero context", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, context_tokens: 0, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "context_tokens: must be a positive token count", "leave it out when unknown"}},
		{"negative context", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, context_tokens: -4096, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "context_tokens: must be a positive token count", "got -4096"}},
		{"context past the longest announced", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, context_tokens: 200000000, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "context_tokens: must be in [0, 134217728]"}},
		{"negative mtp layers", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, mtp_layers: -1, " + testSource + "}\n"},
			[]string{"language.yaml:1:", "mtp_layers: must be in [0,"}},
		{"cnn without flops", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "inference_flops: required for cnn"}},
		{"model of nothing", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: generic, " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "needs parameters, model_size or inference_flops"}},
		{"bad flops unit of work", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, inference_flops_per: image, " + testSource + "}\n"},
			[]string{"vision.yaml:1:", `inference_flops_per: "image"`, "token, sequence, input, denoising_step"}},
		{"conv layer after", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 3, in: 3, out: 8, size: 8, stride: 1, n: 1, after: gelu}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", `conv_layers[0].after: "gelu" is not one of none, relu, bn, bn_relu, bn_add, bn_add_relu`}},
		{"conv layer groups", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 3, in: 6, out: 8, size: 8, stride: 1, n: 1, after: bn, g: 4}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "conv_layers[0].g: 4 groups do not divide in 6 and out 8"}},
		{"conv layer shortcut", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 1, in: 6, out: 8, size: 8, stride: 1, n: 1, after: bn_relu, shortcut: true}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", `conv_layers[0].shortcut: a projection shortcut ends in batch norm alone (after: bn), not "bn_relu"`}},
		{"conv layer pool not smaller", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 3, in: 3, out: 8, size: 8, stride: 1, n: 1, after: relu, pool: 8}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "conv_layers[0].pool: 8 is not a max pool's output side: at least 1 and below the layer's size 8"}},
		{"conv layer pool negative", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 3, in: 3, out: 8, size: 8, stride: 1, n: 1, after: relu, pool: -1}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "conv_layers[0].pool: -1 is not a max pool's output side"}},
		{"conv layer zero channels", map[string]string{"data/models/vision.yaml": "- {key: M, name: M, family: cnn, parameters: 1e6, inference_flops: 1 GFLOP, conv_layers: [{k: 3, in: 0, out: 8, size: 8, stride: 1, n: 1, after: bn}], " + testSource + "}\n"},
			[]string{"vision.yaml:1:", "conv_layers[0].in: 0 is outside 1..65536"}},
		{"conv layers on a transformer", map[string]string{"data/models/language.yaml": "- {key: M, name: M, family: transformer, parameters: 1e9, layers: 2, conv_layers: [{k: 1, in: 1, out: 1, size: 1, stride: 1, n: 1, after: bn}], " + testSource + "}\n"},
			[]string{"language.yaml:1:", "conv_layers: only cnn models list convolutions"}},
	} {
		_, err := loadFS(miniFS(tc.over), "data")
		if err == nil {
			t.Errorf("%s: loaded, want an error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}
