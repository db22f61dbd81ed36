package kernel

import (
	"math"
	"strings"
)

// Checkpoint is the cost of writing training checkpoints (physics.md §7.7,
// CheckpointModel; Wall 19):
//
//	size    = P · bytes per parameter           (14 with Adam, else 4)
//	BW      = storage bandwidth, or 1 GB/s when the device states none
//	BW_eff  = min(BW · writers, file-system limit)
//	t_write = size / BW_eff
//	penalty = t_write / interval (1 if the interval is 0)    (a fraction of the step time)
//	storage-bound iff t_write > 60 s
//
// The seed reports BW, the per-writer bandwidth, as max_bandwidth_required (§14
// item 11); so does BandwidthRequired.
func Checkpoint(out *CheckpointOut, in *CheckpointIn) {
	n := len(in.Params)
	out.resize(n)
	for i := 0; i < n; i++ {
		size := CheckpointBytes(in.Params[i], in.BytesPerParam[i])
		bw := in.StorageBandwidth[i]
		if bw <= 0 {
			bw = FallbackStorageBytesPerS
		}
		t := size / math.Min(bw*in.Writers[i], in.FilesystemLimit[i])
		penalty := 1.0
		if iv := in.Interval[i]; iv > 0 {
			penalty = t / iv
		}
		out.Size[i] = size
		out.WriteTime[i] = t
		out.BandwidthRequired[i] = bw
		out.MFUPenalty[i] = penalty
		out.StorageBound[i] = t > StorageBottleneckS
	}
}

// CheckpointBytesPerParamFor is the seed's checkpoint size per parameter for an
// optimizer name: 14 for "adam" (case-insensitive), 4 for anything else, "adamw"
// included (§14 item 11, reproduced).
func CheckpointBytesPerParamFor(optimizer string) float64 {
	if strings.EqualFold(optimizer, "adam") {
		return CheckpointBytesPerParamAdam
	}
	return CheckpointBytesPerParamSGD
}

// Constants of the checkpoint model (physics.md §7.7, §10).
const (
	// CheckpointBytesPerParamSGD is CHECKPOINT_BYTES_PER_PARAM_SGD: weights and one FP32 copy.
	CheckpointBytesPerParamSGD = 4
	// FallbackStorageBytesPerS is FALLBACK_STORAGE_BANDWIDTH_GB_S = 1 GB/s.
	FallbackStorageBytesPerS = 1e9
	// DefaultFilesystemLimitBytesPerS is the seed's filesystem_limit_gbs = 500 GB/s.
	DefaultFilesystemLimitBytesPerS = 500e9
	// StorageBottleneckS: a checkpoint that takes longer than 60 s is storage-bound.
	StorageBottleneckS = 60.0
	// DefaultCheckpointIntervalS is the seed's checkpoint_interval_hours = 4.
	DefaultCheckpointIntervalS = 4 * 3600.0
)

// CheckpointIn holds the input columns of Checkpoint.
type CheckpointIn struct {
	Params           []float64
	BytesPerParam    []float64 // CheckpointBytesPerParamFor(optimizer)
	StorageBandwidth []float64 // bytes/s per writer, 0 = 1 GB/s
	Writers          []float64 // parallel writers (≥ 1)
	FilesystemLimit  []float64 // bytes/s
	Interval         []float64 // s between checkpoints
}

// CheckpointOut holds the output columns of Checkpoint.
type CheckpointOut struct {
	Size              []float64 // bytes
	WriteTime         []float64 // s
	BandwidthRequired []float64 // bytes/s per writer
	MFUPenalty        []float64 // write time / interval, a fraction
	StorageBound      []bool
}

func (o *CheckpointOut) resize(n int) {
	for _, p := range []*[]float64{&o.Size, &o.WriteTime, &o.BandwidthRequired, &o.MFUPenalty} {
		*p = grow(*p, n)
	}
	o.StorageBound = grow(o.StorageBound, n)
}
