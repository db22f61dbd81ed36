//go:build cgo && !lean

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestQueriesDocExamples runs every `$ mlsysim query …` example of docs/QUERIES.md that
// shows its output against a fresh sweep of the bundled serving-frontier grid, through
// the pipes the example names (cut -d, -f…, head -N, wc -l), and requires the output the
// page shows, line for line; and the page's count of points, rows and feasible rows. The
// examples' numbers went stale as the serving physics moved (the top example's columns
// 28 and 29 had become accelerator_hour_usd and ttft_ms). After a change that moves them,
// regenerate the page: MLSYSIM_UPDATE_DOCS=1 go test ./cmd/mlsysim -run
// TestQueriesDocExamples (make docs does), which rewrites each shown output and each cut's
// field list so it selects the columns the example's header names.
func TestQueriesDocExamples(t *testing.T) {
	const page = "../../docs/QUERIES.md"
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("MLSYSIM_UPDATE_DOCS") == "1"
	res := swept(t, "serving-frontier")
	lines := strings.Split(string(b), "\n")
	var ran int
	inBlock := false
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock || !strings.HasPrefix(lines[i], "$ mlsysim query ") || !strings.Contains(lines[i], "out/serving-frontier") {
			continue
		}
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "$ ") && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		want := lines[i+1 : end]
		if len(want) == 0 {
			continue // an example whose output the page does not show
		}
		ran++
		cmdLine := lines[i]
		got, fixed, err := runDocExample(t, strings.TrimPrefix(cmdLine, "$ "), res, want, update)
		if err != nil {
			t.Errorf("docs/QUERIES.md:%d: %s: %v", i+1, cmdLine, err)
			continue
		}
		if update {
			lines[i] = "$ " + fixed
			lines = slices.Concat(lines[:i+1], got, lines[end:])
			i += len(got)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("docs/QUERIES.md:%d: %s\nthe page shows:\n%s\nthe command prints:\n%s\n(regenerate: MLSYSIM_UPDATE_DOCS=1 go test ./cmd/mlsysim -run TestQueriesDocExamples)",
				i+1, cmdLine, strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	}
	if ran < 8 {
		t.Errorf("checked %d examples; docs/QUERIES.md shows more", ran)
	}
	lines = docPointsClaim(t, lines, res, update)
	// The page's count of the result it queries.
	m, err := os.ReadFile(res + "/_manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Points uint64 `json:"points_total"`
		Rows   uint64 `json:"rows"`
	}
	if err := json.Unmarshal(m, &man); err != nil {
		t.Fatal(err)
	}
	r := mlsysim(t, "query", "--sql", "SELECT count(*) FROM results WHERE feasible", res, "-o", "csv")
	feasible, err := strconv.ParseUint(strings.TrimSpace(strings.Split(strings.TrimSpace(r.stdout), "\n")[1]), 10, 64)
	if r.code != exitOK || err != nil {
		t.Fatalf("%v %v", r, err)
	}
	counts := regexp.MustCompile("\\(`make run`: [0-9,]+ points, [0-9,]+ rows after the fp8 filter, [0-9,]+ feasible\\)")
	text := strings.Join(lines, "\n")
	now := fmt.Sprintf("(`make run`: %s points, %s rows after the fp8 filter, %s feasible)",
		thousandsU(man.Points), thousandsU(man.Rows), thousandsU(feasible))
	if found := counts.FindString(text); found == "" {
		t.Errorf("docs/QUERIES.md no longer says how many points, rows and feasible rows its examples query")
	} else if found != now {
		if update {
			text = strings.Replace(text, found, now, 1)
		} else {
			t.Errorf("docs/QUERIES.md says %s; the sweep gives %s", found, now)
		}
	}
	if update {
		if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func thousandsU(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// runDocExample runs one documented command line (mlsysim and its pipes) with
// out/serving-frontier replaced by res, and returns its output lines. With update, a cut
// stage's field list is first rebuilt to select the columns named by want's header (its
// first line), and the command line as run is returned too.
func runDocExample(t *testing.T, line, res string, want []string, update bool) ([]string, string, error) {
	stages := splitPipes(line)
	args, err := shellWords(stages[0])
	if err != nil {
		return nil, "", err
	}
	if len(args) < 2 || args[0] != "mlsysim" {
		return nil, "", fmt.Errorf("not an mlsysim command")
	}
	for i, a := range args {
		if a == "out/serving-frontier" {
			args[i] = res
		}
	}
	r := mlsysim(t, args[1:]...)
	if r.code != exitOK {
		return nil, "", fmt.Errorf("exit %d: %s", r.code, r.stderr)
	}
	out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for si, st := range stages[1:] {
		f := strings.Fields(st)
		switch {
		case len(f) == 3 && f[0] == "cut" && f[1] == "-d," && strings.HasPrefix(f[2], "-f"):
			if update && len(want) > 0 {
				list, err := fieldsFor(out[0], want[0])
				if err != nil {
					return nil, "", err
				}
				f[2] = "-f" + list
				stages[si+1] = strings.Join(f, " ")
			}
			keep, err := cutFields(f[2][2:])
			if err != nil {
				return nil, "", err
			}
			for k, l := range out {
				cells := strings.Split(l, ",")
				var sel []string
				for j, c := range cells {
					if keep(j + 1) {
						sel = append(sel, c)
					}
				}
				out[k] = strings.Join(sel, ",")
			}
		case len(f) == 2 && f[0] == "head" && strings.HasPrefix(f[1], "-"):
			n, err := strconv.Atoi(f[1][1:])
			if err != nil {
				return nil, "", err
			}
			out = out[:min(n, len(out))]
		case len(f) == 2 && f[0] == "wc" && f[1] == "-l":
			out = []string{strconv.Itoa(len(out))}
		default:
			return nil, "", fmt.Errorf("pipe %q: the test knows cut -d, -fLIST, head -N and wc -l", st)
		}
	}
	return out, strings.Join(stages, " | "), nil
}

func splitPipes(line string) []string {
	var stages []string
	quoted, start := false, 0
	for i, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '|' && !quoted:
			stages = append(stages, strings.TrimSpace(line[start:i]))
			start = i + 1
		}
	}
	return append(stages, strings.TrimSpace(line[start:]))
}

// shellWords splits a command into words, a double-quoted string being one word.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	quoted, in := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, in = !quoted, true
		case c == ' ' && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unbalanced quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// cutFields parses cut's LIST (1-based fields and ranges N-M).
func cutFields(list string) (func(int) bool, error) {
	type span struct{ lo, hi int }
	var spans []span
	for _, p := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("cut field %q", p)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("cut field %q", p)
			}
		}
		spans = append(spans, span{a, b})
	}
	return func(f int) bool {
		return slices.ContainsFunc(spans, func(s span) bool { return f >= s.lo && f <= s.hi })
	}, nil
}

