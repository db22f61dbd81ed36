package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Set is one result read from one or more inputs: a folder a sweep wrote, the
// folders of the shards of one run, or plain Parquet files.
type Set struct {
	Inputs []string // the folders and files, after glob expansion, as given
	Files  []string // the data files to read, absolute, in part order
	// Manifest describes the whole set: a folder's own manifest, or the
	// shards' manifests combined. Nil for plain files and folders without one.
	Manifest *Manifest
}

// schemeRE matches the start of a URL (s3://, gs://, https://, file://, …).
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// CheckLocal refuses a path that is a URL: only local (or mounted) file
// systems are supported, and a URL would otherwise become a local folder
// named after its scheme.
func CheckLocal(path string) error {
	if schemeRE.MatchString(path) {
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

// Expand turns arguments into inputs: globs (when no file has that very
// name) expanded, URLs refused, and an input named twice refused.
func Expand(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("no result given: name a sweep output folder (or a .parquet file)")
	}
	var inputs []string
	seen := map[string]string{}
	for _, arg := range args {
		if arg == "" {
			return nil, errors.New("no result given: name a sweep output folder (or a .parquet file)")
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
			f, err := checkedPart(path, m, p)
			if err != nil {
				return nil, err
			}
			s.Files = append(s.Files, f)
		}
		return s, nil
	}
	// A running sweep: the parts finished so far, each whole by construction
	// (written under a temporary name and renamed).
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if _, format, ok := ParsePartName(e.Name()); ok && format == m.Format {
			s.Files = append(s.Files, filepath.Join(abs, e.Name()))
		}
	}
	sort.Strings(s.Files)
	return s, nil
}

// checkedPart verifies one part a manifest lists and returns its absolute path.
func checkedPart(dir string, m *Manifest, p PartInfo) (string, error) {
	i, format, ok := ParsePartName(p.File)
	if !ok || format != m.Format {
		return "", fmt.Errorf("%s: the manifest lists %q, which is not a %s part file name", dir, p.File, m.Format)
	}
	path := filepath.Join(dir, p.File)
	if err := VerifyPart(path, Expect{Format: format, Part: i, Rows: p.Rows, SpecHash: m.SpecHash}); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s is missing; rerun the sweep with --resume --out %s to write it", path, dir)
		}
		return "", fmt.Errorf("%s is damaged (%v); rerun the sweep with --resume --out %s to rewrite it", path, err, dir)
	}
	return filepath.Abs(path)
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
	owner := make([]int, ref.PartsTotal) // input index + 1; 0 = missing
	info := make([]PartInfo, ref.PartsTotal)
	var dups []string
	for di, m := range ms {
		for _, p := range m.Parts {
			i, format, ok := ParsePartName(p.File)
			if !ok || format != m.Format || i >= ref.PartsTotal {
				return nil, fmt.Errorf("%s: the manifest lists %q, which is not one of the run's %d %s parts", dirs[di], p.File, ref.PartsTotal, m.Format)
			}
			if owner[i] != 0 {
				dups = append(dups, fmt.Sprintf("part %d is in %s and %s", i, dirs[owner[i]-1], dirs[di]))
				continue
			}
			owner[i], info[i] = di+1, p
		}
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("%d parts are given more than once (%s); give each shard's folder once", len(dups), firstFew(dups))
	}
	if missing := missingParts(owner); missing != "" {
		return nil, fmt.Errorf("%s of the run's %d are missing%s; every part 0–%d must be present once", missing, ref.PartsTotal, whoseShards(ms, owner), ref.PartsTotal-1)
	}
	merged := *ref
	merged.Shard, merged.MergedFrom, merged.Parts, merged.Rows, merged.Bytes = nil, dirs, info, 0, 0
	s := &Set{Inputs: dirs, Manifest: &merged}
	for i, p := range info {
		f, err := checkedPart(dirs[owner[i]-1], ms[owner[i]-1], p)
		if err != nil {
			return nil, err
		}
		s.Files = append(s.Files, f)
		merged.Rows += p.Rows
		merged.Bytes += p.Bytes
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
	} {
		if c.x != c.y {
			return fmt.Sprintf("%s (%v vs %v)", c.what, c.x, c.y)
		}
	}
	return ""
}

// missingParts lists the parts nobody owns as ranges ("parts 3–7, 12"), or "".
func missingParts(owner []int) string {
	var rs []string
	for i := 0; i < len(owner); i++ {
		if owner[i] != 0 {
			continue
		}
		j := i
		for j+1 < len(owner) && owner[j+1] == 0 {
			j++
		}
		if j == i {
			rs = append(rs, fmt.Sprint(i))
		} else {
			rs = append(rs, fmt.Sprintf("%d–%d", i, j))
		}
		i = j
	}
	if len(rs) == 0 {
		return ""
	}
	word := "parts "
	if len(rs) == 1 && !strings.Contains(rs[0], "–") {
		word = "part "
	}
	return word + firstFew(rs)
}

// whoseShards says which shards should have written the missing parts, when
// the inputs are shards of one count.
func whoseShards(ms []*Manifest, owner []int) string {
	n := 0
	for _, m := range ms {
		if m.Shard == nil || (n != 0 && m.Shard.Count != n) {
			return ""
		}
		n = m.Shard.Count
	}
	var ks []string
	for k := 1; k <= n; k++ {
		first, end := PartRange(uint64(len(owner)), k, n)
		for i := first; i < end; i++ {
			if owner[i] == 0 {
				ks = append(ks, fmt.Sprintf("%d/%d", k, n))
				break
			}
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
