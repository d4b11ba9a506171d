// Command sessiond is the sign-in and session server and its admin CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sessiond/sessiond/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
