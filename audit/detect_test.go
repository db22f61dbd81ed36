package audit

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// Captured detection files of machines we do not have (testdata/audit/*): an 8×H100
// server, a workstation with three different NVIDIA GPUs, Apple silicon and Intel Macs,
// an Arm server, a RISC-V board, and the CI machine kind itself (a 2-vCPU EPYC VM).
func fixture(t *testing.T, name string) *Environment {
	t.Helper()
	in, err := ReadDir(filepath.Join("..", "testdata", "audit", name))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Detect(in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestDetectFixtures(t *testing.T) {
	const gib = 1 << 30
	for _, c := range []struct {
		dir                   string
		os, arch, model, simd string
		sockets, cores, cpus  int
		clockHz               float64
		clockFrom             string
		llcBytes, memBytes    float64
		accels                []string
		noteHas               string
	}{
		{dir: "dgx-h100", os: "linux", arch: "amd64", model: "Intel(R) Xeon(R) Platinum 8480+", simd: "avx512f",
			sockets: 2, cores: 4, cpus: 8, clockHz: 3.8e9, clockFrom: "cpuinfo_max_freq",
			llcBytes: 2 * 107520 * 1024, memBytes: 2113450344 * 1024,
			accels: slices.Repeat([]string{"NVIDIA H100 80GB HBM3"}, 8)},
		{dir: "workstation", os: "linux", arch: "amd64", model: "AMD Ryzen 9 7950X 16-Core Processor", simd: "avx512f",
			sockets: 1, cores: 2, cpus: 4, clockHz: 4.5e9, clockFrom: "current clock", memBytes: 65536000 * 1024,
			accels: []string{"NVIDIA GeForce RTX 4090", "NVIDIA A100-SXM4-40GB", "Tesla V100-PCIE-16GB"}},
		{dir: "macbook-m3max", os: "darwin", arch: "arm64", model: "Apple M3 Max", simd: "asimd",
			sockets: 1, cores: 16, cpus: 16, llcBytes: 16 << 20, memBytes: 128 * gib,
			accels: []string{"Apple M3 Max"}, noteHas: "clock is not stated"},
		{dir: "intel-mac", os: "darwin", arch: "amd64", model: "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz", simd: "avx2+fma",
			sockets: 1, cores: 8, cpus: 16, clockHz: 2.3e9, clockFrom: "hw.cpufrequency_max", llcBytes: 16 << 20, memBytes: 32 * gib,
			noteHas: "no accelerator detected"},
		{dir: "graviton", os: "linux", arch: "arm64", model: "Arm Neoverse N1", simd: "asimd",
			sockets: 1, cores: 4, cpus: 4, memBytes: 16106452 * 1024, noteHas: "clock is not stated"},
		{dir: "riscv", os: "linux", arch: "riscv64", model: "sifive,u74-mc",
			sockets: 1, cores: 4, cpus: 4, memBytes: 8039424 * 1024, noteHas: "clock is not stated"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			e := fixture(t, c.dir)
			cpu := e.CPU
			if e.OS != c.os || e.Arch != c.arch || cpu.Model != c.model || cpu.SIMD != c.simd {
				t.Errorf("os/arch/model/simd = %s/%s/%q/%q, want %s/%s/%q/%q", e.OS, e.Arch, cpu.Model, cpu.SIMD, c.os, c.arch, c.model, c.simd)
			}
			if cpu.Sockets != c.sockets || cpu.Cores != c.cores || cpu.Logical != c.cpus {
				t.Errorf("sockets/cores/logical = %d/%d/%d, want %d/%d/%d", cpu.Sockets, cpu.Cores, cpu.Logical, c.sockets, c.cores, c.cpus)
			}
			if cpu.ClockHz != c.clockHz || !strings.Contains(cpu.ClockSource, c.clockFrom) {
				t.Errorf("clock %g Hz from %q, want %g from %q", cpu.ClockHz, cpu.ClockSource, c.clockHz, c.clockFrom)
			}
			if cpu.LLCBytes != c.llcBytes || e.MemoryBytes != c.memBytes {
				t.Errorf("LLC %g, memory %g; want %g, %g", cpu.LLCBytes, e.MemoryBytes, c.llcBytes, c.memBytes)
			}
			var names []string
			for _, a := range e.Accelerators {
				names = append(names, a.Name)
			}
			if !slices.Equal(names, c.accels) {
				t.Errorf("accelerators %q, want %q", names, c.accels)
			}
			if c.noteHas != "" && !slices.ContainsFunc(e.Notes, func(n string) bool { return strings.Contains(n, c.noteHas) }) {
				t.Errorf("notes %q lack %q", e.Notes, c.noteHas)
			}
		})
	}
}

// Nothing to read: every field unknown, and the notes say so.
func TestDetectNothing(t *testing.T) {
	e, err := Detect(Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if e.CPU.Model != "unknown CPU (unknown)" || e.OS != "unknown" || len(e.Accelerators) != 0 || len(e.Devices()) != 1 {
		t.Errorf("%+v", e)
	}
	for _, want := range []string{"no CPU description", "clock is not stated", "total memory unknown", "no accelerator detected (no nvidia-smi output)"} {
		if !slices.ContainsFunc(e.Notes, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("notes %q lack %q", e.Notes, want)
		}
	}
}

func TestDetectNvidiaFields(t *testing.T) {
	e := fixture(t, "workstation")
	a := e.Accelerators
	if a[0].MemoryBytes != 24564<<20 || a[0].PowerLimitW != 450 || a[0].MaxClockHz != 3120e6 || a[0].Kind != NvidiaGPU {
		t.Errorf("RTX 4090: %+v", a[0])
	}
	if a[2].Index != 2 || a[2].PowerLimitW != 0 { // "[N/A]" is unknown, not an error
		t.Errorf("V100 with power [N/A]: %+v", a[2])
	}
	if !strings.Contains(a[0].MemorySource, "nvidia-smi.csv") {
		t.Errorf("memory source %q does not name the file", a[0].MemorySource)
	}
}

// Identical GPUs are one device; the CPU is always the last.
func TestDevices(t *testing.T) {
	ds := fixture(t, "dgx-h100").Devices()
	if len(ds) != 2 || ds[0].Count != 8 || ds[0].Kind != NvidiaGPU || ds[1].Kind != CPUKind || ds[1].Count != 1 {
		t.Errorf("devices %+v, want one group of 8 H100s and the CPU", ds)
	}
	if ds := fixture(t, "workstation").Devices(); len(ds) != 4 {
		t.Errorf("three different GPUs and a CPU: got %d devices", len(ds))
	}
	ds = fixture(t, "riscv").Devices()
	if len(ds) != 1 || ds[0].Kind != CPUKind {
		t.Errorf("no accelerators: devices %+v, want just the CPU", ds)
	}
}

// The CI machine kind's own files: a VM, and nothing in /sys about its caches.
func TestDetectEPYCVM(t *testing.T) {
	e := fixture(t, "epyc-vm")
	if e.CPU.Model != "AMD EPYC" || e.CPU.Family != 26 || e.CPU.SIMD != "avx512f" || !e.CPU.Virtualized || e.CPU.LLCBytes != 0 {
		t.Errorf("%+v", e.CPU)
	}
}

func TestDetectErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Inputs
		want string
	}{
		{"cpuinfo line", Inputs{CPUInfo: Text{"ci", "processor : 0\nno colon here\n"}}, "ci:2:"},
		{"meminfo unit", Inputs{MemInfo: Text{"mi", "MemTotal: 12 MB\n"}}, "mi:1: MemTotal"},
		{"meminfo empty value", Inputs{MemInfo: Text{"mi", "MemTotal:\n"}}, "mi:1: MemTotal"},
		{"meminfo no total", Inputs{MemInfo: Text{"mi", "MemFree: 1 kB\n"}}, "no MemTotal"},
		{"max freq", Inputs{CPUMaxFreq: Text{"mf", "fast\n"}}, "mf: want the maximum clock in kHz"},
		{"caches fields", Inputs{Caches: Text{"ca", "3 Unified 32M\n"}}, "ca:1:"},
		{"caches size", Inputs{Caches: Text{"ca", "3 Unified big 0-3\n"}}, "ca:1:"},
		{"sysctl line", Inputs{Sysctl: Text{"sy", "hw.memsize 12\n"}}, "sy:1:"},
		{"sysctl no brand", Inputs{Sysctl: Text{"sy", "hw.memsize: 12\n"}}, "no machdep.cpu.brand_string"},
		{"smi fields", Inputs{NvidiaSMI: Text{"smi", "0, A, 1, 2, 3\n1, B, 4\n"}}, "smi:2: want 5 comma-separated fields"},
		{"smi units", Inputs{NvidiaSMI: Text{"smi", "0, NVIDIA H100, 81559 MiB, 700, 1980\n"}}, "smi:1: memory.total: want a number without units"},
		{"smi index", Inputs{NvidiaSMI: Text{"smi", "GPU0, NVIDIA H100, 81559, 700, 1980\n"}}, "smi:1: want a GPU index"},
		{"smi quotes", Inputs{NvidiaSMI: Text{"smi", "0, \"NVIDIA, 1, 2, 3\n"}}, "smi:1"},
	} {
		_, err := Detect(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestReadDirErrors(t *testing.T) {
	empty := t.TempDir()
	notRegular := t.TempDir()
	os.Mkdir(filepath.Join(notRegular, "cpuinfo"), 0o755)
	big := t.TempDir()
	os.WriteFile(filepath.Join(big, "meminfo"), make([]byte, maxCapturedBytes+1), 0o644)
	file := filepath.Join(big, "meminfo")
	for dir, want := range map[string]string{
		filepath.Join(empty, "missing"): "not a directory",
		file:                            "not a directory",
		empty:                           "holds none of the captured files",
		notRegular:                      "not a regular file",
		big:                             "larger than 4 MiB",
	} {
		if _, err := ReadDir(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadDir(%s): err = %v, want %q", dir, err, want)
		}
	}
}

// Gather reads a live machine through its probe: files under / and two commands.
func TestGather(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/cpuinfo":              {Data: []byte("processor : 0\nmodel name : Test CPU\n")},
		"proc/meminfo":              {Data: []byte("MemTotal: 1024 kB\n")},
		"proc/sys/kernel/osrelease": {Data: []byte("6.1.0\n")},
		"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq":     {Data: []byte("3000000\n")},
		"sys/devices/system/cpu/cpu0/cache/index3/level":           {Data: []byte("3\n")},
		"sys/devices/system/cpu/cpu0/cache/index3/type":            {Data: []byte("Unified\n")},
		"sys/devices/system/cpu/cpu0/cache/index3/size":            {Data: []byte("32768K\n")},
		"sys/devices/system/cpu/cpu0/cache/index3/shared_cpu_list": {Data: []byte("0-1\n")},
		"sys/devices/system/cpu/cpu1/cache/index3/level":           {Data: []byte("3\n")},
		"sys/devices/system/cpu/cpu1/cache/index3/type":            {Data: []byte("Unified\n")},
		"sys/devices/system/cpu/cpu1/cache/index3/size":            {Data: []byte("32768K\n")},
		"sys/devices/system/cpu/cpu1/cache/index3/shared_cpu_list": {Data: []byte("0-1\n")},
	}
	smi := "0, NVIDIA H100 80GB HBM3, 81559, 700.00, 1980\n"
	for _, c := range []struct {
		name    string
		goos    string
		run     func(context.Context, string, ...string) ([]byte, error)
		gpus    int
		whyNone string
	}{
		{"nvidia-smi answers", "linux", func(_ context.Context, name string, args ...string) ([]byte, error) {
			if name != "nvidia-smi" || !slices.Contains(args, "--query-gpu="+NvidiaSMIQuery) {
				t.Errorf("ran %s %q", name, args)
			}
			return []byte(smi), nil
		}, 1, ""},
		{"not installed", "linux", func(context.Context, string, ...string) ([]byte, error) { return nil, ErrNotInstalled }, 0, "not installed"},
		{"driver failed", "linux", func(context.Context, string, ...string) ([]byte, error) {
			return nil, errors.New("nvidia-smi: exit status 9: NVIDIA-SMI has failed")
		}, 0, "NVIDIA-SMI has failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := Gather(t.Context(), Probe{FS: fsys, Run: c.run, GOOS: c.goos, GOARCH: "amd64", NumCPU: 2})
			e, err := Detect(in)
			if err != nil {
				t.Fatal(err)
			}
			if e.CPU.Model != "Test CPU" || e.MemoryBytes != 1<<20 || e.Kernel != "6.1.0" || e.CPU.ClockHz != 3e9 || e.CPU.Usable != 2 {
				t.Errorf("files not read: %+v", e)
			}
			if e.CPU.LLCBytes != 32<<20 { // one L3 shared by both CPUs, counted once
				t.Errorf("LLC %g, want 32 MiB", e.CPU.LLCBytes)
			}
			if len(e.Accelerators) != c.gpus {
				t.Errorf("%d accelerators, want %d", len(e.Accelerators), c.gpus)
			}
			if c.whyNone != "" && !strings.Contains(in.NoNvidiaSMI, c.whyNone) {
				t.Errorf("NoNvidiaSMI %q, want %q", in.NoNvidiaSMI, c.whyNone)
			}
		})
	}
	t.Run("darwin runs sysctl", func(t *testing.T) {
		in := Gather(t.Context(), Probe{FS: fstest.MapFS{}, GOOS: "darwin", Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			if name != "sysctl" {
				t.Errorf("ran %s on macOS", name)
			}
			return []byte("machdep.cpu.brand_string: Apple M2\nhw.memsize: 17179869184\n"), errors.New("exit status 1: unknown oid")
		}})
		e, err := Detect(in)
		if err != nil || len(e.Accelerators) != 1 || e.Accelerators[0].Kind != AppleGPU || e.MemoryBytes != 16<<30 {
			t.Errorf("%+v, %v", e, err)
		}
	})
}

