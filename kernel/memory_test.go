package kernel

import (
	"math"
	"strings"
	"testing"
)

func TestRecomputeNames(t *testing.T) {
	var zero Recompute
	if zero != RecomputeSelective {
		t.Errorf("zero Recompute is %v, want the default selective", zero)
	}
	for _, r := range []Recompute{RecomputeSelective, RecomputeFull, RecomputeNone} {
		got, err := ParseRecompute(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRecompute(%q) = %v, %v; want %v", r.String(), got, err, r)
		}
	}
	if got, err := ParseRecompute("FULL"); err != nil || got != RecomputeFull {
		t.Errorf(`ParseRecompute("FULL") = %v, %v; want full`, got, err)
	}
	if s := Recompute(9).String(); s != "Recompute(9)" {
		t.Errorf("Recompute(9).String() = %q", s)
	}
	for _, bad := range []string{"", "partial", "selective "} {
		_, err := ParseRecompute(bad)
		if err == nil {
			t.Errorf("ParseRecompute(%q): no error", bad)
			continue
		}
		for _, name := range []string{"selective", "full", "none", bad} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("ParseRecompute(%q) error %q does not mention %q", bad, err, name)
			}
		}
	}
}

func TestActivationBytes(t *testing.T) {
	// physics.md §13.2 test_formulas F15–F17: L 1, S 1024, B 1, h 768, 12 heads, fp16.
	const sbh = 1024 * 768
	checkScalars(t, []scalarCase{
		{"F15 none", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeNone), 34*sbh + 5*12*1024*1024, tightRel, 0},
		{"F15 none published", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeNone), 89653248, tightRel, 0},
		{"F16 selective", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeSelective), 34 * sbh, tightRel, 0},
		{"F16 selective published", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeSelective), 26738688, tightRel, 0},
		{"F17 full", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeFull), 2 * sbh, tightRel, 0},
		{"F17 full published", ActivationBytes(1, 1024, 1, 768, 12, 2, RecomputeFull), 1572864, tightRel, 0},
		// §13.1 G3: Llama3-8B, batch 8, seq 1024, selective → 34·1024·8·4096·32 B = 36.507222016 GB.
		{"G3 activations", ActivationBytes(32, 1024, 8, 4096, 32, 2, RecomputeSelective), 36.507222016e9, tightRel, 0},
		// selective and full do not read heads.
		{"selective ignores heads", ActivationBytes(1, 1024, 1, 768, 0, 2, RecomputeSelective), 34 * sbh, tightRel, 0},
		{"unknown strategy", ActivationBytes(1, 1024, 1, 768, 12, 2, Recompute(9)), math.NaN(), 0, 0},
	})
}

// §13.2 F18: fp32 is exactly 2× fp16 and 12 layers exactly 12× one layer.
func TestActivationBytesScaling(t *testing.T) {
	for _, r := range []Recompute{RecomputeSelective, RecomputeFull, RecomputeNone} {
		one := ActivationBytes(1, 1024, 1, 768, 12, 2, r)
		if got := ActivationBytes(1, 1024, 1, 768, 12, 4, r); got != 2*one {
			t.Errorf("%v: fp32 %g B, want 2 × fp16 = %g B", r, got, 2*one)
		}
		if got := ActivationBytes(12, 1024, 1, 768, 12, 2, r); got != 12*one {
			t.Errorf("%v: 12 layers %g B, want 12 × one layer = %g B", r, got, 12*one)
		}
	}
}

