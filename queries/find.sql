-- name: find
-- description: rows whose column equals a value (compared as text), e.g. one point_id or one model
-- param: column column  required              the column to match, e.g. point_id
-- param: value  string  required              the value, compared with the column cast to text: 4356, Llama3_8B, true
-- param: k      integer default=100 range=1..  rows to show at most
SELECT * FROM results
WHERE CAST({{.column}} AS VARCHAR) = $value
{{- if .pid}}
ORDER BY {{.pid}}
{{- end}}
LIMIT $k
