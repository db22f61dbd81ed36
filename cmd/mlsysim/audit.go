package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/audit"
	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sinks"
	"github.com/mlsysim/mlsysim/sweep"
)

const defaultCatalogOut = "mlsysim-local.yaml"

func (a *app) auditCommand() *cli.Command {
	var captured []string
	for _, f := range audit.CapturedFiles {
		captured = append(captured, fmt.Sprintf("     %-17s %s", f.Name, f.Capture))
	}
	return &cli.Command{
		Name:  "audit",
		Usage: "detect this machine's CPU and GPUs, map them to the catalog and compare a workload with an H100; --measure benchmarks the CPU and memory",
		Description: `Detects the local accelerators (NVIDIA GPUs through nvidia-smi, the GPU of an
Apple silicon Mac through sysctl) and the CPU (/proc/cpuinfo or sysctl: cores,
clock, SIMD extensions, memory). Each device is mapped to the closest catalog
entry, and the match says how sure it is: exact-key (the name spells a catalog
key), name-similarity (the names share their model words) or family-fallback
(nothing names it; NVIDIA GPUs fall back to the NVIDIA cloud GPU nearest in
memory, Apple chips to MacBookM3Max, CPUs to ReferenceCPU). With no accelerator
the CPU is evaluated.

The workload runs on the node study (as eval does) at the seed's settings —
batch 1, int4, efficiency 0.45 — on the catalog entry as it is and on the local
entry: that entry with what detection knows put in its place (the memory
nvidia-smi or the OS reports, the GPU's power limit, and for the CPU a peak
derived as cores × clock × FP32 FLOP per cycle of its SIMD unit, docs/PHYSICS.md
§32). The baseline is an H100 at fp16, and "speed" is the baseline's latency over
the local one: the seed's "N× as fast as an H100". As that compares int4 with
fp16, the like-for-like ratio (the H100 at the local precision) is shown too.

--measure runs a bounded microbenchmark (--measure-time, default 5s): a
STREAM-style triad over arrays at least 4 × the last-level cache on every CPU
(--triad-mib sets their size where the cache is bigger than the default allows),
and a blocked float64 and float32 matrix multiply in pure Go (--matrix-n). The
measured memory bandwidth replaces the catalog's, the ratios to the matched entry
are shown, and the local entries are written as a catalog file (--catalog-out,
default mlsysim-local.yaml) for --catalog. The matmul is scalar Go code, far below
what optimised BLAS reaches, so the CPU's peak stays the derived one unless
--peak-from matmul. GPU rates are not measured: no GPU library is linked.

--from DIR audits another machine from files captured on it (any subset):
` + strings.Join(captured, "\n") + `

JSON: one object with workload, reference_hardware (the primary device's catalog
match, as in the seed), baseline_hardware, settings, environment, baseline and
baseline_same_precision, comparison (per device: match, the local entry, both
evaluations, speedups), speedup_vs_baseline(_same_precision) of the primary
device, and with --measure measurement and catalog_out.

Examples:
   mlsysim audit
   mlsysim audit -w ResNet50 -o json
   mlsysim audit --measure                          # writes mlsysim-local.yaml
   mlsysim --catalog mlsysim-local.yaml eval Llama3_8B Local_AMD_EPYC`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "workload", Aliases: []string{"w"}, Value: "Llama3_8B", Usage: "model: catalog key, model YAML or config.json"},
			&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 1, Usage: "samples (or sequences) per step, ≥ 1"},
			&cli.StringFlag{Name: "precision", Aliases: []string{"p"}, Value: "int4", Usage: "precision on the local devices: fp32, tf32, fp16, bf16, fp8, int8, int4, fp4"},
			&cli.FloatFlag{Name: "efficiency", Aliases: []string{"e"}, Value: 0.45, Usage: "achieved fraction of peak FLOP/s, in [1e-06, 1]"},
			// --seq-len shapes only a training step or a KV cache, neither of which audit's
			// node-study inference has: refused (as eval refuses it without --training), and
			// hidden from the help rather than offered.
			&cli.IntFlag{Name: "seq-len", Aliases: []string{"s"}, Value: 2048, Hidden: true, Usage: "sequence length in tokens; refused: audit's inference counts no KV cache"},
			&cli.StringFlag{Name: "baseline", Value: "H100", Usage: "catalog hardware to compare with"},
			&cli.StringFlag{Name: "baseline-precision", Value: "fp16", Usage: "precision on the baseline (as --precision)"},
			&cli.BoolFlag{Name: "measure", Usage: "benchmark the CPU's memory bandwidth and matmul FLOP/s and write the local entries as a catalog file"},
			&cli.DurationFlag{Name: "measure-time", Value: audit.DefaultBudget, Usage: fmt.Sprintf("wall-clock budget of --measure, in (0, %v]", audit.MaxBudget)},
			&cli.IntFlag{Name: "triad-mib", Usage: fmt.Sprintf("MiB per triad array, 1–%d (with --measure)", audit.MaxArrayBytes>>20), DefaultText: "4 × the last-level cache, at least 64, at most 512, within free memory"},
			&cli.IntFlag{Name: "matrix-n", Value: audit.DefaultMatrixN, Usage: fmt.Sprintf("side of the matmul's square matrices, a multiple of 4 in 4–%d (with --measure)", audit.MaxMatrixN)},
			&cli.StringFlag{Name: "peak-from", Value: "derived", Usage: "the CPU peak in the local entry: derived (cores × clock × SIMD) or matmul (--measure's rate)"},
			&cli.StringFlag{Name: "catalog-out", Usage: "write the local entries as a catalog file here (default with --measure: " + defaultCatalogOut + ")"},
			&cli.StringFlag{Name: "from", Usage: "audit the machine whose captured files are in DIR instead of this one"},
		},
		Action: a.audit,
	}
}

