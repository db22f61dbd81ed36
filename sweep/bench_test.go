package sweep

import (
	"context"
	"os"
	"testing"
)

// gridPlan plans a bundled example grid; without its filters every point of a
// batch reaches the kernel.
func gridPlan(b *testing.B, grid string, filtered bool) *Plan {
	return specPlan(b, "../grids/"+grid, filtered)
}

func specPlan(b *testing.B, path string, filtered bool) *Plan {
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := ParseSpec(path, src)
	if err != nil {
		b.Fatal(err)
	}
	if !filtered {
		s.Where = nil
	}
	p, err := s.Plan(testCatalog())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkServeKernel times the serve evaluator alone (gather + kernel.Serving +
// output columns) on batches of 64K points already filled.
func BenchmarkServeKernel(b *testing.B) { benchEval(b, "serving-frontier.yaml") }

// BenchmarkDeployKernel is the same for the serve-deploy study (one serving evaluation
// per pool plus the fleet sizing of kernel.ServingDeployment), the study that
// `mlsysim optimize serving` sweeps.
func BenchmarkDeployKernel(b *testing.B) { benchEval(b, "serving-deploy.yaml") }

// BenchmarkServeLoadKernel is BenchmarkServeKernel under a request rate at every point
// (bench/serve-load.yaml: kernel.ServingLoad's fixed point besides kernel.Serving).
func BenchmarkServeLoadKernel(b *testing.B) {
	benchEvalPlan(b, specPlan(b, "../bench/serve-load.yaml", false))
}

func benchEval(b *testing.B, grid string) { benchEvalPlan(b, gridPlan(b, grid, false)) }

func benchEvalPlan(b *testing.B, p *Plan) {
	const n = 1 << 16
	batches := make([]Batch, 4)
	for i := range batches {
		p.Fill(&batches[i], uint64(i)*p.N/4, n)
	}
	ev := p.Study.newEval(p)
	var o Outputs
	o.resize(p.Study, n)
	for i := 0; b.Loop(); i++ {
		ev.eval(&batches[i%len(batches)], &o)
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkServeWalk and BenchmarkDeployWalk time an evaluator as a sweep runs it: one
// evaluator over successive batches of a large grid (the 10M-point serve benchmark grid;
// the 1.1M configurations `mlsysim optimize serving` searches, its filters applied), each
// point evaluated once, so work an evaluator remembers between points is not counted
// twice as it is on BenchmarkServeKernel's repeated batches. Filling is not timed.
func BenchmarkServeWalk(b *testing.B) { benchWalk(b, specPlan(b, "../bench/serve-10m.yaml", true)) }

func BenchmarkDeployWalk(b *testing.B) { benchWalk(b, gridPlan(b, "serving-deploy.yaml", true)) }

// BenchmarkFleetWalk walks the 9.95M-point fleet benchmark grid, whose batches repeat the
// training step less than BenchmarkFleetKernel's fleet-placement grid does.
func BenchmarkFleetWalk(b *testing.B) { benchWalk(b, specPlan(b, "../bench/fleet-10m.yaml", true)) }

func benchWalk(b *testing.B, p *Plan) {
	const n = 1 << 15 // the sweep's default batch
	var batch Batch
	var o Outputs
	o.resize(p.Study, n)
	ev := p.Study.newEval(p)
	var lo uint64
	points := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k := min(n, p.N-lo)
		p.Fill(&batch, lo, int(k))
		if lo += k; lo == p.N {
			lo = 0
		}
		b.StartTimer()
		ev.eval(&batch, &o)
		points += batch.N
	}
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkCheckFinite times the guard every batch passes after its evaluator
// (finite.go) on serve outputs, to set against BenchmarkServeKernel.
func BenchmarkCheckFinite(b *testing.B) {
	p := gridPlan(b, "serving-frontier.yaml", false)
	const n = 1 << 16
	var batch Batch
	p.Fill(&batch, 0, n)
	var o Outputs
	o.resize(p.Study, n)
	p.Study.newEval(p).eval(&batch, &o)
	for b.Loop() {
		if err := p.checkFinite(&batch, &o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkFleetKernel times the fleet evaluator alone (gather + the training step,
// memory, sustainability and economics kernels + output columns) on the points of the
// fleet-placement example (fewer than a 64K batch), under each physics profile.
func BenchmarkFleetKernel(b *testing.B) {
	for _, profile := range Profiles {
		b.Run(profile, func(b *testing.B) {
			p := gridPlan(b, "fleet-placement.yaml", true)
			if err := p.SetProfile(profile); err != nil {
				b.Fatal(err)
			}
			n := min(uint64(1<<16), p.N)
			batches := make([]Batch, 4)
			for i := range batches {
				p.Fill(&batches[i], uint64(i)*(p.N-n)/3, int(n))
			}
			ev := p.Study.newEval(p)
			var o Outputs
			o.resize(p.Study, int(n))
			for i := 0; b.Loop(); i++ {
				ev.eval(&batches[i%len(batches)], &o)
			}
			b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkSweepParquet times a whole sweep of the serving-frontier example to
// zstd Parquet parts in a temporary folder.
func BenchmarkSweepParquet(b *testing.B) {
	p := gridPlan(b, "serving-frontier.yaml", true)
	dir := b.TempDir()
	var rows uint64
	for b.Loop() {
		m, err := WriteParts(context.Background(), p, WriteOptions{Dir: dir, Overwrite: true, Compression: "zstd", PartPoints: 1 << 17})
		if err != nil {
			b.Fatal(err)
		}
		rows = m.Rows
	}
	b.ReportMetric(float64(b.N)*float64(p.N)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(rows), "rows")
}
