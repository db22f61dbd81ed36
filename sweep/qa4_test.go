package sweep

import "testing"

// TestFleetVirtualStagesNeedAPipeline: interleaving splits each pipeline stage into
// virtual_stages chunks, so at pp 1 there is nothing to interleave; a plan refuses it
// (PlanFile.CheckEffect) and a fleet grid marks the point infeasible, as it marks a
// split whose stages get no layer, under both profiles. At pp 2 it runs.
func TestFleetVirtualStagesNeedAPipeline(t *testing.T) {
	for _, profile := range Profiles {
		for _, tc := range []struct {
			pp, vs       string
			reason, wall string
		}{
			{"1", "2", "virtual_stages_without_pipeline", "14 Communication"},
			{"1", "1", "", ""},
			{"2", "2", "", ""},
		} {
			row := evalOne(t, "version: 1\nstudy: fleet\nprofile: "+profile+"\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n  tp: 8\n  pp: "+tc.pp+
				"\n  virtual_stages: "+tc.vs+"\n  microbatches: 4\n  batch_size: 256\n  zero_stage: 1\n")
			wall := tc.wall
			if tc.reason == "" {
				wall = row["binding_wall"].(string) // a feasible point's binding wall is the physics' call
			}
			t.Run(profile+"/pp"+tc.pp+"/vs"+tc.vs, func(t *testing.T) { checkInfeasible(t, row, tc.reason, wall) })
			if tc.reason != "" && row["wall_14_communication_pass"] != false {
				t.Errorf("%s pp %s vs %s: wall 14 passes, want it violated", profile, tc.pp, tc.vs)
			}
		}
	}
}
