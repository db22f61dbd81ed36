package queries

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoCgo: DuckDB is a C++ library, so a build without cgo cannot query.
var ErrNoCgo = errors.New("mlsysim was built without cgo, so it cannot run DuckDB queries; rebuild with CGO_ENABLED=1")

// ManifestName is the manifest a sweep writes next to its parts (sweep.ManifestName).
const ManifestName = "_manifest.json"

// Info says what was opened.
type Info struct {
	Path  string   `json:"path"`  // the folder or file as given
	Files []string `json:"files"` // the Parquet files read, absolute, sorted
	// From _manifest.json, when the folder has one.
	Manifest bool   `json:"manifest"`
	Study    string `json:"study,omitempty"`
	Status   string `json:"status,omitempty"` // complete, or running for an unfinished sweep
	Rows     uint64 `json:"rows,omitempty"`
	// prov is what the manifest says of the run (Provenance completes it
	// from the files' metadata when there is no manifest).
	prov Provenance
}

// Provenance is what a result records about where it came from: the sweep's
// study, physics profile and spec, and the unit of each column.
type Provenance struct {
	Study, Profile, SpecName, SpecHash, CatalogHash, Version string
	Units                                                    map[string]string // column → unit, where the column has one
}

// manifest is the part of sweep.Manifest a query needs; decoding it here keeps
// this package free of the sweep engine.
type manifest struct {
	Status      string `json:"status"`
	Study       string `json:"study"`
	Profile     string `json:"profile"`
	SpecName    string `json:"spec_name"`
	SpecHash    string `json:"spec_hash"`
	CatalogHash string `json:"catalog_hash"`
	Version     string `json:"version"`
	Format      string `json:"format"`
	Rows        uint64 `json:"rows"`
	Columns     []struct {
		Name string `json:"name"`
		Type string `json:"type"`
		Unit string `json:"unit"`
	} `json:"columns"`
}

// manifestTypes maps the manifest's column types to DuckDB's.
var manifestTypes = map[string]string{"float64": "DOUBLE", "int64": "BIGINT", "uint64": "UBIGINT", "bool": "BOOLEAN", "string": "VARCHAR"}

// locate finds the Parquet files of a result folder (or a single file) and
// reads the manifest's columns if there is one (nil otherwise).
func locate(path string) (Info, []Column, error) {
	info := Info{Path: path}
	if path == "" {
		return info, nil, errors.New("no result given: name a sweep output folder (or a .parquet file)")
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return info, nil, fmt.Errorf("%s: no such folder or file", path)
		}
		return info, nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return info, nil, err
	}
	if err := checkPath(abs); err != nil {
		return info, nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.IsDir() {
		if !strings.HasSuffix(strings.ToLower(abs), ".parquet") {
			return info, nil, fmt.Errorf("%s is not a folder or a .parquet file", path)
		}
		info.Files = []string{abs}
		return info, nil, nil
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return info, nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".parquet") && !strings.HasPrefix(n, ".") {
			info.Files = append(info.Files, filepath.Join(abs, n))
		}
	}
	sort.Strings(info.Files)
	var cols []Column
	b, err := os.ReadFile(filepath.Join(abs, ManifestName))
	switch {
	case err == nil:
		var m manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return info, nil, fmt.Errorf("%s: %w", filepath.Join(path, ManifestName), err)
		}
		if m.Format != "" && m.Format != "parquet" {
			return info, nil, fmt.Errorf("%s holds a %s sweep; queries read Parquet: run the sweep with --format parquet", path, m.Format)
		}
		info.Manifest, info.Study, info.Status, info.Rows = true, m.Study, m.Status, m.Rows
		info.prov = Provenance{Study: m.Study, Profile: m.Profile, SpecName: m.SpecName, SpecHash: m.SpecHash,
			CatalogHash: m.CatalogHash, Version: m.Version, Units: map[string]string{}}
		for _, c := range m.Columns {
			if c.Unit != "" {
				info.prov.Units[c.Name] = c.Unit
			}
		}
		for _, c := range m.Columns {
			t, ok := manifestTypes[c.Type]
			if !ok {
				cols = nil // a type this reader does not know: ask the files
				break
			}
			cols = append(cols, Column{Name: c.Name, Type: t})
		}
	case !errors.Is(err, os.ErrNotExist):
		return info, nil, err
	}
	if len(info.Files) == 0 {
		return info, nil, fmt.Errorf("%s holds no .parquet files (mlsysim sweep GRID --out %s writes them)", path, path)
	}
	return info, cols, nil
}

// checkPath refuses what DuckDB would not read as a plain file name: glob
// characters (read_parquet expands them) and NUL.
func checkPath(abs string) error {
	if i := strings.IndexAny(abs, "*?[\x00"); i >= 0 {
		return fmt.Errorf("the path contains %q, which DuckDB would read as a glob; rename or move the folder", abs[i])
	}
	return nil
}

// viewSQL is the CREATE VIEW of the results over explicit, quoted file names.
func viewSQL(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = quoteLiteral(f)
	}
	return "CREATE VIEW results AS SELECT * FROM read_parquet([" + strings.Join(q, ", ") + "])"
}

// Statement is SQL ready to run on one DB: the text with $name placeholders and
// their values. A bundled query's statement may rely on tables Prepare made.
type Statement struct {
	SQL  string
	Args []any
}

// SQL wraps the user's own SQL over the results view.
func SQL(text string) *Statement {
	return &Statement{SQL: strings.TrimRight(strings.TrimSpace(text), "; \t\r\n")}
}
