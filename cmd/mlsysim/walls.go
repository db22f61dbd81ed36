package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

func (a *app) wallsCommand() *cli.Command {
	return &cli.Command{
		Name:      "walls",
		Usage:     "list the 22 walls that bound ML system performance, and which columns decide them",
		ArgsUsage: "[NUMBER]",
		Description: `The seed's taxonomy (physics.md §11): six domains (node, data, algorithm, fleet,
operations, analysis), each wall with the model that resolves it, its equation, a source,
and the sweep columns that evaluate it per point (wall_<n>_<name>_pass / _slack and
binding_wall). Formats: text, json, markdown, csv.`,
		Action: func(ctx context.Context, c *cli.Command) error {
			format, err := a.outputFormat("text", "json", "markdown", "csv")
			if err != nil {
				return err
			}
			walls := a.cat.Walls
			if c.Args().Len() > 1 {
				// "walls 1 2" printed wall 1 alone: the 2 was dropped without a word.
				return badInputf("walls", "takes at most one wall number, got %d arguments (%s); mlsysim walls lists all 22", c.Args().Len(), strings.Join(c.Args().Slice(), " "))
			}
			if c.Args().Len() > 0 {
				n, err := strconv.Atoi(c.Args().First())
				if err != nil {
					return badInputf("walls", "want a wall number 1–22, got %q", c.Args().First())
				}
				w, err := a.cat.WallByNumber(n)
				if err != nil {
					return badInput("walls", err)
				}
				walls = walls[w.Number-1 : w.Number]
			}
			t := &table{name: "walls", title: "The 22 walls",
				cols:     []string{"#", "wall", "domain", "resolver", "what it bounds", "equation", "decided by", "source"},
				jsonCols: []string{"number", "name", "domain", "resolver", "constraint", "equation", "decided_by", "source"}}
			for _, w := range walls {
				t.add([]string{fmt.Sprint(w.Number), w.Name, w.Domain, w.Resolver, w.Constraint, w.Equation, w.DecidedBy, w.Source.Ref},
					[]any{w.Number, w.Name, w.Domain, w.Resolver, w.Constraint, w.Equation, w.DecidedBy, w.Source.Ref})
			}
			if format == "text" {
				for _, w := range walls {
					fmt.Fprintf(a.stdout, "%2d  %-15s %-10s %s\n    %s\n    decided by: %s\n    source: %s\n\n",
						w.Number, w.Name, w.Domain, w.Constraint, w.Equation, w.DecidedBy, w.Source.Ref)
				}
				return nil
			}
			return renderTables(a.stdout, format, []*table{t})
		},
	}
}
