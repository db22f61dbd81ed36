-- name: pareto
-- description: the Pareto frontier: rows no other row beats in every objective, overall or per group
-- param: objectives objectives required      2–4 columns, each :min (the default) or :max, e.g. itl_ms:min,tokens_per_s:max
-- param: group      columns    default=      one frontier per combination of these columns, e.g. model
-- param: feasible   bool       default=true needs=feasible only rows with feasible = true (ignored when the result has no feasible column)
-- skyline: objectives
--
-- A row is dominated iff another row of its group is at least as good in every
-- objective and strictly better in one, so exact duplicates of a frontier point
-- are all on the frontier. Rows with a NULL or NaN objective are left out.
--
-- 2 objectives: both are turned into "smaller is better" doubles x and y (a max
-- objective negated) and the frontier is found in four steps, none of which
-- sorts every row:
-- 1. Buckets of x, b = floor(256 · sign(x) · ln(1 + |x|)) (±Inf: ±1e9), a
--    non-decreasing function of x. A point whose y is not below the best y of
--    the buckets at least two below its own (a RANGE window over the few
--    buckets) is dominated: those points have a strictly smaller x whatever
--    the rounding of ln, and a y at least as good. The rest are candidates, and
--    the frontier of the candidates is the frontier of all (a point dominated
--    by a non-candidate is dominated by what dominates that one).
-- 2. Per group and x, the best y among the candidates (a point with the same x
--    and a worse y is dominated).
-- 3. Sorted by x, a point is on the frontier iff its y is below the best y of
--    the smaller x's (a window over the few survivors).
-- The points are read twice (buckets, candidates) rather than held: the scan of
-- four columns costs less than keeping millions of rows in memory.
-- 4. The rows of the frontier points, exact duplicates included, fetched by
--    point_id (DuckDB pushes the ids into the Parquet scan, which then reads
--    only their row groups; see Open) and checked against the points.
-- 3–4 objectives: the "candidates" template below selects the distinct objective
-- points per group (with max objectives negated into skyline_0…), Go runs a
-- sort-filter skyline over them in lexicographic order and stores the frontier
-- ids in skyline_frontier, and the frontier points are joined back the same way.
{{- define "where"}}WHERE {{range $i, $o := .objectives}}{{if $i}} AND {{end}}{{$o.Col.Valid}}{{end}}{{if .feasible}} AND feasible{{end}}{{end}}
{{- define "candidates"}}
SELECT row_number() OVER () AS skyline_id,
    {{if .group}}dense_rank() OVER (ORDER BY {{.group}}){{else}}1{{end}} AS skyline_group,
    {{- range $i, $o := .objectives}}
    {{if $o.Dir.Max}}-{{end}}CAST({{$o.Col}} AS DOUBLE) AS skyline_{{$i}},
    {{- end}}
    *
FROM (
    SELECT DISTINCT {{if .group}}{{.group}}, {{end}}{{objectiveCols .objectives}}
    FROM results
    {{template "where" .}}
)
{{- end}}
{{- if .skyline}}
WITH frontier AS (
    SELECT c.* FROM skyline_candidates c SEMI JOIN skyline_frontier f ON c.skyline_id = f.skyline_id
)
{{- else}}
{{- $x := index .objectives 0}}{{$y := index .objectives 1}}{{$g := .group}}
WITH pareto_points AS NOT MATERIALIZED (
    SELECT *, floor(CASE WHEN isinf(pareto_x) THEN sign(pareto_x) * 1e9 ELSE sign(pareto_x) * ln(1 + abs(pareto_x)) * 256 END) AS pareto_b
    FROM (
        SELECT {{if .group}}{{.group}}, {{end}}{{if .pid}}{{.pid}} AS pareto_id, {{end}}
            {{if $x.Dir.Max}}-{{end}}CAST({{$x.Col}} AS DOUBLE) AS pareto_x, {{if $y.Dir.Max}}-{{end}}CAST({{$y.Col}} AS DOUBLE) AS pareto_y
        FROM results
        {{template "where" .}}
    )
),
pareto_floors AS (
    SELECT *, min(pareto_y) OVER ({{if .group}}PARTITION BY {{.group}} {{end}}ORDER BY pareto_b
        RANGE BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS pareto_floor
    FROM (SELECT {{if .group}}{{.group}}, {{end}}pareto_b, min(pareto_y) AS pareto_y FROM pareto_points GROUP BY ALL)
),
pareto_candidates AS (
    SELECT p.* FROM pareto_points p JOIN pareto_floors f ON {{range $g}}p.{{.}} IS NOT DISTINCT FROM f.{{.}} AND {{end}}p.pareto_b = f.pareto_b
    WHERE f.pareto_floor IS NULL OR p.pareto_y < f.pareto_floor
),
frontier AS (
    SELECT * FROM (SELECT {{if .group}}{{.group}}, {{end}}pareto_x, min(pareto_y) AS pareto_y FROM pareto_candidates GROUP BY ALL)
    QUALIFY coalesce(pareto_y < min(pareto_y) OVER ({{if .group}}PARTITION BY {{.group}} {{end}}ORDER BY pareto_x
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), true)
)
SELECT r.* FROM (
    SELECT * FROM results
    {{if .pid}}WHERE {{.pid}} IN (
        SELECT c.pareto_id FROM pareto_candidates c SEMI JOIN frontier k
        ON {{range $g}}c.{{.}} IS NOT DISTINCT FROM k.{{.}} AND {{end}}c.pareto_x = k.pareto_x AND c.pareto_y = k.pareto_y){{end}}
) r
SEMI JOIN frontier k ON {{range .group}}r.{{.}} IS NOT DISTINCT FROM k.{{.}} AND {{end -}}
    {{if $x.Dir.Max}}-{{end}}CAST(r.{{$x.Col}} AS DOUBLE) = k.pareto_x AND {{if $y.Dir.Max}}-{{end}}CAST(r.{{$y.Col}} AS DOUBLE) = k.pareto_y
{{if not .pid}}{{template "where" .}}{{end}}
{{- end}}
{{- if .skyline}}
SELECT r.* FROM (SELECT * FROM results {{template "where" .}}) r
SEMI JOIN frontier k ON {{range .group}}r.{{.}} IS NOT DISTINCT FROM k.{{.}} AND {{end -}}
    {{range $i, $o := .objectives}}{{if $i}} AND {{end}}r.{{$o.Col}} = k.{{$o.Col}}{{end}}
{{- end}}
ORDER BY {{if .group}}{{.group}}, {{end}}{{range $i, $o := .objectives}}{{if $i}}, {{end}}{{$o.Col}} {{$o.Dir.Asc}}{{end}}{{if .pid}}, {{.pid}}{{end}}
