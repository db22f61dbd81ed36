package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/sweep"
)

// TestSchemaHasEveryPlanKey: every key a plan's sections parse (the YAML tags of
// sweep.PlanFile's workload, hardware, parallelism and ops) is a property of that
// section in `mlsysim schema plan`, whose sections refuse other properties. The
// parallelism section had no etp, so a plan that ParsePlanFile and eval take (Mixtral
// with its experts whole) failed the schema an editor checks it with.
func TestSchemaHasEveryPlanKey(t *testing.T) {
	_, raw := compiledSchema(t, "plan")
	defs := raw["$defs"].(map[string]any)
	pf := reflect.TypeOf(sweep.PlanFile{})
	for _, section := range []string{"Workload", "Hardware", "Parallelism", "Ops"} {
		f, _ := pf.FieldByName(section)
		typ := f.Type
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		def, _ := defs[name].(map[string]any)
		props, _ := def["properties"].(map[string]any)
		if props == nil {
			t.Fatalf("schema $defs.%s has no properties", name)
		}
		for i := 0; i < typ.NumField(); i++ {
			key := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
			if key == "" || key == "-" || key == "mtbf_hours" { // refused by every plan (no lens reads it)
				continue
			}
			if _, ok := props[key]; !ok {
				t.Errorf("plan key %s.%s is parsed but not in the schema", name, key)
			}
		}
	}
}
