package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// Shell completion: `mlsysim completion bash|zsh|fish|pwsh` prints the script
// (urfave/cli); the script asks `mlsysim … --generate-shell-completion` for
// candidates, which completeArgs answers with catalog keys by position.

const completionHelp = `Print a shell completion script: commands, flags, and catalog keys for the
MODEL and HARDWARE arguments (from the catalog, including --catalog files).

   source <(mlsysim completion bash)        # in ~/.bashrc
   source <(mlsysim completion zsh)         # in ~/.zshrc
   mlsysim completion fish > ~/.config/fish/completions/mlsysim.fish`

func showCompletionCommand(c *cli.Command) {
	c.Hidden = false
	// urfave/cli adds this command and its shells when it runs, after newApp gave every
	// command its usage errors: "completion bash --foo" (or a bad --profile after it)
	// printed the help page on stdout before the error, a page and a JSON object under
	// -o json.
	eachCommand(c, setUsageErrors)
	c.Usage = "print a shell completion script (bash, zsh, fish, pwsh) that completes commands, flags and catalog keys"
	c.Description = completionHelp
	// A word that is not one of the shells' subcommands reaches this action
	// (without it urfave/cli said "No help topic for 'tcsh'").
	var shells []string
	for _, sub := range c.Commands {
		shells = append(shells, sub.Name)
	}
	// The script is shell code whatever -o says: a JSON, markdown, csv or html
	// rendering is refused, not ignored (stdout held a fish script under -o json).
	c.Before = func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
		if f := strings.ToLower(cmd.Root().String("output")); f != "text" {
			return ctx, badInputf("--output", "format %q is not supported by completion, which prints a shell script; use text (the default)", f)
		}
		return ctx, nil
	}
	// "completion bash extra" printed the bash script and dropped the word.
	for _, sub := range c.Commands {
		if sub.Before != nil {
			continue
		}
		sub.Before = func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
			if cmd.Args().Len() > 0 {
				return ctx, badInputf("completion "+cmd.Name, "takes no arguments, got %q", cmd.Args().First())
			}
			return ctx, nil
		}
	}
	c.Action = func(ctx context.Context, cmd *cli.Command) error {
		if cmd.Args().Len() == 0 {
			return cli.ShowSubcommandHelp(cmd)
		}
		shell := cmd.Args().First()
		return badInputf("completion", "unknown shell %q%s; shells: %s", shell, suggest.Hint(shell, shells), strings.Join(shells, ", "))
	}
}

// completeArgs completes the n-th positional argument from the n-th list (the
// last list repeats), and flags when the word starts with "-".
func (a *app) completeArgs(lists ...func(*catalog.Catalog) []string) cli.ShellCompleteFunc {
	return func(ctx context.Context, c *cli.Command) {
		args := c.Args().Slice()
		if len(args) > 0 && strings.HasPrefix(args[len(args)-1], "-") {
			cli.DefaultCompleteWithFlags(ctx, c)
			return
		}
		cat := a.cat
		if cat == nil {
			var err error
			if cat, err = catalog.Default(); err != nil {
				return
			}
		}
		for _, k := range lists[min(len(args), len(lists)-1)](cat) {
			fmt.Fprintln(c.Root().Writer, k)
		}
	}
}

func modelKeys(c *catalog.Catalog) []string {
	keys := make([]string, len(c.Models))
	for i, m := range c.Models {
		keys[i] = m.Key
	}
	return keys
}

func hardwareKeys(c *catalog.Catalog) []string {
	keys := make([]string, len(c.Hardware))
	for i, h := range c.Hardware {
		keys[i] = h.Key
	}
	return keys
}

func noKeys(*catalog.Catalog) []string { return nil }
