-- name: frontier-table
-- description: a serving frontier (pareto output of a serve sweep) as a narrow table: one row per distinct point, cheapest of exact ties
-- reads:   hardware, precision, kv_format, tp, pp, batch_size, itl_ms, tokens_per_s_per_accelerator, usd_per_million_tokens, point_id
-- studies: serve, serve-sla, serve-deploy
-- param: group    columns default=model  one table section per combination of these columns
-- param: feasible bool    default=true needs=feasible only rows with feasible = true (ignored when the result has no feasible column)
-- param: mode     bool    default=true needs=mode     show each row's serving mode and keep the modes apart (a serve-deploy result: aggregated or disaggregated; ignored when the result has no mode column)
--
-- Rows of a frontier that tie exactly in ITL and tokens/s per accelerator (the same chip and
-- layout at another KV precision, say) are one point: the cheapest stands for them. Reads a
-- serve-study result (or its pareto output): itl_ms, tokens_per_s_per_accelerator,
-- usd_per_million_tokens, hardware, precision, kv_format, tp, pp, batch_size.
-- Numbers are text with fixed decimals so the columns line up; the KV cache is named by the
-- format the point stored it in (kv_format: kv_precision with auto and same resolved, so an
-- int4 row's cache under auto is fp16, under same int4), as optimize serving does.
-- Infeasible rows are left out (a whole serve result listed its out_of_memory points with a
-- latency and a price); the pareto output holds feasible rows only. A serve-deploy result
-- holds each layout twice, aggregated and disaggregated, with different numbers: the mode
-- column says which row is which, and ties are looked for within a mode.
SELECT {{if .group}}{{.group}}, {{end}}{{if .mode}}mode, {{end}}hardware, precision,
    kv_format AS kv,
    printf('tp %d × pp %d', tp, pp) AS layout, batch_size AS batch,
    printf('%9.2f', itl_ms) AS itl_ms,
    printf('%9.0f', tokens_per_s_per_accelerator) AS tokens_per_s_per_accel,
    printf('%8.3f', usd_per_million_tokens) AS usd_per_m_tokens
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY {{if .group}}{{.group}}, {{end}}{{if .mode}}mode, {{end}}itl_ms, tokens_per_s_per_accelerator
        ORDER BY usd_per_million_tokens, point_id) AS mlsysim_tie
    FROM results{{if .feasible}}
    WHERE feasible{{end}}
)
WHERE mlsysim_tie = 1
ORDER BY {{if .group}}{{.group}}, {{end}}itl_ms, usd_per_million_tokens
