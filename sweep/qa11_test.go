package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestBatchingKVAsServe: the batching study's kv_cache_gb is the serve study's for the same
// requests (calibrated): DeepSeek-V3 at tp 8 × pp 2, 256 requests of 2048 tokens, fp8. Its
// latent cache, 61 · (512 + 64) values of 1 byte a token, is 18.42 GB counted once
// (61 · 576 · 2048 · 256); tensor parallelism cannot split it, so each stage's 8 ranks hold
// a copy of their layers' half: 16 · 18.42 / 2 = 147.37 GB. serve counts every copy
// (memory_utilization holds them); batching reported 18.42 GB.
func TestBatchingKVAsServe(t *testing.T) {
	const layout = "  model: [DeepSeek_V3]\n  hardware: [H200]\n  precision: [fp8]\n  tp: 8\n  pp: 2\n  seq_len: 2048\n"
	b := evalOne(t, "version: 1\nstudy: batching\naxes:\n"+layout+"  max_batch_size: 256\n")
	s := evalOne(t, "version: 1\nstudy: serve\naxes:\n"+layout+"  batch_size: 256\n")
	want := 61.0 * 576 * 2048 * 256 * 16 / 2 / 1e9
	if b["active_requests"] != 256.0 {
		t.Fatalf("batching admits %v requests, want 256", b["active_requests"])
	}
	for name, row := range map[string]map[string]any{"batching": b, "serve": s} {
		if got := row["kv_cache_gb"].(float64); math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: kv_cache_gb %.6f, want %.6f", name, got, want)
		}
	}
}

// TestSeedEPNoted: under the seed profile the serving step has no expert parallelism — a
// Mixtral point at tp 8 gives the same TTFT, ITL and memory at ep 1, 2 and 8 — so a serving
// grid with ep above 1 there is noted (serve refuses --ep), and not under calibrated.
func TestSeedEPNoted(t *testing.T) {
	const spec = "version: 1\nstudy: serve\n%saxes:\n  model: [Mixtral_8x7B]\n  hardware: [H100]\n  tp: 8\n  ep: [1, 8]\n"
	for _, tc := range []struct{ profile, want string }{{"profile: seed\n", "test.yaml:8: ep changes nothing"}, {"", ""}} {
		p := mustPlan(t, fmt.Sprintf(spec, tc.profile))
		if p.Profile == "" {
			if err := p.SetProfile("calibrated"); err != nil {
				t.Fatal(err)
			}
		}
		notes := p.EffectNotes()
		if (tc.want == "" && len(notes) > 0) || (tc.want != "" && (len(notes) != 1 || !strings.Contains(notes[0], tc.want))) {
			t.Errorf("%q: notes %q, want %q", tc.profile, notes, tc.want)
		}
	}
	seed := "version: 1\nstudy: serve\nprofile: seed\naxes:\n  model: [Mixtral_8x7B]\n  hardware: [H100]\n  tp: 8\n  batch_size: 16\n  ep: "
	one, eight := evalOne(t, seed+"1\n"), evalOne(t, seed+"8\n")
	for _, k := range []string{"ttft_ms", "itl_ms", "memory_utilization"} {
		if one[k] != eight[k] {
			t.Errorf("seed %s: ep 1 %v, ep 8 %v — the note would be wrong", k, one[k], eight[k])
		}
	}
}
