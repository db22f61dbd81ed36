package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/urfave/cli/v3"
)

func (a *app) serveCommand() *cli.Command {
	return &cli.Command{
		Name:          "serve",
		Usage:         "LLM serving on one accelerator: TTFT, ITL, KV cache, memory",
		ArgsUsage:     "MODEL HARDWARE",
		ShellComplete: a.completeArgs(modelKeys, hardwareKeys, noKeys),
		Description: `Prefill (time to first token) is compute-bound, decode (inter-token latency)
memory-bound: every generated token re-reads the weights and the KV cache
(physics.md §6.1 of the seed). In the calibrated profile (the default) a decode
step also takes at least its FLOPs at peak · efficiency, so large batches turn
compute-bound ("Decode bound" in the text output; docs/PHYSICS.md §31).
MODEL must be a transformer.

JSON keys follow the seed (model, hardware, seq_len, batch_size, precision,
efficiency, feasible, ttft_ms, itl_ms, tokens_per_sec, kv_cache_gb,
memory_utilization, and prefill_chunks, prefill_chunk_time_ms,
decode_stall_bound_ms when chunking) plus weights_gb and total_memory_gb, all
unrounded.

Examples:
   mlsysim serve Llama3_8B H100
   mlsysim serve Llama3_70B H100 -b 8 -p fp8 --seq-len 8192 --prefill-chunk-tokens 512
   mlsysim serve Llama3_70B H100 --tp 2                # tensor parallel over NVLink`,
		Flags: append(commonFlags(),
			&cli.IntFlag{Name: "prefill-chunk-tokens", Usage: "chunked prefill: tokens per chunk (default: one chunk)"},
			&cli.IntFlag{Name: "tp", Value: 1, Usage: "tensor-parallel accelerators sharing the model (scale-up link)"},
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown")
			if err != nil {
				return err
			}
			model, hw, err := a.targets(c, "serve")
			if err != nil {
				return err
			}
			chunk := c.Int("prefill-chunk-tokens")
			if c.IsSet("prefill-chunk-tokens") && chunk <= 0 {
				return badInputf("--prefill-chunk-tokens", "must be > 0, got %d", chunk)
			}
			axes := append(a.scenarioAxes(c, model, hw), axis("prefill_chunk_tokens", strconv.Itoa(chunk), "--prefill-chunk-tokens"),
				axis("tp", strconv.Itoa(c.Int("tp")), "--tp"))
			row, err := a.evalOne("serve", axes)
			if err != nil {
				return err
			}
			a.precisionWarning(hw, c.String("precision"), format)
			if err := renderServe(a.stdout, format, row, chunk > 0); err != nil {
				return err
			}
			return strictCheck(c, row)
		},
	}
}

// decodeBound names what limits a serve row's decode step from its binding wall.
func decodeBound(wall any) string {
	switch wall {
	case "1 Compute":
		return "compute (the step's FLOPs outlast its bytes)"
	case "2 Memory":
		return "memory bandwidth (weights + KV cache per step)"
	case "4 Serving":
		return "— (weights + KV cache do not fit)"
	default:
		return fmt.Sprintf("%v", wall)
	}
}

func renderServe(w io.Writer, format string, row map[string]any, chunked bool) error {
	f := func(k string) float64 { v, _ := row[k].(float64); return v }
	obj := orderedObject{
		{"model", row["model"]}, {"hardware", row["hardware"]}, {"seq_len", row["seq_len"]},
		{"batch_size", row["batch_size"]}, {"precision", row["precision"]}, {"efficiency", row["efficiency"]},
		{"feasible", row["feasible"]}, {"ttft_ms", f("ttft_ms")}, {"itl_ms", f("itl_ms")},
		{"tokens_per_sec", f("tokens_per_s")}, {"kv_cache_gb", f("kv_cache_gb")},
		{"memory_utilization", f("memory_utilization")}, {"weights_gb", f("weights_gb")},
		{"total_memory_gb", f("total_memory_gb")}, {"profile", row["profile"]},
	}
	if tp, _ := row["tp"].(int64); tp > 1 {
		obj = append(obj, kv{"tp", tp}, kv{"tp_comm_ms", f("tp_comm_ms")})
	}
	if chunked {
		obj = append(obj, kv{"prefill_chunks", int(f("prefill_chunks"))},
			kv{"prefill_chunk_time_ms", f("prefill_chunk_time_ms")}, kv{"decode_stall_bound_ms", f("prefill_chunk_time_ms")})
	}
	if format == "json" {
		return writeJSON(w, obj)
	}
	feasible := "yes"
	if row["feasible"] != true {
		feasible = fmt.Sprintf("no (%v)", row["infeasible_reason"])
	}
	lines := [][2]string{
		{"Sequence length", fmt.Sprintf("%v tokens", row["seq_len"])},
		{"Batch size", fmt.Sprint(row["batch_size"])},
		{"Precision", fmt.Sprint(row["precision"])},
		{"Efficiency", fmtPct(f("efficiency"))},
		{"Feasible", feasible},
		{"TTFT (prefill)", fmt.Sprintf("%.2f ms", f("ttft_ms"))},
		{"ITL (decode)", fmt.Sprintf("%.4f ms per token", f("itl_ms"))},
		{"Tokens/s", fmt.Sprintf("%.1f (batch / ITL)", f("tokens_per_s"))},
		{"Decode bound", decodeBound(row["binding_wall"])},
		{"Weights", fmt.Sprintf("%.2f GB", f("weights_gb"))},
		{"KV cache", fmt.Sprintf("%.2f GB", f("kv_cache_gb"))},
		{"Memory", fmt.Sprintf("%.2f GB of %.2f GB (%s)", f("total_memory_gb"), f("memory_capacity_gb"), fmtPct(f("memory_utilization")))},
	}
	if tp, _ := row["tp"].(int64); tp > 1 {
		lines[len(lines)-1] = [2]string{"Memory", fmt.Sprintf("%.2f GB per accelerator of %.2f GB (%s), %d-way tensor parallel",
			f("total_memory_gb")/float64(tp), f("memory_capacity_gb"), fmtPct(f("memory_utilization")), tp)}
		lines = append(lines, [2]string{"TP all-reduces", fmt.Sprintf("%.4f ms per decode step", f("tp_comm_ms"))})
	}
	if chunked {
		lines = append(lines, [2]string{"Prefill chunks", fmt.Sprintf("%.0f", f("prefill_chunks"))},
			[2]string{"Decode stall max", fmt.Sprintf("%.2f ms per chunk", f("prefill_chunk_time_ms"))})
	}
	title := fmt.Sprintf("Serving analysis: %v on %v", row["model"], row["hardware"])
	if format == "markdown" {
		fmt.Fprintf(w, "## %s\n\n| Metric | Value |\n|---|---|\n", title)
		for _, l := range lines {
			fmt.Fprintf(w, "| %s | %s |\n", l[0], l[1])
		}
		return nil
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "  %-17s %s\n", l[0], l[1])
	}
	return nil
}
