package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/mlsysim/mlsysim/suggest"
)

// Every YAML input (catalog data, --catalog files, grid specs, plans) goes
// through ParseYAML or DecodeStrict, so the rules hold for all of them:
//   - one document per file: a second one (after ---) is refused, not ignored;
//   - numbers are finite, and a field of integer type takes a whole number
//     (yaml.v3 would truncate 1.5 to 1);
//   - text holds no control characters (terminal escapes);
//   - an error names the first problem only, with its line, and never echoes
//     the file (a --catalog /etc/shadow must not print the file back).

// ParseYAML parses the single YAML document in b into a node tree.
func ParseYAML(file string, b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, YAMLError(file, err)
	}
	if err := onlyDocument(file, dec); err != nil {
		return nil, err
	}
	if err := checkText(file, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) > 0 {
		if err := checkSeparators(file, "", doc.Content[0]); err != nil {
			return nil, err
		}
	}
	return &doc, nil
}

// checkSeparators refuses a plain scalar the decoder reads as a number although it has
// a digit separator (DigitSeparator), wherever it stands: the typed fields check it
// too (checkNumbers), but a value decoded into an untyped field — a validation case's
// study.params, its tolerance before — was read as 1000 unchecked. path names the
// value as checkNumbers does (workload.batch_size, models.0.layers).
func checkSeparators(file, path string, n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style == 0 && strings.Contains(n.Value, "_") && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			if err := DigitSeparator(n.Value); err != nil {
				if path != "" {
					return fmt.Errorf("%s:%d: %s: %w", file, n.Line, path, err)
				}
				return fmt.Errorf("%s:%d: %w", file, n.Line, err)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkSeparators(file, join(path, n.Content[i].Value), n.Content[i+1]); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for j, it := range n.Content {
			if err := checkSeparators(file, join(path, strconv.Itoa(j)), it); err != nil {
				return err
			}
		}
	}
	return nil
}

func onlyDocument(file string, dec *yaml.Decoder) error {
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return YAMLError(file, err)
	}
	line := next.Line
	if len(next.Content) > 0 {
		line = next.Content[0].Line
	}
	return fmt.Errorf("%s:%d: a second YAML document starts here (after ---); a file holds one document", file, line)
}

// checkText refuses control characters in keys and text values: printed back
// (zoo, scorecards, errors) they would reach the terminal raw.
func checkText(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.AliasNode {
		if i := strings.IndexFunc(n.Value, IsControl); i >= 0 {
			r := []rune(n.Value[i:])[0]
			return fmt.Errorf("%s:%d: a control character (%U) in the text; remove it (terminal escapes and other controls are not allowed)", file, n.Line, r)
		}
	}
	for _, c := range n.Content {
		if err := checkText(file, c); err != nil {
			return err
		}
	}
	return nil
}

