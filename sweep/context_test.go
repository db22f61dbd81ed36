package sweep

import (
	"fmt"
	"testing"
)

// A sequence at exactly the model's context window is served and trained; one token more
// is infeasible (exceeds_context) in the calibrated profile. Llama3_8B is Llama 3.1 8B:
// max_position_embeddings = 131072 in meta-llama/Llama-3.1-8B config.json; GPT-2 (1.5B)
// has n_positions = 1024 (openai-community/gpt2-xl config.json).
func TestContextWindow(t *testing.T) {
	serving := func(study, model, extra string) func(n int) string {
		return func(n int) string {
			return fmt.Sprintf("version: 1\nstudy: %s\nprofile: calibrated\naxes:\n  model: [%s]\n  hardware: [H100]\n%s", study, model, fmt.Sprintf(extra, n))
		}
	}
	cases := []struct {
		name  string
		ctx   int
		point func(n int) string
	}{
		{"serve", 131072, serving("serve", "Llama3_8B", "  seq_len: %d\n")},
		{"serve-sla", 131072, serving("serve-sla", "Llama3_8B", "  seq_len: %d\n")},
		{"batching", 131072, serving("batching", "Llama3_8B", "  seq_len: %d\n")},
		{"serve-capacity", 131072, serving("serve-capacity", "Llama3_8B", "  qps: 1\n  target_p99_ms: 1e6\n  seq_len: %d\n")},
		// input_tokens > 0: the request is input + output tokens long, seq_len 2048 is below both.
		{"serve-capacity prompts", 131072, func(n int) string {
			return serving("serve-capacity", "Llama3_8B", "  qps: 1\n  target_p99_ms: 1e6\n  output_tokens: 1000\n  input_tokens: %d\n")(n - 1000)
		}},
		{"serve-deploy", 131072, func(n int) string {
			return serving("serve-deploy", "Llama3_8B", "  output_tokens: 72\n  input_tokens: %d\n  target_ttft_ms: 1e7\n  target_itl_ms: 1e7\n  batch_size: 1\n")(n - 72)
		}},
		{"serve GPT-2", 1024, serving("serve", "GPT2", "  seq_len: %d\n")},
		{"training node", 131072, func(n int) string {
			return fmt.Sprintf("version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  training: true\n  batch_size: 1\n  seq_len: %d\n", n)
		}},
		// The studies that had no check (qa27): a whole chain of 2 reasoning steps (100
		// tokens) follows the context, so seq_len n − 100 fills a window of n.
		{"reasoning", 1024, func(n int) string {
			return serving("reasoning", "GPT2", "  reasoning_steps: 2\n  seq_len: %d\n")(n - 100)
		}},
		{"weight-streaming", 1024, serving("weight-streaming", "GPT2", "  seq_len: %d\n")},
		{"train-memory", 1024, serving("train-memory", "GPT2", "  seq_len: %d\n")},
		{"training fleet", 131072, func(n int) string {
			return fmt.Sprintf("version: 1\nstudy: fleet\nprofile: calibrated\naxes:\n  model: [Llama3_8B]\n  cluster: [Research_256]\n  batch_size: 256\n  seq_len: %d\n", n)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := evalOne(t, c.point(c.ctx))["infeasible_reason"]; r == "exceeds_context" {
				t.Errorf("%d tokens, the whole window: infeasible_reason %v", c.ctx, r)
			}
			over := evalOne(t, c.point(c.ctx+1))
			if over["feasible"] != false || over["infeasible_reason"] != "exceeds_context" {
				t.Errorf("%d tokens, one past the window: feasible %v, reason %v; want false, exceeds_context", c.ctx+1, over["feasible"], over["infeasible_reason"])
			}
		})
	}
}

// The seed profile has no context check (the framework it reproduces has none), and a
// model whose window the catalog does not know (GPT-4) is not checked.
func TestContextWindowUnchecked(t *testing.T) {
	for _, c := range []struct{ name, src string }{
		{"seed serve", "version: 1\nstudy: serve\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  seq_len: 200000\n"},
		{"seed training", "version: 1\nstudy: node\nprofile: seed\naxes:\n  model: [Llama3_8B]\n  hardware: [H100]\n  training: true\n  seq_len: 200000\n"},
		{"seed reasoning", "version: 1\nstudy: reasoning\nprofile: seed\naxes:\n  model: [GPT2]\n  hardware: [H100]\n  seq_len: 2048\n"},
		{"seed train-memory", "version: 1\nstudy: train-memory\nprofile: seed\naxes:\n  model: [GPT2]\n  hardware: [H100]\n  seq_len: 2048\n"},
		{"unknown window", "version: 1\nstudy: serve\nprofile: calibrated\naxes:\n  model: [GPT4]\n  hardware: [H100]\n  tp: 8\n  seq_len: 10000000\n"},
		{"unknown window training", "version: 1\nstudy: node\nprofile: calibrated\naxes:\n  model: [GPT4]\n  hardware: [H100]\n  training: true\n  seq_len: 10000000\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := evalOne(t, c.src)["infeasible_reason"]; r == "exceeds_context" {
				t.Errorf("infeasible_reason %v; want no context check", r)
			}
		})
	}
}
