-- name: top
-- description: the k best rows by one column, overall or per group
-- param: by       column    required numeric      the numeric column to rank by, e.g. itl_ms
-- param: order    direction default=min           min: smallest first; max: largest first
-- param: k        integer   default=10 range=1..999999  rows to keep (per group)
-- param: group    columns   default=              rank within each combination of these columns, e.g. model,hardware
-- param: feasible bool      default=true needs=feasible  only rows with feasible = true (ignored when the result has no feasible column)
--
-- Rows where the column is NULL or NaN are left out; ties go to the lower
-- point_id. Overall: ORDER BY … LIMIT (DuckDB's top-N). Per group: arg_min/arg_max
-- with n = k keeps k rows per group in one hash aggregate, several times faster
-- than QUALIFY row_number() on millions of rows.
{{- $key := .by.String}}
{{- if and .pid .order.Max}}{{$key = printf "(%s, -CAST(%s AS HUGEINT))" .by .pid}}{{else if .pid}}{{$key = printf "(%s, %s)" .by .pid}}{{end}}
{{- $where := printf "WHERE %s" .by.Valid}}{{if .feasible}}{{$where = printf "%s AND feasible" $where}}{{end}}
{{- $order := printf "%s %s" .by .order.Asc}}{{if .pid}}{{$order = printf "%s, %s" $order .pid}}{{end}}
{{- if .group}}
SELECT * FROM (
    SELECT unnest(mlsysim_row) FROM (
        SELECT unnest({{.order.Arg}}(mlsysim_t, {{$key}}, $k)) AS mlsysim_row
        FROM results mlsysim_t
        {{$where}}
        GROUP BY {{.group}}
    )
)
ORDER BY {{.group}}, {{$order}}
{{- else}}
SELECT * FROM results
{{$where}}
ORDER BY {{$order}}
LIMIT $k
{{- end}}
