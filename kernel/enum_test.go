package kernel

import (
	"fmt"
	"testing"
)

// Every enum prints its name, and a value past its names as Type(n), as the
// String methods wrote it before they shared enumName.
func TestEnumNames(t *testing.T) {
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{CapacityBottleneck(3), "Tail Latency"},
		{CapacityBottleneck(200), "CapacityBottleneck(200)"},
		{Pruning, "pruning"},
		{CompressionMethod(9), "CompressionMethod(9)"},
		{NMSparsity, "n_m"},
		{SparsityType(3), "SparsityType(3)"},
		{GuardrailNone, "none"},
		{CompressionGuardrail(255), "CompressionGuardrail(255)"},
		{DataPath(1), "Interconnect"},
		{DataPath(3), "DataPath(3)"},
		{KernelKind(2), "conv"},
		{KernelKind(40), "KernelKind(40)"},
		{SensParam(2), "memory_capacity"},
		{SensParam(3), "SensParam(3)"},
		{TopologyKind(3), "dragonfly"},
		{TopologyKind(17), "TopologyKind(17)"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T: String() = %q, want %q", c.v, got, c.want)
		}
	}
}

// A name the parser does not know is quoted as given, with the valid names
// (the messages as each Parse spelt them before parseEnum).
func TestParseEnumErrors(t *testing.T) {
	for _, c := range []struct {
		parse func(string) error
		in    string
		want  string
	}{
		{func(s string) error { _, err := ParseCompressionMethod(s); return err }, " Distil ",
			`compression method " Distil " is not supported; valid: quantization, pruning, other`},
		{func(s string) error { _, err := ParseKernelKind(s); return err }, "matmul",
			`workload type "matmul" is not supported; valid: ffn, attention, conv, other`},
		{func(s string) error { _, err := ParseTopology(s); return err }, "Hyper-Cube",
			`topology "Hyper-Cube" is not supported; valid: fat_tree, ring, torus_3d, dragonfly`},
	} {
		if err := c.parse(c.in); err == nil || err.Error() != c.want {
			t.Errorf("parse(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}
