package catalog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim/suggest"
)

// NotFoundError is returned for an unknown key; it carries the closest valid keys.
type NotFoundError struct {
	Kind        string // "hardware", "model", …
	Name        string
	Suggestions []string
	Renamed     *Rename // the key was renamed (catalog/data/renamed.yaml)
}

func (e *NotFoundError) Error() string {
	if r := e.Renamed; r != nil {
		return fmt.Sprintf("%s %q was renamed: use %s (%s; %s)", e.Kind, e.Name, r.Now, r.Reason, r.File)
	}
	msg := fmt.Sprintf("unknown %s %q", e.Kind, e.Name)
	msg += suggest.Phrase(e.Suggestions)
	if z, ok := zooNames[e.Kind]; ok {
		msg += fmt.Sprintf("; `mlsysim zoo %s` lists them all", z)
	}
	return msg
}

// zooNames maps the kinds `mlsysim zoo` can list to its category names.
var zooNames = map[string]string{
	"hardware": "hardware", "model": "models", "grid region": "regions", "fabric": "fabrics", "cluster": "clusters",
	"engine": "engines",
}

func find[T any](kind, name string, items []T, key func(T) string) (T, error) {
	for _, it := range items {
		if key(it) == name {
			return it, nil
		}
	}
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = key(it)
	}
	var zero T
	return zero, &NotFoundError{Kind: kind, Name: name, Suggestions: suggest.Closest(name, keys, suggest.Max)}
}

// HardwareByKey looks a device up by its exact, case-sensitive key.
func (c *Catalog) HardwareByKey(k string) (*Hardware, error) {
	h, err := find("hardware", k, c.Hardware, func(h *Hardware) string { return h.Key })
	return h, c.renamed(err)
}

// renamed turns an unknown-key error for a key that was renamed into one that
// names the replacement.
func (c *Catalog) renamed(err error) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		for _, r := range c.Renames {
			if r.Kind == nf.Kind && r.Key == nf.Name {
				nf.Renamed = r
			}
		}
	}
	return err
}

// ModelByKey looks a workload up by its exact key.
func (c *Catalog) ModelByKey(k string) (*Model, error) {
	return find("model", k, c.Models, func(m *Model) string { return m.Key })
}

// EngineByKey looks a serving engine up by its exact key.
func (c *Catalog) EngineByKey(k string) (*Engine, error) {
	return find("engine", k, c.Engines, func(e *Engine) string { return e.Key })
}

// GridByKey looks a grid region up by its exact key.
func (c *Catalog) GridByKey(k string) (*Grid, error) {
	return find("grid region", k, c.Grids, func(g *Grid) string { return g.Key })
}

// DatacenterByKey looks a datacenter up by its exact key.
func (c *Catalog) DatacenterByKey(k string) (*Datacenter, error) {
	return find("datacenter", k, c.Datacenters, func(d *Datacenter) string { return d.Key })
}

// FabricByKey looks a fabric up by its exact key.
func (c *Catalog) FabricByKey(k string) (*Fabric, error) {
	return find("fabric", k, c.Fabrics, func(f *Fabric) string { return f.Key })
}

// NodeByKey looks a node up by its exact key.
func (c *Catalog) NodeByKey(k string) (*Node, error) {
	return find("node", k, c.Nodes, func(n *Node) string { return n.Key })
}

// ClusterByKey looks a cluster up by its exact key.
func (c *Catalog) ClusterByKey(k string) (*Cluster, error) {
	return find("cluster", k, c.Clusters, func(n *Cluster) string { return n.Key })
}

// PriceByKey looks a sourced price up by its exact key.
func (c *Catalog) PriceByKey(k string) (*Price, error) {
	return find("price", k, c.Prices, func(p *Price) string { return p.Key })
}

// CoolingByKey looks a facility cooling tier up by its exact key.
func (c *Catalog) CoolingByKey(k string) (*Cooling, error) {
	return find("cooling tier", k, c.Cooling, func(p *Cooling) string { return p.Key })
}

