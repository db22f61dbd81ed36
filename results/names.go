package results

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/mlsysim/mlsysim/sinks"
)

// PartName is the file name of part i.
func PartName(i uint64, format string) string {
	return fmt.Sprintf("part-%05d%s", i, sinks.Ext(format))
}

// partRE is exactly what PartName writes, and tempRE what sinks.Create names a
// file before its rename (manifests included): the only names this tool deletes.
// Compiled on first use, so that eval and serve do not pay for them at start-up.
var (
	partRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^part-([0-9]{5,20})\.(parquet|arrow|csv|jsonl)$`)
	})
	tempRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\.(part-[0-9]{5,20}\.(parquet|arrow|csv|jsonl)|` + regexp.QuoteMeta(ManifestName) + `)\.[0-9]+\.tmp$`)
	})
)

// ParsePartName returns the part index and format of a part file name.
func ParsePartName(name string) (i uint64, format string, ok bool) {
	m := partRE().FindStringSubmatch(name)
	if m == nil {
		return 0, "", false
	}
	i, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || PartName(i, m[2]) != name {
		return 0, "", false // e.g. part-000001: not how we write part 1
	}
	return i, m[2], true
}

// IsTemp says whether name is a temporary file this tool writes and renames.
func IsTemp(name string) bool { return tempRE().MatchString(name) }
