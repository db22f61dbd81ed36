package sweep

import (
	"testing"

	"github.com/mlsysim/mlsysim/kernel"
)

// TestKVFormat: "same" resolves to the weights' precision by name (KVFormat) and by code
// (kvPrecision, which the serving gather prices the cache's bytes with), and every other
// kv_precision value is its own format, in the parameter's Enum order.
func TestKVFormat(t *testing.T) {
	if got := KVFormat(KVSame, "int4"); got != "int4" {
		t.Errorf("KVFormat(same, int4) = %q, want int4", got)
	}
	if got := KVFormat("fp16", "int4"); got != "fp16" {
		t.Errorf("KVFormat(fp16, int4) = %q, want fp16", got)
	}
	if kvPrecisionParam.Enum[0] != KVSame {
		t.Fatalf("kv_precision's code 0 is %q, want %q", kvPrecisionParam.Enum[0], KVSame)
	}
	for w, weights := range kernel.Precisions {
		for code, kv := range kvPrecisionParam.Enum {
			got := kvPrecision(float64(code), float64(w))
			if want := KVFormat(kv, weights.String()); got.String() != want {
				t.Errorf("kvPrecision(%s, %s) = %s, KVFormat says %s", kv, weights, got, want)
			}
		}
	}
	if b := kvPrecision(0, float64(kernel.INT4)).Bytes(); b != 0.5 {
		t.Errorf("a cache the same as int4 weights: %v bytes an element, want 0.5", b)
	}
}
