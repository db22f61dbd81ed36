package kernel

import "testing"

func TestCheckpoint(t *testing.T) {
	in := &CheckpointIn{
		Params:           []float64{8.03e9, 175e9, 8.03e9, 8.03e9, 8.03e9},
		BytesPerParam:    []float64{14, 14, CheckpointBytesPerParamFor("sgd"), 14, 14},
		StorageBandwidth: []float64{7e9, 7e9, 7e9, 0, 7e9},
		Writers:          []float64{1, 1, 1, 1, 128},
		FilesystemLimit:  fill(5, DefaultFilesystemLimitBytesPerS),
		Interval:         []float64{DefaultCheckpointIntervalS, DefaultCheckpointIntervalS, DefaultCheckpointIntervalS, 0, 3600},
	}
	var out CheckpointOut
	Checkpoint(&out, in)
	checkScalars(t, []scalarCase{
		// physics.md §13.4 Checkpoint(Llama3_8B, H100, adam, 4 h): 112.42 GB; 16.06 s at 7 GB/s;
		// penalty 0.0011153; bottleneck False.
		{"§13.4 size", out.Size[0], 112.42e9, tightRel, 0},
		{"§13.4 write s", out.WriteTime[0], 16.06, tightRel, 0},
		{"§13.4 penalty", out.MFUPenalty[0], 0.0011153, 0, 5e-8},
		{"penalty exact", out.MFUPenalty[0], 16.06 / 14400, tightRel, 0},
		// §13.2 GPT-3: 175e9·14 B = 2.45 TB, 350 s at the H100's 7 GB/s → storage-bound.
		{"§13.2 GPT-3 size", out.Size[1], 2.45e12, tightRel, 0},
		{"§13.2 GPT-3 write s", out.WriteTime[1], 350, tightRel, 0},
		// §7.7: non-Adam 4 B/param.
		{"sgd size", out.Size[2], 4 * 8.03e9, tightRel, 0},
		// §7.7 / §10: no storage → 1 GB/s; interval 0 → penalty 1.
		{"fallback write s", out.WriteTime[3], 112.42, tightRel, 0},
		{"fallback bandwidth", out.BandwidthRequired[3], 1e9, 0, 0},
		{"interval 0 penalty", out.MFUPenalty[3], 1, 0, 0},
		// 128 writers × 7 GB/s = 896 GB/s, capped by the 500 GB/s file system; the reported
		// bandwidth stays per writer (§14 item 11).
		{"capped write s", out.WriteTime[4], 112.42e9 / 500e9, tightRel, 0},
		{"per-writer bandwidth", out.BandwidthRequired[4], 7e9, 0, 0},
	})
	for i, want := range []bool{false, true, false, true, false} {
		if out.StorageBound[i] != want {
			t.Errorf("point %d: storage-bound %v, want %v", i, out.StorageBound[i], want)
		}
	}
}

// physics.md §7.7 and §14 item 11: only "adam" (any case) counts 14 B/param; "adamw" counts 4.
func TestCheckpointBytesPerParamFor(t *testing.T) {
	for name, want := range map[string]float64{"adam": 14, "Adam": 14, "adamw": 4, "sgd": 4, "": 4} {
		if got := CheckpointBytesPerParamFor(name); got != want {
			t.Errorf("CheckpointBytesPerParamFor(%q) = %g, want %g", name, got, want)
		}
	}
}

func TestCheckpointDoesNotAllocate(t *testing.T) {
	in := &CheckpointIn{Params: []float64{8.03e9}, BytesPerParam: []float64{14}, StorageBandwidth: []float64{7e9},
		Writers: []float64{2}, FilesystemLimit: []float64{500e9}, Interval: []float64{14400}}
	var out CheckpointOut
	Checkpoint(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { Checkpoint(&out, in) }); allocs != 0 {
		t.Errorf("Checkpoint allocates %g times per call once its outputs are sized", allocs)
	}
}
