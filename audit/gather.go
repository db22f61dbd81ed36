package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Probe is how Gather reaches a live machine; tests replace its parts.
type Probe struct {
	FS     fs.FS // the root file system, paths without the leading "/"
	Run    func(ctx context.Context, name string, args ...string) ([]byte, error)
	GOOS   string
	GOARCH string
	NumCPU int // CPUs this process may use
}

// LiveProbe reads the machine mlsysim runs on.
func LiveProbe() Probe {
	return Probe{FS: os.DirFS("/"), Run: runCommand, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU()}
}

// ErrNotInstalled is what Probe.Run returns for a command that is not on the PATH.
var ErrNotInstalled = errors.New("not installed")

// commandTimeout bounds nvidia-smi and sysctl: a hung driver must not hang the audit.
const commandTimeout = 5 * time.Second

func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return nil, ErrNotInstalled
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(firstLine(stderr.String() + string(out)))
		return out, fmt.Errorf("%s: %v: %s", name, err, msg)
	}
	return out, nil
}

// sysctlNames are the macOS values detection reads (readSysctl).
var sysctlNames = []string{"machdep.cpu.brand_string", "hw.memsize", "hw.ncpu", "hw.physicalcpu", "hw.packages",
	"hw.cpufrequency_max", "hw.l3cachesize", "hw.l2cachesize", "hw.perflevel0.l2cachesize",
	"hw.optional.avx512f", "hw.optional.avx2_0", "hw.optional.fma", "hw.optional.neon", "hw.optional.arm64", "kern.osrelease"}

// Gather collects the detection inputs of the machine the probe reaches. What cannot
// be read stays empty; Detect notes what is unknown.
func Gather(ctx context.Context, p Probe) Inputs {
	in := Inputs{OS: p.GOOS, Arch: p.GOARCH, UsableCPUs: p.NumCPU}
	read := func(name string) Text {
		b, err := fs.ReadFile(p.FS, name)
		if err != nil {
			return Text{}
		}
		return Text{Name: "/" + name, Body: string(b)}
	}
	switch p.GOOS {
	case "linux":
		in.CPUInfo = read("proc/cpuinfo")
		in.MemInfo = read("proc/meminfo")
		in.CPUMaxFreq = read("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
		in.OSRelease = read("proc/sys/kernel/osrelease")
		in.Caches = sysfsCaches(p.FS)
	case "darwin":
		// sysctl prints what it knows on stdout even when it exits non-zero for a
		// name this Mac lacks (hw.l3cachesize on Apple silicon).
		out, _ := p.Run(ctx, "sysctl", sysctlNames...)
		in.Sysctl = Text{Name: "sysctl", Body: string(out)}
		in.NoNvidiaSMI = "macOS has no NVIDIA driver"
		return in
	}
	out, err := p.Run(ctx, "nvidia-smi", "--query-gpu="+NvidiaSMIQuery, "--format=csv,noheader,nounits")
	switch {
	case errors.Is(err, ErrNotInstalled):
		in.NoNvidiaSMI = "nvidia-smi is not installed"
	case err != nil:
		in.NoNvidiaSMI = err.Error()
	default:
		in.NvidiaSMI = Text{Name: "nvidia-smi", Body: string(out)}
	}
	return in
}

// sysfsCaches lists the data and unified caches of every CPU, one line per cache
// instance, in the Inputs.Caches format.
func sysfsCaches(fsys fs.FS) Text {
	dirs, _ := fs.Glob(fsys, "sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*")
	var lines []string
	for _, d := range dirs {
		var f []string
		for _, name := range []string{"level", "type", "size", "shared_cpu_list"} {
			b, err := fs.ReadFile(fsys, path.Join(d, name))
			if err != nil {
				break
			}
			f = append(f, strings.TrimSpace(string(b)))
		}
		if len(f) == 4 && !slices.Contains(lines, strings.Join(f, " ")) {
			lines = append(lines, strings.Join(f, " "))
		}
	}
	if len(lines) == 0 {
		return Text{}
	}
	slices.Sort(lines)
	return Text{Name: "/sys/devices/system/cpu/*/cache", Body: strings.Join(lines, "\n") + "\n"}
}

// CapturedFile is one file ReadDir reads, and the command that captures it on the
// machine to audit.
type CapturedFile struct {
	Name    string
	Capture string
	set     func(*Inputs, Text)
}

// CapturedFiles are the files `audit --from DIR` reads; any subset will do.
var CapturedFiles = []CapturedFile{
	{"cpuinfo", "cat /proc/cpuinfo", func(in *Inputs, t Text) { in.CPUInfo = t }},
	{"meminfo", "cat /proc/meminfo", func(in *Inputs, t Text) { in.MemInfo = t }},
	{"cpuinfo_max_freq", "cat /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", func(in *Inputs, t Text) { in.CPUMaxFreq = t }},
	{"caches", `for d in /sys/devices/system/cpu/cpu*/cache/index*; do echo $(cat $d/level $d/type $d/size $d/shared_cpu_list); done`,
		func(in *Inputs, t Text) { in.Caches = t }},
	{"osrelease", "cat /proc/sys/kernel/osrelease", func(in *Inputs, t Text) { in.OSRelease = t }},
	{"nvidia-smi.csv", "nvidia-smi --query-gpu=" + NvidiaSMIQuery + " --format=csv,noheader,nounits", func(in *Inputs, t Text) { in.NvidiaSMI = t }},
	{"sysctl.txt", "sysctl " + strings.Join(sysctlNames, " "), func(in *Inputs, t Text) { in.Sysctl = t }},
}

// maxCapturedBytes caps one captured file: /proc/cpuinfo of a 512-thread server is
// under 1 MB.
const maxCapturedBytes = 4 << 20

// ReadDir reads detection inputs captured on another machine from the files of dir
// named in CapturedFiles.
func ReadDir(dir string) (Inputs, error) {
	var in Inputs
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return in, fmt.Errorf("%s: not a directory of captured files (%s)", dir, capturedNames())
	}
	found := 0
	for _, f := range CapturedFiles {
		p := filepath.Join(dir, f.Name)
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return in, err
		}
		if !st.Mode().IsRegular() {
			return in, fmt.Errorf("%s: not a regular file", p)
		}
		b, err := readCapped(p)
		if err != nil {
			return in, err
		}
		f.set(&in, Text{Name: p, Body: string(b)})
		found++
	}
	if found == 0 {
		return in, fmt.Errorf("%s holds none of the captured files audit reads (%s)", dir, capturedNames())
	}
	if in.NvidiaSMI.Body == "" {
		in.NoNvidiaSMI = "no nvidia-smi.csv in " + dir
	}
	return in, nil
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCapturedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCapturedBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB; not a captured detection file", p, maxCapturedBytes>>20)
	}
	return b, nil
}

func capturedNames() string {
	names := make([]string, len(CapturedFiles))
	for i, f := range CapturedFiles {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
