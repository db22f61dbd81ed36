package catalog

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxInputBytes bounds a file read as input. The largest real inputs (the
// bundled catalog, a model's config.json, a grid spec) are kilobytes; 64 MiB
// leaves room for generated catalogs while a path such as /dev/zero fails at
// once instead of filling memory.
const MaxInputBytes = 64 << 20

// ReadInput reads a file given as input — a grid spec, a plan, a --catalog file,
// a config.json, a validation case. It must be a regular file of at most
// MaxInputBytes: a device, FIFO or folder is refused before it is opened (a FIFO
// would block the open), and a file that grows past the limit while being read
// is refused too.
func ReadInput(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := CheckInputFile(path, st); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := CheckInputFile(path, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxInputBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, the most an input file may be", path, MaxInputBytes>>20)
	}
	return b, nil
}

// CheckInputFile refuses what ReadInput refuses, from a file's stat: anything
// but a regular file, or one larger than MaxInputBytes.
func CheckInputFile(path string, st fs.FileInfo) error {
	m := st.Mode()
	if !m.IsRegular() {
		what := "not a regular file"
		switch {
		case m.IsDir():
			what = "a folder"
		case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
			what = "a device"
		case m&fs.ModeNamedPipe != 0:
			what = "a named pipe"
		case m&fs.ModeSocket != 0:
			what = "a socket"
		}
		return fmt.Errorf("%s is %s; input must be a regular file (save it to a file first)", path, what)
	}
	if st.Size() > MaxInputBytes {
		return fmt.Errorf("%s: %d bytes is larger than %d MiB, the most an input file may be", path, st.Size(), MaxInputBytes>>20)
	}
	return nil
}
