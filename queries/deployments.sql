-- name: deployments
-- description: the best row of each distinct deployment, best first: one per layout, precision and mode of a serve-deploy sweep
-- studies: serve-deploy
-- param: by       column  default=usd_per_million_tokens numeric  the column to minimise, e.g. sla_ratio for the closest misses
-- param: then     column  default=sla_ratio numeric  the tie-break: between deployments (and batches) equal in by, the smaller wins
-- param: k        integer default=10 range=1..999999  deployments to keep
-- param: group    columns default=hardware,precision,kv_format,tp,pp,ep,mode,prefill_tp  what makes two rows the same deployment (kv_format: the KV cache as stored, so kv_precision auto and the format it resolves to are one)
-- param: feasible bool    default=true needs=feasible  only rows with feasible = true; false ranks every row (closest misses)
--
-- A serve-deploy sweep holds every decode batch of each deployment; its best batch stands
-- for it. arg_min over (by, then, point_id) per group is one hash aggregate that never sorts
-- the wide rows; the survivors are ordered and cut to k. Of two deployments at one price the
-- one further inside its latency targets (smaller sla_ratio) ranks first; then the lower point_id.
{{- $key := printf "(%s, %s)" .by .then}}{{if .pid}}{{$key = printf "(%s, %s, %s)" .by .then .pid}}{{end}}
{{- $where := printf "WHERE %s" .by.Valid}}{{if .feasible}}{{$where = printf "%s AND feasible" $where}}{{end}}
SELECT * FROM (
    SELECT unnest(mlsysim_row) FROM (
        SELECT arg_min(mlsysim_t, {{$key}}) AS mlsysim_row
        FROM results mlsysim_t
        {{$where}}
        {{if .group}}GROUP BY {{.group}}{{end}}
    )
)
ORDER BY {{.by}}, {{.then}}{{if .pid}}, {{.pid}}{{end}}
LIMIT $k
