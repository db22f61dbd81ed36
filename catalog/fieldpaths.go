package catalog

import (
	"reflect"
	"slices"
	"strings"
)

// fieldPaths are the dotted paths (memory.bandwidth, scale_up.latency) of an
// entry's YAML fields, the names field_sources may give: nested mappings are
// followed one level at a time, a map's keys (rates.fp8) are any key, and the
// provenance fields themselves are left out.
func fieldPaths(entry any) (paths []string, maps []string) {
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if opts == "inline" {
				if f.Type != reflect.TypeFor[rawProvenance]() {
					walk(f.Type, prefix)
				}
				continue
			}
			if tag == "" || tag == "-" {
				continue
			}
			p := prefix + tag
			paths = append(paths, p)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Map:
				maps = append(maps, p)
			case ft.Kind() == reflect.Struct && yamlTagged(ft):
				walk(ft, p+".")
			}
		}
	}
	walk(reflect.TypeOf(entry), "")
	return paths, maps
}

// yamlTagged: a struct decoded field by field (a link, memory), not a scalar
// with an UnmarshalYAML of its own (a quantity).
func yamlTagged(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("yaml") != "" {
			return true
		}
	}
	return false
}

// isFieldPath says whether path names a field of entry (or a key of one of
// its maps).
func isFieldPath(entry any, path string) bool {
	paths, maps := fieldPaths(entry)
	if slices.Contains(paths, path) {
		return true
	}
	for _, m := range maps {
		if rest, ok := strings.CutPrefix(path, m+"."); ok && rest != "" && !strings.Contains(rest, ".") {
			return true
		}
	}
	return false
}
