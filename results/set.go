package results

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Set is one result read from one or more inputs: a folder a sweep wrote, the
// folders of the shards of one run, or plain Parquet files.
type Set struct {
	Inputs []string // the folders and files, after glob expansion, as given
	Files  []string // the data files to read, absolute, in part order
	// Manifest describes the whole set: a folder's own manifest, or the
	// shards' manifests combined. Nil for plain files and folders without one.
	Manifest *Manifest
	// RowGroups counts the row groups of Files where each part was checked
	// (a complete sweep's Parquet parts); 0 when they were not.
	RowGroups int
}

// schemeRE matches the start of a URL (s3://, gs://, https://, file://, …).
var schemeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`) })

// CheckLocal refuses a path that is a URL: only local (or mounted) file
// systems are supported, and a URL would otherwise become a local folder
// named after its scheme.
func CheckLocal(path string) error {
	if schemeRE().MatchString(path) {
		scheme, _, _ := strings.Cut(path, ":")
		return fmt.Errorf("%s: %s:// URLs are not supported; give a local path (object storage can be mounted as a folder, or the result copied with the storage's own tools)", path, scheme)
	}
	return nil
}

// Resolve opens the inputs of a read: each argument a folder, a file or a glob
// of them. One folder with a manifest reads the parts it lists (a complete
// sweep, each part verified) or the parts written so far (a running one); a
// folder without one reads its *.parquet files; a file is read as it is.
// Several folders must be the shards of one run: they are checked as Combine
// checks them. Resolve is what query, plot and report call.
func Resolve(args []string) (*Set, error) {
	inputs, err := Expand(args)
	if err != nil {
		return nil, err
	}
	if len(inputs) == 1 {
		return resolveOne(inputs[0])
	}
	return Combine(inputs)
}

// errNoResult is Expand's answer to no argument, or an empty one.
var errNoResult = errors.New("no result given: name a sweep output folder (or a .parquet file)")

// Expand turns arguments into inputs: globs (when no file has that very
// name) expanded, URLs refused, and an input named twice refused.
func Expand(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errNoResult
	}
	var inputs []string
	seen := map[string]string{}
	for _, arg := range args {
		if arg == "" {
			return nil, errNoResult
		}
		if err := CheckLocal(arg); err != nil {
			return nil, err
		}
		paths := []string{arg}
		if _, err := os.Stat(arg); err != nil && strings.ContainsAny(arg, "*?[") {
			m, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("%s: %w", arg, gerr)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s matches no folder or file", arg)
			}
			paths = m
		}
		for _, p := range paths {
			abs, err := filepath.Abs(p)
			if err != nil {
				return nil, err
			}
			if prev, dup := seen[abs]; dup {
				return nil, fmt.Errorf("%s is given twice (as %s and %s)", p, prev, p)
			}
			seen[abs] = p
			inputs = append(inputs, p)
		}
	}
	return inputs, nil
}

func resolveOne(path string) (*Set, error) {
	s := &Set{Inputs: []string{path}}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such folder or file", path)
		}
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		s.Files = []string{abs}
		return s, nil
	}
	m, err := ReadManifest(path)
	switch {
	case errors.Is(err, ErrNoManifest):
		entries, err := os.ReadDir(abs)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".parquet") && !strings.HasPrefix(n, ".") {
				s.Files = append(s.Files, filepath.Join(abs, n))
			}
		}
		sort.Strings(s.Files)
		return s, nil
	case err != nil:
		return nil, err
	}
	s.Manifest = m
	if m.Status == StatusComplete {
		for _, p := range m.Parts {
			f, groups, err := checkedPart(path, m, p)
			if err != nil {
				return nil, err
			}
			s.Files = append(s.Files, f)
			s.RowGroups += groups
		}
		return s, nil
	}
	// A running sweep: the parts finished so far, each whole by construction
	// (written under a temporary name and renamed), and each checked to be one
	// of this run's: a part copied in from another run (or left from one
	// before an --overwrite that was interrupted) was read as if it were.
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, err
	}
	first, end := uint64(0), m.PartsTotal
	if m.Shard != nil {
		first, end = m.Shard.FirstPart, m.Shard.EndPart
	}
	for _, e := range entries {
		i, format, ok := ParsePartName(e.Name())
		if !ok || format != m.Format {
			continue
		}
		file := filepath.Join(abs, e.Name())
		if i < first || i >= end {
			return nil, fmt.Errorf("%s is not a part of this unfinished sweep (it writes parts %d to %d); move it away, or finish the sweep with mlsysim sweep … --resume --out %s", filepath.Join(path, e.Name()), first, int64(end)-1, path)
		}
		points := min(m.PartPoints, m.PointsTotal-i*m.PartPoints)
		if _, err := verifyPart(file, Expect{Format: format, Part: i, Rows: points, AtMost: true, SpecHash: m.SpecHash}); err != nil {
			return nil, fmt.Errorf("%s is not a part of this unfinished sweep (%v); finish the sweep with mlsysim sweep … --resume --out %s, which rewrites it", filepath.Join(path, e.Name()), err, path)
		}
		s.Files = append(s.Files, file)
	}
	sort.Strings(s.Files)
	return s, nil
}

// checkedPart verifies one part a manifest lists and returns its absolute path
// and row groups.
func checkedPart(dir string, m *Manifest, p PartInfo) (string, int, error) {
	i, format, ok := ParsePartName(p.File)
	if !ok || format != m.Format {
		return "", 0, fmt.Errorf("%s: the manifest lists %q, which is not a %s part file name", dir, p.File, m.Format)
	}
	path := filepath.Join(dir, p.File)
	groups, err := verifyPart(path, Expect{Format: format, Part: i, Rows: p.Rows, SpecHash: m.SpecHash})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", 0, fmt.Errorf("%s is missing; rerun the sweep with --resume --out %s to write it", path, dir)
		}
		return "", 0, fmt.Errorf("%s is damaged (%v); rerun the sweep with --resume --out %s to rewrite it", path, err, dir)
	}
	abs, err := filepath.Abs(path)
	return abs, groups, err
}

// Combine checks that dirs (one or more) are the folders of one run — complete, with the
// same spec, catalog, version, profile, format and part size — and that
// together they hold every part exactly once, each whole; it returns their
// parts in order and one manifest for all of them.
func Combine(dirs []string) (*Set, error) {
	ms := make([]*Manifest, len(dirs))
	for i, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: no such folder", d)
			}
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s is a file; every input must be a sweep output folder (with %s) so that it can be checked to form one result", d, ManifestName)
		}
		m, err := ReadManifest(d)
		if errors.Is(err, ErrNoManifest) {
			return nil, fmt.Errorf("%s has no %s; every input must be a sweep output folder so that it can be checked to form one result", d, ManifestName)
		}
		if err != nil {
			return nil, err
		}
		if m.Status != StatusComplete {
			return nil, fmt.Errorf("%s is an unfinished sweep (status %s); finish it with mlsysim sweep … --resume --out %s", d, m.Status, d)
		}
		ms[i] = m
	}
	ref := ms[0]
	for i, m := range ms[1:] {
		if diff := runDiff(ref, m); diff != "" {
			return nil, fmt.Errorf("%s and %s are not parts of one run: %s differs", dirs[0], dirs[i+1], diff)
		}
	}
	// The listed parts in order of index; a manifest's part count is not
	// trusted to size anything (a damaged one may claim 2^62 parts).
	type listed struct {
		index uint64
		dir   int
		info  PartInfo
	}
	var parts []listed
	for di, m := range ms {
		for _, p := range m.Parts {
			i, format, ok := ParsePartName(p.File)
			if !ok || format != m.Format || i >= ref.PartsTotal {
				return nil, fmt.Errorf("%s: the manifest lists %q, which is not one of the run's %d %s parts", dirs[di], p.File, ref.PartsTotal, m.Format)
			}
			parts = append(parts, listed{i, di, p})
		}
	}
	slices.SortStableFunc(parts, func(a, b listed) int { return cmp.Compare(a.index, b.index) })
	var dups []string
	have := parts[:0:0]
	for _, p := range parts {
		if n := len(have); n > 0 && have[n-1].index == p.index {
			dups = append(dups, fmt.Sprintf("part %d is in %s and %s", p.index, dirs[have[n-1].dir], dirs[p.dir]))
			continue
		}
		have = append(have, p)
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("%d parts are given more than once (%s); give each shard's folder once", len(dups), firstFew(dups))
	}
	present := make([]uint64, len(have))
	for k, p := range have {
		present[k] = p.index
	}
	if gaps := missing(present, ref.PartsTotal); len(gaps) > 0 {
		return nil, fmt.Errorf("%s of the run's %d are missing%s; every part 0–%d must be present once", gapText(gaps), ref.PartsTotal, whoseShards(ms, gaps, ref.PartsTotal), ref.PartsTotal-1)
	}
	merged := *ref
	merged.Shard, merged.MergedFrom, merged.Parts, merged.Rows, merged.Bytes = nil, dirs, nil, 0, 0
	s := &Set{Inputs: dirs, Manifest: &merged}
	for _, p := range have {
		f, groups, err := checkedPart(dirs[p.dir], ms[p.dir], p.info)
		if err != nil {
			return nil, err
		}
		s.Files = append(s.Files, f)
		s.RowGroups += groups
		merged.Parts = append(merged.Parts, p.info)
		merged.Rows += p.info.Rows
		merged.Bytes += p.info.Bytes
	}
	return s, nil
}

// runDiff names the first property that makes b another run than a.
func runDiff(a, b *Manifest) string {
	for _, c := range []struct {
		what string
		x, y any
	}{
		{"spec hash", a.SpecHash, b.SpecHash}, {"catalog hash", a.CatalogHash, b.CatalogHash},
		{"tool", a.Tool, b.Tool}, {"version", a.Version, b.Version}, {"study", a.Study, b.Study},
		{"profile", a.Profile, b.Profile}, {"format", a.Format, b.Format}, {"compression", a.Compression, b.Compression},
		{"points", a.PointsTotal, b.PointsTotal}, {"part size", a.PartPoints, b.PartPoints}, {"part count", a.PartsTotal, b.PartsTotal},
		{"batch size (--batch-size)", a.BatchSize, b.BatchSize},
	} {
		if c.x != c.y {
			return fmt.Sprintf("%s (%v vs %v)", c.what, c.x, c.y)
		}
	}
	return ""
}

// missing are the ranges [first, end) of 0..total−1 not in present (sorted,
// without repeats).
func missing(present []uint64, total uint64) [][2]uint64 {
	var gaps [][2]uint64
	next := uint64(0)
	for _, i := range present {
		if i > next {
			gaps = append(gaps, [2]uint64{next, i})
		}
		next = i + 1
	}
	if next < total {
		gaps = append(gaps, [2]uint64{next, total})
	}
	return gaps
}

// gapText writes missing ranges: "parts 3–7, 12", "part 4".
func gapText(gaps [][2]uint64) string {
	rs := make([]string, len(gaps))
	for k, g := range gaps {
		if g[1]-g[0] == 1 {
			rs[k] = fmt.Sprint(g[0])
		} else {
			rs[k] = fmt.Sprintf("%d–%d", g[0], g[1]-1)
		}
	}
	word := "parts "
	if len(gaps) == 1 && gaps[0][1]-gaps[0][0] == 1 {
		word = "part "
	}
	return word + firstFew(rs)
}

// whoseShards says which shards should have written the missing parts, when
// the inputs are shards of one count.
func whoseShards(ms []*Manifest, gaps [][2]uint64, total uint64) string {
	n := 0
	for _, m := range ms {
		if m.Shard == nil || (n != 0 && m.Shard.Count != n) || m.Shard.Count < 1 || m.Shard.Count > MaxShards {
			return ""
		}
		n = m.Shard.Count
	}
	// Shards and gaps both run in order of part: one pass over each.
	var ks []string
	g := 0
	for k := 1; k <= n && g < len(gaps); k++ {
		first, end := PartRange(total, k, n)
		for g < len(gaps) && gaps[g][1] <= first {
			g++
		}
		if first < end && g < len(gaps) && gaps[g][0] < end {
			ks = append(ks, fmt.Sprintf("%d/%d", k, n))
		}
	}
	return " (the parts of shard " + firstFew(ks) + ", whose folder is not among the inputs or incomplete)"
}

func firstFew(xs []string) string {
	const few = 8
	if len(xs) <= few {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:few], ", ") + fmt.Sprintf(" and %d more", len(xs)-few)
}
