package sweep

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wallColumn is the name of a wall column: wall_<n>_<name>_pass or _slack.
var wallColumn = regexp.MustCompile(`^wall_(\d+)_([a-z_]+)_(pass|slack)$`)

// snakeWord is a column or parameter name inside decided_by prose.
var snakeWord = regexp.MustCompile(`[a-z][a-z0-9]*(?:_[a-z0-9]+)+`)

// wallSlug is how a wall's name appears in its columns: "Tail Latency" → tail_latency.
func wallSlug(name string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(name))
}

// TestWallsDecided checks the wall taxonomy (catalog/data/walls/walls.yaml) against the
// registered studies: every wall has columns in some study, wall columns are named and
// typed after a real wall, each wall's decided_by names studies and columns that
// exist, and names every column that decides it.
func TestWallsDecided(t *testing.T) {
	walls := testCatalog().Walls
	if len(walls) != 22 {
		t.Fatalf("%d walls, want 22", len(walls))
	}
	// study → wall number → its wall columns.
	decides := map[string]map[int][]string{}
	for _, name := range StudyNames() {
		st := studies[name]
		decides[name] = map[int][]string{}
		for _, c := range st.Columns {
			m := wallColumn.FindStringSubmatch(c.Name)
			if m == nil {
				if strings.HasPrefix(c.Name, "wall_") {
					t.Errorf("%s: column %s is not wall_<n>_<name>_pass or _slack", name, c.Name)
				}
				continue
			}
			var n int
			fmt.Sscan(m[1], &n)
			if n < 1 || n > len(walls) {
				t.Errorf("%s: column %s names no wall 1–22", name, c.Name)
				continue
			}
			if slug := wallSlug(walls[n-1].Name); m[2] != slug {
				t.Errorf("%s: column %s, want wall_%d_%s_%s (wall %d is %s)", name, c.Name, n, slug, m[3], n, walls[n-1].Name)
			}
			if want := map[string]ColType{"pass": Bool, "slack": Float64}[m[3]]; c.Type != want {
				t.Errorf("%s: column %s has type %d, want %d", name, c.Name, c.Type, want)
			}
			decides[name][n] = append(decides[name][n], c.Name)
		}
		if !slices.ContainsFunc(st.Columns, func(c Column) bool { return c.Name == colBindingWall.Name }) {
			t.Errorf("%s: no %s column", name, colBindingWall.Name)
		}
	}

	for _, w := range walls {
		prefix := fmt.Sprintf("wall_%d_", w.Number)
		named := map[string]bool{} // studies decided_by names for this wall
		for _, clause := range strings.Split(w.DecidedBy, "; ") {
			head, rest, ok := strings.Cut(clause, ": ")
			if !ok {
				t.Errorf("wall %d: decided_by clause %q is not \"study: columns\"", w.Number, clause)
				continue
			}
			for _, sn := range strings.Split(head, ", ") {
				st, ok := studies[sn]
				if !ok {
					t.Errorf("wall %d: decided_by names study %q, which is not registered", w.Number, sn)
					continue
				}
				named[sn] = true
				for _, word := range snakeWord.FindAllString(rest, -1) {
					_, _, isParam := st.Param(word)
					if !isParam && !slices.ContainsFunc(st.Columns, func(c Column) bool { return c.Name == word }) {
						t.Errorf("wall %d: decided_by names %s, which study %s has neither as a column nor as a parameter", w.Number, word, sn)
					}
					if strings.HasPrefix(word, "wall_") && !strings.HasPrefix(word, prefix) {
						t.Errorf("wall %d: decided_by names %s, a column of another wall", w.Number, word)
					}
				}
				for _, col := range decides[sn][w.Number] {
					if !slices.Contains(snakeWord.FindAllString(rest, -1), col) {
						t.Errorf("wall %d: study %s writes %s but decided_by does not name it", w.Number, sn, col)
					}
				}
			}
		}
		found := false
		for sn, byWall := range decides {
			if len(byWall[w.Number]) == 0 {
				continue
			}
			found = true
			if !named[sn] {
				t.Errorf("wall %d: study %s writes %v but decided_by does not name the study", w.Number, sn, byWall[w.Number])
			}
		}
		if !found {
			t.Errorf("wall %d %s: no registered study has a %s… column", w.Number, w.Name, prefix)
		}
	}

	// binding_wall labels are "<n> <Name>" of real walls (or empty: none).
	for _, l := range colBindingWall.Labels {
		if l == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(l, &n); err != nil || n < 1 || n > len(walls) || l != fmt.Sprintf("%d %s", n, walls[n-1].Name) {
			t.Errorf("binding_wall label %q is not \"<n> <Name>\" of a wall", l)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(colBindingWall.Labels)))) != len(colBindingWall.Labels) {
		t.Errorf("binding_wall labels repeat: %v", colBindingWall.Labels)
	}
}
