package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

var zooCategories = []string{"hardware", "models", "regions", "fabrics", "clusters", "engines"}

func (a *app) zooCommand() *cli.Command {
	return &cli.Command{
		Name:      "zoo",
		Usage:     "list the catalog: hardware, models, regions, fabrics, clusters, engines",
		ArgsUsage: "[hardware|models|regions|fabrics|clusters|engines]",
		Description: `Lists catalog entries with the key you type in other commands (eval, serve,
grid specs). Without a category it lists them all. Formats: text, json, markdown, csv.
JSON and CSV numbers are unrounded with units in the key and column names
(CSV's columns are JSON's keys); text and markdown are rounded for reading.`,
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown", "csv")
			if err != nil {
				return err
			}
			cats := zooCategories
			switch c.Args().Len() {
			case 0:
			case 1:
				want := strings.ToLower(c.Args().First())
				if !slices.Contains(zooCategories, want) {
					return badInputf("zoo", "unknown zoo category %q%s; valid: %s", c.Args().First(), suggest.Hint(want, zooCategories), strings.Join(zooCategories, ", "))
				}
				cats = []string{want}
			default:
				return badInputf("zoo", "takes at most one category, got %d arguments", c.Args().Len())
			}
			var tables []*table
			for _, cat := range cats {
				t := a.zooTable(cat)
				t.rawCSV = true // CSV is for machines: JSON's raw numbers and unit-named columns
				tables = append(tables, t)
			}
			return renderTables(a.stdout, format, tables)
		},
	}
}

