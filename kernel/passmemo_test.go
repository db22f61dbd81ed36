package kernel

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// memoServeIn is n calibrated serving points drawn from a few values per column, so that
// shapes and passes repeat as in a sweep, with more shapes than the memo has slots and more
// passes than its table has entries: dense and MoE models (Llama3_70B, Mixtral_8x7B), tp,
// pp, ep, SMs, efficiency, drafts, chunking and prefix caching varied, and a latent
// (MLA) MoE shaped as DeepSeek-V3's attention.
func memoServeIn(n int) *DeployIn {
	r := rand.New(rand.NewPCG(13, 10))
	pick := func(v ...float64) float64 { return v[r.IntN(len(v))] }
	in := &DeployIn{}
	cols := []*[]float64{&in.Params, &in.Layers, &in.AttnCoef, &in.KVElemsPerToken, &in.Bytes, &in.SeqLen, &in.Batch,
		&in.CachedPrefix, &in.ChunkTokens, &in.Efficiency, &in.PeakFLOPS, &in.MemBandwidth, &in.MemCapacity, &in.DispatchTax,
		&in.Hidden, &in.ActiveParams, &in.Experts, &in.ExpertsPerToken, &in.KVHeads, &in.Heads, &in.FFN, &in.UpMatrices,
		&in.Vocab, &in.SMs, &in.TP, &in.PP, &in.EP, &in.TPBandwidth, &in.SpecTokens, &in.SpecAcceptance,
		&in.KernelsPerLayer, &in.MoEKernels, &in.AllReduceLatency, &in.AllReducePerRank,
		&in.InputTokens, &in.OutputTokens, &in.QPS, &in.TTFTTarget, &in.ITLTarget, &in.Disaggregated, &in.PrefillTP,
		&in.QLoraRank, &in.KVLoraRank, &in.QKNope, &in.QKRope, &in.VHead}
	for _, c := range cols {
		*c = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		moe := r.IntN(2) == 1
		in.Params[i], in.Layers[i], in.Hidden[i], in.Heads[i], in.KVHeads[i] = 70.6e9, 80, 8192, 64, 8
		in.FFN[i], in.Vocab[i], in.UpMatrices[i], in.ActiveParams[i] = 28672, 128256, 2, 70.6e9
		in.EP[i] = 1
		if moe {
			in.Params[i], in.Layers[i], in.Hidden[i], in.Heads[i], in.KVHeads[i] = 46.7e9, 32, 4096, 32, 8
			in.FFN[i], in.Vocab[i], in.ActiveParams[i], in.Experts[i], in.ExpertsPerToken[i] = 14336, 32000, 12.9e9, 8, 2
			in.EP[i] = pick(1, 2)
			if r.IntN(2) == 1 { // latent attention, its cache replicated over tp
				in.KVHeads[i], in.QLoraRank[i], in.KVLoraRank[i], in.QKNope[i], in.QKRope[i], in.VHead[i] = 0, pick(0, 1536), 512, 128, 64, 128
			}
		}
		in.AttnCoef[i] = AttentionFLOPsCoef(in.Layers[i], in.Heads[i], in.Hidden[i])
		in.KVElemsPerToken[i] = KVElemsPerToken(in.Layers[i], in.Heads[i], in.KVHeads[i], in.Hidden[i], in.KVLoraRank[i], in.QKRope[i])
		in.Bytes[i] = pick(2, 1, 0.5)
		in.SeqLen[i], in.Batch[i] = pick(1024, 4096), pick(1, 3, 16, 64, 200, 1024)
		in.CachedPrefix[i], in.ChunkTokens[i] = pick(0, 0, 300), pick(0, 0, 512)
		in.Efficiency[i], in.PeakFLOPS[i] = pick(0.7, 0.8), 989e12
		in.MemBandwidth[i], in.MemCapacity[i], in.DispatchTax[i] = 3.35e12, pick(80, 141)*(1<<30), 1e-5
		in.SMs[i], in.TP[i], in.PP[i] = pick(0, 132), pick(1, 2, 8), pick(1, 2, 3)
		in.TPBandwidth[i] = 450e9
		in.SpecTokens[i], in.SpecAcceptance[i] = pick(0, 0, 3), 0.7
		in.KernelsPerLayer[i], in.MoEKernels[i], in.AllReduceLatency[i], in.AllReducePerRank[i] = 10, 4, 8.7e-6, 520e-9
		in.InputTokens[i], in.OutputTokens[i], in.QPS[i] = pick(512, 1024), 256, pick(1, 20)
		in.TTFTTarget[i], in.ITLTarget[i] = 0.5, 0.05
		in.Disaggregated[i], in.PrefillTP[i] = pick(0, 1), pick(1, 4)
	}
	in.Calibrated = true
	return in
}

