package server

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sessiond/sessiond/internal/audit"
	"github.com/sessiond/sessiond/internal/auth"
)

// openAudit opens the --audit-log sink: nil when it is empty, stderr for
// "-", else the file, created with mode 0600 and appended to. The returned
// func closes what was opened.
func openAudit(path string, stderr io.Writer, log *slog.Logger) (auth.Auditor, func() error, error) {
	switch path {
	case "":
		return nil, func() error { return nil }, nil
	case "-":
		return audit.New(stderr, log), func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	return audit.New(f, log), f.Close, nil
}
