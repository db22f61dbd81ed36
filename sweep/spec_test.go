package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim/catalog"
)

// serveGrid is a serve spec on one model and device with extra axis lines.
func serveGrid(axes string) string {
	return "version: 1\nstudy: serve\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n" + axes
}

func TestGenerators(t *testing.T) {
	pow2To1024 := []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}
	cases := []struct {
		name, axis string // axis: one YAML line under axes
		param      string
		want       []float64
		tol        float64 // relative; 0 = exact
		ends       bool    // with tol: the ends are still exact
		bug        string
	}{
		{"list keeps order", "batch_size: [4, 1, 2]", "batch_size", []float64{4, 1, 2}, 0, false, ""},
		{"scalar", "batch_size: 8", "batch_size", []float64{8}, 0, false, ""},
		{"range step", "seq_len: {range: [1024, 4096], step: 1024}", "seq_len", []float64{1024, 2048, 3072, 4096}, 0, false, ""},
		{"range default step 1", "batch_size: {range: [1, 5]}", "batch_size", []float64{1, 2, 3, 4, 5}, 0, false, ""},
		{"range step stops below high", "batch_size: {range: [1, 10], step: 4}", "batch_size", []float64{1, 5, 9}, 0, false, ""},
		// (0.3 − 0.1) / 0.1 is 1.9999999999999998: the count must still be 3.
		{"range count despite rounding", "efficiency: {range: [0.1, 0.3], step: 0.1}", "efficiency", []float64{0.1, 0.2, 0.3}, 1e-15, false, ""},
		{"range of one", "batch_size: {range: [3, 3]}", "batch_size", []float64{3}, 0, false, ""},
		{"range decimal step", "efficiency: {range: [0.1, 0.5], step: 0.1}", "efficiency", []float64{0.1, 0.2, 0.3, 0.4, 0.5}, 0, false, ""},
		{"range scale pow2", "batch_size: {range: [1, 1024], scale: pow2}", "batch_size", pow2To1024, 0, false, ""},
		{"range scale pow2 inner ends", "batch_size: {range: [3, 100], scale: pow2}", "batch_size", []float64{4, 8, 16, 32, 64}, 0, false, ""},
		{"pow2 gives 11 values", "batch_size: {pow2: [1, 1024]}", "batch_size", pow2To1024, 0, false, ""},
		{"pow2 fractional low", "efficiency: {pow2: [0.1, 1]}", "efficiency", []float64{0.125, 0.25, 0.5, 1}, 0, false, ""},
		{"linspace ends and inside exact", "efficiency: {linspace: [0.3, 0.6, 4]}", "efficiency", []float64{0.3, 0.4, 0.5, 0.6}, 0, false, ""},
		// a + 1·(b − a) is not b for these ends, nor exp(log a) a for the logspace ones.
		{"linspace ends exact", "efficiency: {linspace: [0.2, 0.9, 8]}", "efficiency", []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, 1e-15, true, ""},
		{"linspace of one", "efficiency: {linspace: [0.3, 0.6, 1]}", "efficiency", []float64{0.3}, 0, false, ""},
		{"linspace integers", "seq_len: {linspace: [1024, 4096, 4]}", "seq_len", []float64{1024, 2048, 3072, 4096}, 0, false, ""},
		{"logspace integers", "seq_len: {logspace: [1, 1000, 4]}", "seq_len", []float64{1, 10, 100, 1000}, 0, false, ""},
		{"logspace floats", "efficiency: {logspace: [0.002, 0.5, 3]}", "efficiency", []float64{0.002, math.Sqrt(0.002 * 0.5), 0.5}, 1e-12, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, serveGrid("  "+c.axis+"\n"))
			got := paramValues(t, p, c.param).Nums
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				ok = got[i] == c.want[i] || c.tol > 0 && math.Abs(got[i]-c.want[i]) <= c.tol*math.Abs(c.want[i])
			}
			if c.ends && ok {
				// Ends are the numbers the user wrote, exactly.
				ok = got[0] == c.want[0] && got[len(got)-1] == c.want[len(c.want)-1]
			}
			knownBug(t, c.bug, ok, "%s: got %v, want %v", c.axis, got, c.want)
			if p.N != uint64(len(c.want)) {
				t.Errorf("N = %d, want %d", p.N, len(c.want))
			}
		})
	}
}

