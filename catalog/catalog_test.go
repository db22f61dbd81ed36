package catalog

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// scaleRel absorbs the rounding of a unit scale: "50 us" is 50·1e-6, one ulp away
// from the literal 50e-6.
const scaleRel = 1e-14

func near(got, want, rel float64) bool {
	return got == want || math.Abs(got-want) <= rel*math.Abs(want)
}

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default(): %v", err)
	}
	return c
}

// entry is any catalog entry seen through what every kind shares.
type entry struct {
	kind, key string
	file      string // the data file the kind lives in
	prov      *Provenance
}

func allEntries(c *Catalog) []entry {
	var es []entry
	for _, x := range c.Hardware {
		es = append(es, entry{"hardware", x.Key, "catalog/data/hardware/", &x.Provenance})
	}
	for _, x := range c.Models {
		es = append(es, entry{"model", x.Key, "catalog/data/models/", &x.Provenance})
	}
	for _, x := range c.Grids {
		es = append(es, entry{"grid", x.Key, "catalog/data/infra/grids.yaml", &x.Provenance})
	}
	for _, x := range c.Datacenters {
		es = append(es, entry{"datacenter", x.Key, "catalog/data/infra/datacenters.yaml", &x.Provenance})
	}
	for _, x := range c.Cooling {
		es = append(es, entry{"cooling", x.Key, "catalog/data/infra/cooling.yaml", &x.Provenance})
	}
	for _, x := range c.Prices {
		es = append(es, entry{"price", x.Key, "catalog/data/infra/prices.yaml", &x.Provenance})
	}
	for _, x := range c.Fabrics {
		es = append(es, entry{"fabric", x.Key, "catalog/data/systems/fabrics.yaml", &x.Provenance})
	}
	for _, x := range c.Nodes {
		es = append(es, entry{"node", x.Key, "catalog/data/systems/nodes.yaml", &x.Provenance})
	}
	for _, x := range c.Clusters {
		es = append(es, entry{"cluster", x.Key, "catalog/data/systems/clusters.yaml", &x.Provenance})
	}
	for _, x := range c.Engines {
		es = append(es, entry{"engine", x.Key, "catalog/data/systems/engines.yaml", &x.Provenance})
	}
	return es
}

func TestDefaultCounts(t *testing.T) {
	c := mustDefault(t)
	// Source: the MLSys·im registry extraction (reference/registry/README.md: 45 devices,
	// 33 workloads, 12 grids, 6 cooling tiers, 7 datacenters), physics.md §2.5 (10 fabrics),
	// and the entry counts in the header comment of each catalog/data file; issue #15 added
	// the TPU v4/v5p ICI fabrics, hosts and pods and the GB200 NVL72 rack and cluster; OPT_13B
	// (DistServe's model, for its validation case) is the 34th model; the DeepSeek-V3 round
	// added the H800, its node and DeepSeek-V3's 2048-GPU cluster; the falcon round added
	// AWS's p4d.24xlarge node and the Falcon runs' 48-instance cluster; the wholerun3 round
	// the DGX A100 320GB and GPT-NeoX-20B's Supermicro nodes, GPT-NeoX-20B's cluster and the
	// A100 40GB HDR convention.
	for _, tc := range []struct {
		kind      string
		got, want int
	}{
		{"hardware", len(c.Hardware), 48},
		{"models", len(c.Models), 34},
		{"grids", len(c.Grids), 12},
		{"datacenters", len(c.Datacenters), 7},
		{"cooling", len(c.Cooling), 6},
		{"prices", len(c.Prices), 32},
		{"fabrics", len(c.Fabrics), 12},
		{"nodes", len(c.Nodes), 16},
		{"clusters", len(c.Clusters), 21},
		{"engines", len(c.Engines), 7}, // systems/engines.yaml: vllm, vllm-0.2, vllm-0.2.7, vllm-0.3, sglang, trtllm, trtllm-0.5
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d entries, want %d", tc.kind, tc.got, tc.want)
		}
	}

	// Per tier and category, from the same header comments (hardware/cloud.yaml "29 entries", …).
	tiers := map[string]int{}
	for _, h := range c.Hardware {
		tiers[h.Tier]++
	}
	wantTiers := map[string]int{"Cloud": 29, "Workstation": 2, "Mobile": 4, "Edge": 8, "Tiny": 5}
	if fmt.Sprint(tiers) != fmt.Sprint(wantTiers) {
		t.Errorf("hardware per tier %v, want %v", tiers, wantTiers)
	}
	cats := map[string]int{}
	for _, m := range c.Models {
		cats[m.Category]++
	}
	wantCats := map[string]int{"Language": 14, "Vision": 9, "Tiny": 3, "Recommendation": 1, "StateSpace": 2, "GenerativeVision": 1, "Embodied": 4}
	if fmt.Sprint(cats) != fmt.Sprint(wantCats) {
		t.Errorf("models per category %v, want %v", cats, wantCats)
	}
}

var sourceKinds = []string{"datasheet", "literature", "measurement", "estimate", "derived", "convention", "illustrative", "industry_report", "code", "documentation"}

func TestDefaultKeysUniqueAndSourced(t *testing.T) {
	c := mustDefault(t)
	fileLine := regexp.MustCompile(`^(catalog/data/[a-z]+/[a-z]+\.yaml):([1-9][0-9]*)$`)
	seen := map[string]string{}
	for _, e := range allEntries(c) {
		id := e.kind + " " + e.key
		if e.key == "" {
			t.Errorf("%s entry at %s has no key", e.kind, e.prov.File)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("%s defined twice: %s and %s", id, prev, e.prov.File)
		}
		seen[id] = e.prov.File
		if !slices.Contains(sourceKinds, e.prov.Source.Kind) {
			t.Errorf("%s: source.kind %q is not one of %v (docs/CATALOG.md)", id, e.prov.Source.Kind, sourceKinds)
		}
		if strings.TrimSpace(e.prov.Source.Ref) == "" {
			t.Errorf("%s: source.ref is empty", id)
		}
		for f, s := range e.prov.FieldSources {
			if s.Ref == "" {
				t.Errorf("%s: field_sources.%s has no ref", id, f)
			}
		}
		for _, cr := range e.prov.Corrections {
			if cr.Field == "" || cr.Reason == "" || cr.Source.Ref == "" {
				t.Errorf("%s: correction %+v lacks field, reason or source.ref", id, cr)
			}
		}

		// File is "<data file>:<line>" and that line of the embedded file holds the key.
		m := fileLine.FindStringSubmatch(e.prov.File)
		if m == nil {
			t.Errorf("%s: File %q is not catalog/data/<folder>/<file>.yaml:<line>", id, e.prov.File)
			continue
		}
		if !strings.HasPrefix(m[1], e.file) {
			t.Errorf("%s: read from %s, want %s", id, m[1], e.file)
		}
		b, err := fs.ReadFile(dataFS, strings.TrimPrefix(m[1], "catalog/"))
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		n, _ := strconv.Atoi(m[2])
		lines := strings.Split(string(b), "\n")
		if n > len(lines) || !strings.Contains(lines[n-1], "key: "+e.key) {
			t.Errorf("%s: File %s does not point at the line with `key: %s`", id, e.prov.File, e.key)
		}
	}
}

func TestHardwareInvariants(t *testing.T) {
	c := mustDefault(t)
	for _, h := range c.Hardware {
		if !(h.PeakFLOPS > 0 && h.MemCapacityBytes > 0 && h.MemBandwidthBytesPerS > 0) {
			t.Errorf("%s: peak %g, memory %g B, bandwidth %g B/s; all must be > 0", h.Key, h.PeakFLOPS, h.MemCapacityBytes, h.MemBandwidthBytesPerS)
		}
		if !(h.DispatchTaxS > 0) {
			t.Errorf("%s: dispatch tax %g s, want > 0", h.Key, h.DispatchTaxS)
		}
		for k, r := range h.Rates {
			if !slices.Contains(RateKeys, k) || !(r > 0) {
				t.Errorf("%s: rate %s = %g", h.Key, k, r)
			}
		}
		for name, l := range map[string]*Link{"host_link": h.HostLink, "scale_up": h.ScaleUp} {
			if l == nil {
				continue
			}
			if !(l.BytesPerS > 0) || (l.Direction != PerDirection && l.Direction != BidirectionalTotal) {
				t.Errorf("%s: %s %+v", h.Key, name, *l)
			}
		}
		if h.TDPMinW > 0 && h.TDPMaxW > 0 && h.TDPMinW > h.TDPMaxW {
			t.Errorf("%s: tdp_min %g W > tdp_max %g W", h.Key, h.TDPMinW, h.TDPMaxW)
		}
		for _, p := range h.MIG {
			if !(p.MemoryBytes > 0) || p.MemoryBytes > h.MemCapacityBytes {
				t.Errorf("%s: MIG profile %s has %g B of %g", h.Key, p.Name, p.MemoryBytes, h.MemCapacityBytes)
			}
		}
	}
}

