//go:build cgo && !lean

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocSQLRuns runs the SQL the docs show over a sweep's own files — README's DuckDB
// example, the sql block of docs/GRID.md, the DuckDB recipe of docs/PYTHON.md and the
// queries in the comments of the bundled grids — in the DuckDB mlsysim links (`mlsysim
// query --sql`), against a fresh sweep of the grid each names (the docs' out/frontier and
// out/serving-frontier are the serving-frontier grid; a grid's comment queries that grid),
// and holds each to exit 0 and at least one row.
// PYTHON.md's provenance query filtered parquet_kv_metadata's key, a BLOB, with LIKE,
// which DuckDB refuses (Binder Error: no function matches '~~(BLOB, STRING_LITERAL)'): a
// reader who copied the recipe got an exception. The Python recipe itself needs the
// duckdb module, which CI does not install (TestPythonDocRecipes runs the others).
func TestDocSQLRuns(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	type example struct{ where, grid, sql string }
	var examples []example

	// README: inline `SELECT … FROM 'out/…/*.parquet' …`.
	for _, m := range regexp.MustCompile("`(SELECT [^`]*\\.parquet'[^`]*)`").FindAllStringSubmatch(read("README.md"), -1) {
		examples = append(examples, example{"README.md", "serving-frontier", m[1]})
	}
	// GRID.md: every statement of its ```sql blocks.
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(read("docs/GRID.md"), -1) {
		for _, stmt := range strings.Split(m[1], ";") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				examples = append(examples, example{"docs/GRID.md", "serving-frontier", stmt})
			}
		}
	}
	// PYTHON.md: each con.sql(…) of a block that imports duckdb, its string literals
	// joined as Python joins adjacent ones, {sweep} replaced by the block's sweep glob.
	pyLiteral := regexp.MustCompile(`^\s*(?:f?"""((?s).*?)"""|f?"([^"\n]*)")`)
	for _, m := range regexp.MustCompile("(?s)```python\n(.*?)```").FindAllStringSubmatch(read("docs/PYTHON.md"), -1) {
		block := m[1]
		if !strings.Contains(block, "import duckdb") {
			continue
		}
		sw := regexp.MustCompile(`(?m)^sweep = "([^"]+)"`).FindStringSubmatch(block)
		if sw == nil {
			t.Fatalf("docs/PYTHON.md: the duckdb block names no sweep = \"…\"\n%s", block)
		}
		for _, call := range strings.Split(block, "con.sql(")[1:] {
			var sql strings.Builder
			for {
				lit := pyLiteral.FindStringSubmatch(call)
				if lit == nil {
					break
				}
				sql.WriteString(lit[1] + lit[2])
				call = call[len(lit[0]):]
			}
			examples = append(examples, example{"docs/PYTHON.md", "serving-frontier", strings.ReplaceAll(sql.String(), "{sweep}", sw[1])})
		}
	}
	// A grid's comment: each statement starting `# SELECT` (or `# Query it: SELECT`), its
	// continuation lines up to the `;`. serving-deploy's (1.5M points, seconds even
	// without -race) is left out.
	grids, err := filepath.Glob(filepath.Join("..", "..", "grids", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grids {
		name := strings.TrimSuffix(filepath.Base(g), ".yaml")
		if name == "serving-deploy" {
			continue
		}
		var stmt string
		for _, line := range strings.Split(read(filepath.Join("grids", name+".yaml")), "\n") {
			c, ok := strings.CutPrefix(line, "#")
			if !ok {
				break
			}
			c = strings.TrimSpace(c)
			if i := strings.Index(c, "SELECT "); i >= 0 && (i == 0 || strings.HasPrefix(c, "Query it: ")) {
				stmt = c[i:]
			} else if stmt != "" {
				stmt += " " + c
			}
			if stmt != "" && strings.HasSuffix(stmt, ";") {
				examples = append(examples, example{"grids/" + name + ".yaml", name, stmt})
				stmt = ""
			}
		}
	}
	if len(examples) < 12 {
		t.Fatalf("found %d SQL examples in README, GRID.md, PYTHON.md and grids/; they show at least 12", len(examples))
	}

	paths := regexp.MustCompile(`out/[a-z-]+/`)
	rows := regexp.MustCompile(`^sql \((\d+) rows?\)`)
	for _, ex := range examples {
		res := swept(t, ex.grid)
		sql := paths.ReplaceAllString(ex.sql, filepath.ToSlash(res)+"/")
		if sql == ex.sql {
			t.Errorf("%s: %q reads no out/… folder", ex.where, ex.sql)
			continue
		}
		r := mlsysim(t, "query", "--sql", sql, res)
		if r.code != exitOK {
			t.Errorf("%s: %s\n%v", ex.where, ex.sql, r)
			continue
		}
		if m := rows.FindStringSubmatch(r.stdout); m == nil || m[1] == "0" {
			t.Errorf("%s: %s: no rows\n%v", ex.where, ex.sql, r)
		}
	}
}