// IsControl reports characters that must not reach a terminal: C0 and C1
// controls (ESC, BEL, backspace, CSI, …) and bidirectional overrides. A tab or
// a newline in a block of prose is fine.
func IsControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// DecodeStrict decodes the single YAML document in b into out, refusing keys out
// does not have. block, if set, names a Go type for errors ("sweep.planOps" →
// "ops"); otherwise errors speak of "this block".
func DecodeStrict(file string, b []byte, out any, block func(goType string) string) error {
	doc, err := ParseYAML(file, b)
	if err != nil {
		return err
	}
	if len(doc.Content) > 0 {
		if err := checkNumbers(file, "", doc.Content[0], reflect.TypeOf(out)); err != nil {
			return err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return decodeError(file, err, reflect.TypeOf(out), block)
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkNumbers walks the document along the Go type it will be decoded into:
// a scalar bound for a number field must be a finite number, and a whole one
// within ±2^53 for an integer field. Types with their own UnmarshalYAML check
// themselves.
func checkNumbers(file, key string, n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || n.Kind == yaml.AliasNode {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && t.Kind() != reflect.Interface && key != "" {
		// "zero_stage: ~" or a key left without its value decoded as absent:
		// the default (ZeRO 0, fp16) answered for a value never written, and
		// "assert:" left empty checked nothing and passed.
		return fmt.Errorf("%s:%d: %s: no value (null); write one, or leave the key out for its default", file, n.Line, key)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder says what it wanted
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if ft, ok := fields[n.Content[i].Value]; ok {
				if err := checkNumbers(file, join(key, n.Content[i].Value), n.Content[i+1], ft); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for j, it := range n.Content {
				if err := checkNumbers(file, join(key, strconv.Itoa(j)), it, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkNumbers(file, join(key, n.Content[i-1].Value), n.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil
		}
		if err := NumberText(n.Value); err != nil && n.Style == 0 {
			return fmt.Errorf("%s:%d: %s: %w", file, n.Line, key, err)
		}
		f, err := scalarNumber(n)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return fmt.Errorf("%s:%d: %s: want a whole number, got %s", file, n.Line, key, quoteShort(n.Value))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil
		}
		// The decoder reads YAML 1.1's yes/no/on/off/y/n into a bool field, a
		// grid only true/false: one rule for both, the stricter.
		if _, err := ParseBool(n.Value); err != nil || n.Style != 0 {
			if err == nil {
				err = fmt.Errorf("want true or false unquoted, got %s (quoted, it is text)", quoteShort(n.Value))
			}
			return fmt.Errorf("%s:%d: %s: %w", file, n.Line, key, err)
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil
		}
		if err := NumberText(n.Value); err != nil && n.Style == 0 {
			return fmt.Errorf("%s:%d: %s: %w", file, n.Line, key, err)
		}
		if _, err := scalarNumber(n); err != nil {
			return fmt.Errorf("%s:%d: %s: want a finite number, got %s%s", file, n.Line, key, quoteShort(n.Value), unitHint(n.Value))
		}
	}
	return nil
}

// unitHint explains a number written with a unit ("30 ms", "0.5GB") where the field
// takes a plain number in its own unit, such as a plan's assertion bound.
func unitHint(v string) string {
	i := strings.IndexFunc(v, func(r rune) bool { return !strings.ContainsRune("0123456789.eE+- ", r) })
	if i <= 0 {
		return ""
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(v[:i]), 64); err != nil {
		return ""
	}
	return " (write the number alone, in the unit the key documents)"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// ParseBool reads a boolean written as YAML 1.2 writes one: true, True,
// TRUE, false, False or FALSE. YAML 1.1's yes/no/on/off/y/n and the 1/0/t/f
// of Go's strconv.ParseBool are refused: plans (read by the YAML decoder,
// which took yes and n) and grids (strconv, which took 1 and t) accepted
// different spellings, and another tool reading the same file may take
// "n" for the text it also is.
func ParseBool(text string) (bool, error) {
	switch strings.TrimSpace(text) {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %s (yes/no, on/off, y/n and 1/0 are not booleans here)", quoteShort(text))
}

// LeadingZero refuses an integer written with a leading zero (010, -007):
// YAML 1.1 and the decoder read it as octal (010 is 8), YAML 1.2 and a grid's
// values as decimal (10), so either reading may be a wrong answer. 0, 0.5,
// 010.5 and explicit prefixes (0o10, 0x10) are not ambiguous.
func LeadingZero(text string) error {
	t := strings.TrimSpace(text)
	d := strings.TrimLeft(t, "+-")
	if len(d) < 2 || d[0] != '0' || strings.Trim(d, "0123456789_") != "" {
		return nil
	}
	sign := ""
	if strings.HasPrefix(t, "-") {
		sign = "-"
	}
	digits := strings.TrimLeft(strings.ReplaceAll(d, "_", ""), "0")
	if digits == "" {
		digits = "0"
	}
	if oct, err := strconv.ParseInt(digits, 8, 64); err == nil {
		return fmt.Errorf("%s has a leading zero, which YAML 1.1 reads as octal (%s%d) and YAML 1.2 as decimal (%s%s): write %s%s, or %s0o%s for octal",
			t, sign, oct, sign, digits, sign, digits, sign, digits)
	}
	return fmt.Errorf("%s has a leading zero (YAML 1.1 would read it as octal, which it is not): write %s%s", t, sign, digits)
}

// DigitSeparator refuses a number written with _ between its digits (1_000):
// YAML 1.1 and the YAML decoder read it as 1000, YAML 1.2 as the text "1_000",
// and every numeric flag refuses it (README, "Integer flags are decimal"), so
// a plan, a grid or a catalog file and a flag would disagree about the same
// value. Refused, as a leading zero is, naming how to write it.
func DigitSeparator(text string) error {
	t := strings.TrimSpace(text)
	if !strings.Contains(t, "_") {
		return nil
	}
	plain := strings.ReplaceAll(t, "_", "")
	if _, err := strconv.ParseFloat(plain, 64); err != nil {
		return nil // not a number with separators: the caller says what it wanted
	}
	return fmt.Errorf("%s has a digit separator (_), which YAML 1.1 reads as %s and YAML 1.2 as text: write %s", t, plain, plain)
}

// NotDecimal reports whether a number as written uses what strconv.ParseFloat reads
// beyond decimal notation: a hexadecimal float (0x…, after an optional sign) or a
// digit separator (_). Every reader of a number a user writes — flags, query
// bindings, captured device files — refuses those, so 0x1p6 and 6_4 are never
// read as 64 at exit 0; each caller words its own error.
func NotDecimal(s string) bool {
	body := strings.TrimLeft(s, "+-")
	return strings.Contains(s, "_") || strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")
}

// NumberText is the rule every reader applies to a number as written in YAML:
// no leading zero (LeadingZero) and no digit separator (DigitSeparator).
func NumberText(text string) error {
	if err := LeadingZero(text); err != nil {
		return err
	}
	return DigitSeparator(text)
}

// scalarNumber reads a YAML scalar as a finite number (YAML spellings
// included: 1e3, 0x10, .5); .inf and .nan are errors.
func scalarNumber(n *yaml.Node) (float64, error) {
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not finite")
	}
	return f, nil
}

// yamlFields maps the YAML keys of a struct (inline fields flattened) to types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline"):
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case f.IsExported():
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			out[name] = f.Type
		}
	}
	return out
}

// quoteShort quotes a value for an error, shortened: errors say where, not
// what the file holds.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 24 {
		s = string(r[:24]) + "…"
	}
	return strconv.Quote(s)
}

// Compiled on first use: a command that decodes no YAML does not pay for them
// at start-up (BENCHMARKS.md, "Cold start").
var (
	fieldNotFound = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^line (\d+): field (.*) not found in type (.+)$`)
	})
	cannotDecode = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `.*`)? into (.+)$")
	})
	plainKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.\- ]{1,40}$`) })
)