func TestHardwareMemoryUnits(t *testing.T) {
	c := mustDefault(t)
	const GiB = 1 << 30
	for _, tc := range []struct {
		key      string
		cap, bw  float64
		statedAs string // what the vendor / registry states
		source   string
	}{
		// physics.md §2.5 (H100 80 GiB, 3.35 TB/s); §13.1 G3 divides by 85.89934592 GB = 80 GiB.
		{"H100", 80 * GiB, 3.35e12, "80 GiB", "physics.md §2.5, §13.1 G3"},
		{"A100", 80 * GiB, 2039e9, "80 GiB", "physics.md §2.5"},
		// NVIDIA's 141 GB HBM3e is binary like the H100's 80 GB (the registry's 131 GiB read it as
		// decimal: a recorded correction, cloud.yaml; TestHBMCapacityAgainstDevice).
		{"H200", 141 * GiB, 4.8e12, "141 GiB", "NVIDIA H200 datasheet 141GB; nvidia-smi 143,771 MiB"},
		// Stated in decimal GB by the vendor and kept decimal (mobile.yaml, edge.yaml).
		{"Pixel8", 8e9, 60e9, "8 GB", "hardware/mobile.yaml (Tensor G3, 8 GB)"},
		{"JetsonOrinNano", 8e9, 68e9, "8 GB", "hardware/edge.yaml (8 GB 128-bit LPDDR5 at 68 GB/s)"},
		{"iPhone15Pro", 8 * GiB, 51.2e9, "8 GiB", "reference/registry/registry-hardware.csv mem_capacity_bytes 8589934592"},
	} {
		h, err := c.HardwareByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if h.MemCapacityBytes != tc.cap {
			t.Errorf("%s: memory %.0f B, want %s = %.0f B (%s)", tc.key, h.MemCapacityBytes, tc.statedAs, tc.cap, tc.source)
		}
		if !near(h.MemBandwidthBytesPerS, tc.bw, scaleRel) {
			t.Errorf("%s: bandwidth %g B/s, want %g (%s)", tc.key, h.MemBandwidthBytesPerS, tc.bw, tc.source)
		}
	}
	h100, _ := c.HardwareByKey("H100")
	if got := h100.MemCapacityBytes / 1e9; got != 85.89934592 {
		t.Errorf("H100 memory %v GB, want 85.89934592 GB (80 GiB, not 80 GB)", got)
	}
}

func TestPrecisionRatesOrdered(t *testing.T) {
	c := mustDefault(t)
	// "fp16" stands for the device's FP16/BF16 tensor rate: its fp16 or bf16 rate if stated,
	// else the default peak, which docs/CATALOG.md defines as dense FP16/BF16 (TOPS for NPUs).
	rate := func(h *Hardware, k string) (float64, bool) {
		if k == "fp16" {
			for _, p := range []string{"fp16", "bf16"} {
				if r, ok := h.Rates[p]; ok {
					return r, true
				}
			}
			return h.PeakFLOPS, true
		}
		r, ok := h.Rates[k]
		return r, ok
	}
	// Narrower formats and sparsity never lower a tensor unit's rate.
	pairs := []struct{ hi, lo string }{
		{"fp4", "fp8"}, {"fp8", "fp16"}, {"fp16", "tf32"}, {"tf32", "fp32"},
		{"fp16", "fp32"}, {"int8", "fp16"}, {"int4", "int8"},
		{"fp16_sparse", "fp16"}, {"fp4_sparse", "fp4"},
	}
	checked := 0
	for _, h := range c.Hardware {
		for _, p := range pairs {
			hi, ok1 := rate(h, p.hi)
			lo, ok2 := rate(h, p.lo)
			if !ok1 || !ok2 {
				continue
			}
			checked++
			if hi < lo {
				t.Errorf("%s: %s %g < %s %g", h.Key, p.hi, hi, p.lo, lo)
			}
		}
	}
	// 45 fp16-level comparisons alone would be vacuous; rates must actually have been compared.
	if checked < 30 {
		t.Errorf("only %d rate pairs compared; the catalog's rates maps did not load", checked)
	}
}

func TestPeakFor(t *testing.T) {
	c := mustDefault(t)
	// physics.md §2.5: H100 precision_flops tf32 494, fp8 1979, int8 1979 TOPS; peak 989.
	for _, tc := range []struct {
		key, precision string
		want           float64
		ok             bool
	}{
		{"H100", "fp8", 1979e12, true},
		{"H100", "tf32", 494e12, true},
		{"H100", "fp16", 989e12, true},
		{"H100", "bf16", 989e12, true},
		{"H100", "int4", 989e12, false}, // falls back to peak although other rates exist
		{"A100", "fp16_sparse", 624e12, true},
		{"Graphcore_GC200", "int8", 250e12, true}, // no rates at all: peak is all there is
		{"TPUv6", "int8", 1836e12, true},          // Google's v6e documentation: 1836 TOPs Int8
		{"TPUv6", "fp32", 918e12, false},          // stated rates, none for fp32: the fallback, flagged
	} {
		h, err := c.HardwareByKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := h.PeakFor(tc.precision)
		if !near(got, tc.want, scaleRel) || ok != tc.ok {
			t.Errorf("%s.PeakFor(%s) = %g, %v; want %g, %v", tc.key, tc.precision, got, ok, tc.want, tc.ok)
		}
	}
}

func TestScaleUpLinks(t *testing.T) {
	c := mustDefault(t)
	// physics.md §1.4: NVLink is stored as a bidirectional total (H100 900 GB/s, A100 600 GB/s)
	// and collectives use half of it per direction; §1.5: NVLink latency 500 ns.
	// H200 and V100 carry recorded corrections to bidirectional_total (cloud.yaml).
	for _, tc := range []struct {
		key           string
		total, perDir float64
	}{
		{"H100", 900e9, 450e9},
		{"A100", 600e9, 300e9},
		{"H200", 900e9, 450e9},
		{"V100", 300e9, 150e9},
		{"B200", 1800e9, 900e9},
	} {
		h, err := c.HardwareByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		l := h.ScaleUp
		if l == nil {
			t.Errorf("%s: no scale_up link", tc.key)
			continue
		}
		if l.BytesPerS != tc.total || l.Direction != BidirectionalTotal || l.PerDirectionBytesPerS() != tc.perDir {
			t.Errorf("%s: scale_up %g B/s %s (per direction %g), want %g bidirectional_total (%g per direction)",
				tc.key, l.BytesPerS, l.Direction, l.PerDirectionBytesPerS(), tc.total, tc.perDir)
		}
		if !near(l.LatencyS, 500e-9, scaleRel) {
			t.Errorf("%s: scale_up latency %g s, want 500 ns", tc.key, l.LatencyS)
		}
	}
	// docs/CATALOG.md: NVLink figures are bidirectional totals, PCIe/Ethernet per direction
	// (TPU v4's ICI entry is a per-chip all-reduce rate derived per direction; its field source says so).
	for _, h := range c.Hardware {
		if l := h.ScaleUp; l != nil && strings.Contains(l.Name, "NVLink") && l.Direction != BidirectionalTotal {
			t.Errorf("%s: scale_up %q is %s, want bidirectional_total", h.Key, l.Name, l.Direction)
		}
		if l := h.HostLink; l != nil && strings.Contains(l.Name, "PCIe") && l.Direction != PerDirection {
			t.Errorf("%s: host_link %q is %s, want per_direction", h.Key, l.Name, l.Direction)
		}
	}
	gaudi, _ := c.HardwareByKey("Gaudi2")
	// Intel's Network Configuration page: 21 of the Gaudi 2's 24 100 GbE ports are
	// scale-up, 21 × 100 Gb/s ÷ 8 = 262.5 GB/s per direction (the other 3 are scale-out).
	if gaudi.ScaleUp.Direction != PerDirection || gaudi.ScaleUp.PerDirectionBytesPerS() != 262.5e9 {
		t.Errorf("Gaudi2 RoCE scale-up %+v, want 262.5 GB/s per_direction (21 × 100 GbE; RoCE is quoted per direction)", *gaudi.ScaleUp)
	}
}

