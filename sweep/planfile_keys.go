package sweep

import (
	"reflect"
	"strings"
)

// ParallelismKeys lists the keys the plan's parallelism block sets, in the order
// planParallel declares them. optimize parallelism repeats them (at the values it
// evaluated) beside the keys it searched, so its answer is a whole block: pasted in
// place of the plan's, it keeps overlap, sequence_parallel and the rest, without
// which the same layout is another step.
func (pf *PlanFile) ParallelismKeys() []string {
	if pf.Parallelism == nil {
		return nil
	}
	var keys []string
	v := reflect.ValueOf(pf.Parallelism).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		set := false
		switch f.Kind() {
		case reflect.Pointer:
			set = !f.IsNil()
		case reflect.String:
			set = f.String() != ""
		}
		if set {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			keys = append(keys, name)
		}
	}
	return keys
}