// decodeError turns a decoding error into one line about its first problem.
func decodeError(file string, err error, root reflect.Type, block func(string) string) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return YAMLError(file, err)
	}
	first := te.Errors[0]
	types := map[string]reflect.Type{}
	collectTypes(root, types)
	name := func(goType string) string {
		if block != nil {
			return block(goType)
		}
		return ""
	}
	if m := fieldNotFound().FindStringSubmatch(first); m != nil {
		var keys []string
		if t, ok := types[m[3]]; ok {
			keys = slices.Sorted(maps.Keys(yamlFields(t)))
		}
		key := "an unknown key"
		if plainKey().MatchString(m[2]) {
			key = fmt.Sprintf("unknown key %q", m[2])
		} // else: not a key anyone would write (a line of /etc/shadow); do not echo it
		msg := fmt.Sprintf("%s:%s: %s", file, m[1], key)
		if b := name(m[3]); b != "" {
			msg += " in " + b
		}
		if plainKey().MatchString(m[2]) {
			msg += suggest.Hint(m[2], keys)
		}
		if len(keys) > 0 {
			msg += "; valid keys: " + strings.Join(keys, ", ")
		}
		return errors.New(msg)
	}
	if m := cannotDecode().FindStringSubmatch(first); m != nil {
		got := map[string]string{"seq": "a list", "map": "a mapping", "str": "text", "int": "a number", "float": "a number", "bool": "true/false", "null": "nothing"}[m[2]]
		if got == "" {
			got = "a " + m[2]
		}
		want := "something else"
		if t, ok := types[m[3]]; ok {
			want = describeType(t)
		} else if k, ok := builtinKinds[m[3]]; ok {
			want = k
		}
		if b := name(m[3]); b != "" {
			return fmt.Errorf("%s:%s: %s: want %s, got %s", file, m[1], b, want, got)
		}
		return fmt.Errorf("%s:%s: want %s, got %s", file, m[1], want, got)
	}
	return YAMLError(file, errors.New(first))
}

var builtinKinds = map[string]string{
	"int": "a whole number", "int64": "a whole number", "float64": "a number", "string": "text", "bool": "true or false",
}

// describeType says what YAML a Go type takes, for errors.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping with keys " + strings.Join(slices.Sorted(maps.Keys(yamlFields(t))), ", ")
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a mapping"
	}
	if k, ok := builtinKinds[t.Kind().String()]; ok {
		return k
	}
	return "a " + t.Kind().String()
}

// collectTypes indexes the named and anonymous types reachable from t by the
// name yaml.v3 prints for them.
func collectTypes(t reflect.Type, seen map[string]reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		seen[t.String()] = t
		t = t.Elem()
	}
	if _, ok := seen[t.String()]; ok {
		return
	}
	seen[t.String()] = t
	switch t.Kind() {
	case reflect.Map:
		collectTypes(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			collectTypes(t.Field(i).Type, seen)
		}
	}
}
