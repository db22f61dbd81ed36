package audit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Measurement bounds. The whole microbenchmark runs in Budget of wall-clock time:
// 40 % for the triad, 30 % for each matrix multiply.
const (
	DefaultBudget  = 5 * time.Second // with detection and evaluation, under 10 s even on a loaded machine
	MaxBudget      = 60 * time.Second
	DefaultMatrixN = 512 // 2·512³ = 268 MFLOP per multiply: tens of ms at Go's rates, many trials per budget
	// MaxMatrixN keeps one multiply within seconds and its three matrices within 200 MB.
	MaxMatrixN = 4096
	// MaxArrayBytes bounds a triad array a caller sets: 16 GiB, four times the largest
	// last-level cache shipped (AMD EPYC 9684X, 1152 MiB) with room to spare.
	MaxArrayBytes = 16 << 30

	assumedLLC   = 32 << 20  // an unknown last-level cache is taken as 32 MiB (one Zen 4/5 CCD, a mid-size Xeon)
	minArray     = 64 << 20  // no triad array below 64 MiB, whatever the cache says
	maxArray     = 512 << 20 // three 512 MiB arrays: the most one trial should stream within the budget
	minTrials    = 3
	maxTrials    = 50
	streamScalar = 3.0 // STREAM's triad scalar
)

// MeasureConfig says how to run the microbenchmark; zero values pick the defaults.
type MeasureConfig struct {
	Threads        int           // goroutines; 0: runtime.GOMAXPROCS(0), i.e. every usable CPU
	ArrayBytes     int64         // bytes per triad array; 0: sized from LLCBytes by STREAM's rule
	LLCBytes       float64       // last-level cache the run touches (CPU.LLCBytes); 0: unknown
	AvailableBytes float64       // memory available (Environment.MemAvailableBytes); 0: unknown
	MatrixN        int           // matrix side, a multiple of 4; 0: DefaultMatrixN
	Budget         time.Duration // wall-clock for the whole benchmark; 0: DefaultBudget
}

// Measurement is what the CPU and memory delivered. Rates are the best trial's, as
// STREAM reports them: the least disturbed run is the closest to what the hardware can do.
type Measurement struct {
	Threads int `json:"threads"`
	// TriadBytesPerS counts 24 bytes per element (two 8-byte loads, one store), STREAM's
	// convention; the write-allocate read a cache also does is not counted.
	TriadBytesPerS  float64 `json:"triad_bytes_per_s"`
	TriadArrayBytes int64   `json:"triad_array_bytes"`
	TriadTrials     int     `json:"triad_trials"`
	TriadSizing     string  `json:"triad_sizing"`
	// Matmul rates count 2·n³ FLOPs per multiply of two n×n matrices.
	MatmulFP64FLOPS  float64 `json:"matmul_fp64_flops"`
	MatmulFP32FLOPS  float64 `json:"matmul_fp32_flops"`
	MatrixN          int     `json:"matrix_n"`
	MatmulFP64Trials int     `json:"matmul_fp64_trials"`
	MatmulFP32Trials int     `json:"matmul_fp32_trials"`
	ElapsedS         float64 `json:"elapsed_s"`
}

// Measure runs a STREAM-style triad (a[i] = b[i] + 3·c[i] over arrays larger than the
// last-level cache, on every thread) and a blocked float64 and float32 matrix multiply
// on every thread, each repeated until its share of the budget is spent.
func Measure(ctx context.Context, cfg MeasureConfig) (*Measurement, error) {
	if cfg.Budget == 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.MatrixN == 0 {
		cfg.MatrixN = DefaultMatrixN
	}
	if cfg.Threads == 0 {
		cfg.Threads = runtime.GOMAXPROCS(0)
	}
	switch {
	case cfg.Budget < 0 || cfg.Budget > MaxBudget:
		return nil, fmt.Errorf("measurement budget %v: want a duration in (0, %v]", cfg.Budget, MaxBudget)
	case cfg.MatrixN < 4 || cfg.MatrixN > MaxMatrixN || cfg.MatrixN%4 != 0:
		return nil, fmt.Errorf("matrix size %d: want a multiple of 4 in [4, %d]", cfg.MatrixN, MaxMatrixN)
	case cfg.Threads < 0 || cfg.ArrayBytes < 0 || cfg.ArrayBytes > MaxArrayBytes:
		return nil, fmt.Errorf("threads %d, array bytes %d: want threads ≥ 0 and arrays of at most %d bytes", cfg.Threads, cfg.ArrayBytes, int64(MaxArrayBytes))
	}
	start := time.Now()
	m := &Measurement{Threads: cfg.Threads, MatrixN: cfg.MatrixN}
	m.TriadArrayBytes, m.TriadSizing = triadArrayBytes(cfg)
	var err error
	end := start.Add(cfg.Budget)
	var used int
	m.TriadBytesPerS, used, m.TriadTrials, err = triad(ctx, int(m.TriadArrayBytes/8), cfg.Threads, start.Add(cfg.Budget*4/10), end)
	if err != nil {
		return nil, err
	}
	if int64(used)*8 < m.TriadArrayBytes {
		m.TriadSizing += fmt.Sprintf("; cut to %s: first-touching fresh memory took most of the time the triad had, so STREAM's rule may not hold", mib(float64(used)*8))
		m.TriadArrayBytes = int64(used) * 8
	}
	m.MatmulFP64FLOPS, m.MatmulFP64Trials, err = matmulRate[float64](ctx, cfg.MatrixN, cfg.Threads, start.Add(cfg.Budget*7/10), end)
	if err != nil {
		return nil, err
	}
	m.MatmulFP32FLOPS, m.MatmulFP32Trials, err = matmulRate[float32](ctx, cfg.MatrixN, cfg.Threads, end, end)
	if err != nil {
		return nil, err
	}
	m.ElapsedS = time.Since(start).Seconds()
	return m, nil
}

