package results

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mlsysim/mlsysim/sinks"
)

// PartName is the file name of part i.
func PartName(i uint64, format string) string {
	return fmt.Sprintf("part-%05d%s", i, sinks.Ext(format))
}

// tempRE is what sinks.Create names a file before its rename (manifests
// included): with part names, the only names this tool deletes. Compiled on
// first use, so that eval and serve do not pay for it at start-up.
var tempRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\.(part-[0-9]{5,20}\.(parquet|arrow|csv|jsonl)|` + regexp.QuoteMeta(ManifestName) + `)\.[0-9]+\.tmp$`)
})

// partFormats are the formats a part file can have.
var partFormats = []string{"parquet", "arrow", "csv", "jsonl"}

// ParsePartName returns the part index and format of a part file name: exactly
// what PartName writes, `part-` and 5–20 digits, a dot and a format. Written
// out rather than as a regular expression, which every query, plot and report
// compiled (56 µs warm, plus paging in the compiler when cold; BENCHMARKS.md,
// "query cold start"); FuzzParsePartName holds it to that expression.
func ParsePartName(name string) (i uint64, format string, ok bool) {
	rest, ok := strings.CutPrefix(name, "part-")
	if !ok {
		return 0, "", false
	}
	digits, format, ok := strings.Cut(rest, ".")
	if !ok || len(digits) < 5 || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" || !slices.Contains(partFormats, format) {
		return 0, "", false
	}
	i, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || PartName(i, format) != name {
		return 0, "", false // e.g. part-000001: not how we write part 1
	}
	return i, format, true
}

// IsTemp says whether name is a temporary file this tool writes and renames.
func IsTemp(name string) bool { return tempRE().MatchString(name) }
