package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/urfave/cli/v3"
)

// An unknown flag is offered the closest flags of its command and of the commands
// above it, as an unknown command or catalog key is ("flag provided but not defined:
// -batch" named none).
func TestUnknownFlagSuggests(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"eval", "Llama3_8B", "H100", "--batch", "3"}, []string{"flag --batch is not defined (did you mean --batch-size?)", "eval --help"}},
		{[]string{"eval", "Llama3_8B", "H100", "--batchsize=3"}, []string{"flag --batchsize is not defined (did you mean --batch-size?)"}},
		{[]string{"serve", "Llama3_8B", "H100", "--kv-precison", "fp8"}, []string{"(did you mean --kv-precision?)"}},
		{[]string{"eval", "Llama3_8B", "H100", "--outpt", "json"}, []string{"(did you mean --output?)"}}, // a global flag
		{[]string{"--profil", "seed", "zoo"}, []string{"(did you mean --profile?)"}},
		{[]string{"optimize", "serving", "Llama3_8B", "--hardwre", "H100"}, []string{"optimize serving: flag --hardwre is not defined (did you mean --hardware?)"}},
		{[]string{"sweep", "roofline", "--dry-rn"}, []string{"(did you mean --dry-run?)"}},
	} {
		badRun(t, exitBadInput, tc.want, tc.args...)
	}
	// A one-letter flag is one edit from every other: no hint, only --help.
	r := badRun(t, exitBadInput, []string{"flag -x is not defined (see mlsysim eval --help)"}, "eval", "Llama3_8B", "H100", "-x")
	if strings.Contains(r.stderr, "did you mean") {
		t.Errorf("-x: a hint of one-letter flags: %s", r.stderr)
	}
}

// A flag that takes one value refuses a second: "-b 1 -b 2" evaluated batch 2 and
// dropped the 1 without a word, at exit 0.
func TestDuplicateFlagRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "Llama3_8B", "H100", "-b", "1", "-b", "2"}, `-b is given twice (the second time "2"); give it once`},
		{[]string{"eval", "Llama3_8B", "H100", "-b", "1", "--batch-size", "2"}, `--batch-size is given twice`},
		{[]string{"serve", "Llama3_8B", "H100", "-e", "0.5", "-e", "0.6"}, `-e is given twice`},
		{[]string{"serve", "Llama3_8B", "H100", "--engine", "vllm", "--engine", "sglang"}, `--engine is given twice (the second time "sglang")`},
		{[]string{"eval", "Llama3_8B", "H100", "--strict", "--strict=false"}, `--strict is given twice`},
		{[]string{"--profile", "seed", "zoo", "--profile", "calibrated"}, `--profile is given twice`},
		{[]string{"audit", "--measure-time", "1s", "--measure-time", "2s"}, `--measure-time is given twice`},
		{[]string{"sweep", "roofline", "--dry-run", "--part-points", "16384", "--part-points", "32768"}, `--part-points is given twice`},
	} {
		badRun(t, exitBadInput, []string{tc.want}, tc.args...)
	}
	// Repeatable flags still take every value.
	if r := mlsysim(t, "--catalog", fixture("extra.yaml"), "--catalog", fixture("tinynet.yaml"), "zoo", "hardware"); r.code != exitOK {
		t.Errorf("--catalog twice: %v", r)
	}
}

// An empty value is refused rather than read as the flag's default: the value of
// an unset shell variable ("$PROFILE", "$SHARD") ran the calibrated profile, the
// whole grid in every shard task, or an audit of this machine, at exit 0.
func TestEmptyFlagValueRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--profile", "", "zoo"},
		{"sweep", "roofline", "--dry-run", "--shard", ""},
		{"audit", "--from", ""},
		{"audit", "--catalog-out", ""},
		{"schema", "--type", ""},
		{"validate", "--kind", ""},
		{"validate", "--cases", ""},
		{"eval", "Llama3_8B", "H100", "--fp8-recipe", ""},
	} {
		flag := ""
		for _, a := range args {
			if strings.HasPrefix(a, "--") {
				flag = a[1:] // urfave/cli names a flag with one dash
			}
		}
		badRun(t, exitBadInput, []string{`invalid value "" for flag ` + flag + ": empty; give a value, or leave the flag out"}, args...)
	}
}

// Every flag of every command that takes one value refuses a second, and every
// string flag an empty value unless "" means something (emptyMeans), including the
// flags a command adds later.
func TestEveryFlagOnceAndNotEmpty(t *testing.T) {
	a := newApp(io.Discard, io.Discard)
	var strs, once int
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		for _, f := range c.Flags {
			name := c.FullName() + " --" + f.Names()[0]
			switch f := f.(type) {
			case *cli.StringFlag:
				strs++
				if !f.OnlyOnce {
					t.Errorf("%s takes a second value", name)
				}
				if emptyMeans[f.Name] {
					continue
				}
				if f.Validator == nil || f.Validator("") == nil {
					t.Errorf("%s takes an empty value", name)
				}
			case *cli.IntFlag:
				once++
				if !f.OnlyOnce {
					t.Errorf("%s takes a second value", name)
				}
			case *decimalFloatFlag:
				once++
				if !f.OnlyOnce {
					t.Errorf("%s takes a second value", name)
				}
			case *strictBoolFlag:
				once++
				if !f.OnlyOnce {
					t.Errorf("%s takes a second value", name)
				}
			case *cli.DurationFlag:
				once++
				if !f.OnlyOnce {
					t.Errorf("%s takes a second value", name)
				}
			}
		}
		for _, sub := range c.Commands {
			walk(sub)
		}
	}
	walk(a.Command)
	if strs < 40 || once < 60 {
		t.Errorf("walked %d string and %d other flags; the walk misses commands", strs, once)
	}
}

// withFlag is args with flag (any of its names) set to value: an earlier value is
// dropped, since a flag given twice is refused (TestDuplicateFlagRefused).
func withFlag(args []string, value string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if slices.Contains(names, args[i]) {
			i++ // and its value
			continue
		}
		out = append(out, args[i])
	}
	return append(out, names[0], value)
}

// validate --baseline-out is checked before any case runs: a missing folder is named
// (the error named the temporary file it could not open, after every case had run),
// and a name that is not a regular file is left as it was (the rename replaced a
// named pipe, or run as root /dev/full, with a file).
func TestValidateBaselineOutChecked(t *testing.T) {
	dir := t.TempDir()
	badRun(t, exitBadInput, []string{"--baseline-out: " + dir + "/no/b.json: the folder " + dir + "/no does not exist"},
		"validate", "--kind", "kv_cache", "--baseline-out", filepath.Join(dir, "no", "b.json"))
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r := badRun(t, exitBadInput, []string{"--baseline-out: " + fifo + " is a named pipe"}, "validate", "--kind", "kv_cache", "--baseline-out", fifo)
	if r.stdout != "" {
		t.Errorf("cases ran before the output was checked:\n%s", r.stdout)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe is now %v (%v)", st.Mode(), err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