func TestSelectors(t *testing.T) {
	cat := testCatalog()
	hwWhere := func(keep func(h *catalog.Hardware) bool) []string {
		var keys []string
		for _, h := range cat.Hardware {
			if keep(h) {
				keys = append(keys, h.Key)
			}
		}
		return keys
	}
	modelsWhere := func(keep func(m *catalog.Model) bool) []string {
		var keys []string
		for _, m := range cat.Models {
			if keep(m) {
				keys = append(keys, m.Key)
			}
		}
		return keys
	}
	cloud := hwWhere(func(h *catalog.Hardware) bool { return h.Tier == "Cloud" })
	if len(cloud) < 10 || len(cloud) == len(cat.Hardware) {
		t.Fatalf("catalog has %d Cloud devices of %d; the test needs a proper subset", len(cloud), len(cat.Hardware))
	}
	llms := modelsWhere(func(m *catalog.Model) bool { return m.Family == catalog.Transformer || m.Family == catalog.MoE })
	cases := []struct {
		name, study, axes, param string
		want                     []string
	}{
		{"tier Cloud", "node", "  model: [ResNet50]\n  hardware: {tier: Cloud}\n", "hardware", cloud},
		{"tier is case-insensitive", "node", "  model: [ResNet50]\n  hardware: {tier: cloud}\n", "hardware", cloud},
		{"two tiers", "node", "  model: [ResNet50]\n  hardware: {tier: [Edge, Mobile]}\n", "hardware",
			hwWhere(func(h *catalog.Hardware) bool { return h.Tier == "Edge" || h.Tier == "Mobile" })},
		{"tier with exclude", "node", "  model: [ResNet50]\n  hardware: {tier: Cloud, exclude: [H100, A100]}\n", "hardware",
			slices.DeleteFunc(slices.Clone(cloud), func(k string) bool { return k == "H100" || k == "A100" })},
		{"hardware all", "node", "  model: [ResNet50]\n  hardware: all\n", "hardware", hwWhere(func(*catalog.Hardware) bool { return true })},
		{"family transformer and moe", "serve", "  model: {family: [transformer, moe]}\n  hardware: [H100]\n", "model", llms},
		{"family with exclude", "serve", "  model: {family: moe, exclude: GPT4}\n  hardware: [H100]\n", "model",
			modelsWhere(func(m *catalog.Model) bool { return m.Family == catalog.MoE && m.Key != "GPT4" })},
		{"category", "node", "  model: {category: Vision}\n  hardware: [H100]\n", "model",
			modelsWhere(func(m *catalog.Model) bool { return m.Category == "Vision" })},
		{"model all", "node", "  model: all\n  hardware: [H100]\n", "model", modelsWhere(func(*catalog.Model) bool { return true })},
		{"enum all", "node", "  model: [ResNet50]\n  hardware: [H100]\n  precision: all\n", "precision", precisionNames()},
		{"bool all", "node", "  model: [ResNet50]\n  hardware: [H100]\n  training: all\n", "training", []string{"false", "true"}},
		{"enum all in train-memory", "train-memory", "  model: [Llama3_8B]\n  hardware: [H100]\n  optimizer: all\n", "optimizer",
			[]string{"adam", "adamw", "sgd", "none"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, "version: 1\nstudy: "+c.study+"\naxes:\n"+c.axes)
			v := paramValues(t, p, c.param)
			if !slices.Equal(v.Labels, c.want) {
				t.Errorf("labels %v, want %v", v.Labels, c.want)
			}
			if v.Len() != len(c.want) || p.N != uint64(len(c.want)) {
				t.Errorf("%d values, N = %d; want %d", v.Len(), p.N, len(c.want))
			}
			for i, x := range v.Nums {
				if v.Labels[int(x)] != c.want[i] {
					t.Errorf("value %d has code %v (%s), want %s", i, x, v.Labels[int(x)], c.want[i])
				}
			}
		})
	}
}

