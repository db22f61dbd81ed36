// Package audit finds out what machine mlsysim runs on — its CPU, memory and NVIDIA or
// Apple accelerators — maps each device to the closest catalog entry (saying how sure
// the match is), derives the CPU's peak FLOP/s from cores × clock × SIMD width, and
// measures what the CPU and memory actually deliver (a STREAM-style triad and a blocked
// matrix multiply). It evaluates nothing: the CLI runs the comparison through the sweep
// engine like any other one-point study.
//
// Detection reads text — /proc/cpuinfo, /proc/meminfo, nvidia-smi and sysctl output —
// so a machine can be audited from files captured on it, and tests fake GPU, Apple and
// unknown hosts by handing Detect their text.
package audit

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim/catalog"
)

// Text is one detection input and where it came from ("/proc/cpuinfo", a captured
// file), so that an error can name the file and line.
type Text struct {
	Name string
	Body string
}

// Inputs are the texts Detect reads; an absent one has an empty Body.
type Inputs struct {
	OS, Arch   string // the audited machine's GOOS/GOARCH; empty: inferred from the texts
	CPUInfo    Text   // /proc/cpuinfo
	MemInfo    Text   // /proc/meminfo
	CPUMaxFreq Text   // /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq (kHz)
	Caches     Text   // one line per CPU cache: "<level> <type> <size> <shared_cpu_list>" (sysfs cache/index*)
	OSRelease  Text   // /proc/sys/kernel/osrelease, or sysctl kern.osrelease
	Sysctl     Text   // macOS `sysctl <names>` output: "name: value" lines
	NvidiaSMI  Text   // `nvidia-smi --query-gpu=` NvidiaSMIQuery `--format=csv,noheader,nounits`
	// NoNvidiaSMI says why there is no nvidia-smi output (not installed, failed).
	NoNvidiaSMI string
	UsableCPUs  int // CPUs this process may run on; 0 when unknown
}

// NvidiaSMIQuery is the field list detection asks nvidia-smi for, in this order.
const NvidiaSMIQuery = "index,name,memory.total,power.limit,clocks.max.sm"

// Kind is the kind of a detected device.
type Kind string

const (
	CPUKind   Kind = "cpu"
	NvidiaGPU Kind = "nvidia-gpu"
	AppleGPU  Kind = "apple-gpu" // the GPU of an Apple silicon SoC, on unified memory
)

// CPU is what detection learned about the processors.
type CPU struct {
	Vendor string `json:"vendor,omitempty"`
	Model  string `json:"model"`
	// Family is the x86 "cpu family" (AMD 25 = Zen 3/4, 26 = Zen 5); 0 when not stated.
	Family      int     `json:"family,omitempty"`
	Sockets     int     `json:"sockets"`
	Cores       int     `json:"cores"` // physical cores: SMT siblings share their FMA units
	Logical     int     `json:"logical_cpus"`
	Usable      int     `json:"usable_cpus,omitempty"`
	ClockHz     float64 `json:"clock_hz,omitempty"`
	ClockSource string  `json:"clock_source,omitempty"`
	// SIMD is the widest floating-point vector extension the flags list: avx512f,
	// avx2+fma, avx, sse2 (x86) or asimd (Arm); empty when unknown.
	SIMD        string  `json:"simd,omitempty"`
	LLCBytes    float64 `json:"llc_bytes,omitempty"` // last-level cache, summed over its instances; 0 when unknown
	LLCSource   string  `json:"llc_source,omitempty"`
	Virtualized bool    `json:"virtualized,omitempty"` // the hypervisor flag is set
}

// Accelerator is one detected GPU.
type Accelerator struct {
	Kind         Kind    `json:"kind"`
	Index        int     `json:"index"`
	Name         string  `json:"name"`
	MemoryBytes  float64 `json:"memory_bytes,omitempty"`
	MemorySource string  `json:"memory_source,omitempty"`
	PowerLimitW  float64 `json:"power_limit_w,omitempty"`
	MaxClockHz   float64 `json:"max_clock_hz,omitempty"`
	PowerSource  string  `json:"-"`
}

