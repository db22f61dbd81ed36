package kernel

import (
	"fmt"
	"math"
)

// Bottleneck names the roofline ceiling that bounds a kernel's time.
type Bottleneck uint8

const (
	// Compute means peak FLOP/s bounds the time (also the tie-breaker).
	Compute Bottleneck = iota
	// Memory means memory bandwidth bounds the time.
	Memory
)

// String returns "Compute" or "Memory".
func (b Bottleneck) String() string {
	switch b {
	case Compute:
		return "Compute"
	case Memory:
		return "Memory"
	}
	return fmt.Sprintf("Bottleneck(%d)", uint8(b))
}

// rooflineNegligibleS is the time below which a roofline leg counts as zero.
// physics.md §3.1 states the threshold as t_ms < 1e-15, i.e. 1e-18 s.
const rooflineNegligibleS = 1e-18

// Roofline classifies a kernel of ops FLOP moving bytes bytes on a device with
// flops FLOP/s and bw bytes/s (physics.md §3.1):
//
//	t_compute = ops/flops    t_memory = bytes/bw    (seconds)
//	t_compute < 1e-18 s → (0, t_memory, Memory, intensity 0)
//	t_memory  < 1e-18 s → (t_compute, 0, Compute, intensity +Inf)
//	otherwise Memory iff t_memory > t_compute (a tie is Compute),
//	          intensity = ops/bytes (FLOP/byte)
//
// Preconditions (checked by the caller): ops, bytes ≥ 0; flops, bw > 0.
func Roofline(ops, bytes, flops, bw float64) (tCompute, tMemory float64, b Bottleneck, intensity float64) {
	tCompute = ops / flops
	tMemory = bytes / bw
	if tCompute < rooflineNegligibleS {
		return 0, tMemory, Memory, 0
	}
	if tMemory < rooflineNegligibleS {
		return tCompute, 0, Compute, math.Inf(1)
	}
	b = Compute
	if tMemory > tCompute {
		b = Memory
	}
	return tCompute, tMemory, b, ops / bytes
}