func TestFixedAndDefaults(t *testing.T) {
	p := mustPlan(t, "version: 1\nstudy: serve\nfixed:\n  efficiency: 0.4\n  seq_len: 4096\naxes:\n  model: [Llama3_8B, Llama3_70B]\n  hardware: [H100]\n  batch_size: [1, 2, 4]\n")
	if p.N != 6 {
		t.Fatalf("N = %d, want 6", p.N)
	}
	for _, c := range []struct {
		name string
		want float64
	}{{"efficiency", 0.4}, {"seq_len", 4096}, {"prefill_chunk_tokens", 0}, {"cached_prefix_len", 0}} {
		v := paramValues(t, p, c.name)
		if v.Dim != -1 || !slices.Equal(v.Nums, []float64{c.want}) {
			t.Errorf("%s: dim %d, values %v; want fixed %v", c.name, v.Dim, v.Nums, c.want)
		}
	}
	var b Batch
	p.Fill(&b, 0, int(p.N))
	for _, x := range inputColumn(t, p, &b, "efficiency") {
		if x != 0.4 {
			t.Fatalf("efficiency column holds %v, want 0.4 everywhere", x)
		}
	}
	if v := paramValues(t, p, "precision"); v.Labels[int(v.Nums[0])] != "fp16" {
		t.Errorf("precision defaults to %s, want fp16", v.Labels[int(v.Nums[0])])
	}
}

// TestAxisOrder checks the numbering by hand: YAML order, last axis fastest.
func TestAxisOrder(t *testing.T) {
	cases := []struct {
		name, axes       string
		batch, seq, prec []float64 // per point, in point order
	}{
		{"batch then seq", "  batch_size: [1, 2]\n  seq_len: [10, 20, 30]\n",
			[]float64{1, 1, 1, 2, 2, 2}, []float64{10, 20, 30, 10, 20, 30}, nil},
		{"seq then batch", "  seq_len: [10, 20, 30]\n  batch_size: [1, 2]\n",
			[]float64{1, 2, 1, 2, 1, 2}, []float64{10, 10, 20, 20, 30, 30}, nil},
		// Enum codes are positions in the study's list (fp16 = 2, fp32 = 0), whatever the axis order.
		{"enum codes", "  precision: [fp16, fp32]\n  batch_size: [1, 2, 3]\n",
			[]float64{1, 2, 3, 1, 2, 3}, []float64{2048, 2048, 2048, 2048, 2048, 2048}, []float64{2, 2, 2, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustPlan(t, serveGrid(c.axes))
			if p.N != 6 || len(p.Dims) != 2 {
				t.Fatalf("N = %d with %d dims, want 6 points in 2 dims", p.N, len(p.Dims))
			}
			var b Batch
			p.Fill(&b, 0, 6)
			if got := inputColumn(t, p, &b, "batch_size"); !slices.Equal(got, c.batch) {
				t.Errorf("batch_size %v, want %v", got, c.batch)
			}
			if got := inputColumn(t, p, &b, "seq_len"); !slices.Equal(got, c.seq) {
				t.Errorf("seq_len %v, want %v", got, c.seq)
			}
			if c.prec != nil {
				if got := inputColumn(t, p, &b, "precision"); !slices.Equal(got, c.prec) {
					t.Errorf("precision codes %v, want %v", got, c.prec)
				}
			}
		})
	}
}

func TestZip(t *testing.T) {
	p := mustPlan(t, serveGrid("  batch_size: [1, 2]\n  seq_len: [1024, 2048, 4096]\n  precision: [fp16, fp8]\n  prefill_chunk_tokens: [256, 512, 1024]\nzip:\n  - [seq_len, prefill_chunk_tokens]\n"))
	// batch (2) × zip(seq, chunk) (3) × precision (2): the zip group is one dimension
	// at the position of its first axis.
	if p.N != 2*3*2 || len(p.Dims) != 3 {
		t.Fatalf("N = %d in %d dims, want 12 in 3", p.N, len(p.Dims))
	}
	var b Batch
	p.Fill(&b, 0, int(p.N))
	seq, chunk := inputColumn(t, p, &b, "seq_len"), inputColumn(t, p, &b, "prefill_chunk_tokens")
	wantSeq := []float64{1024, 1024, 2048, 2048, 4096, 4096, 1024, 1024, 2048, 2048, 4096, 4096}
	if !slices.Equal(seq, wantSeq) {
		t.Errorf("seq_len %v, want %v", seq, wantSeq)
	}
	pair := map[float64]float64{1024: 256, 2048: 512, 4096: 1024}
	for k := range seq {
		if chunk[k] != pair[seq[k]] {
			t.Errorf("point %d: seq_len %v with chunk %v; zipped axes must advance together", k, seq[k], chunk[k])
		}
	}
	if got, want := inputColumn(t, p, &b, "precision"), []float64{2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("precision codes %v, want %v", got, want)
	}
}

