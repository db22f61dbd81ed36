-- name: find
-- description: rows whose column equals a value, e.g. one point_id or one model
-- param: column column  required              the column to match, e.g. point_id
-- param: value  string  required of=column    the value: a number for a numeric column (2.0 finds 2), true or false for a flag, else the exact text (Llama3_8B)
-- param: k      integer default=100 range=1..  rows to show at most
SELECT * FROM results
WHERE {{if .column.Numeric}}{{.column}} = $value{{else}}CAST({{.column}} AS VARCHAR) = $value{{end}}
{{- if .pid}}
ORDER BY {{.pid}}
{{- end}}
LIMIT $k
