package catalog

import (
	"slices"
	"strings"
	"testing"
)

// TestUnsupportedPrecisions: an entry's unsupported_precisions loads lower-cased, and
// is refused when it names no run precision, names one twice, contradicts a stated rate,
// or comes without its own field source; the seed view never carries it.
func TestUnsupportedPrecisions(t *testing.T) {
	const head = "hardware:\n  - key: Volta\n    peak: 125 TFLOP/s\n    rates: {fp32: 15.7 TFLOP/s}\n    memory: {capacity: 32 GiB, bandwidth: 900 GB/s}\n    source: {kind: estimate, ref: \"mlsysim test fixture\"}\n"
	const src = "    field_sources:\n      unsupported_precisions: {kind: datasheet, ref: \"a vendor whitepaper\"}\n"
	c := userCatalog(t)
	if _, err := c.AddUserYAML("ok.yaml", []byte(head+"    unsupported_precisions: [TF32, bf16]\n"+src)); err != nil {
		t.Fatal(err)
	}
	h, err := c.HardwareByKey("Volta")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.UnsupportedPrecisions, []string{"tf32", "bf16"}) || !h.Unsupported("BF16") || h.Unsupported("fp16") {
		t.Errorf("loaded %v; want [tf32 bf16], bf16 unsupported and fp16 not", h.UnsupportedPrecisions)
	}
	if v := h.SeedView(); v.UnsupportedPrecisions != nil || h.UnsupportedPrecisions == nil {
		t.Errorf("seed view %v (want none), entry %v (want unchanged)", v.UnsupportedPrecisions, h.UnsupportedPrecisions)
	}
	for _, tc := range []struct{ yaml, want string }{
		{head + "    unsupported_precisions: [bf17]\n" + src, `"bf17" is not a precision; use one of fp32, tf32, fp16, bf16, fp8, int8, int4, fp4`},
		{head + "    unsupported_precisions: [bf16, bf16]\n" + src, "bf16 is listed twice"},
		{head + "    unsupported_precisions: [fp32]\n" + src, "fp32 is listed unsupported, but the entry states a rate"},
		{head + "    unsupported_precisions: [bf16]\n", "unsupported_precisions needs its own source"},
	} {
		_, err := userCatalog(t).AddUserYAML("bad.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("error %v, want one naming bad.yaml and saying %q", err, tc.want)
		}
	}
}