// Whatever text detection is handed, it answers with an environment or an error that
// names the input — never a panic, a negative count or a non-finite size.
func FuzzDetect(f *testing.F) {
	for _, dir := range []string{"dgx-h100", "workstation", "macbook-m3max", "graviton"} {
		for _, name := range []string{"cpuinfo", "nvidia-smi.csv", "sysctl.txt", "caches", "meminfo"} {
			b, err := os.ReadFile(filepath.Join("..", "testdata", "audit", dir, name))
			if err == nil {
				f.Add(name, string(b))
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind, body string) {
		in := Inputs{}
		txt := Text{Name: "fuzz", Body: body}
		switch kind {
		case "cpuinfo":
			in.CPUInfo = txt
		case "nvidia-smi.csv":
			in.NvidiaSMI = txt
		case "sysctl.txt":
			in.Sysctl = txt
		case "caches":
			in.Caches = txt
		default:
			in.MemInfo = txt
		}
		e, err := Detect(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		c := e.CPU
		if c.Cores < 0 || c.Logical < 0 || c.Sockets < 0 || !(c.ClockHz >= 0) || !(c.LLCBytes >= 0) || !(e.MemoryBytes >= 0) {
			t.Errorf("impossible environment from %q: %+v", body, e)
		}
		for _, a := range e.Accelerators {
			if !(a.MemoryBytes >= 0) || math.IsInf(a.MemoryBytes, 0) {
				t.Errorf("accelerator %+v", a)
			}
		}
		if len(e.Devices()) != len(e.Accelerators)+1 && len(e.Accelerators) == 0 {
			t.Errorf("devices %v", e.Devices())
		}
	})
}
