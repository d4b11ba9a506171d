package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

func fileIsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readPassword returns a password given by flag, else asks for it: on a
// terminal with a hidden prompt (twice when confirm, for a new password),
// else as the first line of standard input, so scripts can pipe it
// without putting it in the shell's history or the process list.
func readPassword(env Env, given *string, what string, confirm bool) (string, error) {
	if *given != "" {
		return *given, nil
	}
	if f, ok := env.Stdin.(*os.File); ok && fileIsTerminal(f) {
		fmt.Fprintf(env.Stderr, "%s: ", what)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read %s: %v", what, err)
		}
		pw := string(b)
		if pw == "" {
			return "", fmt.Errorf("no %s given", what)
		}
		if confirm {
			fmt.Fprintf(env.Stderr, "%s again: ", what)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(env.Stderr)
			if err != nil {
				return "", fmt.Errorf("read %s: %v", what, err)
			}
			if string(b) != pw {
				return "", errors.New("the two passwords differ")
			}
		}
		return pw, nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil && err.Error() != "EOF" {
			return "", fmt.Errorf("read %s from standard input: %v", what, err)
		}
		return "", fmt.Errorf("a %s is required: give --password, type it at the prompt, or pipe it on standard input", what)
	}
	return line, nil
}