// auditRun is one audit: the detected machine, one row per device, the baseline.
type auditRun struct {
	workload, baseline string
	env                *audit.Environment
	peak               *audit.CPUPeak
	devices            []*auditDevice
	baseRow            map[string]any // the baseline at --baseline-precision
	baseSame           map[string]any // the baseline at the local precision
	measured           *audit.Measurement
	entriesYAML        []byte // the local entries as evaluated, and as --catalog-out writes them
	catalogOut         string
}

type auditDevice struct {
	dev          audit.Device
	match        audit.Match
	matched      *catalog.Hardware
	entry        *catalog.Hardware // the local entry
	asIs, local  map[string]any    // node-study rows on the matched and the local entry
	speedup      float64           // baseline latency / local latency: the seed's ratio
	speedupSame  float64           // the same with the baseline at the local precision
	catalogSpeed float64           // the seed's ratio on the matched entry as it is
}

func (a *app) audit(ctx context.Context, c *cli.Command) error {
	format, err := a.outputFormat("text", "json", "markdown")
	if err != nil {
		return err
	}
	if c.Args().Len() > 0 {
		return badInputf("audit", "takes no arguments, got %q; the workload is -w NAME", c.Args().First())
	}
	r := &auditRun{baseline: c.String("baseline")}
	if err := a.auditChecks(c, r); err != nil {
		return err
	}
	var in audit.Inputs
	if dir := c.String("from"); dir != "" {
		if in, err = audit.ReadDir(dir); err != nil {
			return badInput("--from", err)
		}
	} else {
		in = audit.Gather(ctx, audit.LiveProbe())
	}
	if r.env, err = audit.Detect(in); err != nil {
		return badInput("audit", err)
	}
	if p, ok := audit.DeriveCPUPeak(r.env.CPU); ok {
		r.peak = &p
	}
	// The catalog entries as they are: this also checks every scenario flag before
	// the benchmark spends its seconds.
	if r.baseRow, err = a.evalOne("node", a.auditAxes(c, r.workload, r.baseline, "--baseline", "baseline-precision")); err != nil {
		return err
	}
	r.baseSame = r.baseRow
	if c.String("precision") != c.String("baseline-precision") {
		if r.baseSame, err = a.evalOne("node", a.auditAxes(c, r.workload, r.baseline, "--baseline", "precision")); err != nil {
			return err
		}
	}
	for _, d := range r.env.Devices() {
		ad := &auditDevice{dev: d}
		if ad.match, err = audit.MatchDevice(a.cat, d); err != nil {
			return badInput("audit", err)
		}
		ad.matched, _ = a.cat.HardwareByKey(ad.match.Key)
		if ad.asIs, err = a.evalOne("node", a.auditAxes(c, r.workload, ad.match.Key, "audit", "precision")); err != nil {
			return err
		}
		r.devices = append(r.devices, ad)
	}
	if c.Bool("measure") {
		cfg := audit.MeasureConfig{LLCBytes: r.env.CPU.LLCBytes, AvailableBytes: r.env.MemAvailableBytes, Budget: c.Duration("measure-time"),
			ArrayBytes: int64(c.Int("triad-mib")) << 20, MatrixN: c.Int("matrix-n")}
		if r.measured, err = audit.Measure(ctx, cfg); err != nil {
			return err
		}
	}
	if err := a.evalLocal(c, r); err != nil {
		return err
	}
	if r.catalogOut != "" {
		if err := sinks.WriteFileAtomic(r.catalogOut, append([]byte(catalogOutHeader(r)), r.entriesYAML...)); err != nil {
			return badInput("--catalog-out", err)
		}
	}
	return renderAudit(a.stdout, format, r)
}

