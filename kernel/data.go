package kernel

import "math"

// DataPath is the ingestion path that limits the data supply.
type DataPath uint8

const (
	// PathStorage: the device's storage bandwidth.
	PathStorage DataPath = iota
	// PathInterconnect: the device's host interconnect.
	PathInterconnect
	// PathUnknown: the device states neither, so nothing is supplied.
	PathUnknown
)

var dataPathNames = [...]string{"Storage", "Interconnect", "Unknown"}

// String returns the seed's label: "Storage", "Interconnect" or "Unknown".
func (p DataPath) String() string { return enumName(p, dataPathNames[:], "DataPath") }

// DataIngestion is whether storage and I/O keep up with the data a workload consumes
// (physics.md §9.1, DataModel Profile B; Wall 8):
//
//	supply      = min over the stated paths (storage, then interconnect; a tie is storage)
//	              0 with path Unknown when neither is stated (> 0)
//	utilisation = demand / supply (+Inf if supply = 0);  stalled iff utilisation > 1
//	margin      = supply − demand
//
// Profile A took min(storage or 0, interconnect or 0), so a missing storage tier zeroed
// the supply; Profile B only considers the paths a device has.
func DataIngestion(out *DataOut, in *DataIn) {
	n := len(in.Demand)
	out.resize(n)
	for i := 0; i < n; i++ {
		supply, path := 0.0, PathUnknown
		if s := in.StorageBandwidth[i]; s > 0 {
			supply, path = s, PathStorage
		}
		if io := in.InterconnectBandwidth[i]; io > 0 && (path == PathUnknown || io < supply) {
			supply, path = io, PathInterconnect
		}
		demand := in.Demand[i]
		util := math.Inf(1)
		if supply > 0 {
			util = demand / supply
		}
		out.Supply[i] = supply
		out.Utilization[i] = util
		out.Margin[i] = supply - demand
		out.Path[i] = path
		out.Stalled[i] = util > 1
	}
}

// DataIn holds the input columns of DataIngestion (bytes/s).
type DataIn struct {
	Demand                []float64 // the workload's data rate
	StorageBandwidth      []float64 // 0 = no storage tier
	InterconnectBandwidth []float64 // 0 = no host interconnect
}

// DataOut holds the output columns of DataIngestion.
type DataOut struct {
	Supply, Margin []float64 // bytes/s
	Utilization    []float64 // demand / supply
	Path           []DataPath
	Stalled        []bool
}

func (o *DataOut) resize(n int) {
	for _, p := range []*[]float64{&o.Supply, &o.Margin, &o.Utilization} {
		*p = grow(*p, n)
	}
	o.Path = grow(o.Path, n)
	o.Stalled = grow(o.Stalled, n)
}

// Transformation is whether CPU preprocessing keeps the accelerator fed
// (physics.md §9.2, TransformationModel; Wall 9):
//
//	t_transform = B · sample bytes / CPU throughput
//	bottleneck iff t_transform > t_accelerator
//	t_step      = max(t_transform, t_accelerator)
//	accelerator utilisation = t_accelerator / t_step (0 if t_step = 0)
//	slowdown    = t_step / t_accelerator (+Inf if t_accelerator = 0)
func Transformation(out *TransformOut, in *TransformIn) {
	n := len(in.Batch)
	out.resize(n)
	for i := 0; i < n; i++ {
		tr := in.Batch[i] * in.SampleBytes[i] / in.CPUThroughput[i]
		acc := in.AcceleratorStep[i]
		step := math.Max(tr, acc)
		util, slow := 0.0, math.Inf(1)
		if step != 0 {
			util = acc / step
		}
		if acc != 0 {
			slow = step / acc
		}
		out.TransformTime[i] = tr
		out.StepTime[i] = step
		out.Utilization[i] = util
		out.Slowdown[i] = slow
		out.Bottleneck[i] = tr > acc
	}
}

// TransformIn holds the input columns of Transformation.
type TransformIn struct {
	Batch           []float64
	SampleBytes     []float64 // bytes per sample
	CPUThroughput   []float64 // bytes/s the CPUs transform
	AcceleratorStep []float64 // s per accelerator step
}

// TransformOut holds the output columns of Transformation; times in s.
type TransformOut struct {
	TransformTime, StepTime []float64
	Utilization             []float64 // accelerator busy fraction
	Slowdown                []float64 // step time over accelerator time
	Bottleneck              []bool    // preprocessing is the bottleneck
}

func (o *TransformOut) resize(n int) {
	for _, p := range []*[]float64{&o.TransformTime, &o.StepTime, &o.Utilization, &o.Slowdown} {
		*p = grow(*p, n)
	}
	o.Bottleneck = grow(o.Bottleneck, n)
}
