package sweep

import (
	"strings"
	"testing"
)

// A where filter reads its numbers as every other reader of a number a user writes
// does (catalog.NotDecimal): "batch_size == 1_0" kept batch 10 at exit 0 while
// --batch-size 1_0 and a YAML value 1_0 were refused. Separators and the 0x, 0o and 0b
// prefixes are refused naming the file:line, the number and its decimal spelling;
// decimal numbers, a leading zero (expr and the flags read 010 as 10), fractions and
// exponents plan as before, and a string holding an underscore is no number.
func TestWhereNumbersDecimal(t *testing.T) {
	grid := func(where string) string {
		return "version: 1\nname: t\nstudy: node\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [2, 8, 10, 16]\nwhere:\n  - \"" + where + "\"\n"
	}
	for _, c := range []struct{ where, want string }{
		{"batch_size == 1_0", `test.yaml:9: where "batch_size == 1_0": the number 1_0 is not in decimal notation (expr reads it as 10): write 10`},
		{"batch_size != 0x10", `the number 0x10 is not in decimal notation (expr reads it as 16): write 16`},
		{"batch_size < 0o20", `the number 0o20 is not in decimal notation (expr reads it as 16): write 16`},
		{"batch_size > 0B10", `the number 0B10 is not in decimal notation (expr reads it as 2): write 2`},
		{"batch_size * 1_0.5 > 20", `the number 1_0.5 is not in decimal notation (expr reads it as 10.5): write 10.5`},
	} {
		_, err := planErr("test.yaml", []byte(grid(c.where)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("where %s: %v; want %q", c.where, err, c.want)
		}
	}
	for _, c := range []struct {
		where string
		kept  uint64
	}{
		{"batch_size == 10", 1},
		{"batch_size == 010", 1},        // decimal 10, as --batch-size 010
		{"batch_size >= 1e1", 2},        // 10 and 16
		{"batch_size * 0.5 < 4.5", 2},   // 2 and 8
		{"model.key == 'Llama3_8B'", 4}, // an underscore in a string
	} {
		kept, err := keptPoints(grid(c.where))
		if err != nil {
			t.Errorf("where %s: %v", c.where, err)
			continue
		}
		if kept != c.kept {
			t.Errorf("where %s: %d points kept, want %d", c.where, kept, c.kept)
		}
	}
}
