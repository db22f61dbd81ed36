package sweep

import (
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/kernel"
)

// PrecisionPath refuses a precision the accelerator has no path for, in every command
// that names one accelerator and a precision (eval, serve, plans and optimize serving's
// search) and, as precisionRefused, in every grid study (unsupported_by_hardware):
//
//   - fp4 where the catalog entry states no fp4 rate. fp4 is ours (docs/PHYSICS.md,
//     "fp4 precision"): it exists to compare accelerators at the 4-bit floating-point
//     tensor-core rate they advertise. Without that rate an fp4 point would take the
//     default peak and the 4-bit path's efficiency — the device's int4 answer under
//     another name, for a format it cannot run (H100 and A100 have no fp4 tensor
//     cores). 4-bit weights on such a device are int4 (weight-only, as AWQ and GPTQ
//     serve them). Both profiles.
//   - a format the entry lists in unsupported_precisions: the vendor's documentation
//     shows no arithmetic for it (bf16 and tf32 on the V100 and the T4, whose tensor
//     cores take fp16; every floating-point format on the integer-only TPU v1). PeakFor would price it at the default peak, another format's
//     rate: bf16 on a V100 was its fp16 answer under another name. Calibrated only: the
//     seed view has no such list (catalog.Hardware.SeedView), so the seed keeps the
//     registry's answer.
func PrecisionPath(cat *catalog.Catalog, hwKey, precision, profile string) error {
	h, err := cat.HardwareByKey(hwKey)
	if err != nil || precision == "" {
		return nil // an unknown key is reported where it is resolved; no precision is fp16
	}
	if profile == Profiles[1] {
		h = h.SeedView()
	}
	p := strings.ToLower(strings.TrimSpace(precision))
	if !precisionRefused(h, p) {
		return nil
	}
	if h.Unsupported(p) {
		return fmt.Errorf("%s has no %s arithmetic (catalog unsupported_precisions, source: %s), so %s runs there would be priced at another format's rate; precisions it supports: %s",
			h.Key, p, shortRef(h.FieldSources["unsupported_precisions"].Ref), p, strings.Join(Supported(h), ", "))
	}
	return fmt.Errorf("%s states no fp4 rate in the catalog (no fp4 tensor cores), so fp4 there would be its int4 result under another name; use int4 for 4-bit weights on it, or an accelerator with an fp4 rate: %s",
		h.Key, strings.Join(WithRate(cat, "fp4"), ", "))
}

// precisionRefused is PrecisionPath's rule on one catalog entry (already the seed view
// under the seed profile).
func precisionRefused(h *catalog.Hardware, precision string) bool {
	return h.Unsupported(precision) || precision == kernel.FP4.String() && !h.StatesRate(precision)
}

// Supported lists, in kernel.Precisions order, the formats the entry states a rate for,
// with fp16 and bf16 (the default peak's formats) unless it lists them unsupported.
func Supported(h *catalog.Hardware) []string {
	var out []string
	for _, q := range kernel.Precisions {
		p := q.String()
		if h.StatesRate(p) || (q == kernel.FP16 || q == kernel.BF16) && !h.Unsupported(p) {
			out = append(out, p)
		}
	}
	return out
}

// shortRef is a source's reference up to its first comma (the document's title).
func shortRef(ref string) string {
	if i := strings.Index(ref, ","); i > 0 {
		ref = ref[:i]
	}
	return ref
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

// TrainingPrecisionPath refuses a training step in a format the accelerator's catalog
// entry states no rate for, where it states others (catalog.Hardware.PeakFor's
// fallback; fp16 and bf16 always have one): fp8 on an A100, int4 on an H100, fp32 on a
// TPU v4. Inference there is priced at the default peak with a warning, as the seed
// does — weight-only formats are dequantised to the 16-bit rate — but a training step
// runs its forward and backward matmuls in the format, and the default peak would
// price it at a rate the device has no units for (a 16-bit rate with 1-byte weights
// and activations, or fp32 at the bf16 rate). Every training surface applies it:
// eval --training, plans, and the node study's training rows, the fleet and the
// train-memory studies (unsupported_by_hardware), in both profiles.
//
// Under the calibrated profile integer formats are refused on every accelerator
// (IntegerTraining), where the seed prices them at the integer rate.
func TrainingPrecisionPath(cat *catalog.Catalog, hwKey, precision, profile string) error {
	p := strings.ToLower(precision)
	if profile != Profiles[1] {
		if err := IntegerTraining(p); err != nil {
			return err
		}
	}
	h, err := cat.HardwareByKey(hwKey)
	if err != nil || p == "" {
		return nil // an unknown key is reported where it is resolved; no precision is fp16
	}
	if _, ok := h.PeakFor(p); ok {
		return nil
	}
	stated := Supported(h)
	return fmt.Errorf("%s states no %s rate in the catalog, so a training step in %s would be priced at its default peak (%.4g TFLOP/s), a rate it has for another format; train in a format it states a rate for (%s), or on an accelerator that states one for %s: %s",
		h.Key, p, p, h.PeakFLOPS/1e12, strings.Join(stated, ", "), p, strings.Join(WithRate(cat, p), ", "))
}

// IntegerTraining refuses a training step in an integer format (int8, int4). Training
// needs floating-point gradients and optimizer updates: mixed-precision training keeps
// fp32 master weights and runs its matmuls in fp16 or bf16 (Micikevicius et al. 2018,
// "Mixed Precision Training", §3), and the lowest format the training stacks offer is
// fp8 (Micikevicius et al. 2022, "FP8 Formats for Deep Learning"; NVIDIA Transformer
// Engine, `--fp8-recipe` here). An H100 states an int8 tensor rate, twice its bf16 one,
// for inference; a training step priced at it ran 2× faster than any framework trains,
// with 1-byte gradients and optimizer state no optimizer keeps. The calibrated profile
// refuses it (eval --training, plans: bad input; the node study's training rows, the
// fleet and train-memory studies: not_a_training_format); the seed's rule prices it.
func IntegerTraining(precision string) error {
	p := strings.ToLower(precision)
	if p != kernel.INT8.String() && p != kernel.INT4.String() {
		return nil
	}
	return fmt.Errorf("%s is an inference format: no training stack runs its forward and backward matmuls, gradients and optimizer state in integers (mixed precision trains in fp16 or bf16 over fp32 master weights, at lowest fp8 GEMMs); train in bf16 (with --fp8-recipe, or a plan's hardware.fp8_recipe, for FP8 GEMMs where the accelerator has an fp8 rate), or use --profile seed, whose rule prices %s at its rate", p, p)
}

// integerFormat reports whether precision code prec is an integer format (IntegerTraining).
func integerFormat(prec float64) bool {
	return prec == float64(kernel.INT8) || prec == float64(kernel.INT4)
}
