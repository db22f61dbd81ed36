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
