package kernel

import (
	"fmt"
	"strings"
)

// Precision is a numeric format; it decides bytes per element and which peak rate applies.
type Precision uint8

const (
	FP32 Precision = iota
	TF32
	FP16
	BF16
	FP8
	INT8
	INT4
	FP4
)

// Precisions lists every precision in a stable order.
var Precisions = []Precision{FP32, TF32, FP16, BF16, FP8, INT8, INT4, FP4}

var precisionNames = [...]string{"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "fp4"}

// Bytes per element (physics.md §1.2; fp4 is ours: 4 bits, as int4).
var precisionBytes = [...]float64{4, 4, 2, 2, 1, 1, 0.5, 0.5}

func (p Precision) String() string { return precisionNames[p] }

// Bytes is the storage size of one element.
func (p Precision) Bytes() float64 { return precisionBytes[p] }

// ParsePrecision reads a precision name, case-insensitively.
func ParsePrecision(s string) (Precision, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for i, n := range precisionNames {
		if n == l {
			return Precision(i), nil
		}
	}
	return 0, fmt.Errorf("precision %q is not supported; valid: %s", s, strings.Join(precisionNames[:], ", "))
}
