package kernel

import (
	"fmt"
	"slices"
	"strings"
)

// enumName is what an enum's String returns: its name, or Type(n) (as Go
// prints an unnamed value) for a value past the names.
func enumName[E ~uint8](v E, names []string, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, uint8(v))
}

// parseEnum is an enum's Parse: the value whose name is norm (s as the caller
// normalised it), or an error that quotes s as given and lists the names; what
// says what was asked for ("topology").
func parseEnum[E ~uint8](s, norm string, names []string, what string) (E, error) {
	if i := slices.Index(names, norm); i >= 0 {
		return E(i), nil
	}
	return 0, fmt.Errorf("%s %q is not supported; valid: %s", what, s, strings.Join(names, ", "))
}
