package reports

import (
	"html/template"
	"io"
	"sync"
)

// WriteHTML writes the page as one HTML file that needs nothing else: no
// scripts, no network, the figures inline.
func (p *Page) WriteHTML(w io.Writer) error { return pageHTML().Execute(w, p) }

// pageHTML is one self-contained page: inline CSS and SVG, no scripts, no
// external resources. html/template escapes every value; the SVG is our own
// renderer's output, whose text gonum escapes. Parsed on first use: every
// start of mlsysim-full (a cold query too) parsed it at init.
var pageHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(pageSource))
})

const pageSource = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.3rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{padding:.2rem .7rem .2rem 0;text-align:left;vertical-align:top}
th{border-bottom:1px solid #888}tr:nth-child(even) td{background:#f5f5f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto;display:block}
svg text{font-family:"Liberation Sans",Arial,Helvetica,sans-serif !important}
.note{color:#666;font-size:.85rem}pre{background:#f5f5f5;padding:.6rem;overflow:auto;font-size:.8rem}
</style></head><body>
<h1>{{.Title}}</h1>
<table class="facts">{{range .Facts}}<tr><th scope="row">{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
<h2>Findings</h2>
<ul>{{range .Findings}}<li>{{.}}</li>{{end}}</ul>
{{range .Tables}}{{template "table" .}}{{end}}
<h2>Figures</h2>
{{range .Figures}}<figure>{{.SVG}}<figcaption class="note">{{.Title}}</figcaption></figure>
{{else}}<p class="note">No figure fits this result.</p>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{with .Frontier}}<h2>Frontier</h2>{{template "table" .}}{{end}}
{{if .Spec}}<h2>Grid spec</h2><pre>{{.Spec}}</pre>{{end}}
<p class="note">Written by mlsysim report. Every number above comes from the result's Parquet files.</p>
</body></html>
{{define "table"}}<h3>{{.Title}}</h3>{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
<table><thead><tr>{{range .Cols}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}`