func TestSystems(t *testing.T) {
	c := mustDefault(t)
	// physics.md §1.4 and §2.5: DGX_H100 = 8 × H100, 8 NICs, 2 PSUs; collectives use 450 GB/s.
	// DGX_A100 and DGX_B200 follow the same per-direction rule (registry-systems.csv: 300, 900).
	for _, tc := range []struct {
		key, acc        string
		per, nics, psus int
		intra           float64
	}{
		{"DGX_H100", "H100", 8, 8, 2, 450e9},
		{"DGX_A100", "A100", 8, 8, 2, 300e9},
		{"DGX_B200", "B200", 8, 8, 2, 900e9},
		{"Kempner_H100_4GPU", "H100", 4, 4, 2, 450e9},
	} {
		n, err := c.NodeByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if n.Accelerator != tc.acc || n.AcceleratorsPerNode != tc.per || n.NICsPerNode != tc.nics || n.PSUsPerNode != tc.psus || n.IntraNodeBytesPerS != tc.intra {
			t.Errorf("%s: %+v, want %s ×%d, %d NICs, %d PSUs, intra-node %g B/s", tc.key, *n, tc.acc, tc.per, tc.nics, tc.psus, tc.intra)
		}
	}
	dgx, _ := c.NodeByKey("DGX_H100")
	if dgx.HostMemoryBytes != 2<<40 {
		t.Errorf("DGX_H100 host memory %g B, want 2 TiB (nodes.yaml)", dgx.HostMemoryBytes)
	}

	// physics.md §2.3/§2.5 fabrics: Gbps rates ÷ 8; Ethernet α 50 µs, RoCE 10 µs, IB HDR 7 µs, NDR/XDR/GXDR 5 µs.
	for _, tc := range []struct {
		key     string
		bw, lat float64
	}{
		{"Ethernet_10G", 1.25e9, 50e-6},
		{"Ethernet_100G", 12.5e9, 50e-6},
		{"Ethernet_400G", 50e9, 50e-6},
		{"Ethernet_800G", 100e9, 50e-6},
		{"Ethernet_1P6T", 200e9, 50e-6},
		{"RoCE_100G", 12.5e9, 10e-6},
		{"InfiniBand_HDR", 25e9, 7e-6},
		{"InfiniBand_NDR", 50e9, 5e-6},
		{"InfiniBand_XDR", 100e9, 5e-6},
		{"InfiniBand_GXDR", 200e9, 5e-6},
	} {
		f, err := c.FabricByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if !near(f.BytesPerS, tc.bw, scaleRel) || !near(f.LatencyS, tc.lat, scaleRel) || f.Oversubscription != 1 || f.Topology != "fat-tree" {
			t.Errorf("%s: %g B/s, %g s, %s, oversubscription %g; want %g B/s, %g s, fat-tree, 1", tc.key, f.BytesPerS, f.LatencyS, f.Topology, f.Oversubscription, tc.bw, tc.lat)
		}
	}

	// physics.md §2.5 clusters (all DGX_H100): Research_256 is 32 nodes on Ethernet_100G, …
	for _, tc := range []struct {
		key, node    string
		nodes        int
		fabric       string
		accelerators int
	}{
		{"Research_256", "DGX_H100", 32, "Ethernet_100G", 256},
		{"Training_1K", "DGX_H100", 128, "InfiniBand_HDR", 1024},
		{"Production_2K", "DGX_H100", 256, "InfiniBand_HDR", 2048},
		{"Frontier_8K", "DGX_H100", 1024, "InfiniBand_NDR", 8192},
		{"Training_10K", "DGX_H100", 1250, "InfiniBand_NDR", 10000},
		{"Reference_25K_H100", "DGX_H100", 3125, "InfiniBand_NDR", 25000},
		{"Mega_100K", "DGX_H100", 12500, "InfiniBand_NDR", 100000},
	} {
		cl, err := c.ClusterByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		n, err := c.NodeByKey(cl.Node)
		if err != nil {
			t.Error(err)
			continue
		}
		if cl.Node != tc.node || cl.Nodes != tc.nodes || cl.Fabric != tc.fabric || cl.Nodes*n.AcceleratorsPerNode != tc.accelerators {
			t.Errorf("%s: %d × %s on %s (%d accelerators), want %d × %s on %s (%d)", tc.key, cl.Nodes, cl.Node, cl.Fabric,
				cl.Nodes*n.AcceleratorsPerNode, tc.nodes, tc.node, tc.fabric, tc.accelerators)
		}
	}
	r, _ := c.ClusterByKey("Research_256")
	f, _ := c.FabricByKey(r.Fabric)
	if f.BytesPerS != 12.5e9 || !near(f.LatencyS, 50e-6, scaleRel) {
		t.Errorf("Research_256 fabric %s: %g B/s, %g s; want 12.5 GB/s, 50 µs (physics.md §2.5)", f.Key, f.BytesPerS, f.LatencyS)
	}

	// Every reference resolves (the loader links them; this pins that it still does).
	for _, d := range c.Datacenters {
		if _, err := c.GridByKey(d.Grid); err != nil {
			t.Errorf("datacenter %s: %v", d.Key, err)
		}
	}
	for _, cl := range c.Clusters {
		if _, err := c.NodeByKey(cl.Node); err != nil {
			t.Errorf("cluster %s: %v", cl.Key, err)
		}
		if _, err := c.FabricByKey(cl.Fabric); err != nil {
			t.Errorf("cluster %s: %v", cl.Key, err)
		}
	}
}