// auditChecks validates what can be checked before detecting and measuring.
func (a *app) auditChecks(c *cli.Command, r *auditRun) error {
	r.workload = c.String("workload")
	if err := folderArgAt("MODEL", "--workload", r.workload); err != nil {
		return err
	}
	if isFile(r.workload) {
		key, err := a.addModelFile(r.workload)
		if err != nil {
			return err
		}
		r.workload = key
	} else if _, err := a.cat.ModelByKey(r.workload); err != nil {
		return badInput("--workload", err)
	}
	if _, err := a.cat.HardwareByKey(r.baseline); err != nil {
		return badInput("--baseline", err)
	}
	measure := c.Bool("measure")
	switch {
	case c.IsSet("seq-len"):
		return badInputf("--seq-len", "changes nothing here: audit evaluates inference on the node study, which streams the weights once per step and counts no KV cache; for a sequence length use mlsysim serve %s HARDWARE --seq-len %d", r.workload, c.Int("seq-len"))
	case c.String("from") != "" && measure:
		return badInputf("--measure", "cannot measure a machine audited --from captured files; run audit --measure on it")
	case c.String("peak-from") != "derived" && c.String("peak-from") != "matmul":
		return badInputf("--peak-from", "%q: want derived or matmul", c.String("peak-from"))
	case c.String("peak-from") == "matmul" && !measure:
		return badInputf("--peak-from", "matmul needs --measure")
	case c.IsSet("measure-time") && !measure:
		return badInputf("--measure-time", "only applies with --measure")
	case c.Duration("measure-time") <= 0 || c.Duration("measure-time") > audit.MaxBudget:
		return badInputf("--measure-time", "%v: want a duration in (0, %v]", c.Duration("measure-time"), audit.MaxBudget)
	case c.IsSet("matrix-n") && !measure:
		return badInputf("--matrix-n", "only applies with --measure")
	case c.Int("matrix-n") < 4 || c.Int("matrix-n") > audit.MaxMatrixN || c.Int("matrix-n")%4 != 0:
		return badInputf("--matrix-n", "%d: want a multiple of 4 in 4–%d", c.Int("matrix-n"), audit.MaxMatrixN)
	case c.IsSet("triad-mib") && !measure:
		return badInputf("--triad-mib", "only applies with --measure")
	case c.IsSet("triad-mib") && (c.Int("triad-mib") < 1 || int64(c.Int("triad-mib")) > audit.MaxArrayBytes>>20):
		return badInputf("--triad-mib", "%d: want 1–%d MiB per array", c.Int("triad-mib"), audit.MaxArrayBytes>>20)
	}
	r.catalogOut = c.String("catalog-out")
	if r.catalogOut == "" && measure {
		r.catalogOut = defaultCatalogOut
	}
	if r.catalogOut != "" {
		if st, err := os.Stat(filepath.Dir(r.catalogOut)); err != nil {
			return badInputf("--catalog-out", "%s: its folder does not exist", r.catalogOut)
		} else if !st.IsDir() {
			return badInputf("--catalog-out", "%s: %s is a file, not a folder", r.catalogOut, filepath.Dir(r.catalogOut))
		}
		if st, err := os.Stat(r.catalogOut); err == nil && !st.Mode().IsRegular() {
			return badInputf("--catalog-out", "%s exists and is not a regular file", r.catalogOut)
		}
	}
	return nil
}