// triadArrayBytes sizes one triad array by STREAM's rule — each array at least four
// times the last-level caches the run touches — within the machine's memory and the
// time one trial may take. It says how it chose.
func triadArrayBytes(cfg MeasureConfig) (int64, string) {
	if cfg.ArrayBytes > 0 {
		return cfg.ArrayBytes, "set by the caller"
	}
	llc, why := cfg.LLCBytes, fmt.Sprintf("4 × the %s last-level cache", mib(cfg.LLCBytes))
	if llc <= 0 {
		llc, why = assumedLLC, "4 × an assumed 32 MiB last-level cache (its size is unknown)"
	}
	want := max(4*llc, minArray)
	got := min(want, maxArray)
	if cfg.AvailableBytes > 0 {
		got = min(got, cfg.AvailableBytes/8) // the three arrays take at most 3/8 of what is free
	}
	n := int64(got) &^ (1<<20 - 1)
	if n < 1<<20 {
		n = 1 << 20
	}
	if float64(n) < 4*llc {
		why += fmt.Sprintf(", capped at %s by memory and time: below STREAM's rule, so the rate may include cache hits", mib(float64(n)))
	}
	return n, why
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

// parallel runs f over [0, n) split into contiguous chunks, one per thread.
func parallel(threads, n int, f func(lo, hi int)) {
	threads = max(1, min(threads, n))
	var wg sync.WaitGroup
	for t := range threads {
		lo, hi := n*t/threads, n*(t+1)/threads
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}

// repeat runs trial once to warm up (page faults, caches, clocks) if warm is set,
// then again until the phase deadline and at least minTrials times — a busy machine
// still gets a best-of — unless the hard deadline (the end of the whole budget)
// passes first, or maxTrials. Past the hard deadline it skips the warm-up and times
// one run. It returns the shortest timed run.
func repeat(ctx context.Context, phase, hard time.Time, warm bool, trial func()) (time.Duration, int, error) {
	if warm && time.Now().Before(hard) {
		trial()
	}
	best, n := time.Duration(0), 0
	for n < maxTrials {
		now := time.Now()
		if n > 0 && (now.After(hard) || (n >= minTrials && now.After(phase))) {
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		trial()
		d := time.Since(t0)
		if n == 0 || d < best {
			best = d
		}
		n++
	}
	return max(best, time.Nanosecond), n, nil
}

// touchStep is how many elements of each array a thread first-touches between two
// looks at the clock (8 MiB of float64).
const touchStep = 1 << 20

// triad streams a = b + 3·c over arrays of n elements. Each thread first touches the
// part it will stream, so its pages are local to it (NUMA); that pass is the warm-up
// STREAM leaves out of its timing. Faulting in fresh pages can take seconds on a
// loaded virtual machine, so the touch stops when three quarters of the phase are
// gone and the threads stream what they touched; used says how many elements per
// array that was.
func triad(ctx context.Context, n, threads int, phase, hard time.Time) (bytesPerS float64, used, trials int, err error) {
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	threads = max(1, min(threads, n))
	lo, end := make([]int, threads), make([]int, threads)
	for t := range threads {
		lo[t], end[t] = n*t/threads, n*t/threads
	}
	touchBy := time.Now().Add(time.Until(phase) * 3 / 4)
	for used < n {
		var wg sync.WaitGroup
		for t := range threads {
			wg.Go(func() {
				hi := min(end[t]+touchStep, n*(t+1)/threads)
				for i := end[t]; i < hi; i++ {
					a[i], b[i], c[i] = 0, 1, 2
				}
				end[t] = hi
			})
		}
		wg.Wait()
		used = 0
		for t := range threads {
			used += end[t] - lo[t]
		}
		if time.Now().After(touchBy) {
			break
		}
	}
	best, trials, err := repeat(ctx, phase, hard, false, func() {
		var wg sync.WaitGroup
		for t := range threads {
			wg.Go(func() { triadKernel(a[lo[t]:end[t]], b[lo[t]:end[t]], c[lo[t]:end[t]]) })
		}
		wg.Wait()
	})
	if err != nil {
		return 0, 0, 0, err
	}
	return 24 * float64(used) / best.Seconds(), used, trials, nil
}

// triadKernel is STREAM's triad: a = b + s·c.
func triadKernel(a, b, c []float64) {
	b, c = b[:len(a)], c[:len(a)]
	for i := range a {
		a[i] = b[i] + streamScalar*c[i]
	}
}

func matmulRate[T float32 | float64](ctx context.Context, n, threads int, phase, hard time.Time) (float64, int, error) {
	a, b, c, bp := make([]T, n*n), make([]T, n*n), make([]T, n*n), make([]T, n*n)
	for i := range a {
		a[i] = T(i*7919%1000) / 1000 // values in [0, 1): sums stay far from overflow over many trials
		b[i] = T(i*104729%1000) / 1000
	}
	best, trials, err := repeat(ctx, phase, hard, true, func() { mulAdd(c, a, b, bp, n, blockDepth, threads) })
	if err != nil {
		return 0, 0, err
	}
	return 2 * float64(n) * float64(n) * float64(n) / best.Seconds(), trials, nil
}

// Register block of the multiply: 4 rows of A × 2 columns of B keep 8 accumulators,
// 4 A values and 2 B values in registers (amd64 has 15 usable vector registers; a 4×4
// block spills and ran at half the rate). blockDepth is the depth kc of a packed
// block: 4×kc of A and kc×2 of B stay in L1 while the kernel sweeps them.
const (
	mr         = 4
	nr         = 2
	blockDepth = 256
)

// mulAdd computes c += a·b for n×n row-major matrices, n a multiple of mr. B is
// packed once into kc-deep blocks of nr-wide column panels (bp, n·n long); the
// threads split the rows of C, each packing its own mr-row strips of A.
func mulAdd[T float32 | float64](c, a, b, bp []T, n, kc, threads int) {
	for pc := 0; pc < n; pc += kc {
		k := min(kc, n-pc)
		blk := bp[pc*n : pc*n+k*n]
		for j := 0; j < n; j += nr {
			panel := blk[j*k : (j+nr)*k]
			for p := range k {
				row := b[(pc+p)*n+j:]
				panel[p*nr], panel[p*nr+1] = row[0], row[1]
			}
		}
	}
	parallel(threads, n/mr, func(lo, hi int) {
		ap := make([]T, mr*kc)
		for pc := 0; pc < n; pc += kc {
			k := min(kc, n-pc)
			blk := bp[pc*n : pc*n+k*n]
			for i := lo * mr; i < hi*mr; i += mr {
				for p := range k {
					for q := range mr {
						ap[p*mr+q] = a[(i+q)*n+pc+p]
					}
				}
				for j := 0; j < n; j += nr {
					kernel4x2(k, ap, blk[j*k:(j+nr)*k], c[i*n+j:], n)
				}
			}
		}
	})
}

// kernel4x2 adds the product of a packed 4×k strip of A and a packed k×2 panel of B
// into the 4×2 block of C at c (row stride ldc).
func kernel4x2[T float32 | float64](k int, ap, bp, c []T, ldc int) {
	var c00, c01, c10, c11, c20, c21, c30, c31 T
	ap, bp = ap[:mr*k], bp[:nr*k]
	for p := range k {
		a := ap[mr*p : mr*p+mr : mr*p+mr]
		b := bp[nr*p : nr*p+nr : nr*p+nr]
		b0, b1 := b[0], b[1]
		c00 += a[0] * b0
		c01 += a[0] * b1
		c10 += a[1] * b0
		c11 += a[1] * b1
		c20 += a[2] * b0
		c21 += a[2] * b1
		c30 += a[3] * b0
		c31 += a[3] * b1
	}
	c[0] += c00
	c[1] += c01
	c[ldc] += c10
	c[ldc+1] += c11
	c[2*ldc] += c20
	c[2*ldc+1] += c21
	c[3*ldc] += c30
	c[3*ldc+1] += c31
}