// Environment is the audited machine.
type Environment struct {
	OS                string        `json:"os"`
	Arch              string        `json:"arch"`
	Kernel            string        `json:"kernel,omitempty"`
	CPU               CPU           `json:"cpu"`
	MemoryBytes       float64       `json:"memory_bytes,omitempty"`
	MemorySource      string        `json:"memory_source,omitempty"`
	MemAvailableBytes float64       `json:"memory_available_bytes,omitempty"`
	Accelerators      []Accelerator `json:"accelerators"`
	Notes             []string      `json:"notes,omitempty"`
}

// Device is a group of identical detected devices (same kind, name and memory).
type Device struct {
	Kind         Kind    `json:"kind"`
	Name         string  `json:"name"`
	Count        int     `json:"count"`
	MemoryBytes  float64 `json:"memory_bytes,omitempty"`
	MemorySource string  `json:"memory_source,omitempty"`
	PowerW       float64 `json:"power_limit_w,omitempty"`
	PowerSource  string  `json:"power_source,omitempty"`
}

// Devices groups the accelerators and appends the CPU: every machine has one
// device to evaluate, and the first is the primary one.
func (e *Environment) Devices() []Device {
	var ds []Device
	for _, a := range e.Accelerators {
		i := slices.IndexFunc(ds, func(d Device) bool {
			return d.Kind == a.Kind && d.Name == a.Name && d.MemoryBytes == a.MemoryBytes
		})
		if i >= 0 {
			ds[i].Count++
			continue
		}
		ds = append(ds, Device{Kind: a.Kind, Name: a.Name, Count: 1, MemoryBytes: a.MemoryBytes, MemorySource: a.MemorySource,
			PowerW: a.PowerLimitW, PowerSource: a.PowerSource})
	}
	// The CPU device is all sockets together: its entry counts every core.
	return append(ds, Device{Kind: CPUKind, Name: e.CPU.Model, Count: 1, MemoryBytes: e.MemoryBytes, MemorySource: e.MemorySource})
}

// Detect reads the inputs into an Environment. Text it cannot read is an error that
// names the input and line; absent inputs leave their fields unknown, with a note.
func Detect(in Inputs) (*Environment, error) {
	e := &Environment{OS: in.OS, Arch: in.Arch, Kernel: strings.TrimSpace(in.OSRelease.Body), Accelerators: []Accelerator{}}
	e.CPU.Usable = in.UsableCPUs
	// In this order: the maximum clock overrides what cpuinfo says.
	for _, r := range []struct {
		t    Text
		read func(Text) error
	}{{in.CPUInfo, e.readCPUInfo}, {in.MemInfo, e.readMemInfo}, {in.Sysctl, e.readSysctl}, {in.CPUMaxFreq, e.readMaxFreq},
		{in.Caches, e.readCaches}, {in.NvidiaSMI, e.readNvidiaSMI}} {
		if r.t.Body == "" {
			continue
		}
		if err := r.read(r.t); err != nil {
			return nil, err
		}
	}
	e.fillGaps(in)
	return e, nil
}

func (e *Environment) note(format string, args ...any) {
	e.Notes = append(e.Notes, fmt.Sprintf(format, args...))
}

// fillGaps infers what the texts imply but do not say, and notes what stays unknown.
func (e *Environment) fillGaps(in Inputs) {
	if e.OS == "" {
		switch {
		case in.Sysctl.Body != "":
			e.OS = "darwin"
		case in.CPUInfo.Body != "":
			e.OS = "linux"
		default:
			e.OS = "unknown"
		}
	}
	if e.Arch == "" {
		switch e.CPU.SIMD {
		case "asimd":
			e.Arch = "arm64"
		case "":
			e.Arch = "unknown"
		default:
			e.Arch = "amd64"
		}
	}
	c := &e.CPU
	if c.Model == "" {
		c.Model = "unknown CPU (" + e.Arch + ")"
		e.note("no CPU description (/proc/cpuinfo or sysctl) was read")
	}
	if c.Logical == 0 {
		c.Logical = c.Usable
	}
	if c.Cores == 0 {
		c.Cores = c.Logical
	}
	if c.Sockets == 0 && c.Cores > 0 {
		c.Sockets = 1
	}
	if c.ClockHz == 0 {
		e.note("the CPU clock is not stated, so its peak FLOP/s cannot be derived")
	}
	if c.Virtualized {
		e.note("running under a hypervisor: core count, clock and caches are what the virtual machine reports")
	}
	if e.MemoryBytes == 0 {
		e.note("total memory unknown (no /proc/meminfo or sysctl hw.memsize)")
	}
	if len(e.Accelerators) == 0 {
		why := in.NoNvidiaSMI
		if why == "" {
			why = "no nvidia-smi output"
		}
		e.note("no accelerator detected (%s): the CPU is evaluated", why)
	}
}

