package sweep

// adviseWorkerHeap readies the heap for the buffers of workers that evaluate
// batches of up to batch points: their batch, outputs, record and encoded row
// groups, a few copies of every column. A worker's first batch touches all of
// them for the first time — ~3,500 page faults on the 1M-point node grid, each
// ~20 µs on the virtual machines measured, ~70 ms a worker — and every worker
// pays that at the start, so it did not shrink with a second worker
// (BENCHMARKS.md, "Two workers on a 1M-point grid"). Where the system offers
// transparent huge pages on request (hugeHeap), that memory takes a fault per
// 2 MiB instead of per 4 KiB. The estimate may be generous: memory never
// touched costs address space only.
func adviseWorkerHeap(p *Plan, workers int, batch uint64) {
	const perCell = 8 * 4 // a float64 in the batch or outputs, the record's copy, the encoder's page and a share of the rest
	cells := uint64(len(p.Values) + len(p.Study.Columns) + 1)
	n := uint64(workers) * batch * cells * perCell
	if n < 2*hugePage {
		return
	}
	hugeHeap(int(min(n, maxAdvisedHeap)))
}

const (
	hugePage       = 2 << 20
	maxAdvisedHeap = 1 << 30 // far above what 1024 workers of 2^20-point batches need: the advice is for the workers' start
)
