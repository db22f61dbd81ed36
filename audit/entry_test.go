package audit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// roundTrip writes entries in the catalog format and reads them back with the
// catalog's own loader, as --catalog does.
func roundTrip(t *testing.T, hs ...*catalog.Hardware) []*catalog.Hardware {
	t.Helper()
	b, err := catalog.EncodeHardwareYAML(hs)
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.MustDefault().Clone()
	if _, err := c.AddUserYAML("local.yaml", b); err != nil {
		t.Fatalf("the local entries do not load: %v\n%s", err, b)
	}
	var out []*catalog.Hardware
	for _, h := range hs {
		got, err := c.HardwareByKey(h.Key)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

func TestLocalEntryGPU(t *testing.T) {
	cat := catalog.MustDefault()
	h100, _ := cat.HardwareByKey("H100")
	d := fixture(t, "dgx-h100").Devices()[0]
	m, _ := MatchDevice(cat, d)
	e := LocalEntry(EntryInput{Key: "Local_H100", Device: d, Match: m, Matched: h100, Date: "2026-12-01"})
	if e.MemCapacityBytes != 81559<<20 || e.TDPW != 700 {
		t.Errorf("capacity %g, TDP %g: want nvidia-smi's 81559 MiB and 700 W", e.MemCapacityBytes, e.TDPW)
	}
	if e.PeakFLOPS != h100.PeakFLOPS || !reflect.DeepEqual(e.Rates, h100.Rates) || e.MemBandwidthBytesPerS != h100.MemBandwidthBytesPerS ||
		e.ScaleUp.BytesPerS != h100.ScaleUp.BytesPerS {
		t.Errorf("what detection does not know must stay H100's: %+v", e)
	}
	for _, f := range []string{"memory.capacity", "tdp", "scale_up.latency"} {
		if e.FieldSources[f].Ref == "" {
			t.Errorf("no field source for %s: %v", f, e.FieldSources)
		}
	}
	if e.Source.Kind != "derived" || !strings.Contains(e.Source.Ref, "H100 (exact-key match)") || e.Upstream != nil || e.Corrections != nil {
		t.Errorf("source %+v, upstream %v", e.Source, e.Upstream)
	}
	if _, ok := h100.FieldSources["memory.capacity"]; ok || h100.MemCapacityBytes != 80<<30 {
		t.Error("LocalEntry changed the catalog's H100")
	}
	back := roundTrip(t, e)[0]
	if back.MemCapacityBytes != e.MemCapacityBytes || back.PeakFLOPS != e.PeakFLOPS || !reflect.DeepEqual(back.FieldSources, e.FieldSources) {
		t.Errorf("round trip changed the entry:\n got %+v\nwant %+v", back, e)
	}
}

func TestLocalEntryCPU(t *testing.T) {
	cat := catalog.MustDefault()
	ref, _ := cat.HardwareByKey("ReferenceCPU")
	env := fixture(t, "epyc-vm")
	d := env.Devices()[0]
	m, _ := MatchDevice(cat, d)
	peak, ok := DeriveCPUPeak(env.CPU)
	if !ok {
		t.Fatal("no peak for the EPYC VM")
	}
	meas := &Measurement{Threads: 2, TriadBytesPerS: 24.7345e9, TriadArrayBytes: 128 << 20, TriadTrials: 10, TriadSizing: "test",
		MatmulFP64FLOPS: 5.6e9, MatmulFP32FLOPS: 3.17e9, MatrixN: 512, MatmulFP32Trials: 9}
	in := EntryInput{Key: "Local_EPYC", Device: d, Match: m, Matched: ref, Date: "2026-12-01"}
	for _, c := range []struct {
		name             string
		peak             *CPUPeak
		meas             *Measurement
		fromMatmul       bool
		wantPeak, wantBW float64
		kind, peakKind   string
		notesHas         string
	}{
		// 2 cores × 2.096027 GHz × 64 = 268.29 GFLOP/s, kept to 4 digits.
		{"derived", &peak, nil, false, 268.3e9, 50e9, "derived", "derived", "fall back to the fp32 peak"},
		{"measured bandwidth, derived peak", &peak, meas, false, 268.3e9, 24.73e9, "measurement", "derived", "--efficiency 0.012"},
		{"measured, peak from the matmul", &peak, meas, true, 3.17e9, 24.73e9, "measurement", "measurement", "fall back"},
		{"measured, no derived peak", nil, meas, false, 3.17e9, 24.73e9, "measurement", "measurement", "fall back"},
		{"nothing known", nil, nil, false, 1e12, 50e9, "derived", "", "fall back"}, // ReferenceCPU's
	} {
		in.Peak, in.Measured, in.PeakFromMatmul = c.peak, c.meas, c.fromMatmul
		e := LocalEntry(in)
		if e.PeakFLOPS != c.wantPeak || e.Rates["fp32"] != c.wantPeak || e.MemBandwidthBytesPerS != c.wantBW {
			t.Errorf("%s: peak %g (fp32 %g), bandwidth %g; want %g, %g", c.name, e.PeakFLOPS, e.Rates["fp32"], e.MemBandwidthBytesPerS, c.wantPeak, c.wantBW)
		}
		if e.MemCapacityBytes != env.MemoryBytes || e.TDPW != ref.TDPW {
			t.Errorf("%s: capacity %g (want MemTotal %g), TDP %g (want ReferenceCPU's)", c.name, e.MemCapacityBytes, env.MemoryBytes, e.TDPW)
		}
		if e.Source.Kind != c.kind || e.FieldSources["peak"].Kind != c.peakKind || !strings.Contains(e.Notes, c.notesHas) {
			t.Errorf("%s: source kind %q, peak source %+v, notes %q", c.name, e.Source.Kind, e.FieldSources["peak"], e.Notes)
		}
		back := roundTrip(t, e)[0]
		if back.PeakFLOPS != e.PeakFLOPS || back.MemBandwidthBytesPerS != e.MemBandwidthBytesPerS || back.Notes != e.Notes {
			t.Errorf("%s: round trip changed the entry: %+v", c.name, back)
		}
	}
}
