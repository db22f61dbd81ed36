package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v3"
)

// buildInfo is what the binary knows about itself: the release version, and
// from the Go build info the module version and the VCS revision it was built
// from (absent when built outside a checkout, e.g. by go test).
type buildInfo struct {
	Version   string `json:"version"`
	Module    string `json:"module"`
	ModuleVer string `json:"module_version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"revision_time,omitempty"`
	Modified  bool   `json:"modified"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
	Queries   bool   `json:"queries"` // DuckDB queries run: linked (cgo), or by the full build beside a lean one
	// queriesHow says why queries run or not, in a few words.
	queriesHow string
}

// Set by `make build`/`make static` (-ldflags -X): Go's build info has no VCS
// revision when built from a git worktree or with GOFLAGS=-buildvcs=false.
var vcsRevision, vcsModified string

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	b.Queries, b.queriesHow = queriesAvailable()
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Module, b.ModuleVer = bi.Main.Path, bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Revision == "" && vcsRevision != "" {
		b.Revision, b.Modified = vcsRevision, vcsModified == "true"
	}
	return b
}

// line is the one-line form --version prints.
func (b buildInfo) line() string {
	rev := "revision unknown (not built from a git checkout)"
	if b.Revision != "" {
		rev = "revision " + b.Revision
		if b.Modified {
			rev += " (modified)"
		}
	}
	q := "queries: yes"
	if !b.Queries {
		q = "queries: no (" + b.queriesHow + ")"
	}
	return fmt.Sprintf("%s, %s, %s %s, %s", b.Version, rev, b.Go, b.Platform, q)
}

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the VCS revision the binary was built from, and whether it can run queries",
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json")
			if err != nil {
				return err
			}
			if c.Args().Len() > 0 {
				return badInputf("version", "takes no arguments, got %q", c.Args().First())
			}
			b := readBuildInfo()
			if format == "json" {
				return writeJSON(a.stdout, b)
			}
			rev, modified := b.Revision, ""
			if rev == "" {
				rev = "unknown (not built from a git checkout)"
			}
			if b.Modified {
				modified = " (uncommitted changes)"
			}
			q := "yes (" + b.queriesHow + ")"
			if !b.Queries {
				q = "no (" + b.queriesHow + "); `make build` (needs a C compiler) makes binaries that can"
			}
			_, err = fmt.Fprintf(a.stdout, "mlsysim %s\nmodule:   %s %s\nrevision: %s%s\ntime:     %s\ngo:       %s %s\nqueries:  %s\n",
				b.Version, b.Module, b.ModuleVer, rev, modified, orDash(b.Time), b.Go, b.Platform, q)
			return err
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
