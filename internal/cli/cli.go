// Package cli is sessiond's command line: `serve` runs the server, and the
// other commands manage a running server over its HTTP API with an
// operator token, as the influx CLI does.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

// Env is what a command runs with: its streams and environment.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `sessiond: sign-in and session server

Usage:
  sessiond serve [flags]                 run the server (sessiond serve -h lists flags)
  sessiond setup --username U --password P --org O [--bucket B] [--token T]
  sessiond user create --name N [--password P]
  sessiond user list
  sessiond user set-password (--id ID | --name N) --password P
  sessiond user disable (--id ID | --name N)
  sessiond user delete (--id ID | --name N)
  sessiond session list [--user-id ID]
  sessiond session revoke (--id SESSION | --user-id ID | --all [--all-tenants])
  sessiond lockout list
  sessiond lockout clear (--key K | --user-id ID | --name N | --ip ADDR | --all)
  sessiond tenant create --name N [--capabilities C,...] [--client-headers require|accept]
  sessiond tenant list
  sessiond tenant restrict --id ID [--user USER] --capabilities C,...   (empty list lifts all)
  sessiond tenant rotate-key --id ID
  sessiond tenant delete --id ID
  sessiond tenant users --id ID [--search S] [--limit N] [--after USER]
  sessiond tenant set-password --id ID --user USER (--password P | --password-stdin)
  sessiond tenant reset-password --id ID --user USER      (emails a reset code)
  sessiond tenant provider --id ID --method google|apple|facebook --client-ids A,... [--issuer URL] [--keys-url URL]
  sessiond tenant template --id ID --purpose P [--channel email|sms] [--subject S] (--body B | --body-file F | --default)
  sessiond version

Management commands take --host (SESSIOND_HOST, default http://localhost:8086)
and --token (SESSIOND_TOKEN, an operator token).
`

// Run runs the command in args (without the program name) and returns the
// process exit code. Errors print one line to stderr.
func Run(ctx context.Context, args []string, env Env) int {
	if err := run(ctx, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(env.Stderr, "sessiond: "+strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	return 0
}

func run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, env)
	case "setup":
		return setup(ctx, rest, env)
	case "user":
		return userCmd(ctx, rest, env)
	case "session":
		return sessionCmd(ctx, rest, env)
	case "lockout":
		return lockoutCmd(ctx, rest, env)
	case "tenant":
		return tenantCmd(ctx, rest, env)
	case "version":
		fmt.Fprintln(env.Stdout, "sessiond "+server.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprint(env.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func serve(ctx context.Context, args []string, env Env) error {
	cfg, err := config.Load(args, env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	app, err := server.Open(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	if err := app.Listen(); err != nil {
		app.Close()
		return err
	}
	return app.Serve(ctx)
}
