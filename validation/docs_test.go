package validation

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// TestDocsHeadline holds the headline accuracy sentences of README.md ("Accuracy and
// profiles") and docs/PHYSICS.md §31 to the suite they summarise: the calibrated
// profile's median |error| (one decimal) and cases within tolerance, and the seed
// profile's median and passes of its supported cases. Hand-kept numbers drifted from the
// suite before (a §31 sentence quoted 7.8 % a round after the suite moved to 7.1 %).
func TestDocsHeadline(t *testing.T) {
	cases, err := LoadCases("../testdata/validation")
	if err != nil {
		t.Fatal(err)
	}
	all := func(profile string) KindSummary {
		s := Summarize(RunCases(catalog.MustDefault(), cases, profile))
		return s[len(s)-1]
	}
	cal, seed := all("calibrated"), all("seed")
	calRe := regexp.MustCompile(`median \|error\| is\s+([0-9.]+) %\s+with\s+(\d+)(?:\s+of\s+(\d+))?\s+within\s+tolerance`)
	seedRe := regexp.MustCompile("against\\s+([0-9.]+) %\\s+and\\s+(\\d+)\\s+of\\s+(\\d+)\\s+for\\s+`seed`")
	one := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, doc := range []string{"../README.md", "../docs/PHYSICS.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		m := calRe.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s: no \"median |error| is X %% with N within tolerance\" sentence", doc)
		} else {
			want := []string{one(cal.MedianAbsError), strconv.Itoa(cal.Passed)}
			if m[1] != want[0] || m[2] != want[1] || (m[3] != "" && m[3] != strconv.Itoa(cal.Supported)) {
				t.Errorf("%s says the calibrated median is %s %% with %s%s within tolerance; the suite gives %s %% with %s of %d",
					doc, m[1], m[2], ofN(m[3]), want[0], want[1], cal.Supported)
			}
		}
		s := seedRe.FindStringSubmatch(text)
		if s == nil {
			t.Errorf("%s: no \"against X %% and N of M for `seed`\" sentence", doc)
			continue
		}
		if s[1] != one(seed.MedianAbsError) || s[2] != strconv.Itoa(seed.Passed) || s[3] != strconv.Itoa(seed.Supported) {
			t.Errorf("%s says seed is at %s %% and %s of %s; the suite gives %s %% and %d of %d",
				doc, s[1], s[2], s[3], one(seed.MedianAbsError), seed.Passed, seed.Supported)
		}
	}
}

func ofN(n string) string {
	if n == "" {
		return ""
	}
	return fmt.Sprintf(" of %s", strings.TrimSpace(n))
}