// sameBits reports every exported column where two output structs of one type differ in
// any bit (a NaN equals only the same NaN).
func sameBits(t *testing.T, label string, got, want any) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for f := 0; f < gv.NumField(); f++ {
		if !gv.Type().Field(f).IsExported() {
			continue
		}
		g, w := gv.Field(f), wv.Field(f)
		for i := 0; i < g.Len(); i++ {
			a, b := g.Index(i), w.Index(i)
			if a.Kind() == reflect.Float64 {
				if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
					t.Fatalf("%s: %s row %d = %v with the memo, %v without", label, gv.Type().Field(f).Name, i, a.Float(), b.Float())
				}
			} else if a.Interface() != b.Interface() {
				t.Fatalf("%s: %s row %d = %v with the memo, %v without", label, gv.Type().Field(f).Name, i, a.Interface(), b.Interface())
			}
		}
	}
}

// TestPassMemoBitIdentical: Serving and ServingDeployment with their memo of passes give
// every output bit that the same points computed without it give, over points whose shapes
// outnumber the memo's slots and whose passes overflow its table (evictions and
// collisions), and again on a second call that starts from a full memo.
func TestPassMemoBitIdentical(t *testing.T) {
	const n = 6000
	in := memoServeIn(n)
	var want ServeOut
	want.resize(n)
	for i := 0; i < n; i++ {
		m := in.point(i) // no memo: every pass computed
		servingCalibrated(&want, &in.ServeIn, &m, i)
	}
	var wantD DeployOut
	wantD.resize(n)
	for i := 0; i < n; i++ {
		wantD.set(i, deploy(in, i, nil, nil)) // nor a cache of decode steps
	}
	var got ServeOut
	var gotD DeployOut
	for round := 0; round < 2; round++ {
		Serving(&got, &in.ServeIn)
		sameBits(t, "Serving", &got, &want)
		ServingDeployment(&gotD, in)
		sameBits(t, "ServingDeployment", &gotD, &wantD)
	}
	if got.memo.issued <= memoShapes {
		t.Errorf("the points interned %d shapes: the memo's %d slots were never recycled", got.memo.issued, memoShapes)
	}
}

// TestPassMemoKeys: a pass the memo holds is returned from its table (an entry altered in
// place comes back altered), and only for the same shape, sequences and tokens, even when
// every entry of the table is that pass; a shape whose slot was recycled is computed again.
func TestPassMemoKeys(t *testing.T) {
	in := memoServeIn(1)
	in.SMs[0], in.PP[0], in.SpecTokens[0] = 132, 1, 0
	var memo passMemo
	m := in.point(0)
	m.memo = &memo
	first, _, _ := m.matmuls(16, 1)
	if want, _, _ := m.gemmPass(16, 16); first != want {
		t.Fatalf("first pass %v, computed %v", first, want)
	}
	// Every entry becomes the pass's, altered: a lookup of any other key meets it.
	var e passEntry
	for _, x := range memo.table {
		if x.id != 0 {
			e = x
		}
	}
	e.t = -1
	for i := range memo.table {
		memo.table[i] = e
	}
	if got, _, _ := m.matmuls(16, 1); got != -1 {
		t.Errorf("repeated pass = %v: not taken from the table", got)
	}
	for _, c := range []struct {
		name       string
		seqs, n    float64
		changeSize bool
	}{
		{"other sequences, same tokens", 8, 2, false},
		{"other tokens", 16, 2, false},
		{"other shape", 16, 1, true},
	} {
		o := m
		if c.changeSize {
			o.sms = 108
			o.derive()
		}
		if got, _, _ := o.matmuls(c.seqs, c.n); got == -1 {
			t.Errorf("%s: took another pass's entry", c.name)
		}
	}
	for k := 0; k < memoShapes; k++ {
		o := m
		o.sms = float64(200 + k)
		o.derive()
		o.matmuls(1, 1)
	}
	m.derive()
	if got, _, _ := m.matmuls(16, 1); got != first {
		t.Errorf("after its slot was recycled the pass = %v, want %v computed again", got, first)
	}
}