// auditAxes is a one-point node-study scenario at the audit's settings: the workload
// on hardware hw (named by where in errors) at the precision of the flag precFlag.
func (a *app) auditAxes(c *cli.Command, model, hw, where, precFlag string) []sweep.Axis {
	axes := a.scenarioAxes(c, model, hw)
	for i := range axes {
		switch axes[i].Name {
		case "model":
			axes[i] = axis("model", model, "--workload")
		case "hardware":
			axes[i] = axis("hardware", hw, where)
		case "precision":
			axes[i] = axis("precision", c.String(precFlag), "--"+precFlag)
		}
	}
	return axes
}

// evalLocal builds each device's local entry, adds them to the catalog and
// evaluates the workload on them.
func (a *app) evalLocal(c *cli.Command, r *auditRun) error {
	var date string
	if r.measured != nil {
		date = time.Now().UTC().Format(time.DateOnly)
	}
	var entries []*catalog.Hardware
	taken := map[string]bool{}
	for _, d := range r.devices {
		in := audit.EntryInput{Key: freeKey(a.cat, taken, audit.LocalKey(d.dev)), Device: d.dev, Match: d.match, Matched: d.matched,
			Date: date, PeakFromMatmul: c.String("peak-from") == "matmul"}
		if d.dev.Kind == audit.CPUKind {
			in.Peak, in.Measured = r.peak, r.measured
		}
		d.entry = audit.LocalEntry(in)
		taken[d.entry.Key] = true
		entries = append(entries, d.entry)
	}
	var err error
	if r.entriesYAML, err = catalog.EncodeHardwareYAML(entries); err != nil {
		return err
	}
	a.cat = a.cat.Clone()
	if _, err := a.cat.AddUserYAML("mlsysim audit", r.entriesYAML); err != nil {
		return fmt.Errorf("the local entries do not load: %w", err)
	}
	base, same := latency(r.baseRow), latency(r.baseSame)
	for _, d := range r.devices {
		if d.local, err = a.evalOne("node", a.auditAxes(c, r.workload, d.entry.Key, "audit", "precision")); err != nil {
			return err
		}
		a.precisionWarning(d.entry.Key, c.String("precision"), "")
		d.speedup, d.speedupSame, d.catalogSpeed = base/latency(d.local), same/latency(d.local), base/latency(d.asIs)
	}
	return nil
}

// freeKey is key, or key with a suffix when the catalog (say, a --catalog file from
// an earlier audit) or this audit already uses it.
func freeKey(cat *catalog.Catalog, taken map[string]bool, key string) string {
	k := key
	for i := 2; ; i++ {
		_, err := cat.HardwareByKey(k)
		var nf *catalog.NotFoundError
		if errors.As(err, &nf) && !taken[k] {
			return k
		}
		k = fmt.Sprintf("%s_%d", key, i)
	}
}

func latency(row map[string]any) float64 { v, _ := row["latency_ms"].(float64); return v }

func catalogOutHeader(r *auditRun) string {
	return fmt.Sprintf("# Written by mlsysim audit (%s/%s, %s). Use it with: mlsysim --catalog FILE …\n", r.env.OS, r.env.Arch, r.env.CPU.Model)
}

// renderAudit writes the audit in the chosen format.
func renderAudit(w io.Writer, format string, r *auditRun) error {
	switch format {
	case "json":
		return writeJSON(w, r.json())
	case "markdown":
		return r.markdown(w)
	}
	return r.text(w)
}