// readCPUInfo reads /proc/cpuinfo: one "key : value" block per logical CPU.
func (e *Environment) readCPUInfo(t Text) error {
	type core struct{ socket, id string }
	cores := map[core]bool{}
	sockets := map[string]bool{}
	c := &e.CPU
	var implementer, part string
	block := map[string]string{}
	flush := func() {
		if len(block) == 0 {
			return
		}
		if _, ok := block["processor"]; ok {
			c.Logical++
		}
		if s, ok := block["physical id"]; ok {
			sockets[s] = true
			if id, ok := block["core id"]; ok {
				cores[core{s, id}] = true
			}
		}
		block = map[string]string{}
	}
	for i, line := range strings.Split(t.Body, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%s:%d: want \"key : value\", got %q", t.Name, i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		block[k] = v
		switch k {
		case "vendor_id":
			c.Vendor = v
		case "model name":
			c.Model = v
		case "cpu family":
			c.Family, _ = strconv.Atoi(v)
		case "flags", "Features":
			c.SIMD = simdFromFlags(strings.Fields(v))
			c.Virtualized = c.Virtualized || slices.Contains(strings.Fields(v), "hypervisor")
		case "cpu MHz":
			if mhz, err := plainNumber(v); err == nil && c.ClockSource == "" && mhz > 0 {
				c.ClockHz, c.ClockSource = mhz*1e6, "current clock (cpu MHz in "+t.Name+")"
			}
		case "uarch": // RISC-V: "sifive,u74-mc"
			if c.Model == "" {
				c.Model = v
			}
		case "isa":
			if strings.HasPrefix(v, "rv64") && e.Arch == "" {
				e.Arch = "riscv64"
			}
		case "CPU implementer":
			implementer = v
		case "CPU part":
			part = v
		}
	}
	flush()
	if len(cores) > 0 {
		c.Cores, c.Sockets = len(cores), len(sockets)
	}
	if ghz, ok := nameClockGHz(c.Model); ok {
		// Intel names carry the base clock ("@ 2.30GHz"); the current clock may be throttled.
		c.ClockHz, c.ClockSource = ghz*1e9, "base clock in the model name"
	}
	if c.Model == "" && implementer != "" {
		c.Model = armCPUName(implementer, part)
	}
	return nil
}

// readMaxFreq reads cpufreq's cpuinfo_max_freq (kHz).
func (e *Environment) readMaxFreq(t Text) error {
	khz, err := plainNumber(t.Body)
	if err != nil || khz <= 0 {
		return fmt.Errorf("%s: want the maximum clock in kHz (one positive number), got %q", t.Name, firstLine(t.Body))
	}
	e.CPU.ClockHz, e.CPU.ClockSource = khz*1e3, "maximum clock ("+t.Name+")"
	return nil
}

// simdFromFlags names the widest floating-point vector extension in a flag list.
func simdFromFlags(flags []string) string {
	has := func(f string) bool { return slices.Contains(flags, f) }
	switch {
	case has("avx512f"):
		return "avx512f"
	case has("avx2") && has("fma"):
		return "avx2+fma"
	case has("avx"):
		return "avx"
	case has("sse2"):
		return "sse2"
	case has("asimd"):
		return "asimd"
	}
	return ""
}

// nameClockGHz reads the "@ 2.30GHz" suffix of an Intel model name.
func nameClockGHz(model string) (float64, bool) {
	_, after, ok := strings.Cut(model, "@")
	if !ok {
		return 0, false
	}
	s := strings.TrimSpace(after)
	if !strings.HasSuffix(s, "GHz") {
		return 0, false
	}
	ghz, err := plainNumber(strings.TrimSuffix(s, "GHz"))
	return ghz, err == nil && ghz > 0
}