// TestFillRegenerates checks that any point, and any window of points, fills the
// same inputs as the full expansion: point_id alone regenerates a row.
func TestFillRegenerates(t *testing.T) {
	p := mustPlan(t, `version: 1
study: serve
axes:
  hardware: {tier: Cloud}
  precision: all
  seq_len: [512, 1024, 2048]
  batch_size: {pow2: [1, 1024]}
  prefill_chunk_tokens: [0, 128, 256]
  model: [Llama3_8B, Mixtral_8x7B]
zip:
  - [seq_len, prefill_chunk_tokens]
`)
	var full Batch
	p.Fill(&full, 0, int(p.N))
	// The full fill against the point id's mixed-radix digits, one point at a time.
	for id := range p.N {
		for _, d := range p.Dims {
			digit := id / d.stride % uint64(d.Len)
			for _, pi := range d.Params {
				if got, want := full.In[pi][id], p.Values[pi].Nums[digit]; got != want {
					t.Fatalf("point %d, %s: filled %v, its digit gives %v", id, p.Values[pi].Param.Name, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var b Batch
	for range 300 {
		id := rng.Uint64N(p.N)
		p.Fill(&b, id, 1)
		for i := range p.Values {
			if b.In[i][0] != full.In[i][id] {
				t.Fatalf("point %d, %s: Fill(id, 1) gives %v, the full fill %v", id, p.Values[i].Param.Name, b.In[i][0], full.In[i][id])
			}
		}
	}
	for range 50 {
		lo := rng.Uint64N(p.N)
		n := 1 + rng.IntN(int(min(p.N-lo, 5000)))
		p.Fill(&b, lo, n)
		for i := range p.Values {
			if !slices.Equal(b.In[i][:n], full.In[i][lo:lo+uint64(n)]) {
				t.Fatalf("window [%d, %d) of %s differs from the full fill", lo, lo+uint64(n), p.Values[i].Param.Name)
			}
		}
	}
}

// TestBadSpecs runs every testdata/grids/bad_*.yaml: each must fail in ParseSpec
// or Plan, naming the file and line and the offending value.
func TestBadSpecs(t *testing.T) {
	cases := []struct {
		file string
		line int      // the line the error must name as file:line:
		want []string // substrings the error must contain
		bug  string   // the line check fails because of this reported bug
	}{
		{"bad_not_yaml.yaml", 4, []string{"did not find expected"}, ""},
		{"bad_empty.yaml", 1, []string{"empty file"}, ""},
		{"bad_not_mapping.yaml", 1, []string{"want a mapping"}, ""},
		{"bad_missing_version.yaml", 2, []string{"missing version", "version: 1"}, ""},
		{"bad_version2.yaml", 1, []string{"version 2 is not supported"}, ""},
		{"bad_missing_study.yaml", 1, []string{"missing study", "serve"}, ""},
		{"bad_unknown_study.yaml", 3, []string{`unknown study "serv"`, "did you mean serve"}, ""},
		{"bad_unknown_key.yaml", 3, []string{`unknown key "axis"`, "did you mean axes"}, ""},
		{"bad_missing_axes.yaml", 1, []string{"missing axes"}, ""},
		{"bad_unknown_param.yaml", 6, []string{`no parameter "batch"`, "did you mean batch_size"}, ""},
		{"bad_unknown_model.yaml", 6, []string{`unknown model "Llama3_70b"`, "did you mean Llama3_70B"}, ""},
		{"bad_unknown_hardware.yaml", 5, []string{`unknown hardware "H1000"`, "did you mean H100"}, ""},
		{"bad_precision.yaml", 6, []string{`precision "fp12" is not valid`, "fp8"}, ""},
		{"bad_batch_zero.yaml", 6, []string{"batch_size = 0 is out of range"}, ""},
		{"bad_efficiency.yaml", 4, []string{"efficiency = 1.5 is out of range"}, ""},
		{"bad_linspace_int.yaml", 6, []string{"batch_size is a whole number", "1.5"}, ""},
		{"bad_range_order.yaml", 6, []string{"low 4096 is above high 1024"}, ""},
		{"bad_step_zero.yaml", 8, []string{"seq_len.step", "> 0"}, ""},
		{"bad_linspace_count0.yaml", 6, []string{"efficiency.linspace", "count 0"}, ""},
		{"bad_logspace_zero.yaml", 6, []string{"efficiency.logspace", "> 0"}, ""},
		{"bad_pow2_none.yaml", 6, []string{"no power of two", "[5, 7]"}, ""},
		{"bad_generator_key.yaml", 6, []string{`unknown generator key "stpe"`}, ""},
		{"bad_zip_unequal.yaml", 9, []string{"prefill_chunk_tokens has 2 values but seq_len has 3"}, ""},
		{"bad_zip_nonaxis.yaml", 8, []string{"cached_prefix_len is not an axis"}, ""},
		{"bad_zip_one.yaml", 8, []string{"two or more axes", "seq_len"}, ""},
		{"bad_fixed_list.yaml", 4, []string{"fixed.efficiency", "want one value"}, ""},
		{"bad_fixed_all.yaml", 5, []string{"fixed.hardware", "one value"}, ""},
		{"bad_fixed_and_axis.yaml", 4, []string{"efficiency is both fixed and an axis"}, ""},
		{"bad_duplicate_axis.yaml", 7, []string{"axes.batch_size is given twice"}, ""},
		{"bad_where_syntax.yaml", 9, []string{`where "precision == 'fp8' &&"`}, ""},
		{"bad_where_unknown_name.yaml", 7, []string{"unknown name precison"}, ""},
		{"bad_where_drops_all.yaml", 8, []string{"drop every point"}, ""},
		{"bad_selector_nothing.yaml", 5, []string{"matches nothing", "Datacenter"}, ""},
		{"bad_serve_cnn.yaml", 4, []string{"ResNet50", "transformer"}, ""},
		{"bad_generator_huge.yaml", 6, []string{"the generator gives", "check the step"}, ""},
	}
	files, err := filepath.Glob("../testdata/grids/bad_*.yaml")
	if err != nil || len(files) != len(cases) {
		t.Fatalf("%d bad_*.yaml files (%v), %d cases: every fixture needs a case", len(files), err, len(cases))
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".yaml"), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("../testdata/grids", c.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := planErr(c.file, b)
			if err == nil {
				knownBug(t, c.bug, false, "no error; the plan has %d points", p.N)
				return
			}
			if p != nil {
				t.Errorf("a plan came back with the error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.file+":") {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			at := fmt.Sprintf("%s:%d:", c.file, c.line)
			miss, ok := containsAll(msg, append([]string{at}, c.want...)...)
			knownBug(t, c.bug, ok, "error lacks %q: %s", miss, msg)
		})
	}
}

// TestExampleGrids plans the bundled examples.
func TestExampleGrids(t *testing.T) {
	cases := []struct {
		file string
		n    uint64 // points, from the axes' lengths and the catalog
	}{
		{"roofline.yaml", uint64(len(testCatalog().Models)) * uint64(len(testCatalog().Hardware)) * 6 * 13 * 3},
		{"serving-frontier.yaml", 3 * 4 * 3 * 2 * 4 * 2 * 11},
		{"serving-deploy.yaml", 3 * 4 * 2 * 4 * 3 * 2 * 4 * 1024},
		{"serving-sim.yaml", 2 * 2 * 4},
		{"training-memory.yaml", llmCount() * cloudCount() * 2 * 2 * 2 * 3 * 4 * 5 * 2 * 4},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("../grids", c.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := planErr(c.file, b)
			if err != nil {
				t.Fatal(err)
			}
			if p.N != c.n {
				t.Errorf("N = %d, want %d", p.N, c.n)
			}
			if p.Spec == nil || p.Spec.Name == "" || p.Spec.Description == "" {
				t.Errorf("spec name and description are not kept")
			}
		})
	}
}

func cloudCount() uint64 {
	var n uint64
	for _, h := range testCatalog().Hardware {
		if h.Tier == "Cloud" {
			n++
		}
	}
	return n
}

func llmCount() uint64 {
	var n uint64
	for _, m := range testCatalog().Models {
		if m.Family.IsTransformer() {
			n++
		}
	}
	return n
}

func TestSpecHash(t *testing.T) {
	src := serveGrid("  batch_size: [1, 2]\n")
	a, errA := ParseSpec("a.yaml", []byte(src))
	b, errB := ParseSpec("b.yaml", []byte(src+"# a comment changes the bytes\n"))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if len(a.Hash) != 64 || a.Hash == b.Hash {
		t.Errorf("hashes %q and %q: want SHA-256 of the bytes, different for different bytes", a.Hash, b.Hash)
	}
	if string(a.Raw) != src {
		t.Errorf("Raw does not keep the spec bytes")
	}
}

// A profile name is checked wherever one is given — CheckProfile, a plan's
// SetProfile, a grid spec's `profile:` (with its line) — in the same words.
func TestProfileNames(t *testing.T) {
	const bad = `profile "Seed" is not a physics profile (did you mean seed?); valid: calibrated, seed`
	for _, name := range []string{"calibrated", "seed"} {
		if err := CheckProfile(name); err != nil {
			t.Errorf("CheckProfile(%q) = %v", name, err)
		}
	}
	if err := CheckProfile("Seed"); err == nil || err.Error() != bad {
		t.Errorf("CheckProfile(Seed) = %v, want %q", err, bad)
	}
	p := mustPlan(t, "version: 1\nstudy: node\naxes: {model: [Llama3_8B], hardware: [H100]}\n")
	if err := p.SetProfile("Seed"); err == nil || err.Error() != bad {
		t.Errorf("SetProfile(Seed) = %v, want %q", err, bad)
	}
	if p.Profile != "calibrated" {
		t.Errorf("a refused profile changed the plan's to %q", p.Profile)
	}
	_, err := ParseSpec("g.yaml", []byte("version: 1\nstudy: node\nprofile: Seed\naxes: {model: [Llama3_8B], hardware: [H100]}\n"))
	if want := "g.yaml:3: " + bad; err == nil || err.Error() != want {
		t.Errorf("spec with profile Seed: %v, want %q", err, want)
	}
}

// A YAML alias stands for the node its anchor marks, as it does in a plan or a
// catalog file: "seq_len: *c" was refused as neither a value, a list nor a
// generator. A merge key is refused by name instead of being read as a parameter
// called "<<".
func TestSpecAliases(t *testing.T) {
	p := mustPlan(t, `version: 1
study: serve
axes:
  model: [Llama3_8B]
  hardware: &h H100
  batch_size: &b [1, 2]
  prefill_chunk_tokens: &c {pow2: [1024, 4096]}
  seq_len: *c
zip: [[seq_len, prefill_chunk_tokens]]
where: &w "batch_size >= 2"
`)
	var b Batch
	p.Fill(&b, 0, int(p.N))
	// batch 1, 2 × zip(1024, 2048, 4096), batch 1 filtered out: three points, seq_len
	// and the chunk both the anchored generator's values.
	seq, chunk := inputColumn(t, p, &b, "seq_len"), inputColumn(t, p, &b, "prefill_chunk_tokens")
	batch := inputColumn(t, p, &b, "batch_size")
	if !slices.Equal(seq, []float64{1024, 2048, 4096}) || !slices.Equal(chunk, seq) || !slices.Equal(batch, []float64{2, 2, 2}) {
		t.Errorf("seq_len %v, prefill_chunk_tokens %v, batch_size %v; want 1024, 2048, 4096 for both at batch 2", seq, chunk, batch)
	}
	_, err := ParseSpec("m.yaml", []byte("version: 1\nstudy: serve\nfixed: &f {batch_size: 4}\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  <<: *f\n"))
	if err == nil || !strings.Contains(err.Error(), "m.yaml:7: merge keys (<<) are not supported") {
		t.Errorf("merge key: %v", err)
	}
}