func TestKVCache(t *testing.T) {
	paged2048, frag2048 := PagedKVCacheBytes(32, 32, 128, 2048, 1, 16, 2)
	paged2050, frag2050 := PagedKVCacheBytes(32, 32, 128, 2050, 1, 16, 2)
	paged0, frag0 := PagedKVCacheBytes(32, 32, 128, 0, 1, 16, 2)
	checkScalars(t, []scalarCase{
		// physics.md §13.2 F25: 2·32·32·128·2048·1·2.
		{"F25 KV", KVCacheBytes(32, 32, 128, 2048, 1, 2), 1073741824, tightRel, 0},
		// §13.1 G4: Llama3-8B (8 KV heads) at 2048 → 0.268435456 GB.
		{"G4 KV", KVCacheBytes(32, 8, 128, 2048, 1, 2), 0.268435456e9, tightRel, 0},
		// §13.3 docstring: Llama-3 8B at 4096 tokens = 536 MB (2^29 B).
		{"docstring KV 4096", KVCacheBytes(32, 8, 128, 4096, 1, 2), 536870912, tightRel, 0},

		// §3.5 MLA by hand (DeepSeek-V3 shape): 61·(512 + 64)·4096·1·2.
		{"MLA", MLACacheBytes(61, 512, 64, 4096, 1, 2), 287834112, tightRel, 0},

		// §13.2 F26–F27: 2048 fills 128 pages exactly; 2050 pads to 129 pages = 2064 tokens.
		{"F26 paged bytes", paged2048, 1073741824, tightRel, 0},
		{"F26 paged frag", frag2048, 0, 0, 0},
		{"F27 paged bytes", paged2050, 2 * 32 * 32 * 128 * 2064 * 2, tightRel, 0},
		{"F27 paged frag", frag2050, 14.0 / 2064, tightRel, 0},
		// §13.4 ContinuousBatching B at S 2050: frag 0.0067829.
		{"§13.4 paged frag", frag2050, 0.0067829, 0, 5e-8},
		// §3.5: S_pad = 0 → no fragmentation.
		{"empty paged bytes", paged0, 0, 0, 0},
		{"empty paged frag", frag0, 0, 0, 0},
	})
}

func TestPagedKVExpectation(t *testing.T) {
	// physics.md §3.5 / §6.2 ContinuousBatching C pin: mean 2048, S_max 8192, page 16 →
	// μ = 2089.43, A = 2055.85 tokens, frag = 0.003819 (test tolerance 0.0038 ± 5e-4).
	mu := CappedExponentialScale(2048, 8192)
	alloc, frag := ExpectedPagedKVTokens(2048, 8192, 16)

	// Independently: the root satisfies μ(1 − e^(−S_max/μ)) = mean, and the expected
	// number of pages is Σ_{j<K} P(S > 16j) = Σ_{j<512} e^(−16j/μ), summed term by term.
	var pages float64
	for j := range 512 {
		pages += math.Exp(-16 * float64(j) / mu)
	}
	checkScalars(t, []scalarCase{
		{"μ published", mu, 2089.43, 0, 0.005},
		{"μ solves the mean equation", mu * (1 - math.Exp(-8192/mu)), 2048, 1e-12, 0},
		{"allocated published", alloc, 2055.85, 0, 0.005},
		{"allocated by summation", alloc, 16 * pages, tightRel, 0},
		{"frag published", frag, 0.003819, 0, 5e-7},
		{"frag test_solver_suite", frag, 0.0038, 0, 5e-4},
		{"frag from allocated", frag, 1 - 2048/alloc, tightRel, 0},
	})

	// Fixed-length requests (mean = S_max): μ = +Inf, every request takes all K pages.
	alloc, frag = ExpectedPagedKVTokens(8192, 8192, 16)
	checkScalars(t, []scalarCase{
		{"fixed-length μ", CappedExponentialScale(8192, 8192), math.Inf(1), 0, 0},
		{"fixed-length allocated", alloc, 8192, tightRel, 0},
		{"fixed-length frag", frag, 0, 0, 0},
	})

	// §13.2 ContinuousBatching C: at 4096 ctx and mean 1024, fragmentation rises
	// strictly with the page size 16 < 64 < 2048.
	prev := -1.0
	for _, page := range []float64{16, 64, 2048} {
		_, f := ExpectedPagedKVTokens(1024, 4096, page)
		if f <= prev {
			t.Errorf("page %g: fragmentation %g not above %g", page, f, prev)
		}
		prev = f
	}
}

func TestCheckpointBytes(t *testing.T) {
	checkScalars(t, []scalarCase{
		{"Adam bytes/param", CheckpointBytesPerParamAdam, 14, 0, 0},
		// physics.md §13.2 Checkpoint: GPT-3 175e9·14 B = 2.45 TB.
		{"GPT-3", CheckpointBytes(175e9, CheckpointBytesPerParamAdam), 2.45e12, tightRel, 0},
		// §13.4 Checkpoint: Llama3-8B 8.03e9·14 B = 112.42 GB.
		{"Llama3-8B", CheckpointBytes(8.03e9, CheckpointBytesPerParamAdam), 112.42e9, tightRel, 0},
	})
}
