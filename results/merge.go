package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mlsysim/mlsysim/sinks"
)

// Existing lists what this tool wrote in dir — the manifest and part files —
// the names that make dir "hold a result". Other files are not ours.
func Existing(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if _, _, ok := ParsePartName(n); (ok || n == ManifestName) && e.Type().IsRegular() {
			names = append(names, n)
		}
	}
	return names, nil
}

// Clear removes from dir the result this tool wrote there: the parts its
// manifest lists, any file named exactly as a part, and the manifest. Nothing
// else is touched: temporary files are RemoveTemps' (a sweep removes an
// interrupted run's first, then clears the old result while its own workers
// write their parts' temporary files). The caller holds dir's lock.
func Clear(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var doomed []string
	if m, err := ReadManifest(dir); err == nil {
		for _, p := range m.Parts {
			if _, _, ok := ParsePartName(p.File); ok { // a bare part name: never a path elsewhere
				doomed = append(doomed, p.File)
			}
		}
	}
	for _, e := range entries {
		n := e.Name()
		if _, _, ok := ParsePartName(n); ok && e.Type().IsRegular() {
			doomed = append(doomed, n)
		}
	}
	doomed = append(doomed, ManifestName) // last: a stop half-way leaves a folder still marked as ours
	for _, n := range doomed {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// RemoveTemps removes the temporary files an interrupted write left in dir.
// The caller holds dir's lock, so no live writer owns them.
func RemoveTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if IsTemp(e.Name()) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// MergeOptions control Merge.
type MergeOptions struct {
	Overwrite bool // replace a result already in the output folder
	Version   string
}

// Merge combines the folders of one run (checked by Combine) into out: parts
// are hard-linked where out is on the same file system, copied otherwise, and
// one manifest lists them all. out may be one of the inputs (merging in place:
// its own parts stay). Each file lands complete or not at all, and the manifest
// is written last, so an interrupted merge never looks finished.
//
// A merge that fails leaves what the user had: the parts it placed are
// removed, and so are the folders it created for out (with their lock file).
func Merge(dirs []string, out string, opt MergeOptions) (_ *Manifest, err error) {
	if err := CheckLocal(out); err != nil {
		return nil, err
	}
	set, err := Combine(dirs)
	if err != nil {
		return nil, err
	}
	made := MissingDirs(out)
	var placed []string
	held := false
	defer func() {
		if err == nil {
			return
		}
		for _, f := range placed {
			os.Remove(f)
		}
		RemoveMade(made, held)
	}()
	lock, err := Acquire(out, "merge")
	if err != nil {
		return nil, err
	}
	held = true
	defer lock.Release() // before RemoveMade: the lock file goes with the folder
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	inPlace := false
	for _, d := range dirs {
		if a, _ := filepath.Abs(d); a == outAbs {
			inPlace = true
		}
	}
	if !inPlace {
		existing, err := Existing(out)
		if err != nil {
			return nil, err
		}
		if len(existing) > 0 && !opt.Overwrite {
			return nil, fmt.Errorf("%s already holds a result (%d files); use --overwrite to replace it, or another --out", out, len(existing))
		}
		if err := Clear(out); err != nil {
			return nil, err
		}
	} else if err := RemoveTemps(out); err != nil {
		return nil, err
	}
	m := set.Manifest
	for i, src := range set.Files {
		dst := filepath.Join(outAbs, m.Parts[i].File)
		if src == dst {
			continue
		}
		if err := placeFile(src, dst); err != nil {
			return nil, fmt.Errorf("%s → %s: %w", src, out, err)
		}
		placed = append(placed, dst)
	}
	if err := WriteManifest(out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// placeFile is place; a test makes it fail.
var placeFile = place

// MissingDirs lists dir and those of its parents that do not exist yet,
// deepest first: what creating dir makes. A command that writes a folder
// takes it before Acquire creates the folder, and gives it to RemoveMade if it
// fails, so that it leaves nothing the user did not have. A path it cannot look
// at (a parent that is a file, a folder it may not search) ends the list:
// creating dir fails there, and Acquire says why.
func MissingDirs(dir string) []string {
	var made []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Lstat(d)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			return made
		}
		made = append(made, d)
		if filepath.Dir(d) == d {
			return made
		}
	}
}

// RemoveMade undoes a failed write into the folders MissingDirs listed
// (nothing when it listed none: a folder the user had keeps what it holds):
// where the writer held the folder's lock (held; it has released it since), the
// result written there (Clear: parts and manifest), temporary files and the lock
// file; then each folder if empty (a file someone else put there meanwhile keeps
// it). Without the lock nothing in the folder is the writer's — another run
// may have created it since MissingDirs looked — so only empty folders go.
func RemoveMade(made []string, held bool) {
	if len(made) == 0 {
		return
	}
	if dir := made[0]; held {
		Clear(dir)
		RemoveTemps(dir)
		os.Remove(filepath.Join(dir, LockName))
	}
	for _, d := range made {
		// A folder the failure came before creating is not there: its parents,
		// made or not, are looked at all the same.
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			return
		}
	}
}

// place puts a copy of src at dst atomically: a hard link when the file
// system allows, else a byte copy, each under a temporary name first.
func place(src, dst string) error {
	f, err := sinks.Create(dst)
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Abort() // we only wanted a fresh temporary name
	if err := os.Link(src, tmp); err == nil {
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := sinks.Create(dst)
	if err != nil {
		return err
	}
	defer out.Abort()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Commit()
}
