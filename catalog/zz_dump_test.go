package catalog

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestZZDump(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(len(c.Hardware), len(c.Models), len(c.Grids), len(c.Datacenters), len(c.Cooling), len(c.Prices), len(c.Fabrics), len(c.Nodes), len(c.Clusters), c.Hash)
	for _, h := range c.Hardware {
		b, _ := json.Marshal(struct{K, T string; P, M, B, D float64; R map[string]float64; S *Link}{h.Key, h.Tier, h.PeakFLOPS, h.MemCapacityBytes, h.MemBandwidthBytesPerS, h.DispatchTaxS, h.Rates, h.ScaleUp})
		fmt.Println(string(b))
	}
	for _, m := range c.Models {
		fmt.Printf("%s %s %s P=%g A=%g L=%d h=%d H=%d kv=%d F=%g per=%s corr=%v\n", m.Key, m.Category, m.Family, m.Parameters, m.ActiveParameters, m.Layers, m.HiddenDim, m.Heads, m.KVHeads, m.InferenceFLOPs, m.InferenceFLOPsPer, m.Corrections)
	}
	for _, g := range c.Grids { fmt.Printf("%+v\n", *g) }
	for _, g := range c.Fabrics { fmt.Println(g.Key, g.BytesPerS, g.LatencyS) }
	for _, g := range c.Nodes { fmt.Println(g.Key, g.Accelerator, g.AcceleratorsPerNode, g.IntraNodeBytesPerS) }
	for _, g := range c.Clusters { fmt.Println(g.Key, g.Node, g.Nodes, g.Fabric, g.Region, g.Datacenter) }
	for _, g := range c.Cooling { fmt.Println(g.Key, g.PUE, g.WUELPerKWh) }
	for _, g := range c.Datacenters { fmt.Println(g.Key, g.Grid, g.PUEOverride) }
}

func TestZZCSV(t *testing.T) {
	c := MustDefault()
	for _, h := range c.Hardware {
		fmt.Printf("HW,%s,%.6g,%.0f,%.6g,%.6g,%.6g\n", h.Key, h.PeakFLOPS/1e12, h.MemCapacityBytes, h.MemBandwidthBytesPerS/1e9, h.TDPW, h.DispatchTaxS*1e3)
	}
}

func TestZZCSV2(t *testing.T) {
	c := MustDefault()
	for _, m := range c.Models {
		fmt.Printf("MD,%s,%g,%g,%d,%d,%d,%d,%g,%d,%d,%d,%d\n", m.Key, m.Parameters, m.ActiveParameters, m.Layers, m.HiddenDim, m.Heads, m.KVHeads, m.InferenceFLOPs, m.Experts, m.ActiveExpertsPerToken, m.KVLoraRank, m.QKRopeHeadDim)
	}
}

func TestZZUser(t *testing.T) {
	for _, f := range []string{"user_ok", "user_hw_bare", "user_model_bare", "user_bad_unknown_key", "user_bad_unit", "user_missing_source", "user_dup_h100", "user_missing_memory", "user_negative", "user_bad_family", "user_bad_indent", "user_empty", "user_list"} {
		c := MustDefault().Clone()
		keys, err := c.AddUserFile("../testdata/catalog/" + f + ".yaml")
		fmt.Printf("%s: %v | %v | nhw=%d nmod=%d\n", f, keys, err, len(c.Hardware), len(c.Models))
	}
}

func TestZZHF(t *testing.T) {
	for _, f := range []string{"Llama-3.1-8B", "Mixtral-8x7B-v0.1", "Qwen2-0.5B", "bad_syntax", "bad_type", "missing_layers", "bad_kv_heads", "truncated", "nonexistent"} {
		m, err := ModelFromHFConfig("../testdata/catalog/hf/" + f + "/config.json")
		if err != nil {
			fmt.Println(f, "ERR", err)
			continue
		}
		fmt.Printf("%s %s %s P=%.0f A=%.0f F=%.0f kv=%d E=%d k=%d notes=%q\n", f, m.Key, m.Family, m.Parameters, m.ActiveParameters, m.InferenceFLOPs, m.KVHeads, m.Experts, m.ActiveExpertsPerToken, m.Notes)
	}
}