// armParts names Arm Ltd (implementer 0x41) server cores by their CPU part number
// (Arm's technical reference manuals, MIDR_EL1.PartNum).
var armParts = map[string]string{
	"0xd0c": "Arm Neoverse N1", "0xd40": "Arm Neoverse V1", "0xd49": "Arm Neoverse N2",
	"0xd4f": "Arm Neoverse V2", "0xd8e": "Arm Neoverse N3",
}

func armCPUName(implementer, part string) string {
	if n, ok := armParts[part]; ok && implementer == "0x41" {
		return n
	}
	return fmt.Sprintf("Arm CPU (implementer %s, part %s)", implementer, part)
}

// readMemInfo reads MemTotal and MemAvailable (in KiB, which the kernel writes "kB").
func (e *Environment) readMemInfo(t Text) error {
	for i, line := range strings.Split(t.Body, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "MemTotal" && k != "MemAvailable") {
			continue
		}
		f := strings.Fields(v)
		var n float64
		var err error
		if len(f) == 2 {
			n, err = plainNumber(f[0])
		}
		if len(f) != 2 || f[1] != "kB" || err != nil || n < 0 {
			return fmt.Errorf("%s:%d: %s: want \"<number> kB\", got %q", t.Name, i+1, k, strings.TrimSpace(v))
		}
		if k == "MemTotal" {
			e.MemoryBytes, e.MemorySource = n*1024, "MemTotal in "+t.Name
		} else {
			e.MemAvailableBytes = n * 1024
		}
	}
	if e.MemoryBytes == 0 {
		return fmt.Errorf("%s: no MemTotal line", t.Name)
	}
	return nil
}

// readSysctl reads macOS sysctl output. On Apple silicon the SoC's GPU is the
// accelerator, on unified memory: it is listed with the whole memory.
func (e *Environment) readSysctl(t Text) error {
	kv := map[string]string{}
	for i, line := range strings.Split(t.Body, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%s:%d: want \"name: value\", got %q", t.Name, i+1, line)
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var bad error // a value that is there but no number: "hw.memsize: nan" was NaN bytes
	num := func(k string) float64 {
		v, ok := kv[k]
		if !ok {
			return 0
		}
		f, err := plainNumber(v)
		if err != nil && bad == nil {
			bad = fmt.Errorf("%s: %s: want a number, got %q", t.Name, k, v)
		}
		return f
	}
	c := &e.CPU
	c.Model = kv["machdep.cpu.brand_string"]
	c.Logical, c.Cores, c.Sockets = int(num("hw.ncpu")), int(num("hw.physicalcpu")), int(num("hw.packages"))
	e.MemoryBytes, e.MemorySource = num("hw.memsize"), "hw.memsize in "+t.Name
	if e.Kernel == "" {
		e.Kernel = kv["kern.osrelease"]
	}
	if hz := num("hw.cpufrequency_max"); hz > 0 {
		c.ClockHz, c.ClockSource = hz, "maximum clock (sysctl hw.cpufrequency_max)"
	}
	for _, k := range []string{"hw.l3cachesize", "hw.perflevel0.l2cachesize", "hw.l2cachesize"} {
		if b := num(k); b > 0 {
			c.LLCBytes, c.LLCSource = b, "sysctl "+k+" (one instance)"
			break
		}
	}
	switch {
	case num("hw.optional.avx512f") == 1:
		c.SIMD = "avx512f"
	case num("hw.optional.avx2_0") == 1 && num("hw.optional.fma") == 1:
		c.SIMD = "avx2+fma"
	case num("hw.optional.neon") == 1 || num("hw.optional.arm64") == 1:
		c.SIMD = "asimd"
	}
	if strings.HasPrefix(c.Model, "Apple") {
		c.Vendor = "Apple"
		e.Accelerators = append(e.Accelerators, Accelerator{Kind: AppleGPU, Name: c.Model, MemoryBytes: e.MemoryBytes,
			MemorySource: e.MemorySource + " (unified memory, shared with the CPU)"})
	}
	if c.Model == "" {
		return fmt.Errorf("%s: no machdep.cpu.brand_string line", t.Name)
	}
	return bad
}

