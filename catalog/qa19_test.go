package catalog

import (
	"strings"
	"testing"
)

// A link's bandwidth without its direction was read as per direction, so a
// datasheet's bidirectional NVLink total (900 GB/s on an H100, 450 each way)
// doubled every collective's bandwidth term with exit 0. The direction is
// required; each stated one is read as written (H100: 900 GB/s total → 450
// GB/s per direction, physics.md §1.4).
func TestLinkDirectionRequired(t *testing.T) {
	entry := func(link string) []byte {
		return []byte("hardware:\n  - key: MyNPU\n    name: My NPU\n    peak: 100 TFLOP/s\n" +
			"    memory: {capacity: 16 GiB, bandwidth: 400 GB/s}\n" + link +
			"    source: {kind: estimate, ref: test}\n")
	}
	for _, link := range []string{
		"    scale_up: {name: NVLink, bandwidth: 900 GB/s}\n",
		"    host_link: {name: PCIe, bandwidth: 64 GB/s}\n",
	} {
		c := MustDefault().Clone()
		_, err := c.AddUserYAML("npu.yaml", entry(link))
		if err == nil || !strings.Contains(err.Error(), "direction: missing") || !strings.Contains(err.Error(), "npu.yaml:2") {
			t.Errorf("%s: %v; want npu.yaml:2 … direction: missing", strings.TrimSpace(link), err)
		}
	}
	for _, c := range []struct {
		link       string
		perDirGBps float64
	}{
		{"    scale_up: {name: NVLink, bandwidth: 900 GB/s, direction: bidirectional_total}\n", 450},
		{"    scale_up: {name: RoCE, bandwidth: 400 GB/s, direction: per_direction}\n", 400},
	} {
		cat := MustDefault().Clone()
		if _, err := cat.AddUserYAML("npu.yaml", entry(c.link)); err != nil {
			t.Fatalf("%s: %v", strings.TrimSpace(c.link), err)
		}
		h, err := cat.HardwareByKey("MyNPU")
		if err != nil {
			t.Fatal(err)
		}
		if got := h.ScaleUp.PerDirectionBytesPerS() / 1e9; got != c.perDirGBps {
			t.Errorf("%s: %v GB/s per direction, want %v", strings.TrimSpace(c.link), got, c.perDirGBps)
		}
	}
}

// A field_sources path that names no field of its entry sourced nothing: the
// number it was meant for went without a source, with exit 0. It is refused
// with the closest paths; valid paths (nested, and a map's keys) are kept.
func TestFieldSourcesNameFields(t *testing.T) {
	entry := func(fs string) []byte {
		return []byte("hardware:\n  - key: MyNPU\n    name: My NPU\n    peak: 100 TFLOP/s\n" +
			"    rates: {fp8: 200 TFLOP/s}\n" +
			"    memory: {capacity: 16 GiB, bandwidth: 400 GB/s}\n" +
			"    scale_up: {name: L, bandwidth: 100 GB/s, direction: per_direction}\n" +
			"    source: {kind: estimate, ref: test}\n" +
			"    field_sources: {" + fs + ": {kind: measurement, ref: a benchmark}}\n")
	}
	for _, c := range []struct{ path, want string }{
		{"memory.capacty", `field_sources.memory.capacty: names no field of the entry (did you mean memory.capacity?)`},
		{"peek", `field_sources.peek: names no field of the entry (did you mean peak?)`},
		{"scale_up.bandwith", `(did you mean scale_up.bandwidth?)`},
		{"memory.capacity.value", `field_sources.memory.capacity.value: names no field`},
		{"rates.fp8.x", `field_sources.rates.fp8.x: names no field`},
	} {
		_, err := MustDefault().Clone().AddUserYAML("npu.yaml", entry(c.path))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "npu.yaml:2") {
			t.Errorf("field_sources %s: %v; want npu.yaml:2 … %q", c.path, err, c.want)
		}
	}
	for _, path := range []string{"peak", "memory.capacity", "scale_up.latency", "rates", "rates.fp8", "gemm_efficiency"} {
		if _, err := MustDefault().Clone().AddUserYAML("npu.yaml", entry(path)); err != nil {
			t.Errorf("field_sources %s: %v", path, err)
		}
	}
	// A model's paths are its own: hidden_dim is one, memory.capacity is not.
	model := func(fs string) []byte {
		return []byte("models:\n  - key: MyLM\n    name: My LM\n    family: transformer\n    parameters: 1.2e9\n" +
			"    layers: 24\n    hidden_dim: 2048\n    heads: 16\n    kv_heads: 4\n" +
			"    inference_flops: 2.4 GFLOP\n    inference_flops_per: token\n" +
			"    source: {kind: estimate, ref: test}\n" +
			"    field_sources: {" + fs + ": {kind: literature, ref: a paper}}\n")
	}
	if _, err := MustDefault().Clone().AddUserYAML("lm.yaml", model("hidden_dim")); err != nil {
		t.Errorf("model field_sources hidden_dim: %v", err)
	}
	if _, err := MustDefault().Clone().AddUserYAML("lm.yaml", model("memory.capacity")); err == nil || !strings.Contains(err.Error(), "names no field") {
		t.Errorf("model field_sources memory.capacity: %v; want names no field", err)
	}
}

