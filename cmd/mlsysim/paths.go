package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/results"
	"github.com/mlsysim/mlsysim/sinks"
)

// pathFlags are the flags that name files or folders.
var pathFlags = map[string]bool{"out": true, "catalog": true, "cpuprofile": true, "keep": true, "cases": true, "baseline-out": true,
	"plot": true, "catalog-out": true, "from": true, "workload": true}

// localPathsOnly makes every path flag and every positional argument refuse a
// URL (s3://…, https://…): only local or mounted file systems are supported,
// and a URL would otherwise become a folder named after its scheme.
func localPathsOnly(c *cli.Command) {
	for _, f := range c.Flags {
		if !pathFlags[f.Names()[0]] {
			continue
		}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Validator = results.CheckLocal
		case *cli.StringSliceFlag:
			f.Validator = func(paths []string) error {
				for _, p := range paths {
					if err := results.CheckLocal(p); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	if action := c.Action; action != nil {
		c.Action = func(ctx context.Context, cmd *cli.Command) error {
			for _, arg := range cmd.Args().Slice() {
				if err := results.CheckLocal(arg); err != nil {
					return badInput(cmd.FullName(), err)
				}
			}
			return action(ctx, cmd)
		}
	}
}

// checkOutFolder refuses an --out folder that is a file, or whose path runs
// through one ("mkdir afile: not a directory" named neither the flag nor the
// file); a folder that does not exist yet is fine (it is made).
func checkOutFolder(out string) error {
	if out == "-" {
		return nil
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return badInputf("--out", "%s is a file; want a folder for the result", out)
	}
	for dir := filepath.Dir(out); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil {
			if !st.IsDir() {
				return badInputf("--out", "%s: %s is a file, not a folder", out, dir)
			}
			return nil
		}
		if next := filepath.Dir(dir); next == dir {
			return nil
		}
	}
}

// checkOutFile refuses an output file before any work is done: its folder must
// exist, and the name must not be a folder, a device or a pipe (sinks.Create says
// which). 'validate --baseline-out /nonexist/b.json' ran every case first and then
// named the temporary file it could not open.
func checkOutFile(out string) error {
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%s: the folder %s does not exist", out, dir)
	} else if !st.IsDir() {
		return fmt.Errorf("%s: %s is a file, not a folder", out, dir)
	}
	f, err := sinks.Create(out)
	if err != nil {
		return err
	}
	f.Abort()
	return nil
}