func (a *app) zooTable(category string) *table {
	switch category {
	case "hardware":
		hw := slices.Clone(a.cat.Hardware)
		slices.SortStableFunc(hw, func(x, y *catalog.Hardware) int { return cmp.Compare(y.PeakFLOPS, x.PeakFLOPS) })
		t := &table{name: "hardware", title: "Hardware",
			cols:     []string{"key", "name", "tier", "peak", "memory", "bandwidth", "tdp"},
			jsonCols: []string{"key", "name", "tier", "peak_tflops", "memory_gb", "bandwidth_gb_per_s", "tdp_w"}}
		for _, h := range hw {
			tdp := "N/A"
			var tdpJSON any
			if h.TDPW > 0 {
				tdp, tdpJSON = fmtSI(h.TDPW, "W"), h.TDPW
			}
			t.add([]string{h.Key, h.Name, h.Tier, fmtFLOPS(h.PeakFLOPS), fmtBytes(h.MemCapacityBytes), fmtBandwidth(h.MemBandwidthBytesPerS), tdp},
				[]any{h.Key, h.Name, h.Tier, h.PeakFLOPS / 1e12, h.MemCapacityBytes / 1e9, h.MemBandwidthBytesPerS / 1e9, tdpJSON})
		}
		return t
	case "models":
		ms := slices.Clone(a.cat.Models)
		slices.SortStableFunc(ms, func(x, y *catalog.Model) int { return cmp.Compare(y.Parameters, x.Parameters) })
		t := &table{name: "models", title: "Models",
			cols:     []string{"key", "name", "family", "architecture", "parameters", "layers", "context"},
			jsonCols: []string{"key", "name", "family", "architecture", "parameters", "layers", "context_tokens"}}
		for _, m := range ms {
			params, layers, context := "-", "-", "-"
			var pJSON, lJSON, cJSON any
			if m.Parameters > 0 {
				params, pJSON = fmtCount(m.Parameters), m.Parameters
			}
			if m.Layers > 0 {
				layers, lJSON = fmt.Sprint(m.Layers), m.Layers
			}
			if m.ContextTokens > 0 {
				context, cJSON = fmt.Sprint(m.ContextTokens), m.ContextTokens
			}
			t.add([]string{m.Key, m.Name, string(m.Family), m.Architecture, params, layers, context},
				[]any{m.Key, m.Name, string(m.Family), m.Architecture, pJSON, lJSON, cJSON})
		}
		return t
	case "regions":
		t := &table{name: "regions", title: "Grid regions",
			cols:     []string{"key", "name", "carbon", "pue", "water", "source"},
			jsonCols: []string{"key", "name", "carbon_g_per_kwh", "pue", "wue_l_per_kwh", "primary_source"}}
		for _, g := range a.cat.Grids {
			t.add([]string{g.Key, g.Name, fmt.Sprintf("%g gCO2e/kWh", g.CarbonGPerKWh), fmt.Sprintf("%g", g.PUE),
				fmt.Sprintf("%g L/kWh", g.WUELPerKWh), g.PrimarySource},
				[]any{g.Key, g.Name, g.CarbonGPerKWh, g.PUE, g.WUELPerKWh, g.PrimarySource})
		}
		return t
	case "fabrics":
		t := &table{name: "fabrics", title: "Network fabrics",
			cols:     []string{"key", "name", "bandwidth", "latency", "topology", "oversubscription"},
			jsonCols: []string{"key", "name", "bandwidth_gb_per_s", "latency_us", "topology", "oversubscription"}}
		for _, f := range a.cat.Fabrics {
			t.add([]string{f.Key, f.Name, fmtBandwidth(f.BytesPerS), fmtSI(f.LatencyS, "s"), f.Topology, fmt.Sprintf("%g:1", f.Oversubscription)},
				[]any{f.Key, f.Name, f.BytesPerS * 1e-9, f.LatencyS * 1e6, f.Topology, f.Oversubscription})
		}
		return t
	case "engines":
		t := &table{name: "engines", title: "LLM serving engines (docs/PHYSICS.md §33)",
			cols:     []string{"key", "name", "kernels/layer", "MoE kernels", "all-reduce", "step overhead", "memory", "attention (fp8 weights, fp8 KV)"},
			jsonCols: []string{"key", "name", "non_matmul_kernels", "moe_kernels", "allreduce", "allreduce_latency_us", "allreduce_latency_per_rank_us", "allreduce_max_message_mb", "allreduce_max_message_two_ranks_mb", "step_overhead_ms", "host_step_min_ms", "host_step_max_ms", "memory_fraction", "memory_fraction_of", "fp8_attention"}}
		for _, e := range a.cat.Engines {
			ar := fmtSI(e.AllReduceS, "s") + " + " + fmtSI(e.AllReducePerRankS, "s") + "/rank"
			// The per-rank term is in the text; the JSON carried only the fixed one.
			kind, arUS, perRankUS := "measured", any(e.AllReduceS*1e6), any(e.AllReducePerRankS*1e6)
			if e.NCCLAllReduce {
				// NCCL's ring-protocol model prices it per message size and ranks: no one latency.
				ar, kind, arUS, perRankUS = "NCCL (ring LL/LL128/Simple)", "nccl", nil, nil
			}
			// Above its own kernel's workspace the engine calls NCCL's all-reduce.
			maxMB, maxTwoMB := any(nil), any(nil)
			if e.AllReduceMaxBytes > 0 {
				ar += ", NCCL above " + fmtSI(e.AllReduceMaxBytes, "B")
				maxMB = e.AllReduceMaxBytes * 1e-6
			}
			if e.AllReduceMaxBytesTwoRanks > 0 {
				ar += " (" + fmtSI(e.AllReduceMaxBytesTwoRanks, "B") + " at 2 ranks)"
				maxTwoMB = e.AllReduceMaxBytesTwoRanks * 1e-6
			}
			of, mem := "total", fmt.Sprintf("%g of all", e.MemoryFraction)
			if e.MemoryOfFree {
				of, mem = "free", fmt.Sprintf("%g of free (KV)", e.MemoryFraction)
			}
			attn := "16-bit"
			if e.FP8Attention {
				attn = "8-bit"
			}
			// A measured host time per step (vLLM V0) varies with the step's sequences and tp:
			// its range over the measured grid.
			step, hostMin, hostMax := fmt.Sprintf("%g ms", e.StepOverheadS*1e3), any(nil), any(nil)
			if h := e.HostStep; h != nil {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, row := range h.Total() {
					for _, v := range row {
						lo, hi = min(lo, v), max(hi, v)
					}
				}
				step += fmt.Sprintf(" + host %.1f–%.1f ms (batch %g–%g, tp %g–%g)", lo*1e3, hi*1e3, h.Batches[0], h.Batches[len(h.Batches)-1], h.TPs[0], h.TPs[len(h.TPs)-1])
				hostMin, hostMax = math.Round(lo*1e6)/1e3, math.Round(hi*1e6)/1e3 // ms, to the µs the table gives
			}
			t.add([]string{e.Key, e.Name, fmt.Sprintf("4 + %d", e.NonMatmulKernels), fmt.Sprint(e.MoEKernels), ar, step, mem, attn},
				[]any{e.Key, e.Name, e.NonMatmulKernels, e.MoEKernels, kind, arUS, perRankUS, maxMB, maxTwoMB, e.StepOverheadS * 1e3, hostMin, hostMax, e.MemoryFraction, of, e.FP8Attention})
		}
		return t
	default: // clusters
		t := &table{name: "clusters", title: "Clusters",
			cols:     []string{"key", "name", "node", "nodes", "accelerators", "fabric"},
			jsonCols: []string{"key", "name", "node", "nodes", "accelerators", "fabric"}}
		for _, c := range a.cat.Clusters {
			n, _ := a.cat.NodeByKey(c.Node)
			acc := c.Nodes * n.AcceleratorsPerNode
			t.add([]string{c.Key, c.Name, fmt.Sprintf("%s (%d × %s)", c.Node, n.AcceleratorsPerNode, n.Accelerator), fmt.Sprint(c.Nodes), fmt.Sprint(acc), c.Fabric},
				[]any{c.Key, c.Name, c.Node, c.Nodes, acc, c.Fabric})
		}
		return t
	}
}
