-- name: deployments
-- description: the best row of each distinct deployment, best first: one per layout, precision and mode of a serve-deploy sweep
-- studies: serve-deploy
-- param: by       column  default=usd_per_million_tokens numeric  the column to minimise, e.g. sla_ratio for the closest misses
-- param: then     column  default=sla_ratio numeric  the tie-break: between deployments (and batches) equal in by, the smaller wins
-- param: next     column  default=decode_utilization numeric  the second tie-break: between rows equal in by and then, the smaller wins (the default: the fleet with more free batch slots)
-- param: k        integer default=10 range=1..999999  deployments to keep
-- param: group    columns default=hardware,precision,kv_format,tp,pp,ep,mode,prefill_tp  what makes two rows the same deployment (kv_format: the KV cache as stored, so kv_precision auto and the format it resolves to are one)
-- param: feasible bool    default=true needs=feasible  only rows with feasible = true; false ranks every row (closest misses)
--
-- A serve-deploy sweep holds every decode batch of each deployment; its best batch stands
-- for it. arg_min over (by, then, next, point_id) per group is one hash aggregate that never sorts
-- the wide rows; the survivors are ordered and cut to k. by is compared to three significant
-- figures, the precision of the catalog's prices (unit costs of one to three: 15000, 41666.7
-- USD), so two rows whose price differs in its fifth digit — the draw of a decode step at a
-- batch of 91 or 91.8, the same fleet at two batch caps — tie. Of two deployments at one price the
-- one further inside its latency targets (smaller sla_ratio) ranks first, then the one whose
-- decode slots are less loaded (smaller decode_utilization: two batch caps of one fleet often
-- tie on the rest, and the smaller cap can sit at the knee of its slot wait); then the lower
-- point_id.
{{- $v := printf "CAST(%s AS DOUBLE)" .by}}
{{- $p := printf "power(10, 2 - floor(log10(%s)))" $v}}
{{- $by := printf "(CASE WHEN isfinite(%s) AND %s > 0 THEN round(%s * %s) / %s ELSE %s END)" $v $v $v $p $p $v}}
{{- $key := printf "(%s, %s, %s)" $by .then .next}}{{if .pid}}{{$key = printf "(%s, %s, %s, %s)" $by .then .next .pid}}{{end}}
{{- $where := printf "WHERE %s" .by.Valid}}{{if .feasible}}{{$where = printf "%s AND feasible" $where}}{{end}}
SELECT * FROM (
    SELECT unnest(mlsysim_row) FROM (
        SELECT arg_min(mlsysim_t, {{$key}}) AS mlsysim_row
        FROM results mlsysim_t
        {{$where}}
        {{if .group}}GROUP BY {{.group}}{{end}}
    )
)
ORDER BY {{$by}}, {{.then}}, {{.next}}{{if .pid}}, {{.pid}}{{end}}
LIMIT $k