// fieldsFor is the cut LIST that selects, from the full CSV header, the columns that
// header names (in the order they come).
func fieldsFor(full, header string) (string, error) {
	cols := strings.Split(full, ",")
	var idx []int
	for _, name := range strings.Split(header, ",") {
		i := slices.Index(cols, name)
		if i < 0 {
			return "", fmt.Errorf("the output has no column %q to cut", name)
		}
		idx = append(idx, i+1)
	}
	if !slices.IsSorted(idx) {
		return "", fmt.Errorf("cut keeps the output's column order, and %q is not in it", header)
	}
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.Itoa(idx[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ","), nil
}

// docPointsClaim holds the page's reading of the three-objective frontier — "(Points A and
// B differ only in `pp`, 2 and 1: the two-stage pipeline decodes a little faster per token
// and prefills a little slower" — to the example above it: A and B are its second and
// third rows, they agree on every other layout input, and the pp 2 row has the lower ITL
// and the higher TTFT. With update the ids are rewritten from the example.
func docPointsClaim(t *testing.T, lines []string, res string, update bool) []string {
	t.Helper()
	claim := regexp.MustCompile("^\\(Points (\\d+) and (\\d+) differ only in `pp`, 2 and 1")
	for i, l := range lines {
		m := claim.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		// The example's output ends at the closing fence before the claim.
		end := i - 1
		for end > 0 && !strings.HasPrefix(lines[end], "```") {
			end--
		}
		if end < 3 {
			t.Fatalf("docs/QUERIES.md:%d: no example above the points claim", i+1)
		}
		a, b := strings.Split(lines[end-2], ",")[0], strings.Split(lines[end-1], ",")[0]
		if update {
			lines[i] = strings.Replace(strings.Replace(l, m[1], "\x00", 1), m[2], b, 1)
			lines[i] = strings.Replace(lines[i], "\x00", a, 1)
		} else if m[1] != a || m[2] != b {
			t.Errorf("docs/QUERIES.md:%d: names points %s and %s; the example above shows %s and %s", i+1, m[1], m[2], a, b)
		}
		q := mlsysim(t, "query", "--sql", "SELECT count(DISTINCT (model, hardware, precision, kv_precision, batch_size, seq_len, tp, ep, engine)) AS layouts, "+
			"max(pp) FILTER (WHERE point_id = "+a+") AS pp_a, max(pp) FILTER (WHERE point_id = "+b+") AS pp_b, "+
			"(max(itl_ms) FILTER (WHERE pp = 2) < max(itl_ms) FILTER (WHERE pp = 1)) AND (max(ttft_ms) FILTER (WHERE pp = 2) > max(ttft_ms) FILTER (WHERE pp = 1)) AS reads "+
			"FROM results WHERE point_id IN ("+a+", "+b+")", res, "-o", "csv")
		if got := strings.TrimSpace(q.stdout); q.code != exitOK || !strings.HasSuffix(got, "\n1,2,1,true") {
			t.Errorf("docs/QUERIES.md:%d: points %s and %s: want one layout but pp 2 and 1, pp 2 decoding faster and prefilling slower; got\n%s\n%s", i+1, a, b, got, q.stderr)
		}
		return lines
	}
	t.Error("docs/QUERIES.md no longer reads the three-objective frontier's points; drop docPointsClaim with it")
	return lines
}
