package catalog

import (
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed data
var dataFS embed.FS

// Catalog is the loaded, indexed catalog. Slices keep file order; look entries up
// with the methods of lookup.go.
type Catalog struct {
	Hardware    []*Hardware
	Models      []*Model
	Grids       []*Grid
	Datacenters []*Datacenter
	Cooling     []*Cooling
	Prices      []*Price
	Fabrics     []*Fabric
	Engines     []*Engine
	Nodes       []*Node
	Clusters    []*Cluster
	Walls       []*Wall // numbered 1..22, in order
	Renames     []*Rename

	// Hash is the SHA-256 of every data file read, in path order: the same data
	// gives the same hash, so sweep manifests can name the catalog they used.
	Hash string

	hash sha256Acc
}

type sha256Acc struct{ parts []string }

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the embedded catalog, built once. It is the YAML under
// catalog/data decoded at build time (embedded_gen.go, kept in step by a test),
// because decoding the YAML was most of a command's start-up (BENCHMARKS.md);
// the entries are linked and validated here as any loaded catalog's are.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		defaultCat = embedded()
		defaultErr = defaultCat.link()
	})
	return defaultCat, defaultErr
}

// MustDefault is Default for callers (tests, examples) that cannot go on without it.
func MustDefault() *Catalog {
	c, err := Default()
	if err != nil {
		panic(err)
	}
	return c
}

// Clone returns a shallow copy whose slices can grow without touching the original,
// so user entries can be added to a per-run catalog.
func (c *Catalog) Clone() *Catalog {
	d := *c
	d.Hardware = slices.Clone(c.Hardware)
	d.Models = slices.Clone(c.Models)
	d.Grids = slices.Clone(c.Grids)
	d.Datacenters = slices.Clone(c.Datacenters)
	d.Cooling = slices.Clone(c.Cooling)
	d.Prices = slices.Clone(c.Prices)
	d.Fabrics = slices.Clone(c.Fabrics)
	d.Engines = slices.Clone(c.Engines)
	d.Nodes = slices.Clone(c.Nodes)
	d.Clusters = slices.Clone(c.Clusters)
	d.hash.parts = slices.Clone(c.hash.parts)
	return &d
}

var hardwareTiers = map[string]string{"cloud": "Cloud", "workstation": "Workstation", "mobile": "Mobile", "edge": "Edge", "tiny": "Tiny"}

var modelCategories = map[string]string{
	"language": "Language", "vision": "Vision", "tiny": "Tiny", "recommendation": "Recommendation",
	"statespace": "StateSpace", "generativevision": "GenerativeVision", "embodied": "Embodied",
}

func loadFS(fsys fs.FS, root string) (*Catalog, error) {
	c := &Catalog{}
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, p := range files {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		name := "catalog/" + p
		rel := strings.TrimPrefix(p, root+"/")
		dir, base := path.Split(rel)
		stem := strings.TrimSuffix(base, ".yaml")
		if err := c.addFile(name, strings.TrimSuffix(dir, "/"), stem, b); err != nil {
			return nil, err
		}
	}
	if err := c.link(); err != nil {
		return nil, err
	}
	return c, nil
}

