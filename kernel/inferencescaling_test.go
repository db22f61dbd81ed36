package kernel

import "testing"

func TestInferenceScaling(t *testing.T) {
	noTDP := h100
	noTDP.tdp = 0
	huge := serve(llama3_70B, h100, 2048)
	in := &ReasonIn{
		Serve:          *serveColumns(serve(llama3_8B, h100, 2048), serve(llama3_8B, h100, 2048), serve(llama3_8B, noTDP, 2048), huge),
		ReasoningSteps: []float64{8, 0, 8, 8},
		TDP:            []float64{h100.tdp, h100.tdp, noTDP.tdp, h100.tdp},
	}
	var out ReasonOut
	InferenceScaling(&out, in)

	const ttft, itl = 70.97037058756726e-3, 5.194159837611941e-3 // §13.1 G4
	checkScalars(t, []scalarCase{
		// physics.md §13.4 InferenceScaling(Llama3_8B, H100, K 8, ctx 2048): t_step 259.708 ms;
		// total 2148.634 ms; energy 1504.04 J; tokens 400.
		{"§13.4 t_step ms", out.TimePerStep[0] * 1e3, 259.708, 0, 5e-4},
		{"§13.4 total ms", out.TotalTime[0] * 1e3, 2148.634, 0, 5e-4},
		{"§13.4 energy J", out.Energy[0], 1504.04, 0, 5e-3},
		{"§13.4 tokens", out.Tokens[0], 400, 0, 0},
		// Exact from G4: t_step = 50·ITL, total = TTFT + 8·t_step, energy = 700 W · total.
		{"t_step exact", out.TimePerStep[0], 50 * itl, tightRel, 0},
		{"total exact", out.TotalTime[0], ttft + 8*50*itl, tightRel, 0},
		{"energy exact", out.Energy[0], 700 * (ttft + 8*50*itl), tightRel, 0},
		{"serving detail TTFT", out.Serve.TTFT[0], ttft, tightRel, 0},
		// No reasoning: the answer costs its prefill only.
		{"K 0 total", out.TotalTime[1], ttft, tightRel, 0},
		{"K 0 tokens", out.Tokens[1], 0, 0, 0},
		// §6.6: no TDP → 0 J.
		{"no TDP energy", out.Energy[2], 0, 0, 0},
	})
	if !out.Serve.Feasible[0] || out.Serve.Feasible[3] {
		t.Errorf("feasible %v, want Llama3_8B true and Llama3_70B (141 GB on 80 GiB) false", out.Serve.Feasible)
	}
}

func TestInferenceScalingDoesNotAllocate(t *testing.T) {
	in := &ReasonIn{Serve: *serveColumns(serve(llama3_8B, h100, 2048), serve(mixtral, a100, 4096)),
		ReasoningSteps: []float64{8, 32}, TDP: []float64{700, 400}}
	var out ReasonOut
	InferenceScaling(&out, in)
	if allocs := testing.AllocsPerRun(20, func() { InferenceScaling(&out, in) }); allocs != 0 {
		t.Errorf("InferenceScaling allocates %g times per call once its outputs are sized", allocs)
	}
}
