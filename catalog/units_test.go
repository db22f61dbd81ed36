package catalog

import (
	"math"
	"strings"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		dim  Dimension
		want float64
	}{
		// Values the catalog data and docs/CATALOG.md use; SI per the CATALOG.md units table.
		{"80 GiB", Bytes, 80 << 30}, // 85.89934592 GB, physics.md §2.5
		{"80 GB", Bytes, 80e9},
		{"512 KiB", Bytes, 512 << 10},
		{"2 TiB", Bytes, 2 << 40},
		{"4 MB", Bytes, 4e6},
		{"1 PB", Bytes, 1e15},
		{"3.35 TB/s", BytesPerSecond, 3.35e12},
		{"2039 GB/s", BytesPerSecond, 2039e9},
		{"400 Gbps", BytesPerSecond, 50e9}, // bits ÷ 8 (physics.md §2.5: IB NDR 400 Gbps)
		{"100 Gbps", BytesPerSecond, 12.5e9},
		{"30 Gbps", BytesPerSecond, 3.75e9},
		{"1 MiB/s", BytesPerSecond, 1 << 20},
		{"989 TFLOP/s", FLOPsPerSecond, 989e12},
		{"125 PFLOP/s", FLOPsPerSecond, 125e15},
		{"275 TOPS", FLOPsPerSecond, 275e12}, // 1 TOPS = 1e12 op/s, the FLOP/s dimension
		{"15.8 TOPS", FLOPsPerSecond, 15.8e12},
		{"16.06 GFLOP", FLOPs, 16.06e9},
		{"1.606e10 FLOP", FLOPs, 1.606e10},
		{"3.14e23 FLOP", FLOPs, 3.14e23},
		{"0.01 ms", Seconds, 1e-5}, // the default dispatch tax, physics.md §2.2
		{"500 ns", Seconds, 500e-9},
		{"50 us", Seconds, 50e-6},
		{"25 d", Seconds, 25 * 86400},
		{"2 min", Seconds, 120},
		{"700 W", Watts, 700},
		{"10 mW", Watts, 0.01},
		{"1287 MWh", Joules, 1287 * 3.6e9}, // GPT-3 training energy, registry language.yaml
		{"15 Wh", Joules, 54000},
		{"0.1 mJ", Joules, 1e-4},
		{"30000 USD", USD, 30000},
		{"164 kg", Kilograms, 164},
		{"500 g", Kilograms, 0.5},
		{"1.5 t", Kilograms, 1500},
		{"400 MHz", Hertz, 400e6},
		{"1.98 GHz", Hertz, 1.98e9},
		{"20 gCO2e/kWh", GramsPerKWh, 20},
		{"1.8 L/kWh", LitresPerKWh, 1.8},
		{"0 W", Watts, 0},
		{"-5 W", Watts, -5}, // the sign is the converter's business, not the parser's
		{"  80   GiB ", Bytes, 80 << 30},
	} {
		got, err := ParseQuantity(tc.in, tc.dim)
		if err != nil {
			t.Errorf("ParseQuantity(%q, %s): %v", tc.in, tc.dim, err)
			continue
		}
		if !near(got, tc.want, scaleRel) {
			t.Errorf("ParseQuantity(%q, %s) = %v, want %v", tc.in, tc.dim, got, tc.want)
		}
	}
}

func TestParseQuantityErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		dim  Dimension
		want []string // substrings of the error
	}{
		{"80", Bytes, []string{`"80"`, "<number> <unit>", "bytes", "GiB", "GB"}},
		{"80GiB", Bytes, []string{`"80GiB"`, "<number> <unit>", "GiB"}},
		{"", Seconds, []string{"<number> <unit>", "ms"}},
		{"80 GiB extra", Bytes, []string{"<number> <unit>"}},
		{"80 GB/s", Bytes, []string{`unit "GB/s" is not a bytes unit`, "GiB", "TB"}},
		{"3.35 TB", BytesPerSecond, []string{`unit "TB" is not a bandwidth unit`, "TB/s", "Gbps"}},
		{"989 TFLOP", FLOPsPerSecond, []string{`"TFLOP" is not a compute rate unit`, "TFLOP/s", "TOPS"}},
		{"16 GFLOP/s", FLOPs, []string{"not a FLOP amount unit", "GFLOP"}},
		{"989 TFLOPS", FLOPsPerSecond, []string{`unit "TFLOPS"`, "TFLOP/s"}},
		{"80 gib", Bytes, []string{`unit "gib"`, "GiB"}},
		{"5 furlongs", Seconds, []string{`unit "furlongs"`, "ns", "ms", "min"}},
		{"700 kWh", Watts, []string{"not a power unit", "mW", "kW"}},
		{"20 g/kWh", GramsPerKWh, []string{"carbon intensity", "gCO2e/kWh"}},
		{"NaN GiB", Bytes, []string{`"NaN" is not a finite number`}},
		{"Inf W", Watts, []string{"not a finite number"}},
		{"-Inf W", Watts, []string{"not a finite number"}},
		{"1e400 W", Watts, []string{"not a finite number"}},
		{"eighty GiB", Bytes, []string{`"eighty" is not a finite number`}},
		{"1,000 W", Watts, []string{"not a finite number"}},
	} {
		got, err := ParseQuantity(tc.in, tc.dim)
		if err == nil {
			t.Errorf("ParseQuantity(%q, %s) = %v, want an error", tc.in, tc.dim, got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseQuantity(%q, %s) error %q lacks %q", tc.in, tc.dim, err, w)
			}
		}
	}
}

func TestDimensionNames(t *testing.T) {
	for d := Bytes; d <= LitresPerKWh; d++ {
		if d.String() == "" {
			t.Errorf("Dimension(%d) has no name; errors would say \"not a  unit\"", d)
		}
		if unitsFor(d) == "" {
			t.Errorf("%s has no units", d)
		}
	}
}

// FuzzParseQuantity checks the parser's contract on any input: it never panics, a
// success is finite and spelled "<number> <unit of that dimension>", and a failure
// quotes the input.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"80 GiB", "3.35 TB/s", "400 Gbps", "989 TFLOP/s", "0.01 ms", "NaN W", "80GiB", "", "1e400 W", "0x1p4 W", "1_0 W"} {
		f.Add(s, uint8(Bytes))
	}
	f.Fuzz(func(t *testing.T, s string, d uint8) {
		dim := Dimension(d%uint8(LitresPerKWh) + 1)
		v, err := ParseQuantity(s, dim)
		if err != nil {
			if !strings.Contains(err.Error(), "quantity ") {
				t.Errorf("ParseQuantity(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("ParseQuantity(%q, %s) = %v", s, dim, v)
		}
		parts := strings.Fields(s)
		if len(parts) != 2 || units[parts[1]].dim != dim {
			t.Errorf("ParseQuantity(%q, %s) accepted a value that is not <number> <%s unit>", s, dim, dim)
		}
	})
}
