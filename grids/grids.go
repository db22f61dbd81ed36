// Package grids holds the example grid specs users can copy (docs/GRID.md); they
// are embedded so `mlsysim sweep NAME` runs them from any folder.
package grids

import (
	"embed"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the bundled examples by name (file name without .yaml).
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Read returns a bundled example's bytes and its path in the repository.
func Read(name string) ([]byte, string, bool) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, "", false
	}
	return b, "grids/" + name + ".yaml", true
}
