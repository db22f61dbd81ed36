package sweep

import "testing"

// TestColumnNamesUnique: a result's column names are unique in every study (an
// input parameter and an output column must not share a name: Parquet readers
// would rename one of them).
func TestColumnNamesUnique(t *testing.T) {
	for _, name := range StudyNames() {
		st, _ := StudyByName(name)
		seen := map[string]string{"point_id": "point_id"}
		for _, p := range st.Params {
			if prev, dup := seen[p.Name]; dup {
				t.Errorf("study %s: input %s repeats %s", name, p.Name, prev)
			}
			seen[p.Name] = "input"
		}
		for _, c := range st.Columns {
			if prev, dup := seen[c.Name]; dup {
				t.Errorf("study %s: output %s repeats an %s column", name, c.Name, prev)
			}
			seen[c.Name] = "output"
		}
	}
}