func TestRecordedCorrections(t *testing.T) {
	c := mustDefault(t)
	find := func(cs []Correction, field string) *Correction {
		for i := range cs {
			if cs[i].Field == field {
				return &cs[i]
			}
		}
		return nil
	}
	// The corrections catalog/data records against the MLSys·im registry.
	ds, _ := c.ModelByKey("DeepSeek_V3")
	mx, _ := c.ModelByKey("Mixtral_8x7B")
	h100, _ := c.HardwareByKey("H100")
	h200, _ := c.HardwareByKey("H200")
	v100, _ := c.HardwareByKey("V100")
	gb200, _ := c.HardwareByKey("GB200")
	for _, tc := range []correctionRow{
		// DeepSeek-V3 technical report §4.2: 128 attention heads (registry had 56).
		{"DeepSeek_V3", "heads", ds.Corrections, "56", "128", fmt.Sprint(ds.Heads)},
		// Jiang et al. 2024, Table 1: n_kv_heads 8 (registry left it out).
		{"Mixtral_8x7B", "kv_heads", mx.Corrections, "<nil>", "8", fmt.Sprint(mx.KVHeads)},
		// NVIDIA datasheets quote NVLink as a bidirectional total (physics.md §1.4).
		{"H200", "scale_up.direction", h200.Corrections, "per_direction", "bidirectional_total", string(h200.ScaleUp.Direction)},
		{"V100", "scale_up.direction", v100.Corrections, "per_direction", "bidirectional_total", string(v100.ScaleUp.Direction)},
		// NVIDIA H100/H200 datasheets: FP32 67 TFLOPS, stored upstream under a key no precision read (issue #15).
		{"H100", "rates.fp32", h100.Corrections, "rates.fp32_cuda: 67 TFLOP/s", "rates.fp32: 67 TFLOP/s", fmt.Sprintf("rates.fp32: %g TFLOP/s", h100.Rates["fp32"]/1e12)},
		{"H200", "rates.fp32", h200.Corrections, "rates.fp32_cuda: 67 TFLOP/s", "rates.fp32: 67 TFLOP/s", fmt.Sprintf("rates.fp32: %g TFLOP/s", h200.Rates["fp32"]/1e12)},
		// The NVL72 rack became one GPU entry and a node of 72 (issue #15).
		{"GB200", "key", gb200.Corrections, "GB200_NVL72 (the whole 72-GPU rack as one accelerator)", "GB200 (one GPU) with node GB200_NVL72 of 72 of them",
			"GB200 (one GPU) with node GB200_NVL72 of 72 of them"},
		// Links the registry lacked, so tensor parallelism crossed a 64 GB/s fallback (issue #15;
		// the rates' arithmetic is in TestAddedLinks).
		linkRow(c, "MI250X", "scale_up", "AMD Infinity Fabric (8 links), 800 GB/s bidirectional total"),
		linkRow(c, "Gaudi3", "scale_up", "RoCE (21x200GbE scale-up ports), 525 GB/s per direction"),
		linkRow(c, "TPUv3", "scale_up", "ICI (2D torus), 332 GB/s per direction"),
		linkRow(c, "TPUv6", "scale_up", "ICI (2D torus, 4 ports), 800 GB/s bidirectional total"),
		linkRow(c, "Trainium2", "scale_up", "NeuronLink-v3, 1280 GB/s bidirectional total"),
		linkRow(c, "T4", "host_link", "PCIe Gen3 x16, 15.75 GB/s per direction"),
		linkRow(c, "TPUv1", "host_link", "PCIe Gen3 x16, 15.75 GB/s per direction"),
		// Values the seed view restores (seedRow: the loaded value printed in the value's own units).
		// Intel Gaudi Network Configuration: 21 of the 24 100 GbE ports are scale-up, 21 × 12.5 = 262.5 GB/s.
		seedRow(t, c, "Gaudi2", "scale_up.bandwidth", "300 GB/s", "262.5 GB/s"),
		// AWS Neuron Trainium2 architecture: 667 BF16/FP16/TF32, 1,299 FP8, 181 FP32 TFLOPS; 2.9 TB/s HBM.
		seedRow(t, c, "Trainium2", "peak", "380 TFLOP/s", "667 TFLOP/s"),
		seedRow(t, c, "Trainium2", "rates", "fp8: 760 TFLOP/s", "fp32: 181 TFLOP/s, tf32: 667 TFLOP/s, bf16: 667 TFLOP/s, fp16: 667 TFLOP/s, fp8: 1299 TFLOP/s"),
		seedRow(t, c, "Trainium2", "memory.bandwidth", "2.4 TB/s", "2.9 TB/s"),
		// Google Cloud TPU documentation, key specifications of v3, v5p and v6e.
		seedRow(t, c, "TPUv3", "peak", "105 TFLOP/s", "123 TFLOP/s"),
		seedRow(t, c, "TPUv3", "rates", "bf16: 105 TFLOP/s", "bf16: 123 TFLOP/s"),
		seedRow(t, c, "TPUv5p", "memory.bandwidth", "2.76 TB/s", "2765 GB/s"),
		seedRow(t, c, "TPUv5p", "rates", "int8: 918 TOPS", "bf16: 459 TFLOP/s, fp8: 459 TFLOP/s, int8: 918 TOPS"),
		seedRow(t, c, "TPUv6", "rates", "none", "bf16: 918 TFLOP/s, int8: 1836 TOPS"),
		seedRow(t, c, "TPUv6", "memory.bandwidth", "1600 GB/s", "1638 GB/s"),
		// NVIDIA: HGX B200 180 GB at 7.7 TB/s and its dense rates; GB200 2.5 PFLOPS dense FP16 and
		// 186 GB per GPU; H200 141 GB read as binary like the H100's 80; T4 FP32 8.1, INT4 260.
		seedRow(t, c, "B200", "memory.capacity", "192 GiB", "180 GiB"),
		seedRow(t, c, "B200", "memory.bandwidth", "8 TB/s", "7.7 TB/s"),
		seedRow(t, c, "B200", "rates", "fp8: 4500 TFLOP/s, fp4: 9000 TFLOP/s, int4: 9000 TOPS",
			"fp32: 75 TFLOP/s, tf32: 1100 TFLOP/s, fp16: 2250 TFLOP/s, bf16: 2250 TFLOP/s, fp8: 4500 TFLOP/s, fp4: 9000 TFLOP/s, int8: 4500 TOPS, int4: 9000 TOPS"),
		seedRow(t, c, "GB200", "peak", "2250 TFLOP/s", "2500 TFLOP/s"),
		seedRow(t, c, "GB200", "rates", "fp16: 2250 TFLOP/s, bf16: 2250 TFLOP/s, fp8: 4500 TFLOP/s, fp4: 9000 TFLOP/s",
			"fp32: 80 TFLOP/s, tf32: 1250 TFLOP/s, fp16: 2500 TFLOP/s, bf16: 2500 TFLOP/s, fp8: 5000 TFLOP/s, fp4: 10000 TFLOP/s, int8: 5000 TOPS"),
		seedRow(t, c, "GB200", "memory.capacity", "192 GiB", "186 GiB"),
		seedRow(t, c, "H200", "memory.capacity", "131 GiB", "141 GiB"),
		seedRow(t, c, "T4", "rates", "int8: 130 TOPS", "fp32: 8.1 TFLOP/s, int8: 130 TOPS, int4: 260 TOPS"),
		// Untether AI at Hot Chips 34: 2 PFLOPS FP8, 1 PFLOPS BF16 (the peak is the 16-bit rate).
		seedRow(t, c, "Untether_speedAI240", "peak", "2 PFLOP/s", "1000 TFLOP/s"),
		seedRow(t, c, "Untether_speedAI240", "rates", "bf16: 1000 TFLOP/s", "bf16: 1000 TFLOP/s, fp8: 2000 TFLOP/s"),
		// Jetson Orin: 275 / 100 / 40 TOPS are sparse INT8 (NVIDIA Deep-Learning-Accelerator-SW README:
		// GPU 171 + DLA 105 sparse); dense int8 is half, and the AGX peak is 275 / 4 like its siblings'.
		seedRow(t, c, "JetsonAGXOrin", "peak", "275 TOPS", "68.75 TFLOP/s"),
		seedRow(t, c, "JetsonAGXOrin", "rates", "int8: 275 TOPS", "int8: 137.5 TOPS"),
		seedRow(t, c, "JetsonOrinNX", "rates", "int8: 100 TOPS", "int8: 50 TOPS"),
		seedRow(t, c, "JetsonOrinNano", "rates", "int8: 40 TOPS", "int8: 20 TOPS"),
		// AMD Instinct MI300X data sheet: TF32 653.7 TFLOPS dense.
		seedRow(t, c, "MI300X", "rates", "fp32: 163.4 TFLOP/s, fp8: 2614 TFLOP/s, int8: 2614 TOPS", "fp32: 163.4 TFLOP/s, tf32: 653.7 TFLOP/s, fp8: 2614 TFLOP/s, int8: 2614 TOPS"),
		// Integer-only matrix units: the TOPS figure is the int8 rate (Coral, "TensorFlow models on
		// the Edge TPU": fully 8-bit quantised models only; Corsair: MXINT8 2.4 PFLOPS per card,
		// Chips and Cheese). The numbers are the registry's peaks, unchanged.
		seedRow(t, c, "Coral", "rates", "none", "int8: 4 TOPS"),
		seedRow(t, c, "DMatrix_Corsair", "rates", "mxint4: 9600 TFLOP/s", "int8: 2400 TOPS, mxint4: 9600 TFLOP/s"),
	} {
		cr := find(tc.corrections, tc.field)
		if cr == nil {
			t.Errorf("%s: no correction of %s", tc.entry, tc.field)
			continue
		}
		if fmt.Sprint(cr.Upstream) != tc.upstream || fmt.Sprint(cr.Value) != tc.value {
			t.Errorf("%s.%s correction %v → %v, want %s → %s", tc.entry, tc.field, cr.Upstream, cr.Value, tc.upstream, tc.value)
		}
		if tc.current != tc.value {
			t.Errorf("%s.%s = %s, want the corrected %s", tc.entry, tc.field, tc.current, tc.value)
		}
	}
	n := 0
	for _, e := range allEntries(c) {
		n += len(e.prov.Corrections)
	}
	if n != 41 {
		t.Errorf("%d corrections in the catalog, want the 41 above; a new one needs a row here", n)
	}
}

// linkRow is TestRecordedCorrections' row for a link added where the registry had none:
// upstream "none", and the loaded link printed as the correction's value prints it.
func linkRow(c *Catalog, key, field, value string) correctionRow {
	h, _ := c.HardwareByKey(key)
	l := h.ScaleUp
	if field == "host_link" {
		l = h.HostLink
	}
	current := "<no link>"
	if l != nil {
		current = fmt.Sprintf("%s, %g GB/s %s", l.Name, l.BytesPerS/1e9, strings.ReplaceAll(string(l.Direction), "_", " "))
	}
	return correctionRow{key, field, h.Corrections, AddedUpstreamNone, value, current}
}

