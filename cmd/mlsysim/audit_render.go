package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mlsysim/mlsysim/audit"
	"github.com/mlsysim/mlsysim/catalog"
)

const gpuNotMeasured = "GPU rates are not measured: no GPU library is linked"

func rowNum(row map[string]any, k string) float64 { v, _ := row[k].(float64); return v }

// evalJSON is the part of a node-study row the audit reports.
func evalJSON(row map[string]any) orderedObject {
	o := orderedObject{{"hardware", row["hardware"]}, {"precision", row["precision"]}, {"feasible", row["feasible"]}}
	for _, k := range []string{"latency_ms", "throughput_per_s", "peak_flops_tflops", "effective_bandwidth_gb_per_s",
		"memory_footprint_gb", "memory_capacity_gb"} {
		o = append(o, kv{k, rowNum(row, k)})
	}
	return append(o, kv{"bottleneck", fmt.Sprint(row["bottleneck"])}, kv{"binding_wall", fmt.Sprint(row["binding_wall"])})
}

func entryJSON(h *catalog.Hardware) orderedObject {
	return orderedObject{{"key", h.Key}, {"name", h.Name}, {"peak_flops", h.PeakFLOPS}, {"rates_flops", h.Rates},
		{"memory_capacity_bytes", h.MemCapacityBytes}, {"memory_bandwidth_bytes_per_s", h.MemBandwidthBytesPerS},
		{"tdp_w", h.TDPW}, {"source", h.Source}, {"field_sources", h.FieldSources}, {"notes", h.Notes}}
}

// fmtGiB shows a memory size in binary units, as the OS and nvidia-smi count it.
func fmtGiB(b float64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%.4g MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.4g GiB", b/(1<<30))
}

func (r *auditRun) cpu() *auditDevice { return r.devices[len(r.devices)-1] }

// ratios compares the measurement with the CPU's matched entry and, when there is
// one, its derived peak.
type ratios struct {
	bandwidthVsMatch, fp32VsMatch, fp32VsPeak, fp64VsPeak float64
}

func (r *auditRun) ratios() ratios {
	m, h := r.measured, r.cpu().matched
	fp32, _ := h.PeakFor("fp32")
	q := ratios{bandwidthVsMatch: m.TriadBytesPerS / h.MemBandwidthBytesPerS, fp32VsMatch: m.MatmulFP32FLOPS / fp32}
	if r.peak != nil {
		q.fp32VsPeak, q.fp64VsPeak = m.MatmulFP32FLOPS/r.peak.FP32FLOPS, m.MatmulFP64FLOPS/r.peak.FP64FLOPS
	}
	return q
}

func (q ratios) json() orderedObject {
	o := orderedObject{{"bandwidth_vs_match", q.bandwidthVsMatch}, {"fp32_vs_match", q.fp32VsMatch}}
	if q.fp32VsPeak > 0 {
		o = append(o, kv{"fp32_vs_derived_peak", q.fp32VsPeak}, kv{"fp64_vs_derived_peak", q.fp64VsPeak})
	}
	return o
}

func (r *auditRun) json() orderedObject {
	var devs []orderedObject
	for _, d := range r.devices {
		devs = append(devs, orderedObject{{"device", d.dev}, {"match", d.match}, {"catalog_entry", evalJSON(d.asIs)},
			{"catalog_entry_speedup_vs_baseline", d.catalogSpeed}, {"local_entry", entryJSON(d.entry)},
			{"local", evalJSON(d.local)}, {"speedup_vs_baseline", d.speedup}, {"speedup_vs_baseline_same_precision", d.speedupSame}})
	}
	env := orderedObject{{"os", r.env.OS}, {"arch", r.env.Arch}, {"kernel", r.env.Kernel}, {"cpu", r.env.CPU}, {"cpu_peak", r.peak},
		{"memory_bytes", r.env.MemoryBytes}, {"memory_source", r.env.MemorySource}, {"memory_available_bytes", r.env.MemAvailableBytes},
		{"accelerators", r.env.Accelerators}, {"notes", r.env.Notes}}
	o := orderedObject{
		{"workload", r.workload}, {"reference_hardware", r.devices[0].match.Key}, {"baseline_hardware", r.baseline},
		{"settings", orderedObject{{"batch_size", r.baseRow["batch_size"]}, {"precision", r.devices[0].local["precision"]},
			{"efficiency", rowNum(r.baseRow, "efficiency")}, {"seq_len", r.baseRow["seq_len"]},
			{"baseline_precision", r.baseRow["precision"]}, {"profile", r.baseRow["profile"]}}},
		{"environment", env}, {"baseline", evalJSON(r.baseRow)}, {"baseline_same_precision", evalJSON(r.baseSame)},
		{"comparison", devs}, {"speedup_vs_baseline", r.devices[0].speedup},
		{"speedup_vs_baseline_same_precision", r.devices[0].speedupSame},
	}
	if r.measured != nil {
		o = append(o, kv{"measurement", orderedObject{{"result", r.measured}, {"ratios", r.ratios().json()},
			{"gpu_rates_measured", false}, {"note", gpuNotMeasured}}})
	}
	if r.catalogOut != "" {
		o = append(o, kv{"catalog_out", r.catalogOut})
	}
	return o
}

