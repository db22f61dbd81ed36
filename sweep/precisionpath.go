package sweep

import (
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
)

// PrecisionPath refuses fp4 on an accelerator whose catalog entry states no fp4 rate.
// fp4 is ours (docs/PHYSICS.md, "fp4 precision"): it exists to compare accelerators at
// the 4-bit floating-point tensor-core rate they advertise. Without that rate an fp4
// point would take the default peak and the 4-bit path's efficiency — the device's int4
// answer under another name, for a format it cannot run (H100 and A100 have no fp4
// tensor cores). 4-bit weights on such a device are int4 (weight-only, as AWQ and GPTQ
// serve them). Every command that names one accelerator and a precision applies it:
// eval, serve, plans and optimize serving's search.
func PrecisionPath(cat *catalog.Catalog, hwKey, precision string) error {
	if !strings.EqualFold(precision, "fp4") {
		return nil
	}
	h, err := cat.HardwareByKey(hwKey)
	if err != nil || h.StatesRate("fp4") {
		return nil // an unknown key is reported where it is resolved
	}
	return fmt.Errorf("%s states no fp4 rate in the catalog (no fp4 tensor cores), so fp4 there would be its int4 result under another name; use int4 for 4-bit weights on it, or an accelerator with an fp4 rate: %s",
		h.Key, strings.Join(WithRate(cat, "fp4"), ", "))
}

// WithRate lists the catalog accelerators that state a rate for precision, in catalog order.
func WithRate(cat *catalog.Catalog, precision string) []string {
	var keys []string
	for _, h := range cat.Hardware {
		if h.StatesRate(precision) {
			keys = append(keys, h.Key)
		}
	}
	return keys
}