// addFile decodes one data file of the given folder kind into the catalog.
func (c *Catalog) addFile(name, kind, stem string, b []byte) error {
	lines, err := entryLines(name, b)
	if err != nil {
		return err
	}
	cv := &converter{file: name}
	if kind == "" && stem == "renamed" {
		kind = "renamed"
	}
	switch kind + "/" + stem {
	case "infra/grids":
		err = decodeInto(&c.Grids, name, b, lines, cv, cv.grid)
	case "infra/datacenters":
		err = decodeInto(&c.Datacenters, name, b, lines, cv, cv.datacenter)
	case "infra/cooling":
		err = decodeInto(&c.Cooling, name, b, lines, cv, cv.cooling)
	case "infra/prices":
		err = decodeInto(&c.Prices, name, b, lines, cv, cv.price)
	case "systems/fabrics":
		err = decodeInto(&c.Fabrics, name, b, lines, cv, cv.fabric)
	case "systems/engines":
		err = decodeInto(&c.Engines, name, b, lines, cv, cv.engine)
	case "systems/nodes":
		err = decodeInto(&c.Nodes, name, b, lines, cv, cv.node)
	case "systems/clusters":
		err = decodeInto(&c.Clusters, name, b, lines, cv, cv.cluster)
	}
	switch kind {
	case "hardware":
		tier, ok := hardwareTiers[stem]
		if !ok {
			return fmt.Errorf("%s: unknown hardware tier file %q (want one of cloud, workstation, mobile, edge, tiny)", name, stem)
		}
		err = decodeInto(&c.Hardware, name, b, lines, cv, func(r *rawHardware) *Hardware { return cv.hardware(r, tier) })
	case "models":
		cat, ok := modelCategories[stem]
		if !ok {
			return fmt.Errorf("%s: unknown model category file %q", name, stem)
		}
		err = decodeInto(&c.Models, name, b, lines, cv, func(r *rawModel) *Model { return cv.model(r, cat) })
	case "infra":
		if !slices.Contains([]string{"grids", "datacenters", "cooling", "prices"}, stem) {
			return fmt.Errorf("%s: unknown infra file %q (want grids, datacenters, cooling, prices)", name, stem)
		}
	case "systems":
		if !slices.Contains([]string{"nodes", "fabrics", "clusters", "engines"}, stem) {
			return fmt.Errorf("%s: unknown systems file %q (want nodes, fabrics, clusters, engines)", name, stem)
		}
	case "renamed":
		err = decodeInto(&c.Renames, name, b, lines, cv, cv.rename)
	case "walls":
		var raw []*Wall
		if err := strictDecode(name, b, &raw); err != nil {
			return err
		}
		for i, w := range raw {
			if w.Number != i+1 || w.Name == "" || !slices.Contains(WallDomains, w.Domain) || w.Source.Ref == "" {
				return fmt.Errorf("%s:%d: wall %d %q: walls are numbered 1..22 in order, each with a name, a domain (%s) and a source",
					name, lines[i], w.Number, w.Name, strings.Join(WallDomains, ", "))
			}
		}
		c.Walls = append(c.Walls, raw...)
	default:
		return fmt.Errorf("%s: unknown catalog folder %q", name, kind)
	}
	if err != nil {
		return err
	}
	if cv.err != nil {
		return cv.err
	}
	c.noteFile(name, b)
	return nil
}

// decodeInto strictly decodes a list of raw entries and appends each converted
// entry to dst (convertAll).
func decodeInto[R, T any](dst *[]T, name string, b []byte, lines []int, cv *converter, conv func(*R) T) error {
	var raw []R
	if err := strictDecode(name, b, &raw); err != nil {
		return err
	}
	convertAll(dst, raw, lines, cv, conv)
	return nil
}

// convertAll appends each raw entry converted to dst, pointing the converter at
// the entry's line (lines[i]) for errors; the converter keeps the first.
func convertAll[R, T any](dst *[]T, raw []R, lines []int, cv *converter, conv func(*R) T) {
	for i := range raw {
		cv.line = lines[i]
		*dst = append(*dst, conv(&raw[i]))
	}
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// strictDecode rejects unknown keys (DecodeStrict).
func strictDecode(name string, b []byte, out any) error {
	return DecodeStrict(name, b, out, nil)
}

func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	msg = strings.TrimSpace(msg)
	msg = strings.ReplaceAll(msg, "in type catalog.raw", "in a ")
	return errors.New(fixParserLine(msg))
}

// yaml.v3 reports parser errors at the 0-based line of their context (the
// opening "[" of an unclosed list is line 4 but reported as line 3); scanner and
// decoding errors are 1-based already.
var yamlParserErrors = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

func fixParserLine(msg string) string {
	var line int
	var rest string
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n != 1 {
		return msg
	}
	_, rest, _ = strings.Cut(msg, ": ")
	for _, p := range yamlParserErrors {
		if strings.HasPrefix(rest, p) {
			return fmt.Sprintf("line %d: %s", line+1, rest)
		}
	}
	return msg
}

// YAMLError renders a yaml.v3 error as "file:line: message" with correct lines.
func YAMLError(file string, err error) error {
	msg := cleanYAMLError(err).Error()
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ": ")
		return fmt.Errorf("%s:%d: %s", file, line, rest)
	}
	return fmt.Errorf("%s: %s", file, msg)
}

// entryLines returns the line of each top-level list item.
func entryLines(name string, b []byte) ([]int, error) {
	doc, err := ParseYAML(name, b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want a YAML list of entries", name, seq.Line)
	}
	lines := make([]int, len(seq.Content))
	for i, n := range seq.Content {
		lines[i] = n.Line
	}
	return lines, nil
}