// correctionRow is a row of TestRecordedCorrections: an entry's field, the entry's
// corrections, the upstream and corrected values as fmt.Sprint prints them, and the
// loaded value.
type correctionRow struct {
	entry, field    string
	corrections     []Correction
	upstream, value string
	current         string
}

func TestModelInvariants(t *testing.T) {
	c := mustDefault(t)
	for _, m := range c.Models {
		if !slices.Contains(Families, m.Family) {
			t.Errorf("%s: family %q", m.Key, m.Family)
		}
		if m.Family.IsTransformer() && m.Layers <= 0 {
			t.Errorf("%s: %s with %d layers", m.Key, m.Family, m.Layers)
		}
		if m.Family == MoE {
			if !(m.ActiveParameters > 0 && m.ActiveParameters <= m.Parameters) {
				t.Errorf("%s: active %g of %g parameters", m.Key, m.ActiveParameters, m.Parameters)
			}
			if !(m.Experts > 0 && m.ActiveExpertsPerToken > 0 && m.ActiveExpertsPerToken <= m.Experts) {
				t.Errorf("%s: %d of %d experts per token", m.Key, m.ActiveExpertsPerToken, m.Experts)
			}
		}
		if m.KVHeads > 0 && (m.KVHeads > m.Heads || m.Heads%m.KVHeads != 0) {
			t.Errorf("%s: %d KV heads for %d heads; want a divisor", m.Key, m.KVHeads, m.Heads)
		}
		// physics.md §2.1: head_dim = hidden_dim // heads, so heads should divide hidden_dim.
		if m.Heads > 0 && m.HiddenDim%m.Heads != 0 {
			t.Errorf("%s: %d heads do not divide hidden %d", m.Key, m.Heads, m.HiddenDim)
		}
		if m.InferenceFLOPs > 0 && !slices.Contains(flopsPer, m.InferenceFLOPsPer) {
			t.Errorf("%s: inference_flops_per %q", m.Key, m.InferenceFLOPsPer)
		}
		// physics.md §2.1: decoder LMs cost 2 × (active) parameters per generated token.
		if m.Family.IsTransformer() && m.InferenceFLOPsPer == "token" {
			p := m.Parameters
			if m.Family == MoE {
				p = m.ActiveParameters
			}
			if !near(m.InferenceFLOPs, 2*p, 1e-12) {
				t.Errorf("%s: %g FLOP per token, want 2 × %g", m.Key, m.InferenceFLOPs, p)
			}
		}
	}
}

// TestResNet50ConvLayers re-derives ResNet-50 v1.5 block by block (He et al. 2016,
// Table 1: stages of 3, 4, 6, 3 bottlenecks of width 64..512 at 56..7 pixels; v1.5's
// stride in the 3×3) and checks the catalog's compact list against it: 53
// convolutions, the same FLOPs, input and output elements and residual adds, and FLOPs that
// match inference_flops less the 2·2048·1000 classifier.
func TestResNet50ConvLayers(t *testing.T) {
	c := mustDefault(t)
	m, err := c.ModelByKey("ResNet50")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ convs, flops, outs, ins, adds float64 }
	conv := func(k, in, out, side, stride float64, add bool) {
		want.convs++
		want.ins += in * side * stride * side * stride
		want.flops += 2 * k * k * in * out * side * side
		want.outs += out * side * side
		if add {
			want.adds += out * side * side
		}
	}
	conv(7, 3, 64, 112, 2, false)
	in := 64.0
	for i, st := range []struct{ blocks, width, side float64 }{{3, 64, 56}, {4, 128, 28}, {6, 256, 14}, {3, 512, 7}} {
		for b := 0.0; b < st.blocks; b++ {
			side1 := st.side
			if b == 0 && i > 0 {
				side1 = 2 * st.side // v1.5: the first 1×1 runs at the input resolution
			}
			stride := side1 / st.side
			conv(1, in, st.width, side1, 1, false)
			conv(3, st.width, st.width, st.side, stride, false)
			conv(1, st.width, 4*st.width, st.side, 1, true)
			if b == 0 {
				conv(1, in, 4*st.width, st.side, stride, false) // projection shortcut
			}
			in = 4 * st.width
		}
	}
	var got struct{ convs, flops, outs, ins, adds float64 }
	for _, l := range m.ConvLayers {
		n, side := float64(l.Count), float64(l.Size)
		got.convs += n
		got.ins += n * float64(l.In) * side * side * float64(l.Stride*l.Stride)
		got.flops += n * 2 * float64(l.Kernel*l.Kernel*l.In*l.Out) * side * side
		got.outs += n * float64(l.Out) * side * side
		if strings.Contains(l.After, "add") {
			got.adds += n * float64(l.Out) * side * side
		}
	}
	if got != want {
		t.Errorf("catalog ResNet50 convolutions %+v, derived %+v", got, want)
	}
	// Table 1's stem: conv1 (112×112) then a 3×3 max pool, stride 2, to conv2_x's 56×56.
	if stem := m.ConvLayers[0]; stem.Kernel != 7 || stem.Size != 112 || stem.Pool != 56 {
		t.Errorf("stem %+v: want conv1 7×7 at 112 and its max pool to 56", stem)
	}
	if got.convs != 53 {
		t.Errorf("%g convolutions, want 53", got.convs)
	}
	if fc := 2 * 2048 * 1000.0; !near(got.flops+fc, m.InferenceFLOPs, 0.01) {
		t.Errorf("convolutions + classifier = %g FLOP, catalog inference_flops %g", got.flops+fc, m.InferenceFLOPs)
	}
}

// TestConvLayerTotals sums the weights and multiply-adds of each listed CNN's layers and
// compares them with the totals its sources publish. Layer weights are k²·in·out/g per
// convolution (the list carries no biases or batch-norm scales, a few thousand
// parameters). layers counts the weighted layers the architecture's name counts: every
// entry but the projection shortcuts, which He et al. do not count.
func TestConvLayerTotals(t *testing.T) {
	c := mustDefault(t)
	for _, tc := range []struct {
		key             string
		weights, wTol   float64
		macs, macTol    float64
		layers          float64
		flopsNote, wSrc string
	}{
		// He et al. (2016) Table 1: 1.8 × 10⁹ FLOPs (multiply-adds) for 18 layers;
		// torchvision's resnet18 documentation: 11,689,512 parameters (11.7 M), of which
		// 9,600 batch-norm scales and shifts and the fc's 1,000 biases are not listed.
		{"ResNet18", 11689512, 0.002, 1.8e9, 0.01, 18, "He et al. Table 1", "torchvision resnet18"},
		// torchvision's alexnet documentation: 61,100,840 parameters (10,344 biases not
		// listed) and 0.714 GFLOPS, which torchvision counts as multiply-adds.
		{"AlexNet", 61100840, 0.001, 0.714e9, 0.001, 8, "torchvision alexnet", "torchvision alexnet"},
		// Sandler et al. (2018) Table 4: 300 M multiply-adds; torchvision's mobilenet_v2
		// documentation: 3,504,872 parameters, 1.0 % of them batch-norm scales and shifts
		// and biases that the list does not carry (the paper rounds to 3.4 M). 53 weighted
		// layers: the stem, 2 + 16 × 3 in the bottlenecks, the 1×1 to 1280, the classifier.
		{"MobileNetV2", 3504872, 0.012, 300e6, 0.01, 53, "Sandler et al. Table 4", "torchvision mobilenet_v2"},
	} {
		m, err := c.ModelByKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		var weights, macs, layers float64
		for _, l := range m.ConvLayers {
			n, side := float64(l.Count), float64(l.Size)
			w := float64(l.Kernel*l.Kernel) * float64(l.In) * float64(l.Out) / float64(max(l.Groups, 1))
			weights += n * w
			macs += n * w * side * side
			if !l.Shortcut {
				layers += n
			}
		}
		if !near(weights, tc.weights, tc.wTol) {
			t.Errorf("%s: listed layers hold %.0f weights; %s: %.0f (tolerance %g)", tc.key, weights, tc.wSrc, tc.weights, tc.wTol)
		}
		if !near(macs, tc.macs, tc.macTol) {
			t.Errorf("%s: listed layers do %.4g multiply-adds; %s: %.4g (tolerance %g)", tc.key, macs, tc.flopsNote, tc.macs, tc.macTol)
		}
		if layers != tc.layers {
			t.Errorf("%s: %g weighted layers listed, want %g", tc.key, layers, tc.layers)
		}
	}
}

