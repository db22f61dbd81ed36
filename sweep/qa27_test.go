package sweep

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestLoadedDrawIdlesBetweenRequests: a replica under a request rate draws its decode
// step's power only while a step runs and the idle floor the rest (calibrated), as the
// request-by-request simulation charges it. The closed form of serve (qps > 0) and
// serve-deploy charged the decode draw for all the time prefills leave, idle included:
// Llama3_8B fp16 on one H100 (batch cap 64, 1,024 + 128 tokens) at 0.5 requests/s drew
// 291.5 W against the simulation's 239.1 W (+22 %), and at 0.01 requests/s 286.4 W where
// the replica idles 99 % of the time.
//
// By hand: at 0.01 requests/s the replica decodes about λ·(O − 1)·t_d = 0.01 × 127 ×
// 6.2 ms = 0.8 % of the time, so its mean draw is the idle floor, 0.3 × 700 W = 210 W
// (kernel.IdlePowerFraction, the H100's TDP), within 1 %; at every rate the closed form's
// draw is within 3 % of the simulation's, in both prefill modes, and serve-deploy's one
// replica at the same rate draws what serve does.
func TestLoadedDrawIdlesBetweenRequests(t *testing.T) {
	const head = "version: 1\nstudy: %s\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [64]\n"
	for _, chunk := range []int{0, 512} {
		for _, qps := range []float64{0.01, 0.5, 2, 10} {
			t.Run(fmt.Sprintf("chunk %d qps %g", chunk, qps), func(t *testing.T) {
				load := fmt.Sprintf("  seq_len: [1024]\n  output_tokens: [128]\n  prefill_chunk_tokens: [%d]\n  qps: [%g]\n", chunk, qps)
				closed := evalOne(t, fmt.Sprintf(head, "serve")+load)
				sim := evalOne(t, fmt.Sprintf(head, "serve-sim")+load+"  requests: [1000]\n")
				pc, ps := closed["power_w"].(float64), sim["power_w"].(float64)
				if math.Abs(pc/ps-1) > 0.03 {
					t.Errorf("serve power_w %.1f W, serve-sim power_w %.1f W: want within 3 %%", pc, ps)
				}
				if qps == 0.01 && math.Abs(pc/210-1) > 0.01 {
					t.Errorf("at 0.01 requests/s power_w %.1f W, want the idle floor 210 W within 1 %%", pc)
				}
				if chunk > 0 {
					return
				}
				deploy := evalOne(t, fmt.Sprintf(head, "serve-deploy")+fmt.Sprintf("  input_tokens: [1024]\n  output_tokens: [128]\n  qps: [%g]\n  target_ttft_ms: [100000]\n  target_itl_ms: [1000]\n", qps))
				if deploy["accelerators"] != 1.0 {
					t.Fatalf("serve-deploy sized %v accelerators, want one replica", deploy["accelerators"])
				}
				if pd := deploy["power_w"].(float64); math.Abs(pd/pc-1) > 1e-9 {
					t.Errorf("serve-deploy power_w %.4f W, serve %.4f W: one replica at one rate, one draw", pd, pc)
				}
			})
		}
	}
}

// TestSeedUnreadNoted: under the seed profile each parameter of seedUnread changes no row
// (swept over two values, every row repeats) and the grid says so at its line; before
// qa27 cp: [1, 2] in a seed fleet grid, or requests: [0, 100] in a seed batching grid,
// wrote identical rows with nothing said. The same grid under calibrated has no such note.
func TestSeedUnreadNoted(t *testing.T) {
	heads := map[string]string{
		"fleet":        "  model: [Llama3_8B]\n  cluster: [Lab_64_H100]\n  batch_size: [64]\n  tp: [2]\n  pp: [2]\n  microbatches: [4]\n",
		"train-memory": "  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [8]\n  tp: [2]\n  pp: [2]\n  dp: [4]\n  zero_stage: [1]\n  activation_checkpointing: [full]\n",
		"node":         "  model: [ResNet50]\n  hardware: [H100]\n  training: [true, false]\n",
		"batching":     "  model: [Llama3_8B]\n  hardware: [H100]\n  max_batch_size: [8]\n  input_tokens: [512]\n  seq_len: [1024]\n",
	}
	two := map[string]string{
		"activation_checkpointing": "[selective, none]", "sequence_parallel": "[true, false]", "cp": "[1, 2]",
		"cp_attention": "[ring, allgather]", "flash_attention": "[true, false]", "fp32_gradients": "[true, false]",
		"microbatches": "[1, 4]", "virtual_stages": "[1, 2]", "cnn_execution": "[eager, graph]",
		"max_num_tokens": "[2048, 8192]", "requests": "[0, 100]", "cuda_graph_padding": "[true, false]",
	}
	for study, names := range seedUnread {
		for _, name := range names {
			t.Run(study+"/"+name, func(t *testing.T) {
				for _, profile := range Profiles {
					src := "version: 1\nstudy: " + study + "\nprofile: " + profile + "\naxes:\n" + heads[study] + "  " + name + ": " + two[name] + "\n"
					p := mustPlan(t, src)
					noted := strings.Contains(strings.Join(p.EffectNotes(), "\n"), name+" changes nothing")
					if profile == "calibrated" {
						if noted {
							t.Errorf("calibrated: %s noted as changing nothing", name)
						}
						continue
					}
					if !noted {
						t.Errorf("seed: %s not noted; notes %q", name, p.EffectNotes())
					}
					rows := checkStudyGrid(t, src)
					for i := range rows {
						delete(rows[i], "point_id")
						delete(rows[i], name)
					}
					for i := 1; i < len(rows); i += 2 {
						if fmt.Sprint(rows[i-1]) != fmt.Sprint(rows[i]) {
							t.Errorf("seed: %s changes a row: %v / %v", name, rows[i-1], rows[i])
						}
					}
				}
			})
		}
	}
}
