-- name: batching
-- description: the largest batch that meets a latency SLA, per model and hardware (serve sweeps)
-- studies: serve, serve-sla, serve-deploy
-- param: max      number  required range=(0..       the SLA: the highest acceptable value of the sla column, e.g. 50 (ms)
-- param: sla      column  default=itl_ms numeric unit=ms the latency column the SLA bounds, in ms, e.g. itl_ms or ttft_ms
-- param: batch    column  default=batch_size numeric the batch column to maximise
-- param: group    columns default=model,hardware     one answer per combination of these columns (add seq_len or precision to fix them)
-- param: feasible bool    default=true needs=feasible only rows with feasible = true (ignored when the result has no feasible column)
--
-- One row per group: among rows with sla ≤ max, the largest batch; ties go to
-- the lowest sla, then the lower point_id. Groups where no row meets the SLA
-- are absent. arg_min over a key (−batch, sla, point_id) in one hash aggregate.
SELECT * FROM (
    SELECT unnest(mlsysim_best) FROM (
        SELECT arg_min(mlsysim_t, (-CAST({{.batch}} AS DOUBLE), CAST({{.sla}} AS DOUBLE){{if .pid}}, {{.pid}}{{end}})) AS mlsysim_best
        FROM results mlsysim_t
        WHERE {{.sla.Valid}} AND {{.batch.Valid}} AND {{.sla}} <= $max{{if .feasible}} AND feasible{{end}}
        {{- if .group}}
        GROUP BY {{.group}}
        {{- end}}
    )
    WHERE mlsysim_best IS NOT NULL
)
{{- if .group}}
ORDER BY {{.group}}
{{- end}}