// speedWords says how a local latency compares with the baseline's.
func speedWords(speedup float64) string {
	if speedup >= 1 {
		return fmt.Sprintf("%.3g×", speedup)
	}
	return fmt.Sprintf("%.3g× (1/%.3g)", speedup, 1/speedup)
}

// speed is a device's speed against the baseline: the seed's ratio, with the local
// devices and the baseline at their own precisions, and, when those differ, the
// like-for-like one.
func (r *auditRun) speed(d *auditDevice) string {
	local, base := r.devices[0].local["precision"], r.baseRow["precision"]
	if local == base {
		return fmt.Sprintf("%s the speed of %s at %v", speedWords(d.speedup), r.baseline, base)
	}
	return fmt.Sprintf("%s the speed of %s at %v (%v here: the seed's comparison); %s at %v on both",
		speedWords(d.speedup), r.baseline, base, local, speedWords(d.speedupSame), local)
}

// evalWords is one evaluation in a line.
func evalWords(row map[string]any) string {
	s := fmt.Sprintf("%s per step (%v-bound), %s/s", fmtMs(rowNum(row, "latency_ms")), row["bottleneck"], fmtCount(rowNum(row, "throughput_per_s")))
	if row["feasible"] != true {
		s += fmt.Sprintf("; does not fit: needs %.1f GB of %.1f GB", rowNum(row, "memory_footprint_gb"), rowNum(row, "memory_capacity_gb"))
	}
	return s
}

// source names where a local entry's field came from: its field source, or the
// matched entry.
func source(h *catalog.Hardware, field, matched string) string {
	if s, ok := h.FieldSources[field]; ok {
		if s.Kind == "derived" && field == "peak" {
			return "derived"
		}
		if len(s.Ref) > 100 {
			return s.Kind
		}
		return s.Ref
	}
	return matched + "'s"
}

func (r *auditRun) deviceTitle(d *auditDevice) string {
	switch d.dev.Kind {
	case audit.CPUKind:
		return "CPU: " + d.dev.Name
	case audit.AppleGPU:
		return "Apple GPU: " + d.dev.Name
	}
	if d.dev.Count > 1 {
		return fmt.Sprintf("GPU: %d × %s (one evaluated)", d.dev.Count, d.dev.Name)
	}
	return "GPU: " + d.dev.Name
}

// lines are the audit as label/value pairs in sections, shared by text and markdown.
type section struct {
	title string
	rows  [][2]string
}

