package config

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Redacted is what stands for a hidden secret.
const Redacted = "REDACTED"

// redact hides the secret part of v, a value of o.
func redact(o option, v string) string {
	switch o.secret {
	case secret:
		if v == "" {
			return ""
		}
		return Redacted
	case secretURL:
		return RedactURL(v)
	}
	return v
}

// RedactURL hides the password of a URL-valued setting
// (postgres://u:REDACTED@db/x), and everything after the scheme of a URL
// it cannot parse. Keywords ("sqlite", "memory") and host lists pass.
func RedactURL(v string) string {
	if !strings.Contains(v, "://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		return v[:strings.Index(v, "://")] + "://" + Redacted
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, Redacted)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Print writes c as a config file of the given format ("yaml" or
// "json"), in sections, with every secret redacted: what `sessiond config
// print` shows. The output read back as a config file gives c again,
// secrets aside.
func Print(w io.Writer, c Config, format string) error {
	type entry struct {
		key   string
		value any
	}
	var sections []string
	bySection := map[string][]entry{}
	for _, o := range options() {
		i := strings.Index(o.key, ".")
		sec, key := o.key[:i], o.key[i+1:]
		if _, ok := bySection[sec]; !ok {
			sections = append(sections, sec)
		}
		bySection[sec] = append(bySection[sec], entry{key, typed(o, redact(o, o.get(&c)))})
	}
	switch format {
	case "json":
		// Built by hand to keep the sections' order.
		var b strings.Builder
		b.WriteString("{\n")
		for i, sec := range sections {
			fmt.Fprintf(&b, "  %q: {\n", sec)
			for j, e := range bySection[sec] {
				v, _ := json.Marshal(e.value)
				fmt.Fprintf(&b, "    %q: %s", e.key, v)
				if j < len(bySection[sec])-1 {
					b.WriteString(",")
				}
				b.WriteString("\n")
			}
			b.WriteString("  }")
			if i < len(sections)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("}\n")
		_, err := io.WriteString(w, b.String())
		return err
	case "yaml", "":
		root := &yaml.Node{Kind: yaml.MappingNode}
		for _, sec := range sections {
			m := &yaml.Node{Kind: yaml.MappingNode}
			for _, e := range bySection[sec] {
				var v yaml.Node
				if err := v.Encode(e.value); err != nil {
					return err
				}
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: e.key}, &v)
			}
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: sec}, m)
		}
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(root); err != nil {
			return err
		}
		return enc.Close()
	}
	return fmt.Errorf("unknown format %q: want yaml or json", format)
}

// typed returns a setting's text as the file writes it: numbers and
// booleans bare, the rest as strings.
func typed(o option, v string) any {
	switch o.kind {
	case "int":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "bool":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}
