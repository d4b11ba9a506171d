package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The config file is YAML with one section per subject (http, storage,
// sessions, passwords, lockout, rocketchat, tenant-api, log), or JSON in
// the same shape: JSON is read by the same YAML parser, of which it is a
// subset. A top-level key may also be a flag name (`session-length: 30m`),
// so that a flat file of flags, the older format, still reads. A list
// (trusted-proxies) may be written as a YAML sequence.

// fileValue is one setting read from the file.
type fileValue struct {
	value string
	where string // "file.yaml line 3 (sessions.length)"
}

// readFile reads the config file at path into values keyed by flag name,
// with every problem found (unknown keys, values of the wrong shape,
// settings given twice).
func readFile(path string) (map[string]fileValue, []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("config file: %v", err)}
	}
	return parseFile(path, b)
}

// parseFile reads the contents b of the config file at path.
func parseFile(path string, b []byte) (map[string]fileValue, []string) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) || len(bytes.TrimSpace(b)) == 0 {
			return map[string]fileValue{}, nil // an empty file sets nothing
		}
		return nil, []string{fmt.Sprintf("config file %s: %v", path, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return map[string]fileValue{}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, []string{fmt.Sprintf("config file %s line %d: want sections of settings (http:, storage:, ...)", path, root.Line)}
	}
	byKey, byFlag := map[string]option{}, map[string]option{}
	sections := map[string]bool{}
	for _, o := range options() {
		byKey[o.key] = o
		byFlag[o.flag] = o
		sections[o.key[:strings.Index(o.key, ".")]] = true
	}
	out := map[string]fileValue{}
	var problems []string
	put := func(o option, name string, n *yaml.Node) {
		where := fmt.Sprintf("config file %s line %d (%s)", path, n.Line, name)
		v, err := scalar(n)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			return
		}
		if prev, ok := out[o.flag]; ok {
			problems = append(problems, fmt.Sprintf("%s: %s is already set at %s", where, o.key, prev.where))
			return
		}
		out[o.flag] = fileValue{value: v, where: where}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		switch {
		case sections[name] && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				kk, vv := v.Content[j], v.Content[j+1]
				full := name + "." + kk.Value
				o, ok := byKey[full]
				if !ok {
					problems = append(problems, fmt.Sprintf("config file %s line %d: unknown setting %q%s", path, kk.Line, full, suggest(full, byKey)))
					continue
				}
				put(o, full, vv)
			}
		case sections[name] && v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			// an empty section
		case sections[name]:
			problems = append(problems, fmt.Sprintf("config file %s line %d: section %q must hold settings", path, k.Line, name))
		default:
			o, ok := byFlag[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("config file %s line %d: unknown setting %q%s", path, k.Line, name, suggest(name, byKey)))
				continue
			}
			put(o, name, v)
		}
	}
	return out, problems
}

// scalar returns a setting's value as text: a scalar as written, a
// sequence of scalars joined by commas.
func scalar(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", errors.New("want a list of values")
			}
			parts = append(parts, c.Value)
		}
		return strings.Join(parts, ","), nil
	case yaml.AliasNode:
		return scalar(n.Alias)
	}
	return "", errors.New("want a value, not a section")
}

// suggest names the setting a mistyped key most likely meant.
func suggest(key string, known map[string]option) string {
	last := key[strings.LastIndex(key, ".")+1:]
	for k, o := range known {
		if k[strings.Index(k, ".")+1:] == last || o.flag == last {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return ""
}
