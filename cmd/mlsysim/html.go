package main

import (
	"html/template"
	"io"
	"sync"
)

// scorecardHTML is a standalone page for the 3-lens scorecard (eval -o html).
// html/template escapes every value. Parsed on first use: only -o html needs it,
// and parsing was 7 % of a cold eval's instructions.
var scorecardHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("scorecard").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(scorecardPage))
})

const scorecardPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MLSys·im scorecard — {{.Name}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
.lens{border-left:6px solid #888;padding:.5rem 1rem;margin:1rem 0;background:#f7f7f7}
.PASS{border-color:#2a9d4b}.FAIL{border-color:#c62828}.SKIPPED{border-color:#999}
.status{font-weight:bold}td{padding:.15rem .8rem .15rem 0}td.v{text-align:right;font-variant-numeric:tabular-nums}
.violations{color:#c62828}
</style></head><body>
<h1>MLSys·im scorecard</h1>
<p>{{.Name}}{{if .Binding}} — binding wall: <b>{{.Binding}}</b>{{end}}</p>
{{range $i, $l := .Lenses}}<div class="lens {{$l.Status}}">
<h2>Level {{inc $i}}: {{$l.Name}} <span class="status">[{{$l.Status}}]</span></h2>
<p>{{$l.Summary}}</p>
{{if $l.Metrics}}<table>{{range $l.Metrics}}<tr><td>{{.Key}}</td><td class="v">{{.Value}}</td></tr>{{end}}</table>{{end}}
</div>{{end}}
{{if .Violations}}<div class="violations"><h2>Constraint violations</h2><ul>{{range .Violations}}<li>FAIL: {{.}}</li>{{end}}</ul></div>{{end}}
</body></html>
`

type htmlMetric struct{ Key, Value string }

type htmlLens struct {
	Name, Status, Summary string
	Metrics               []htmlMetric
}

func renderScorecardHTML(w io.Writer, name string, lenses []lens, violations []string, binding any) error {
	data := struct {
		Name       string
		Binding    any
		Lenses     []htmlLens
		Violations []string
	}{Name: name, Binding: binding, Violations: violations}
	for _, l := range lenses {
		hl := htmlLens{Name: l.name, Status: l.status, Summary: l.summary}
		for _, m := range l.metrics {
			hl.Metrics = append(hl.Metrics, htmlMetric{Key: l.prefix + "." + m.k, Value: fmtMetric(m.k, m.v)})
		}
		data.Lenses = append(data.Lenses, hl)
	}
	return scorecardHTML().Execute(w, data)
}
