-- name: parallelism
-- description: the best feasible TP×PP×DP×EP split per model and cluster: shortest training step (fleet sweeps)
-- studies: fleet
-- param: by       column  default=step_latency_ms numeric  the column to minimise
-- param: k        integer default=1 range=1..999999        splits to keep per group, best first
-- param: group    columns default=model,cluster,nodes,batch_size,seq_len  one ranking per combination of these columns (a larger batch or sequence is a longer step, not a worse split)
-- param: feasible bool    default=true needs=feasible      only splits that divide the fleet and fit in memory
--
-- physics.md §7.5 (ParallelismOptimizer) ranks splits by MFU; for a fixed model, batch and
-- fleet the shortest step is the same ranking, so the default groups hold the batch and the
-- sequence fixed (without them a sweep over batch_size named its smallest batch the best
-- split). Ties go to the lower point_id.
{{- $key := .by.String}}{{if .pid}}{{$key = printf "(%s, %s)" .by .pid}}{{end}}
{{- $where := printf "WHERE %s" .by.Valid}}{{if .feasible}}{{$where = printf "%s AND feasible" $where}}{{end}}
{{- if .group}}
SELECT * FROM (
    SELECT unnest(mlsysim_row) FROM (
        SELECT unnest(arg_min(mlsysim_t, {{$key}}, $k)) AS mlsysim_row
        FROM results mlsysim_t
        {{$where}}
        GROUP BY {{.group}}
    )
)
ORDER BY {{.group}}, {{.by}}{{if .pid}}, {{.pid}}{{end}}
{{- else}}
SELECT * FROM results
{{$where}}
ORDER BY {{.by}}{{if .pid}}, {{.pid}}{{end}}
LIMIT $k
{{- end}}
