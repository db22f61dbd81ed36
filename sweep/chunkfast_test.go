package sweep

import "testing"

// TestServeChunkFastPathsEqualPointwise: the serving evaluators skip work where a chunk's
// code or layout columns hold one value (gatherOne, layoutReasons); every output bit of a
// chunk must equal the point evaluated alone (a chunk of one point, where every column
// holds one value), with the layout, draft and engine varying from point to point (the
// per-point paths) and varying slowest (the one-value paths), layouts that fail
// included, under both profiles.
func TestServeChunkFastPathsEqualPointwise(t *testing.T) {
	inner := "  batch_size: [1, 16]\n  seq_len: [512, 70000]\n  efficiency: [0, 0.5]\n"
	layout := "  model: [Llama3_70B, Mixtral_8x7B]\n  hardware: [H100, MI300X]\n  precision: [fp16, fp8, fp4]\n" +
		"  tp: [1, 2, 16]\n  pp: [1, 4]\n  ep: [1, 2]\n  draft_model: [none, mtp, Llama3_8B]\n  engine: [vllm, trtllm]\n"
	for name, axes := range map[string]string{
		"layout fastest": inner + layout,
		"layout slowest": layout + inner,
	} {
		for _, profile := range Profiles {
			t.Run(name+"/"+profile, func(t *testing.T) {
				p := mustPlan(t, "version: 1\nstudy: serve\naxes:\n"+axes)
				if err := p.SetProfile(profile); err != nil {
					t.Fatal(err)
				}
				b, all, _ := wholeAndAlone(t, p)
				reasons := map[uint8]bool{}
				for _, c := range all.Code[len(p.Study.Columns)-1][:b.N] {
					reasons[uint8(c)] = true
				}
				if len(reasons) < 4 {
					t.Fatalf("%d infeasibility reasons: the grid should reach several", len(reasons))
				}
			})
		}
	}
}
