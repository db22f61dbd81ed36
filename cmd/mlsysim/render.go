package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table is a titled grid of cells with a parallel machine form for JSON.
type table struct {
	name, title string
	cols        []string // text/markdown/csv headers
	jsonCols    []string // JSON keys (units in the names)
	rows        [][]string
	values      [][]any
	// rawCSV: -o csv writes jsonCols and values (raw numbers, units in the
	// column names) rather than the formatted text cells ("1.76T", "80 GiB").
	rawCSV bool
}

func (t *table) add(cells []string, values []any) {
	t.rows = append(t.rows, cells)
	t.values = append(t.values, values)
}

func renderTables(w io.Writer, format string, ts []*table) error {
	switch format {
	case "json":
		obj := orderedObject{}
		for _, t := range ts {
			var rows []orderedObject
			for _, v := range t.values {
				row := orderedObject{}
				for i, k := range t.jsonCols {
					row = append(row, kv{k, v[i]})
				}
				rows = append(rows, row)
			}
			obj = append(obj, kv{t.name, rows})
		}
		return writeJSON(w, obj)
	case "csv":
		cw := csv.NewWriter(w)
		for i, t := range ts {
			if len(ts) > 1 {
				if i > 0 {
					cw.Write(nil)
				}
				cw.Write([]string{"# " + t.name})
			}
			if t.rawCSV {
				cw.Write(t.jsonCols)
				for _, v := range t.values {
					cw.Write(csvCells(v))
				}
				continue
			}
			cw.Write(t.cols)
			cw.WriteAll(t.rows)
		}
		cw.Flush()
		return cw.Error()
	case "markdown":
		for i, t := range ts {
			if i > 0 {
				fmt.Fprintln(w)
			}
			hdr := make([]string, len(t.cols))
			for j, c := range t.cols {
				hdr[j] = strings.ReplaceAll(c, "|", `\|`)
			}
			fmt.Fprintf(w, "## %s\n\n| %s |\n|%s\n", t.title, strings.Join(hdr, " | "), strings.Repeat("---|", len(t.cols)))
			for _, r := range t.rows {
				esc := make([]string, len(r))
				for j, c := range r {
					esc[j] = strings.ReplaceAll(c, "|", `\|`)
				}
				fmt.Fprintf(w, "| %s |\n", strings.Join(esc, " | "))
			}
		}
		return nil
	default:
		for i, t := range ts {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s (%d)\n", t.title, len(t.rows))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.cols, "\t")))
			for _, r := range t.rows {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			tw.Flush()
		}
		return nil
	}
}

// kv and orderedObject keep JSON keys in a chosen order.
type kv struct {
	k string
	v any
}

type orderedObject []kv

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := marshalNoEscape(jsonSafe(e.v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// jsonSafe turns non-finite floats into null: JSON has no Inf or NaN.
func jsonSafe(v any) any {
	if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil
	}
	return v
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Human formatting for text output; JSON keeps full precision.

func fmtSI(v float64, unit string) string {
	prefixes := []struct {
		s string
		f float64
	}{{"E", 1e18}, {"P", 1e15}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"", 1}, {"m", 1e-3}, {"µ", 1e-6}, {"n", 1e-9}}
	if v == 0 {
		return "0 " + unit
	}
	for _, p := range prefixes {
		if math.Abs(v) >= p.f {
			return trimFloat(v/p.f) + " " + p.s + unit
		}
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func trimFloat(x float64) string {
	s := fmt.Sprintf("%.3g", x)
	if math.Abs(x) >= 1000 {
		s = fmt.Sprintf("%.0f", x)
	}
	return s
}

func fmtFLOPS(v float64) string { return fmtSI(v, "FLOP/s") }

func fmtBandwidth(v float64) string { return fmtSI(v, "B/s") }

// fmtBytes shows binary units when the value is a whole number of the largest
// binary unit it reaches, as vendors state HBM (80 GiB), and decimal otherwise: a
// decimal 128 GB is also a whole number of KiB, but "1.25e+08 KiB" says nothing.
func fmtBytes(v float64) string {
	for _, u := range []struct {
		s string
		f float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.f {
			if math.Mod(v, u.f) == 0 {
				return fmt.Sprintf("%g %s", v/u.f, u.s)
			}
			break
		}
	}
	return fmtSI(v, "B")
}

// fmtGB prints decimal gigabytes to one decimal, and a smaller amount in its own SI unit:
// a microcontroller's 1 MiB is not "0.0 GB".
func fmtGB(gb float64) string {
	if gb >= 0.1 {
		return fmt.Sprintf("%.1f GB", gb)
	}
	return fmtSI(gb*1e9, "B")
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e12:
		return fmt.Sprintf("%.3gT", v/1e12)
	case v >= 1e9:
		return fmt.Sprintf("%.3gB", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gK", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

// fmtMs prints a duration given in ms with sensible precision.
func fmtMs(ms float64) string {
	switch {
	case math.IsInf(ms, 1):
		return "∞"
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms >= 0.1:
		return fmt.Sprintf("%.3f ms", ms)
	}
	return fmt.Sprintf("%.2f µs", ms*1000)
}

// nounCount writes n and the noun, plural unless n is 1.
func nounCount(n float64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%.0f %ss", n, noun)
}

func fmtPct(x float64) string { return fmt.Sprintf("%.1f %%", 100*x) }

func marshalNoEscape(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// fmtUSD renders a dollar amount with cents below 100 and thousands grouped above; below
// ten cents with two significant digits, so that sub-cent costs per million tokens do not
// all print as $0.00 or $0.02 and hide which of two rows is cheaper.
func fmtUSD(x float64) string {
	switch {
	case math.IsInf(x, 1) || math.IsNaN(x):
		return "—"
	case x > 0 && x < 0.095:
		return "$" + strconv.FormatFloat(x, 'f', 1-int(math.Floor(math.Log10(x))), 64)
	case x < 100:
		return fmt.Sprintf("$%.2f", x)
	case x >= 1e15:
		return fmt.Sprintf("$%.3g", x)
	}
	return "$" + groupDigits(x)
}

// fmtTokenRate prints a token rate with four significant digits, and from 10,000 a
// second on as whole tokens with grouped digits (%.4g printed 11,680 as 1.168e+04).
func fmtTokenRate(x float64) string {
	if x >= 1e4 {
		return groupDigits(x)
	}
	return fmt.Sprintf("%.4g", x)
}

// csvCells writes JSON values as CSV cells: numbers in full precision (the
// shortest text that reads back as the same float64, as JSON writes it), nil
// as an empty cell.
func csvCells(vs []any) []string {
	cells := make([]string, len(vs))
	for i, v := range vs {
		switch x := v.(type) {
		case nil:
		case float64:
			// As encoding/json writes a number: plain digits unless tiny or huge.
			f := byte('f')
			if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
				f = 'e'
			}
			cells[i] = strconv.FormatFloat(x, f, -1, 64)
		case string:
			cells[i] = x
		default:
			cells[i] = fmt.Sprint(x)
		}
	}
	return cells
}
