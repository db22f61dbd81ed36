package main

import (
	"io"
	"testing"

	"github.com/urfave/cli/v3"
)

// Rough edges found by the session's other rounds (issue qa23).

// Decimal flags are decimal, as integer flags are (TestIntegerFlagsAreDecimal):
// strconv.ParseFloat read Go's hexadecimal floats and digit separators, so "-e 0x1p-1"
// ran at efficiency 0.5 and "--qps 1_0" at 10 requests/s, each at exit 0.
func TestDecimalFlagsAreDecimal(t *testing.T) {
	eval := []string{"eval", "Llama3_8B", "H100"}
	serve := []string{"serve", "Llama3_8B", "H100", "-b", "8"}
	for _, tc := range []struct {
		flag, value string
		args        []string
	}{
		{"-e", "0x1p-1", eval},
		{"-e", "0X.8p0", eval},
		{"-qps", "1_0", serve},
		{"-qps", "-0x1p3", serve},
		{"-qps", "+0x1p3", serve},
		{"-ttft-ms", "5_00", serve},
		{"-attainment", "0_.9", serve},
		{"-carbon-tax", "0x10", []string{"optimize", "placement", planFixture("placement-research256.yaml")}},
	} {
		args := append(append([]string{}, tc.args...), tc.flag, tc.value)
		badRun(t, exitBadInput, []string{"invalid value \"" + tc.value + "\"", "flag " + tc.flag, "not a decimal number"}, args...)
	}
	// Decimal forms still read: a point, an exponent, a sign.
	r := mlsysim(t, "serve", "Llama3_8B", "H100", "-b", "8", "--qps", "+5e-1", "-e", ".5", "-o", "json")
	if r.code != 0 {
		t.Fatalf("serve --qps +5e-1 -e .5: %v", r)
	}
	obj := oneObject(t, r.stdout)
	equal(t, obj, "qps", 0.5)
	equal(t, obj, "efficiency", 0.5)
}

// Every decimal flag of every command is checked as written (the walk reaches
// subcommands: optimize serving).
func TestEveryDecimalFlagChecked(t *testing.T) {
	a := newApp(io.Discard, io.Discard)
	var n int
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		for _, f := range c.Flags {
			switch f.(type) {
			case *cli.FloatFlag:
				t.Errorf("%s --%s reads hexadecimal floats and _ separators", c.FullName(), f.Names()[0])
			case *decimalFloatFlag:
				n++
			}
		}
		for _, sub := range c.Commands {
			walk(sub)
		}
	}
	walk(a.Command)
	if n < 10 {
		t.Errorf("found %d decimal flags; the walk missed commands", n)
	}
}