// readCaches sums the instances of the highest cache level: a STREAM buffer must
// outgrow every last-level cache the run touches.
func (e *Environment) readCaches(t Text) error {
	type inst struct {
		level  int
		shared string
	}
	sizes := map[inst]float64{}
	top := 0
	for i, line := range strings.Split(t.Body, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 {
			return fmt.Errorf("%s:%d: want \"<level> <type> <size> <shared_cpu_list>\", got %q", t.Name, i+1, line)
		}
		level, err := strconv.Atoi(f[0])
		size, ok := sysfsSize(f[2])
		if err != nil || !ok {
			return fmt.Errorf("%s:%d: want a level number and a size such as 32768K, got %q", t.Name, i+1, line)
		}
		if f[1] == "Instruction" {
			continue
		}
		sizes[inst{level, f[3]}] = size
		top = max(top, level)
	}
	for k, s := range sizes {
		if k.level == top {
			e.CPU.LLCBytes += s
		}
	}
	if top > 0 {
		e.CPU.LLCSource = fmt.Sprintf("L%d in %s", top, t.Name)
	}
	return nil
}

// sysfsSize reads a sysfs cache size: "32768K", "1M" (binary units) or bytes.
func sysfsSize(s string) (float64, bool) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := plainNumber(s)
	return n * mult, err == nil && n > 0
}

// readNvidiaSMI reads `nvidia-smi --query-gpu=NvidiaSMIQuery --format=csv,noheader,nounits`.
func (e *Environment) readNvidiaSMI(t Text) error {
	r := csv.NewReader(strings.NewReader(t.Body))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %v", t.Name, pe.StartLine, pe.Err)
		}
		if err != nil {
			return fmt.Errorf("%s: %v", t.Name, err)
		}
		line, _ := r.FieldPos(0)
		if len(f) != 5 {
			return fmt.Errorf("%s:%d: want 5 comma-separated fields (%s, without units), got %d: %q",
				t.Name, line, NvidiaSMIQuery, len(f), strings.Join(f, ", "))
		}
		idx, err := strconv.Atoi(f[0])
		if err != nil || f[1] == "" {
			return fmt.Errorf("%s:%d: want a GPU index and a name first, got %q, %q", t.Name, line, f[0], f[1])
		}
		mib, err := smiNumber(f[2])
		if err != nil {
			return fmt.Errorf("%s:%d: memory.total: %v", t.Name, line, err)
		}
		watts, err := smiNumber(f[3])
		if err != nil {
			return fmt.Errorf("%s:%d: power.limit: %v", t.Name, line, err)
		}
		mhz, err := smiNumber(f[4])
		if err != nil {
			return fmt.Errorf("%s:%d: clocks.max.sm: %v", t.Name, line, err)
		}
		e.Accelerators = append(e.Accelerators, Accelerator{Kind: NvidiaGPU, Index: idx, Name: f[1],
			MemoryBytes: mib * (1 << 20), MemorySource: "memory.total in " + t.Name,
			PowerLimitW: watts, PowerSource: "power.limit in " + t.Name, MaxClockHz: mhz * 1e6})
	}
	slices.SortStableFunc(e.Accelerators, func(a, b Accelerator) int { return cmp.Compare(a.Index, b.Index) })
	return nil
}

// plainNumber reads a number as the kernel, nvidia-smi and sysctl write one: finite and in
// decimal. strconv.ParseFloat also reads nan, inf, digit separators and hexadecimal
// floats: a captured nvidia-smi.csv with memory.total "nan" made a local entry of NaN
// GiB at exit 0, and "81_559" was read as 81,559 MiB.
func plainNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if catalog.NotDecimal(s) {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// smiNumber reads a nounits value; nvidia-smi writes "[N/A]" or "[Not Supported]"
// for what a board does not report, which is 0 (unknown) here.
func smiNumber(s string) (float64, error) {
	if strings.HasPrefix(s, "[") || s == "N/A" {
		return 0, nil
	}
	v, err := plainNumber(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a number without units (--format=csv,noheader,nounits), got %q", s)
	}
	return v, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
