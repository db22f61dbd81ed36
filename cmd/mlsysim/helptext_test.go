package main

import (
	"strings"
	"testing"
)

// TestHelpFlagDefaults holds every command's --help to one default per flag: a usage
// string that spells its own default ("(default: GOMAXPROCS)") beside the one the
// library prints ("(default: 0)") told a reader two different things; the default
// goes in DefaultText, and a required flag hides its zero (HideDefault).
func TestHelpFlagDefaults(t *testing.T) {
	commands := [][]string{
		{"zoo"}, {"eval"}, {"serve"}, {"sweep"}, {"walls"}, {"merge"}, {"query"}, {"plot"},
		{"report"}, {"schema"}, {"optimize"}, {"optimize", "serving"}, {"optimize", "placement"},
		{"optimize", "batching"}, {"optimize", "parallelism"}, {"validate"}, {"audit"},
		{"version"}, {"completion"},
	}
	for _, c := range commands {
		r := mlsysim(t, append(c, "--help")...)
		if r.code != exitOK || !strings.Contains(r.stdout, "OPTIONS:") {
			t.Errorf("mlsysim %s --help: %v", strings.Join(c, " "), r)
			continue
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			l := strings.TrimSpace(line)
			if !strings.HasPrefix(l, "-") {
				continue // description and examples, not a flag line
			}
			if n := strings.Count(l, "(default"); n > 1 {
				t.Errorf("mlsysim %s --help: %d defaults on one flag:\n%s", strings.Join(c, " "), n, l)
			}
			if strings.Contains(l, "required") && strings.Contains(l, "(default:") {
				t.Errorf("mlsysim %s --help: a required flag shows a default:\n%s", strings.Join(c, " "), l)
			}
		}
	}
}
