-- name: placement
-- description: the cheapest place to run: lowest TCO + carbon tax × tCO2e, overall or per group (fleet sweeps)
-- studies: fleet
-- param: tax      number  default=100 range=0..      carbon tax in USD per tonne CO2e (the seed's default is 100)
-- param: cost     column  default=tco_usd numeric unit=USD  the cost column, USD
-- param: carbon   column  default=carbon_kg numeric unit=kg  the carbon column, kg CO2e
-- param: k        integer default=1 range=1..999999  candidates to keep per group, cheapest first
-- param: group    columns default=                   one ranking per combination of these columns, e.g. model
-- param: feasible bool    default=true needs=feasible only rows with feasible = true (ignored when the result has no feasible column)
--
-- The objective is computed here, so one sweep answers any tax: cost + tax · carbon / 1000
-- (physics.md §8.4, PlacementOptimizer). Ties go to the lower point_id. Per group it is
-- arg_min over (objective, point_id) with n = k in one hash aggregate (DuckDB's fast path;
-- QUALIFY row_number() was ~30× slower on 10M rows in the dependency survey). With a
-- point_id the aggregate keeps only the winners' ids, whose rows are then fetched (DuckDB
-- pushes the ids into the scan, which reads only their row groups); without one it keeps
-- whole rows.
{{- $obj := printf "(%s + $tax * %s / 1000.0)" .cost .carbon}}
{{- $key := $obj}}{{if .pid}}{{$key = printf "(%s, %s)" $obj .pid}}{{end}}
{{- $where := printf "WHERE %s AND %s" .cost.Valid .carbon.Valid}}{{if .feasible}}{{$where = printf "%s AND feasible" $where}}{{end}}
SELECT *, {{.cost}} + $tax * {{.carbon}} / 1000.0 AS placement_objective_usd, {{.carbon}} / 1000.0 AS placement_carbon_t FROM (
{{- if and .group .pid}}
    SELECT * FROM results
    {{$where}} AND {{.pid}} IN (
        SELECT unnest(arg_min({{.pid}}, {{$key}}, $k)) FROM results {{$where}} GROUP BY {{.group}}
    )
{{- else if .group}}
    SELECT unnest(mlsysim_row) FROM (
        SELECT unnest(arg_min(mlsysim_t, {{$key}}, $k)) AS mlsysim_row
        FROM results mlsysim_t
        {{$where}}
        GROUP BY {{.group}}
    )
{{- else}}
    SELECT * FROM results
    {{$where}}
    ORDER BY {{$obj}}{{if .pid}}, {{.pid}}{{end}}
    LIMIT $k
{{- end}}
)
ORDER BY {{if .group}}{{.group}}, {{end}}placement_objective_usd{{if .pid}}, {{.pid}}{{end}}
