package config

import (
	"fmt"
	"strings"
)

// README markers around the generated table of settings.
const (
	TableBegin = "<!-- settings table: generated from internal/config/options.go; go test ./internal/config -run TestReadmeTable -update -->"
	TableEnd   = "<!-- end of settings table -->"
)

// MarkdownTable returns the table of every setting, generated from the
// same list the flags, variables and file keys are: the README carries it
// between TableBegin and TableEnd, and a test fails when they differ.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | file key | default | meaning |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| `--config` | | | config file, YAML or JSON (`%s`) |\n", ConfigEnv)
	d := Default()
	for _, o := range options() {
		def := o.shown
		if def == "" {
			def = o.get(&d)
		}
		if def != "" {
			def = "`" + def + "`"
		}
		meaning := strings.ReplaceAll(o.usage, "|", `\|`)
		if o.secret != public {
			meaning += "; secret: also `" + EnvName(o.flag) + "_FILE`, redacted by `config print`"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", o.flag, o.key, def, meaning)
	}
	return b.String()
}
