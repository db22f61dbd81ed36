-- name: summary
-- description: per numeric column its count, mean, min, percentiles and max; per string or bool column the rows of each value
-- param: columns  columns default=       the columns to summarise (default: all but point_id and the group columns)
-- param: group    columns default=       summarise per combination of these columns, e.g. model
-- param: feasible bool    default=false needs=feasible only rows with feasible = true
--
-- One row per numeric column: count of values (NULL and NaN are not values),
-- mean, min, interpolated percentiles (quantile_cont) p10 p50 p90 p99, max, all
-- as DOUBLE. Then one row per value of each string or bool column (bottleneck,
-- infeasible_reason, feasible, …) with its row count, most frequent first.
-- One UNION ALL branch per column: each reads only its own Parquet column.
{{- $cols := .columns}}{{if not $cols}}{{$cols = without .all .group "point_id"}}{{end}}
{{- $g := ""}}{{if .group}}{{$g = printf "%s, " .group}}{{end}}
{{- $where := ""}}{{if .feasible}}{{$where = "WHERE feasible"}}{{end}}
{{- $groupBy := ""}}{{if .group}}{{$groupBy = printf "GROUP BY %s" .group}}{{end}}
{{- $first := true}}
SELECT * EXCLUDE (summary_part, summary_order) FROM (
{{- range $i, $c := numeric $cols}}
    {{if not $first}}UNION ALL {{end}}{{$first = false -}}
    SELECT {{$g}}0 AS summary_part, {{$i}} AS summary_order, {{$c.Lit}} AS "column", NULL::VARCHAR AS "value",
        n AS "count", mean, lo AS "min", q[1] AS p10, q[2] AS p50, q[3] AS p90, q[4] AS p99, hi AS "max"
    FROM (
        SELECT {{$g}}count(v) AS n, avg(v) AS mean, min(v) AS lo, max(v) AS hi,
            quantile_cont(v, [0.1, 0.5, 0.9, 0.99]) AS q
        FROM (SELECT {{$g}}nullif(CAST({{$c}} AS DOUBLE), 'NaN'::DOUBLE) AS v FROM results {{$where}})
        {{$groupBy}}
    )
{{- end}}
{{- range $i, $c := categorical $cols}}
    {{if not $first}}UNION ALL {{end}}{{$first = false -}}
    SELECT {{$g}}1 AS summary_part, {{$i}} AS summary_order, {{$c.Lit}} AS "column", CAST({{$c}} AS VARCHAR) AS "value",
        count(*) AS "count", NULL::DOUBLE AS mean, NULL::DOUBLE AS "min", NULL::DOUBLE AS p10, NULL::DOUBLE AS p50,
        NULL::DOUBLE AS p90, NULL::DOUBLE AS p99, NULL::DOUBLE AS "max"
    FROM results {{$where}}
    GROUP BY {{$g}}{{$c}}
{{- end}}
{{- if $first}}{{fail "none of the columns is numeric, string or bool"}}{{end}}
)
ORDER BY {{$g}}summary_part, summary_order, "count" DESC, "value"