// A source's kind is one of the documented kinds: "datashet" passed for a
// citation of no kind.
func TestSourceKindKnown(t *testing.T) {
	entry := func(src, fs string) []byte {
		return []byte("hardware:\n  - key: MyNPU\n    name: My NPU\n    peak: 100 TFLOP/s\n" +
			"    memory: {capacity: 16 GiB, bandwidth: 400 GB/s}\n" +
			"    source: {kind: " + src + ", ref: test}\n" +
			"    field_sources: {peak: {kind: " + fs + ", ref: a benchmark}}\n")
	}
	for _, c := range []struct{ src, fs, want string }{
		{"datashet", "measurement", `source.kind: "datashet" is not a kind of source (did you mean datasheet?)`},
		{"datasheet", "mesurement", `field_sources.peak.kind: "mesurement" is not a kind of source (did you mean measurement?)`},
	} {
		_, err := MustDefault().Clone().AddUserYAML("npu.yaml", entry(c.src, c.fs))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("kinds %s, %s: %v; want %q", c.src, c.fs, err, c.want)
		}
	}
	for _, k := range SourceKinds {
		if _, err := MustDefault().Clone().AddUserYAML("npu.yaml", entry(k, k)); err != nil {
			t.Errorf("kind %s: %v", k, err)
		}
	}
}

// A key written with no value (null: "zero_stage: ~", or "precision:" left
// empty) decoded as absent, so a plan ran with the default (ZeRO 0, fp16) for
// a value it never gave, with exit 0. A scalar field refuses null, naming the
// file:line and key; a field that may hold anything (a correction's upstream:
// null, "the registry had none") keeps it.
func TestNullScalarRefused(t *testing.T) {
	type inner struct {
		Stage     *int     `yaml:"zero_stage"`
		Precision *string  `yaml:"precision"`
		Eff       *float64 `yaml:"efficiency"`
		LoRA      *bool    `yaml:"lora"`
		Upstream  any      `yaml:"upstream"`
	}
	type doc struct {
		Block  inner    `yaml:"block"`
		Ops    *inner   `yaml:"ops"`
		Assert []string `yaml:"assert"`
	}
	for _, c := range []struct{ src, want string }{
		{"block: {zero_stage: ~}\n", "p.yaml:1: block.zero_stage: no value (null)"},
		{"block:\n  precision:\n", "p.yaml:2: block.precision: no value (null)"},
		{"block: {efficiency: null}\n", "p.yaml:1: block.efficiency: no value (null)"},
		{"block:\n  lora: ~\n", "p.yaml:2: block.lora: no value (null)"},
		// A block or a list left empty: "assert:" with nothing under it
		// asserted nothing, and a CI gate passed.
		{"ops:\nassert: [a]\n", "p.yaml:1: ops: no value (null)"},
		{"assert:\n", "p.yaml:1: assert: no value (null)"},
	} {
		var d doc
		err := DecodeStrict("p.yaml", []byte(c.src), &d, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v; want %q", c.src, err, c.want)
		}
	}
	var d doc
	if err := DecodeStrict("p.yaml", []byte("block: {upstream: null, zero_stage: 1}\n"), &d, nil); err != nil || d.Block.Upstream != nil || *d.Block.Stage != 1 {
		t.Errorf("upstream: null: %v, %+v", err, d.Block)
	}
}
