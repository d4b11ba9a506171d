// Package cli is sessiond's command line: `serve` runs the server, and the
// other commands manage a running server over its HTTP API with an
// operator token, as the influx CLI does. Commands are cobra commands, one
// file per group; each has its own help (-h at every level), flags that
// apply to it only, and errors printed once, on one line, to stderr.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sessiond/sessiond/internal/server"
)

// Env is what a command runs with: its streams and environment.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Stdin gives passwords when --password is absent: a hidden prompt
	// when it is a terminal, else its first line (for scripts). Nil reads
	// nothing.
	Stdin  io.Reader
	Getenv func(string) string
}

// Run runs the command in args (without the program name) and returns the
// process exit code. Errors print one line to stderr.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	root := newRoot(env)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(env.Stderr, "sessiond: "+strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " "))
		return 1
	}
	return 0
}

func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "sessiond",
		Short: "sign-in and session server",
		Long: `sessiond is a sign-in and session server that speaks InfluxDB's /api/v2,
Rocket.Chat's /api/v1 and the WebmixHub tenant API /auth over one core,
with account pages at /ui/.

Start it with 'sessiond serve'; on a new server, 'sessiond setup' makes the
first user and prints an operator token. The other commands manage a
running server with that token (--token, or SESSIOND_TOKEN).`,
		Version:       server.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          subcommandArgs,
		RunE:          needSubcommand,

		SuggestionsMinimumDistance: 2,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate("sessiond {{.Version}}\n")
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if cmd.HasAvailableSubCommands() && cmd.Flags().NArg() > 0 {
			// "tenant explode --id 1": the unknown command is the mistake.
			return subcommandArgs(cmd, cmd.Flags().Args())
		}
		return fmt.Errorf("%s: %w (see '%s --help')", cmd.CommandPath(), err, cmd.CommandPath())
	})
	root.AddCommand(
		serveCmd(env), configCmd(env), setupCmd(env), authCmd(env),
		userCmd(env), sessionCmd(env), lockoutCmd(env), tenantCmd(env),
		&cobra.Command{
			Use: "version", Short: "print the version", Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				fmt.Fprintln(env.Stdout, "sessiond "+server.Version)
				return nil
			},
		},
	)
	return root
}

// group returns a command that only holds subcommands: alone it prints
// its help and fails; with an unknown subcommand it names it.
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: subcommandArgs, RunE: needSubcommand, SuggestionsMinimumDistance: 2}
}

// subcommandArgs refuses an unknown subcommand, naming it and the nearest
// known one.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return fmt.Errorf("%s; commands: %s (see '%s --help')", msg, strings.Join(subcommands(cmd), ", "), cmd.CommandPath())
}

func needSubcommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	cmd.Help()
	return fmt.Errorf("%s needs a command: %s", cmd.CommandPath(), strings.Join(subcommands(cmd), ", "))
}

func subcommands(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}

// noArgs refuses positional arguments, naming them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags start with --; see '%s --help')", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}

// isTerminal reports whether r is a terminal (for the password prompt and
// the log format).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && fileIsTerminal(f)
}