// WallByNumber returns wall n (1..22).
func (c *Catalog) WallByNumber(n int) (*Wall, error) {
	if n < 1 || n > len(c.Walls) {
		return nil, fmt.Errorf("no wall with number %d; valid: 1–%d", n, len(c.Walls))
	}
	return c.Walls[n-1], nil
}

// link checks every hardware and model entry's domain (Validate), that keys are
// plain ASCII words unique even ignoring case (H100 and h100 would be told apart
// only by case), and that references resolve; and derives values that depend on
// other entries (a node's intra-node bandwidth). Every loader ends here.
func (c *Catalog) link() error {
	for _, h := range c.Hardware {
		if err := h.Validate(); err != nil {
			return err
		}
	}
	for _, m := range c.Models {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	if err := unique("hardware", c.Hardware, func(h *Hardware) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("model", c.Models, func(h *Model) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("grid", c.Grids, func(h *Grid) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("datacenter", c.Datacenters, func(h *Datacenter) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("fabric", c.Fabrics, func(h *Fabric) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("engine", c.Engines, func(h *Engine) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("node", c.Nodes, func(h *Node) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("cluster", c.Clusters, func(h *Cluster) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("cooling tier", c.Cooling, func(h *Cooling) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	if err := unique("price", c.Prices, func(h *Price) (string, string) { return h.Key, h.File }); err != nil {
		return err
	}
	for _, d := range c.Datacenters {
		if _, err := c.GridByKey(d.Grid); err != nil {
			return fmt.Errorf("%s: datacenter %s: grid: %w", d.File, d.Key, err)
		}
	}
	for _, n := range c.Nodes {
		h, err := c.HardwareByKey(n.Accelerator)
		if err != nil {
			return fmt.Errorf("%s: node %s: accelerator: %w", n.File, n.Key, err)
		}
		if n.IntraNodeBytesPerS == 0 && h.ScaleUp != nil {
			// physics.md §1.4: collectives inside a node use the per-direction rate.
			n.IntraNodeBytesPerS = h.ScaleUp.PerDirectionBytesPerS()
		}
	}
	for _, e := range c.Engines {
		for j, t := range e.FusedMoETuned {
			if _, err := c.HardwareByKey(t.Hardware); err != nil {
				return fmt.Errorf("%s: engine %s: fused_moe_tuned[%d].hardware: %w", e.File, e.Key, j, err)
			}
		}
	}
	for _, cl := range c.Clusters {
		if _, err := c.NodeByKey(cl.Node); err != nil {
			return fmt.Errorf("%s: cluster %s: node: %w", cl.File, cl.Key, err)
		}
		if _, err := c.FabricByKey(cl.Fabric); err != nil {
			return fmt.Errorf("%s: cluster %s: fabric: %w", cl.File, cl.Key, err)
		}
		if cl.Region != "" {
			if _, err := c.GridByKey(cl.Region); err != nil {
				return fmt.Errorf("%s: cluster %s: region: %w", cl.File, cl.Key, err)
			}
		}
		if cl.Datacenter != "" {
			if _, err := c.DatacenterByKey(cl.Datacenter); err != nil {
				return fmt.Errorf("%s: cluster %s: datacenter: %w", cl.File, cl.Key, err)
			}
		}
	}
	return nil
}

func unique[T any](kind string, items []T, kf func(T) (string, string)) error {
	type first struct{ key, file string }
	seen := map[string]first{}
	for _, it := range items {
		k, file := kf(it)
		if err := checkKey(k); err != nil {
			return fmt.Errorf("%s: %s %w", file, kind, err)
		}
		prev, dup := seen[strings.ToLower(k)]
		switch {
		case dup && prev.key == k:
			return fmt.Errorf("%s: duplicate %s key %q (first defined at %s)", file, kind, k, prev.file)
		case dup:
			return fmt.Errorf("%s: %s key %q differs only in case from %q (defined at %s); keys must differ by more than case", file, kind, k, prev.key, prev.file)
		}
		seen[strings.ToLower(k)] = first{k, file}
	}
	return nil
}
