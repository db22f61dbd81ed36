package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/suggest"
)

// by turns a ByKey method into one shape: the key found, or an error.
func by[T any](lookup func(string) (T, error), key func(T) string) func(string) (string, error) {
	return func(k string) (string, error) {
		x, err := lookup(k)
		if err != nil {
			return "", err
		}
		return key(x), nil
	}
}

// lookups holds every ByKey method under the kind its NotFoundError names.
func lookups(c *Catalog) map[string]func(string) (string, error) {
	return map[string]func(string) (string, error){
		"hardware":     by(c.HardwareByKey, func(x *Hardware) string { return x.Key }),
		"model":        by(c.ModelByKey, func(x *Model) string { return x.Key }),
		"grid region":  by(c.GridByKey, func(x *Grid) string { return x.Key }),
		"datacenter":   by(c.DatacenterByKey, func(x *Datacenter) string { return x.Key }),
		"fabric":       by(c.FabricByKey, func(x *Fabric) string { return x.Key }),
		"node":         by(c.NodeByKey, func(x *Node) string { return x.Key }),
		"cluster":      by(c.ClusterByKey, func(x *Cluster) string { return x.Key }),
		"price":        by(c.PriceByKey, func(x *Price) string { return x.Key }),
		"cooling tier": by(c.CoolingByKey, func(x *Cooling) string { return x.Key }),
		"engine":       by(c.EngineByKey, func(x *Engine) string { return x.Key }),
	}
}

func TestLookupExact(t *testing.T) {
	c := mustDefault(t)
	by := lookups(c)
	for _, e := range allEntries(c) {
		kind := map[string]string{"grid": "grid region", "cooling": "cooling tier"}[e.kind]
		if kind == "" {
			kind = e.kind
		}
		got, err := by[kind](e.key)
		if err != nil || got != e.key {
			t.Errorf("%s %q: got %q, %v", kind, e.key, got, err)
		}
	}
}

func TestLookupSuggestions(t *testing.T) {
	c := mustDefault(t)
	by := lookups(c)
	for _, tc := range []struct {
		kind, name string
		first      string   // the first suggestion
		among      []string // each must be suggested
		zoo        string   // the `mlsysim zoo` category the message points to; "" = none exists
	}{
		{"hardware", "h100", "H100", nil, "hardware"},             // case-insensitive match ranks first
		{"hardware", "H10", "H100", []string{"H100"}, "hardware"}, // one edit away
		{"hardware", "H100 ", "H100", nil, "hardware"},
		{"model", "Llama3_8b", "Llama3_8B", nil, "models"},
		{"model", "llama3-8b", "Llama3_8B", nil, "models"},
		{"model", "Mixtral", "Mixtral_8x7B", nil, "models"}, // prefix
		{"grid region", "quebec", "Quebec", nil, "regions"},
		{"fabric", "InfiniBand_NRD", "InfiniBand_NDR", nil, "fabrics"},
		{"node", "DGX_H10", "DGX_H100", nil, ""},
		{"cluster", "research_256", "Research_256", nil, "clusters"},
		{"datacenter", "Quebec_hydro", "Quebec_Hydro", nil, ""},
	} {
		_, err := by[tc.kind](tc.name)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("%s %q: error %v, want a *NotFoundError", tc.kind, tc.name, err)
			continue
		}
		if nf.Kind != tc.kind || nf.Name != tc.name {
			t.Errorf("%s %q: NotFoundError{Kind %q, Name %q}", tc.kind, tc.name, nf.Kind, nf.Name)
		}
		if len(nf.Suggestions) == 0 || len(nf.Suggestions) > 3 || nf.Suggestions[0] != tc.first {
			t.Errorf("%s %q: suggestions %v, want 1 to 3 starting with %s", tc.kind, tc.name, nf.Suggestions, tc.first)
		}
		for _, s := range tc.among {
			if !slices.Contains(nf.Suggestions, s) {
				t.Errorf("%s %q: suggestions %v lack %s", tc.kind, tc.name, nf.Suggestions, s)
			}
		}
		msg := err.Error()
		want := []string{`unknown ` + tc.kind + ` "` + tc.name + `"`, "(did you mean " + tc.first}
		if tc.zoo != "" {
			want = append(want, "`mlsysim zoo "+tc.zoo+"`")
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %q: message %q lacks %q", tc.kind, tc.name, msg, w)
			}
		}
	}
}

func TestLookupFarOff(t *testing.T) {
	c := mustDefault(t)
	for _, name := range []string{"QuantumAbacus9000", "Xeon Phi", "Raspberry Pi"} {
		_, err := c.HardwareByKey(name)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("HardwareByKey(%q): %v, want a *NotFoundError", name, err)
		}
		if len(nf.Suggestions) != 0 {
			t.Errorf("%q: suggestions %v, want none", name, nf.Suggestions)
		}
		want := `unknown hardware "` + name + "\"; `mlsysim zoo hardware` lists them all"
		if err.Error() != want {
			t.Errorf("%q: message %q, want %q", name, err, want)
		}
	}
}

func TestNotFoundErrorListsAtMostThree(t *testing.T) {
	c := mustDefault(t)
	// "Llama" is a substring of five model keys; only the three nearest are offered.
	_, err := c.ModelByKey("Llama")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("ModelByKey(Llama): %v", err)
	}
	if len(nf.Suggestions) != 3 {
		t.Errorf("suggestions %v, want 3", nf.Suggestions)
	}
	if want := suggest.Phrase(nf.Suggestions); !strings.Contains(err.Error(), want) {
		t.Errorf("message %q should hold %q", err, want)
	}
}

// TestNodeNVLS: NCCL's NVLS runs where the node's accelerators sit on an NVSwitch that
// reduces (their scale_up says nvls) and the node does not say otherwise: the DGX H100 and
// the ND H200 v5 VM (8-GPU HGX boards), not the Kempner 4-GPU H100 board (nvls: false),
// not the DGX A100 (its NVSwitch does not reduce), not the H800 node (no source says so).
func TestNodeNVLS(t *testing.T) {
	c := MustDefault()
	for key, want := range map[string]bool{"DGX_H100": true, "ND_H200_v5": true, "Kempner_H100_4GPU": false, "DGX_A100": false, "H800_Node": false} {
		n, err := c.NodeByKey(key)
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.HardwareByKey(n.Accelerator)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.NVLS(h); got != want {
			t.Errorf("%s: NVLS %v, want %v", key, got, want)
		}
	}
	// A node given another link rate than its accelerator's does not run on that link.
	n, _ := c.NodeByKey("DGX_H100")
	h, _ := c.HardwareByKey("H100")
	other := *n
	other.IntraNodeBytesPerS = 100e9
	if other.NVLS(h) {
		t.Error("a node on another link than the accelerator's: NVLS true, want false")
	}
}
