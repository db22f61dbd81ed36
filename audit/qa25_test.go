package audit

import (
	"math"
	"strings"
	"testing"
)

// TestDetectRefusesNonNumbers: every number read from a captured file is finite and
// decimal. strconv.ParseFloat takes nan, inf, 1_000 and 0x1p3: nvidia-smi's memory.total
// "nan" made a local entry of NaN GiB and meminfo's "MemTotal: nan kB" NaN bytes, both at
// exit 0; cpuinfo_max_freq "inf" an infinite clock; sysctl's "hw.memsize: nan" NaN bytes.
func TestDetectRefusesNonNumbers(t *testing.T) {
	const brand = "machdep.cpu.brand_string: Apple M3 Max\n"
	for _, c := range []struct {
		name string
		in   Inputs
		want string
	}{
		{"smi nan memory", Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, nan, 700, 1980\n"}}, `smi:1: memory.total: want a number without units (--format=csv,noheader,nounits), got "nan"`},
		{"smi separator", Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, 81_559, 700, 1980\n"}}, `smi:1: memory.total: want a number without units (--format=csv,noheader,nounits), got "81_559"`},
		{"smi inf power", Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, 81559, inf, 1980\n"}}, `smi:1: power.limit: want a number without units`},
		{"smi hex clock", Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, 81559, 700, 0x1p3\n"}}, `smi:1: clocks.max.sm: want a number without units`},
		{"meminfo nan", Inputs{MemInfo: Text{"mi", "MemTotal: nan kB\n"}}, `mi:1: MemTotal: want "<number> kB", got "nan kB"`},
		{"max freq inf", Inputs{CPUMaxFreq: Text{"mf", "inf\n"}}, `mf: want the maximum clock in kHz (one positive number), got "inf"`},
		{"sysctl nan", Inputs{Sysctl: Text{"sy", brand + "hw.memsize: nan\n"}}, `sy: hw.memsize: want a number, got "nan"`},
	} {
		_, err := Detect(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// The same files with numbers read as before; [N/A] is still 0 (unknown).
	e, err := Detect(Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, 81559, [N/A], 1980\n"}, MemInfo: Text{"mi", "MemTotal: 1024 kB\n"},
		CPUMaxFreq: Text{"mf", "3800000\n"}})
	if err != nil || len(e.Accelerators) != 1 || e.Accelerators[0].MemoryBytes != 81559*(1<<20) || e.Accelerators[0].PowerLimitW != 0 ||
		e.MemoryBytes != 1024*1024 || e.CPU.ClockHz != 3.8e9 || math.IsNaN(e.CPU.ClockHz) {
		t.Errorf("plain numbers: %+v, %v", e, err)
	}
}
