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
-- 2 objectives (x, y): one sort and a running min/max window. Sorted by x then y,
-- best first, a row is on the frontier iff its y is strictly better than every y
-- sorted before it other than its own duplicates (EXCLUDE GROUP drops the rows
-- equal to it in x and y):
--   y < min(y) OVER (PARTITION BY group ORDER BY x, y
--                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP)
-- The window sorts only the group and objective columns; the frontier points
-- are then joined back to their full rows (faster than sorting whole rows).
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
{{- $x := index .objectives 0}}{{$y := index .objectives 1}}
WITH frontier AS (
    SELECT {{if .group}}{{.group}}, {{end}}{{$x.Col}}, {{$y.Col}}
    FROM results
    {{template "where" .}}
    QUALIFY coalesce({{$y.Col}} {{$y.Dir.Better}} {{$y.Dir.Agg}}({{$y.Col}}) OVER (
        {{if .group}}PARTITION BY {{.group}} {{end}}ORDER BY {{$x.Col}} {{$x.Dir.Asc}}, {{$y.Col}} {{$y.Dir.Asc}}
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP), true)
)
{{- end}}
SELECT r.* FROM (SELECT * FROM results {{template "where" .}}) r
SEMI JOIN frontier k ON {{range .group}}r.{{.}} IS NOT DISTINCT FROM k.{{.}} AND {{end -}}
    {{range $i, $o := .objectives}}{{if $i}} AND {{end}}r.{{$o.Col}} = k.{{$o.Col}}{{end}}
ORDER BY {{if .group}}{{.group}}, {{end}}{{range $i, $o := .objectives}}{{if $i}}, {{end}}{{$o.Col}} {{$o.Dir.Asc}}{{end}}{{if .pid}}, {{.pid}}{{end}}
