package queries

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mlsysim/mlsysim/results"
)

// ErrNoCgo: DuckDB is a C++ library, so a build without cgo cannot query.
var ErrNoCgo = errors.New("this mlsysim was built without cgo (CGO_ENABLED=0, as `make static` builds it), so it cannot run DuckDB queries (query, optimize, plot, report); " +
	"sweeps, merge, eval, serve and plans work. For queries use a cgo build — `make build`, which needs a C compiler (README, Set-up) — " +
	"or read the Parquet parts with any reader (the DuckDB CLI, polars, pyarrow)")

// ManifestName is the manifest a sweep writes next to its parts.
const ManifestName = results.ManifestName

// Info says what was opened.
type Info struct {
	Path   string   `json:"path"`   // the inputs as given, space-separated
	Inputs []string `json:"inputs"` // the folders and files, globs expanded
	Files  []string `json:"files"`  // the Parquet files read, absolute, in part order
	// From the manifest(s), when the inputs are sweep folders.
	Manifest bool   `json:"manifest"`
	Study    string `json:"study,omitempty"`
	Status   string `json:"status,omitempty"` // complete, or running for an unfinished sweep
	Rows     uint64 `json:"rows,omitempty"`
	Shard    string `json:"shard,omitempty"` // "K/N" when the input is one shard's folder
	// Run is the manifest of the whole input: the folder's own, or the shards'
	// combined (nil for plain files).
	Run *results.Manifest `json:"-"`
	// prov is what the manifest says of the run (Provenance completes it
	// from the files' metadata when there is no manifest).
	prov Provenance
	// rowGroups in Files, where results.Resolve checked them (0: not known).
	rowGroups int
}

// Provenance is what a result records about where it came from: the sweep's
// study, physics profile and spec, and the unit of each column.
type Provenance struct {
	Study, Profile, SpecName, SpecHash, CatalogHash, Version string
	Units                                                    map[string]string // column → unit, where the column has one
}

// manifestTypes maps the manifest's column types to DuckDB's.
var manifestTypes = map[string]string{"float64": "DOUBLE", "int64": "BIGINT", "uint64": "UBIGINT", "bool": "BOOLEAN", "string": "VARCHAR"}

// locate finds the Parquet files of the inputs (results.Resolve: one folder or
// file, or the folders of one sharded run, globs allowed) and the manifest's
// columns if there is one (nil otherwise).
func locate(paths []string) (Info, []Column, error) {
	info := Info{Path: strings.Join(paths, " ")}
	set, err := results.Resolve(paths)
	if err != nil {
		return info, nil, err
	}
	info.Inputs, info.Files, info.rowGroups = set.Inputs, set.Files, set.RowGroups
	for _, in := range info.Inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			return info, nil, err
		}
		if err := checkPath(abs); err != nil {
			return info, nil, fmt.Errorf("%s: %w", in, err)
		}
	}
	if m := set.Manifest; m != nil && m.Format != "" && m.Format != "parquet" {
		return info, nil, fmt.Errorf("%s holds a %s sweep; queries read Parquet: run the sweep with --format parquet", info.Path, m.Format)
	}
	for i, f := range info.Files {
		if err := checkPath(f); err != nil {
			return info, nil, fmt.Errorf("%s: %w", f, err)
		}
		if !strings.HasSuffix(strings.ToLower(f), ".parquet") {
			return info, nil, fmt.Errorf("%s is not a folder or a .parquet file", set.Inputs[min(i, len(set.Inputs)-1)])
		}
	}
	var cols []Column
	if m := set.Manifest; m != nil {
		info.Manifest, info.Study, info.Status, info.Rows, info.Run = true, m.Study, m.Status, m.Rows, m
		if m.Shard != nil {
			info.Shard = fmt.Sprintf("%d/%d", m.Shard.Index, m.Shard.Count)
		}
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
	}
	if m := set.Manifest; len(info.Files) == 0 && m != nil && m.Shard != nil && m.Status == results.StatusComplete {
		return info, nil, fmt.Errorf("%s is shard %s of a sweep, which has no parts (the grid has %d part%s for %d shards); give every shard's folder (or a glob of them) to read the whole run",
			info.Path, info.Shard, m.PartsTotal, plural(m.PartsTotal), m.Shard.Count)
	}
	if len(info.Files) == 0 {
		return info, nil, fmt.Errorf("%s holds no .parquet files (mlsysim sweep GRID --out %s writes them)", info.Path, info.Path)
	}
	return info, cols, nil
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
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
	user bool // the user's own SQL: checked to be one read-only statement before it runs
	// What a file written by CopyTo records about the query.
	Query  string            // bundled query name, or "sql"
	Params map[string]string // the parameters, defaults included
}

// SQL wraps the user's own SQL over the results view.
func SQL(text string) *Statement {
	sql := strings.TrimRight(strings.TrimSpace(text), "; \t\r\n")
	return &Statement{SQL: sql, user: true, Query: "sql", Params: map[string]string{"sql": sql}}
}