// TestAlexNetParametersAgainstPaper: the single-tower layer list stays within 2 % of
// the "60 million parameters" of Krizhevsky et al. (2012, abstract and §4), the count
// the catalog's parameters field carries.
func TestAlexNetParametersAgainstPaper(t *testing.T) {
	m, err := mustDefault(t).ModelByKey("AlexNet")
	if err != nil {
		t.Fatal(err)
	}
	var weights float64
	for _, l := range m.ConvLayers {
		weights += float64(l.Count * l.Kernel * l.Kernel * l.In * l.Out)
	}
	if !near(weights, 60e6, 0.02) || m.Parameters != 60e6 {
		t.Errorf("AlexNet: %g listed weights, catalog parameters %g; the paper says 60 million", weights, m.Parameters)
	}
}

func TestModelTable(t *testing.T) {
	c := mustDefault(t)
	// physics.md §2.5 model table (language.yaml @087dd538, vision.yaml @35a61438).
	for _, tc := range []struct {
		key                   string
		params, active, flops float64
		layers, hidden, heads int
	}{
		{"Llama3_8B", 8.03e9, 0, 1.606e10, 32, 4096, 32},
		{"Llama3_70B", 70.6e9, 0, 1.412e11, 80, 8192, 64},
		{"Llama3_405B", 405e9, 0, 8.1e11, 126, 16384, 128},
		{"Llama2_70B", 70e9, 0, 1.4e11, 80, 8192, 64},
		{"GPT3", 175e9, 0, 3.5e11, 96, 12288, 96},
		{"GPT4", 1.76e12, 2.8e11, 5.6e11, 120, 16384, 128},
		{"DeepSeek_V3", 671e9, 37e9, 7.4e10, 61, 7168, 128}, // heads corrected from the table's 56
		{"Mixtral_8x7B", 46.7e9, 12.9e9, 2.58e10, 32, 4096, 32},
		{"BERT_Base", 110e6, 0, 2.2e10, 12, 768, 12},
		{"ResNet50", 25.6e6, 0, 8.2e9, 50, 0, 0},
		{"MobileNetV2", 3504872, 0, 6e8, 54, 0, 0},
	} {
		m, err := c.ModelByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if m.Parameters != tc.params || m.ActiveParameters != tc.active || !near(m.InferenceFLOPs, tc.flops, scaleRel) ||
			m.Layers != tc.layers || m.HiddenDim != tc.hidden || m.Heads != tc.heads {
			t.Errorf("%s: P %g active %g F %g L %d h %d H %d; want %g %g %g %d %d %d", tc.key,
				m.Parameters, m.ActiveParameters, m.InferenceFLOPs, m.Layers, m.HiddenDim, m.Heads,
				tc.params, tc.active, tc.flops, tc.layers, tc.hidden, tc.heads)
		}
	}
	// The table's "other" column.
	gpt3, _ := c.ModelByKey("GPT3")
	if !near(gpt3.TrainingFLOPs, 3.14e23, scaleRel) || gpt3.TrainingTokens != 3e11 {
		t.Errorf("GPT3 training %g FLOP, %g tokens; want 3.14e23, 3e11", gpt3.TrainingFLOPs, gpt3.TrainingTokens)
	}
	ds, _ := c.ModelByKey("DeepSeek_V3")
	if ds.KVLoraRank != 512 || ds.QKRopeHeadDim != 64 || ds.Experts != 256 || ds.ActiveExpertsPerToken != 8 {
		t.Errorf("DeepSeek_V3 MLA/MoE %d %d %d %d, want 512 64 256 8", ds.KVLoraRank, ds.QKRopeHeadDim, ds.Experts, ds.ActiveExpertsPerToken)
	}
	mb, _ := c.ModelByKey("MobileNetV2")
	if !near(mb.InferenceEnergyJ, 0.1e-3, scaleRel) {
		t.Errorf("MobileNetV2 inference energy %g J, want 0.1 mJ", mb.InferenceEnergyJ)
	}
}

func TestInfraTables(t *testing.T) {
	c := mustDefault(t)
	// physics.md §2.5 grids (infrastructure/data/grids.yaml @8a89d00a).
	for _, tc := range []struct {
		key              string
		carbon, pue, wue float64
	}{
		{"US_Avg", 429, 1.12, 1.8},
		{"Quebec", 20, 1.06, 0},
		{"Iowa", 680, 1.12, 1.8},
		{"Poland", 820, 1.58, 1.8},
		{"Norway", 10, 1.06, 0},
		{"EU_Avg", 270, 1.12, 1.8},
		{"France", 50, 1.12, 1.8},
		{"Germany", 385, 1.12, 1.8},
		{"Iceland", 28, 1.06, 0},
		{"India_Avg", 720, 1.58, 1.8},
		{"China_Avg", 555, 1.4, 1.8},
		{"Texas", 400, 1.12, 1.8},
	} {
		g, err := c.GridByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if g.CarbonGPerKWh != tc.carbon || g.PUE != tc.pue || g.WUELPerKWh != tc.wue {
			t.Errorf("grid %s: %g g/kWh, PUE %g, WUE %g L/kWh; want %g, %g, %g", tc.key, g.CarbonGPerKWh, g.PUE, g.WUELPerKWh, tc.carbon, tc.pue, tc.wue)
		}
	}
	// physics.md §2.4 FacilityCooling tiers.
	for _, tc := range []struct {
		key      string
		pue, wue float64
	}{
		{"LiquidCooled", 1.06, 0}, {"BestAir", 1.12, 1.8}, {"Typical", 1.40, 1.8},
		{"Legacy", 1.58, 1.8}, {"StateOfArt", 1.10, 1.8}, {"SimpleAir", 1.50, 1.8},
	} {
		k, err := c.CoolingByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if k.PUE != tc.pue || k.WUELPerKWh != tc.wue {
			t.Errorf("cooling %s: PUE %g, WUE %g; want %g, %g", tc.key, k.PUE, k.WUELPerKWh, tc.pue, tc.wue)
		}
	}
	// physics.md §2.5 pricing.
	for _, tc := range []struct {
		key, unit string
		value     float64
	}{
		{"Cloud.ElectricityPerKwh", "USD/kWh", 0.12},
		{"Cloud.EgressPerGB", "USD/GB", 0.09},
		{"Capital.AnnualMaintenanceRatio", "fraction/year", 0.05},
		{"OnPremises.ElectricityPerKwh", "USD/kWh", 0.07},
		{"Capital.DgxH100NodeUsd", "USD", 350000},
	} {
		p, err := c.PriceByKey(tc.key)
		if err != nil {
			t.Error(err)
			continue
		}
		if p.Value != tc.value || p.Unit != tc.unit {
			t.Errorf("price %s: %g %s, want %g %s", tc.key, p.Value, p.Unit, tc.value, tc.unit)
		}
	}
	for _, g := range c.Grids {
		if g.PUE < 1 || g.CarbonGPerKWh < 0 || g.WUELPerKWh < 0 {
			t.Errorf("grid %s: PUE %g, carbon %g, WUE %g", g.Key, g.PUE, g.CarbonGPerKWh, g.WUELPerKWh)
		}
	}
	for _, k := range c.Cooling {
		if k.PUE < 1 {
			t.Errorf("cooling %s: PUE %g < 1", k.Key, k.PUE)
		}
	}
}

func TestHashStable(t *testing.T) {
	a, err := loadFS(dataFS, "data")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadFS(dataFS, "data")
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash || a.Hash != mustDefault(t).Hash {
		t.Errorf("hash differs between loads: %s, %s, Default %s", a.Hash, b.Hash, mustDefault(t).Hash)
	}
	if raw, err := hex.DecodeString(a.Hash); err != nil || len(raw) != 32 || strings.ToLower(a.Hash) != a.Hash {
		t.Errorf("hash %q is not 64 lower-case hex characters (SHA-256)", a.Hash)
	}
}

