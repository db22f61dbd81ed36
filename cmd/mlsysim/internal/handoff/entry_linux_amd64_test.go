package handoff

import (
	"strings"
	"testing"
)

// TestEntryStrings: the entry point hands over the same commands, to the same
// file name, as the package initialiser, and reads each string up to its NUL.
func TestEntryStrings(t *testing.T) {
	if want := strings.Join(Commands, "\x00") + "\x00\x00"; entryNames != want {
		t.Errorf("entryNames = %q, want %q (Commands, each NUL-terminated, then an empty name)", entryNames, want)
	}
	if entryFull != FullName+"\x00" {
		t.Errorf("entryFull = %q, want FullName %q and a NUL", entryFull, FullName)
	}
	// The readlink buffer keeps 32 bytes for the name (entry_linux_amd64.s).
	if len(entryFull) > 32 {
		t.Errorf("FullName %q is longer than the entry point's room for it", FullName)
	}
}
