package catalog

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestFormatQuantity(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    Dimension
		want string
	}{
		{80 * (1 << 30), Bytes, "80 GiB"}, // vendors' binary HBM sizes stay binary
		{16e9, Bytes, "16 GB"},
		{3.35e12, BytesPerSecond, "3.35 TB/s"},
		{989e12, FLOPsPerSecond, "989 TFLOP/s"}, // FLOP/s, never the equal TOPS
		{0.01e-3, Seconds, "10 us"},
		{500e-9, Seconds, "500 ns"},
		{700, Watts, "700 W"},
		{30000, USD, "30000 USD"},
		{32e9 / 8, BytesPerSecond, "4 GB/s"}, // bytes, never the equal 32 Gbps
		{1.5e9, Hertz, "1.5 GHz"},
		{0, Bytes, ""},
	} {
		if got := FormatQuantity(c.v, c.d); got != c.want {
			t.Errorf("FormatQuantity(%g, %s) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
}

// Whatever the value, the text reads back to the same float64.
func TestFormatQuantityRoundTrips(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []Dimension{Bytes, BytesPerSecond, FLOPsPerSecond, Watts, Joules, Seconds, USD, Kilograms, Hertz} {
		for range 2000 {
			v := math.Exp(r.Float64()*80 - 40)
			s := FormatQuantity(v, d)
			back, err := ParseQuantity(s, d)
			if err != nil || back != v {
				t.Fatalf("%s %.17g → %q → %.17g, %v", d, v, s, back, err)
			}
		}
	}
}

// Every embedded hardware entry survives encode → AddUserYAML unchanged (apart from
// the tier and file, which say where an entry was read).
func TestEncodeHardwareYAMLRoundTrip(t *testing.T) {
	cat := mustDefault(t)
	b, err := EncodeHardwareYAML(cat.Hardware)
	if err != nil {
		t.Fatal(err)
	}
	back := &Catalog{}
	keys, err := back.AddUserYAML("encoded.yaml", b)
	if err != nil {
		t.Fatalf("reading the encoded catalog back: %v\n%s", err, b)
	}
	if len(keys) != len(cat.Hardware) {
		t.Fatalf("read back %d entries, want %d", len(keys), len(cat.Hardware))
	}
	for i, want := range cat.Hardware {
		got := *back.Hardware[i]
		if got.Tier != "User" {
			t.Errorf("%s: tier %q, want User", got.Key, got.Tier)
		}
		if !strings.HasPrefix(got.File, "encoded.yaml:") {
			t.Errorf("%s: file %q", got.Key, got.File)
		}
		got.Tier, got.File = want.Tier, want.File
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%s changed through encode/decode:\n got %+v\nwant %+v", want.Key, got, *want)
		}
	}
	if !strings.Contains(string(b), "capacity: 80 GiB") || !strings.Contains(string(b), "peak: 989 TFLOP/s") {
		t.Errorf("H100 not written in its datasheet units:\n%s", b)
	}
}