// TestWalls checks the wall taxonomy against physics.md §11 / test_walls.py:
// exactly 22, numbered 1..22, six domains, the node domain has 7, and the seed's
// resolver mapping for a few walls.
func TestWalls(t *testing.T) {
	c := MustDefault()
	if len(c.Walls) != 22 {
		t.Fatalf("%d walls, want 22", len(c.Walls))
	}
	perDomain := map[string]int{}
	for i, w := range c.Walls {
		if w.Number != i+1 {
			t.Errorf("wall %d at position %d", w.Number, i)
		}
		perDomain[w.Domain]++
	}
	if perDomain["node"] != 7 || len(perDomain) != 6 {
		t.Errorf("domains %v, want 6 with node = 7", perDomain)
	}
	for n, name := range map[int]string{1: "Compute", 2: "Memory", 4: "Serving", 14: "Communication", 17: "Capital", 18: "Sustainability", 22: "Synthesis"} {
		w, err := c.WallByNumber(n)
		if err != nil || w.Name != name {
			t.Errorf("wall %d = %v (%v), want %s", n, w, err, name)
		}
	}
	if _, err := c.WallByNumber(23); err == nil || !strings.Contains(err.Error(), "1–22") {
		t.Errorf("wall 23: %v, want an error naming 1–22", err)
	}
}

// TestMeasuredHardwareAttributes: the serving physics of the calibrated profile reads a
// measured streaming bandwidth and a measured matmul efficiency; the catalog keeps the
// published numbers (cloud.yaml field_sources) and falls back as docs/CATALOG.md says.
func TestMeasuredHardwareAttributes(t *testing.T) {
	c := MustDefault()
	for _, tc := range []struct {
		key       string
		bw        float64 // BabelStream Triad, bytes/s
		prec      string
		eff       float64
		effStated bool
	}{
		{"H100", 2.97e12, "fp8", 0.709, true},  // Azure ND H100 v5; MAMF FP8 1402.6/1979
		{"H100", 2.97e12, "fp16", 0.803, true}, // fp16 shares the bf16 tensor path
		{"H100", 2.97e12, "int8", 0.709, true}, // int8 shares the fp8 path
		{"H200", 4.15e12, "bf16", 0.803, true},
		{"A100", 1.70e12, "fp16", 0.869, true},
		{"MI300X", 3.95e12, "bf16", 0.514, true},
		{"B200", 7.7e12, "fp4", 0.763, true}, // no measured bandwidth: the datasheet's (HGX B200); fp4 falls back to fp8
		{"T4", 320e9, "fp16", 0, false},      // nothing measured
	} {
		h, err := c.HardwareByKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if bw := h.AchievableBandwidth(); math.Abs(bw-tc.bw) > 1e-6*tc.bw {
			t.Errorf("%s achievable bandwidth %g, want %g", tc.key, bw, tc.bw)
		}
		eff, ok := h.GEMMEfficiencyFor(tc.prec)
		if ok != tc.effStated || eff != tc.eff {
			t.Errorf("%s %s GEMM efficiency %g (%v), want %g (%v)", tc.key, tc.prec, eff, ok, tc.eff, tc.effStated)
		}
		// The measured-matmul predicate and rate: the efficiency × the precision's peak
		// where one is stated, nothing (0, 0, false) where none is.
		peak, _ := h.PeakFor(tc.prec)
		rate, eff, ok := h.MeasuredMatmul(tc.prec)
		if want := tc.eff * peak; ok != tc.effStated || eff != tc.eff || rate != want {
			t.Errorf("%s %s MeasuredMatmul = %g, %g, %v; want %g, %g, %v", tc.key, tc.prec, rate, eff, ok, want, tc.eff, tc.effStated)
		}
	}
	// A100 BF16: Bekman's MAMF table measured 271.2 of 312 TFLOP/s; the catalog keeps
	// 0.869 of the 312 TFLOP/s datasheet peak.
	a100, _ := c.HardwareByKey("A100")
	if rate, _, ok := a100.MeasuredMatmul("bf16"); !ok || math.Abs(rate-271.128e12) > 1e6 {
		t.Errorf("A100 bf16 measured matmul %g (%v), want 0.869 × 312e12 = 271.128e12", rate, ok)
	}
	// Sustained (MSMF) rates: the H200's measured 708.5 of 989 and 1288.7 of 1979 TFLOP/s
	// (Bekman, fast-mamf 082816f), carried to the H100 (the same GH100 die at the same
	// 700 W); none for the A100, whose training step keeps the burst rate; fp16 reads bf16.
	for _, tc := range []struct {
		key, prec string
		want      float64
		ok        bool
	}{
		{"H200", "bf16", 0.716 * 989e12, true}, {"H100", "bf16", 0.716 * 989e12, true}, {"H100", "fp16", 0.716 * 989e12, true},
		{"H100", "fp8", 0.651 * 1979e12, true}, {"A100", "bf16", 0, false},
	} {
		h, _ := c.HardwareByKey(tc.key)
		if rate, ok := h.SustainedMatmul(tc.prec); ok != tc.ok || math.Abs(rate-tc.want) > 1e-9*tc.want {
			t.Errorf("%s %s SustainedMatmul = %g, %v; want %g, %v", tc.key, tc.prec, rate, ok, tc.want, tc.ok)
		}
	}
	// FlashAttention-1's fused attention (Dao 2023, Figure 4(d): 76 of 312 TFLOP/s, causal,
	// head dimension 128, 4K tokens): measured on the A100 only; fp16 reads bf16.
	for _, tc := range []struct {
		key, prec string
		want      float64
		ok        bool
	}{{"A100", "bf16", 0.244, true}, {"A100", "fp16", 0.244, true}, {"H100", "bf16", 0, false}} {
		h, _ := c.HardwareByKey(tc.key)
		if eff, ok := h.AttentionEfficiencyFlash1For(tc.prec); ok != tc.ok || eff != tc.want {
			t.Errorf("%s %s AttentionEfficiencyFlash1For = %g, %v; want %g, %v", tc.key, tc.prec, eff, ok, tc.want, tc.ok)
		}
	}
	// A measured efficiency without a peak for the precision is no measured rate.
	noPeak := &Hardware{Key: "X", PeakFLOPS: 0, GEMMEfficiency: map[string]float64{"bf16": 0.8}}
	if rate, eff, ok := noPeak.MeasuredMatmul("bf16"); ok || rate != 0 || eff != 0 {
		t.Errorf("no peak: MeasuredMatmul = %g, %g, %v; want 0, 0, false", rate, eff, ok)
	}
}

// TestMeasuredRates: the measured rates issue #15 catalogues (bus bandwidths, the
// GB200 chip), read back with the accessors the physics uses (sources in the entries'
// field_sources).
func TestMeasuredRates(t *testing.T) {
	c := mustDefault(t)
	hw := func(k string) *Hardware {
		h, err := c.HardwareByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	gemm := func(h *Hardware, prec string) float64 {
		rate, _, _ := h.MeasuredMatmul(prec)
		return rate
	}
	fab := func(k string) *Fabric {
		f, err := c.FabricByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"A100 NVLink3 busBw 230 GB/s", hw("A100").ScaleUp.AchievedBusBytesPerS(), 230e9},
		{"H100 NVLink4 busBw 370 GB/s", hw("H100").ScaleUp.AchievedBusBytesPerS(), 370e9},
		{"V100 unmeasured: 300 GB/s total / 2", hw("V100").ScaleUp.AchievedBusBytesPerS(), 150e9},
		{"IB HDR busBw 24 GB/s", fab("InfiniBand_HDR").AchievedBusBytesPerS(), 24e9},
		{"IB NDR busBw 48 GB/s", fab("InfiniBand_NDR").AchievedBusBytesPerS(), 48e9},
		{"100 GbE unmeasured: line rate", fab("Ethernet_100G").AchievedBusBytesPerS(), 12.5e9},
		{"H100 fp32 is the CUDA-core rate", hw("H100").Rates["fp32"], 67e12},
		{"TPU v4 ICI 1.1 PB/s / 4096 chips", hw("TPUv4").ScaleUp.AchievedBusBytesPerS(), 268.6e9},
		{"GB200: 360 PFLOP/s sparse FP16 rack / 72 / 2", hw("GB200").PeakFLOPS, 2500e12},
		{"GB200: 186 GB (binary) per GPU", hw("GB200").MemCapacityBytes, 186 * (1 << 30)},
	} {
		if !near(tc.got, tc.want, 1e-12) {
			t.Errorf("%s: got %g, want %g", tc.name, tc.got, tc.want)
		}
	}
	// The GB200's efficiencies are stated to four places against this entry's peaks.
	for prec, rate := range map[string]float64{"bf16": 1822e12, "fp8": 3615.6e12} {
		if got := gemm(hw("GB200"), prec); !near(got, rate, 1e-4) {
			t.Errorf("GB200 %s matmul %g, want the MAMF %g", prec, got, rate)
		}
	}
	n, err := c.NodeByKey("GB200_NVL72")
	if err != nil {
		t.Fatal(err)
	}
	if n.Accelerator != "GB200" || n.AcceleratorsPerNode != 72 || n.IntraNodeBytesPerS != 900e9 {
		t.Errorf("GB200_NVL72 node: %s × %d at %g B/s, want GB200 × 72 at NVLink 5's 900 GB/s per direction",
			n.Accelerator, n.AcceleratorsPerNode, n.IntraNodeBytesPerS)
	}
}