func (r *auditRun) sections() []section {
	e, c := r.env, r.env.CPU
	machine := section{title: "Machine"}
	add := func(s *section, k, v string) { s.rows = append(s.rows, [2]string{k, v}) }
	add(&machine, "OS", strings.TrimSuffix(fmt.Sprintf("%s/%s, kernel %s", e.OS, e.Arch, e.Kernel), ", kernel "))
	cpu := fmt.Sprintf("%s: %s, %s, %s", c.Model, nounCount(float64(c.Sockets), "socket"), nounCount(float64(c.Cores), "core"), nounCount(float64(c.Logical), "logical CPU"))
	if c.Usable > 0 {
		cpu += fmt.Sprintf(" (%d usable)", c.Usable)
	}
	add(&machine, "CPU", cpu)
	if c.ClockHz > 0 {
		add(&machine, "Clock", fmt.Sprintf("%.4g GHz, %s", c.ClockHz/1e9, c.ClockSource))
	}
	if p := r.peak; p != nil {
		add(&machine, "CPU peak", fmt.Sprintf("%s FP32, %s FP64 (an upper bound): %s", fmtFLOPS(p.FP32FLOPS), fmtFLOPS(p.FP64FLOPS), p.Derivation))
	} else {
		add(&machine, "CPU peak", fmt.Sprintf("not derived (SIMD %q, clock %s): the catalog entry's is used", c.SIMD, fmtSI(c.ClockHz, "Hz")))
	}
	if c.LLCBytes > 0 {
		add(&machine, "Last-level cache", fmt.Sprintf("%s (%s)", fmtGiB(c.LLCBytes), c.LLCSource))
	}
	if e.MemoryBytes > 0 {
		add(&machine, "Memory", fmt.Sprintf("%s (%s)", fmtGiB(e.MemoryBytes), e.MemorySource))
	}
	accs := "none"
	if n := len(e.Accelerators); n > 0 {
		var names []string
		for _, d := range r.devices[:len(r.devices)-1] {
			names = append(names, fmt.Sprintf("%d × %s (%s)", d.dev.Count, d.dev.Name, fmtGiB(d.dev.MemoryBytes)))
		}
		accs = strings.Join(names, "; ")
	}
	add(&machine, "Accelerators", accs)
	for _, n := range e.Notes {
		add(&machine, "Note", n)
	}
	out := []section{machine}
	for _, d := range r.devices {
		s := section{title: r.deviceTitle(d)}
		m := d.match
		add(&s, "Catalog match", fmt.Sprintf("%s (%s), %s: %s", m.Key, m.Name, m.Confidence, m.Reason))
		h := d.entry
		add(&s, "Local entry", fmt.Sprintf("%s: peak %s (%s), memory bandwidth %s (%s), memory %s (%s)", h.Key,
			fmtFLOPS(h.PeakFLOPS), source(h, "peak", m.Key), fmtBandwidth(h.MemBandwidthBytesPerS), source(h, "memory.bandwidth", m.Key),
			fmtGiB(h.MemCapacityBytes), source(h, "memory.capacity", m.Key)))
		add(&s, "On "+h.Key, evalWords(d.local))
		add(&s, "Speed", r.speed(d))
		add(&s, "On "+m.Key+" as listed", fmt.Sprintf("%s; %s the speed of %s at %v", evalWords(d.asIs), speedWords(d.catalogSpeed), r.baseline, r.baseRow["precision"]))
		out = append(out, s)
	}
	base := section{title: "Baseline: " + r.baseline}
	add(&base, fmt.Sprintf("At %v", r.baseRow["precision"]), evalWords(r.baseRow))
	if r.baseSame["precision"] != r.baseRow["precision"] {
		add(&base, fmt.Sprintf("At %v", r.baseSame["precision"]), evalWords(r.baseSame))
	}
	out = append(out, base)
	if m := r.measured; m != nil {
		s := section{title: fmt.Sprintf("Measured (--measure, %.1f s, %d threads). %s", m.ElapsedS, m.Threads, gpuNotMeasured)}
		cpu, q := r.cpu(), r.ratios()
		fp32, _ := cpu.matched.PeakFor("fp32")
		vsPeak := func(x float64) string {
			if x == 0 {
				return ""
			}
			return fmt.Sprintf("; %.3g× the derived peak", x)
		}
		add(&s, "Memory bandwidth", fmt.Sprintf("%s: STREAM-style triad, 3 × %s arrays (%s), best of %d; %.3g× %s's %s",
			fmtBandwidth(m.TriadBytesPerS), fmtGiB(float64(m.TriadArrayBytes)), m.TriadSizing, m.TriadTrials,
			q.bandwidthVsMatch, cpu.match.Key, fmtBandwidth(cpu.matched.MemBandwidthBytesPerS)))
		add(&s, "Matmul FP64", fmt.Sprintf("%s: blocked pure-Go multiply, n = %d, best of %d%s",
			fmtFLOPS(m.MatmulFP64FLOPS), m.MatrixN, m.MatmulFP64Trials, vsPeak(q.fp64VsPeak)))
		add(&s, "Matmul FP32", fmt.Sprintf("%s: same, best of %d%s; %.3g× %s's FP32 %s",
			fmtFLOPS(m.MatmulFP32FLOPS), m.MatmulFP32Trials, vsPeak(q.fp32VsPeak), q.fp32VsMatch, cpu.match.Key, fmtFLOPS(fp32)))
		out = append(out, s)
	}
	if r.catalogOut != "" {
		cpu := r.cpu()
		s := section{title: "Catalog file"}
		add(&s, r.catalogOut, fmt.Sprintf("the local entries; e.g. mlsysim --catalog %s eval %s %s", r.catalogOut, r.workload, cpu.entry.Key))
		out = append(out, s)
	}
	return out
}

func (r *auditRun) header() string {
	return fmt.Sprintf("mlsysim audit: %s, batch %v, %v, efficiency %.2g, against %s at %v (profile %v)", r.workload,
		r.baseRow["batch_size"], r.devices[0].local["precision"], rowNum(r.baseRow, "efficiency"), r.baseline, r.baseRow["precision"], r.baseRow["profile"])
}

func (r *auditRun) text(w io.Writer) error {
	fmt.Fprintf(w, "%s\n", r.header())
	for _, s := range r.sections() {
		fmt.Fprintf(w, "\n%s\n", s.title)
		width := 0
		for _, row := range s.rows {
			width = max(width, len([]rune(row[0])))
		}
		for _, row := range s.rows {
			fmt.Fprintf(w, "  %-*s  %s\n", width, row[0], row[1])
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.verdict())
	return err
}

// verdict is the seed's closing line, with the precisions said.
func (r *auditRun) verdict() string {
	d := r.devices[0]
	return fmt.Sprintf("This machine's %s runs %s at %s.", d.dev.Name, r.workload, r.speed(d))
}

func (r *auditRun) markdown(w io.Writer) error {
	fmt.Fprintf(w, "## %s\n", r.header())
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, s := range r.sections() {
		fmt.Fprintf(w, "\n### %s\n\n| | |\n|---|---|\n", s.title)
		for _, row := range s.rows {
			fmt.Fprintf(w, "| %s | %s |\n", esc(row[0]), esc(row[1]))
		}
	}
	_, err := fmt.Fprintf(w, "\n**%s**\n", r.verdict())
	return err
}
