package cli

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

func serveCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "run the server",
		Long: `Run the server. Every flag is also a SESSIOND_* variable and a key of the
config file (--config, YAML or JSON); flags win over the environment,
which wins over the file. 'sessiond config print' shows the result.`,
		Args: noArgs,
	}
	flags := config.AddFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := flags.Load(env.Getenv)
		if err != nil {
			return err
		}
		log := newLogger(env, cfg)
		app, err := server.Open(cmd.Context(), cfg, log, nil)
		if err != nil {
			return err
		}
		if err := app.Listen(); err != nil {
			app.Close()
			return err
		}
		return app.Serve(cmd.Context())
	}
	return cmd
}

// newLogger is the server's log on stderr: text on a terminal (or with
// --log-format text), JSON lines otherwise.
func newLogger(env Env, cfg config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if isTerminal(env.Stderr) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(env.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(env.Stderr, opts))
}

func configCmd(env Env) *cobra.Command {
	cmd := group("config", "show the server's configuration")
	print := &cobra.Command{
		Use:   "print [serve flags]",
		Short: "print the configuration 'sessiond serve' would run with, secrets redacted",
		Long: `Print the configuration 'sessiond serve' would run with the same flags,
variables and config file, as a config file (YAML, or JSON with
--format json), secrets redacted. An invalid configuration is refused with
every problem named, as 'sessiond serve' refuses it.`,
		Args: noArgs,
	}
	flags := config.AddFlags(print.Flags())
	format := print.Flags().String("format", "yaml", "yaml or json")
	print.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := flags.Load(env.Getenv)
		if err != nil {
			return err
		}
		return config.Print(env.Stdout, cfg, *format)
	}
	cmd.AddCommand(print)
	return cmd
}