// TestRenamedKey: the old rack key fails with an error naming its replacements.
func TestRenamedKey(t *testing.T) {
	_, err := mustDefault(t).HardwareByKey("GB200_NVL72")
	if err == nil {
		t.Fatal("GB200_NVL72 resolves as hardware; it is a node now")
	}
	for _, want := range []string{`hardware "GB200_NVL72" was renamed: use GB200`, "node GB200_NVL72", "catalog/data/renamed.yaml:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := mustDefault(t).HardwareByKey("GB300"); err == nil || strings.Contains(err.Error(), "renamed") {
		t.Errorf("an unknown key is not a rename: %v", err)
	}
}

// TestEngines: every engine sources each attribute on its own; the values are those of
// the sources named in systems/engines.yaml (vLLM's and SGLang's llama.py: 6 kernels
// besides the 4 matmuls; TensorRT-LLM's fused attention: 4; SGLang PR #2904's H100
// all-reduce table: 8.7 µs for vLLM, 4.5 µs for TensorRT-LLM's kernels at tp 2;
// TensorRT-LLM v0.5's unfused MLP: one more, and NCCL's all-reduce, no measured
// latency), and only TensorRT-LLM as
// trtllm-bench builds it runs FP8 attention (use_fp8_context_fmha for FP8 checkpoints);
// every engine's default KV cache ("auto") follows the checkpoint's KV scheme (vLLM's
// resolve_kv_cache_dtype_string and compressed-tensors kv_cache_scheme, SGLang's
// configure_kv_cache_dtype, TensorRT-LLM's validate_and_set_kv_cache_quant; v0.5's FP8
// builds pass --fp8_kv_cache).
func TestEngines(t *testing.T) {
	c := mustDefault(t)
	want := map[string]struct {
		kernels, moe int
		ar           float64
		fp8Attn      bool
		kvCkpt       bool
	}{"vllm": {6, 4, 8.7e-6, false, true}, "sglang": {6, 4, 4.5e-6, false, true}, "trtllm": {4, 4, 4.5e-6, true, true}, "trtllm-0.5": {5, 4, 0, false, true},
		// vLLM's V0 engine of December 2023 to April 2024 all-reduced with NCCL (pull
		// requests #2192, #2808, #4040) and its "auto" KV cache was the model's dtype.
		"vllm-0.3": {6, 4, 0, false, false},
		// and before February 2024 ran Mixtral's experts whole on each rank, every token
		// through each (pull request #2090; router, softmax, top-k, sum, divide: 5 kernels).
		"vllm-0.2": {6, 5, 0, false, false}, "vllm-0.2.7": {6, 5, 0, false, false}}
	for _, e := range c.Engines {
		w, ok := want[e.Key]
		if !ok {
			t.Errorf("engine %s not in the test's table", e.Key)
			continue
		}
		if e.NonMatmulKernels != w.kernels || e.MoEKernels != w.moe || math.Abs(e.AllReduceS-w.ar) > 1e-12 || e.StepOverheadS != 0 || e.FP8Attention != w.fp8Attn || e.KVAutoCheckpoint != w.kvCkpt ||
			e.NCCLAllReduce != (w.ar == 0) {
			t.Errorf("engine %s: %+v", e.Key, e)
		}
		// The engines' own all-reduce kernels take messages up to their workspace: TensorRT-LLM
		// (customAllReduceUtils.h) 16 × 10⁶ bytes at 2 ranks and 8 × 10⁶ beyond, vLLM and
		// SGLang (custom_all_reduce.py) 8192 · 1024 bytes; v0.5 sends every message to NCCL.
		mib8 := 8192.0 * 1024
		if maxB, maxTwo := map[string]float64{"trtllm": 8e6, "vllm": mib8, "sglang": mib8}[e.Key], map[string]float64{"trtllm": 16e6, "vllm": mib8, "sglang": mib8}[e.Key]; e.AllReduceMaxBytes != maxB || e.AllReduceMaxBytesTwoRanks != maxTwo {
			t.Errorf("engine %s: all-reduce workspace %g / %g bytes, want %g / %g", e.Key, e.AllReduceMaxBytes, e.AllReduceMaxBytesTwoRanks, maxB, maxTwo)
		}
		if e.MoEDenseExperts != (e.Key == "vllm-0.2" || e.Key == "vllm-0.2.7") || (e.MoEDenseExperts && e.FieldSources["moe_dense_experts"].Ref == "") {
			t.Errorf("engine %s: moe_dense_experts %v (only vllm-0.2's and vllm-0.2.7's MoE runs every token through each local expert, with a source)", e.Key, e.MoEDenseExperts)
		}
		// vLLM's V0 engines of December 2023 to April 2024 carry the host time per step
		// measured for Sarathi-Serve's fork of that engine (Vidur's A100 CPU-overhead
		// profile of 2024-01-02, docs/PHYSICS.md §33): vllm-0.2 drove its workers through
		// Ray, so its table has the control-plane part too; the later two broadcast with
		// NCCL and charge the in-process part alone. Spot values, read from the CSV's
		// Llama-2-7b rows: tp 4, batch 64: 1.02 + 1.55 + 1.85 + 9.92 = 14.338 ms in
		// process (schedule, prepare inputs, sampler, process outputs; rounded per column
		// here), 2.61 + 8.34 = 10.948 ms control plane (barrier, Ray residual).
		if h := e.HostStep; (h != nil) != (e.Key == "vllm-0.2" || e.Key == "vllm-0.2.7" || e.Key == "vllm-0.3") {
			t.Errorf("engine %s: host_step %v", e.Key, h)
		} else if h != nil {
			if e.FieldSources["host_step"].Ref == "" || len(h.TPs) != 3 || h.TPs[2] != 4 || len(h.Batches) != 8 || h.Batches[7] != 64 ||
				math.Abs(h.InProcessS[2][7]-14.338e-3) > 1e-9 || (h.ControlPlaneS != nil) != (e.Key == "vllm-0.2") ||
				(h.ControlPlaneS != nil && math.Abs(h.ControlPlaneS[2][7]-10.948e-3) > 1e-9) {
				t.Errorf("engine %s: host_step %+v", e.Key, h)
			}
		}
		// vllm-0.3's fused MoE (vllm-project/vllm@4cb3b924) runs a shape without a tuned
		// file on its default tiles, and ships files for Mixtral at tp 4 on the A100
		// (E=8, N=3584) and at tp 2 on the H100 (E=8, N=7168) only: not tp 2 on the A100.
		if e.FusedMoEDefaultTiles != (e.Key == "vllm-0.3") {
			t.Errorf("engine %s: fused_moe_default_tiles %v (only vllm-0.3's)", e.Key, e.FusedMoEDefaultTiles)
		}
		if e.FusedMoEDefaultTiles && (!e.FusedMoETunedFor("A100", 8, 3584) || !e.FusedMoETunedFor("H100", 8, 7168) || e.FusedMoETunedFor("A100", 8, 7168) ||
			e.FusedMoETunedFor("H100", 8, 3584) || len(e.FusedMoETuned) != 2 || e.FieldSources["fused_moe_tuned"].Ref == "") {
			t.Errorf("engine %s: fused_moe_tuned %v", e.Key, e.FusedMoETuned)
		}
		for _, f := range EngineFields {
			if e.FieldSources[f].Ref == "" {
				t.Errorf("engine %s: %s has no source", e.Key, f)
			}
		}
	}
	if _, err := c.EngineByKey("vlm"); err == nil || !strings.Contains(err.Error(), "did you mean vllm") || !strings.Contains(err.Error(), "mlsysim zoo engines") {
		t.Errorf("EngineByKey(vlm) = %v, want a suggestion and the zoo category", err)
	}
}
