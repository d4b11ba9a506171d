package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// ConfigEnv names the config file when --config is not given.
const ConfigEnv = "SESSIOND_CONFIG"

// Flags are the settings' flags on a flag set, remembering which were
// given, so that Load can apply them over the file and the environment.
type Flags struct {
	set  map[string]string
	path string
}

// flagValue is one setting's pflag.Value: it only records the text given;
// Load parses it, so that every problem is reported at once.
type flagValue struct {
	o     option
	f     *Flags
	shown string
}

func (v *flagValue) String() string { return v.shown }
func (v *flagValue) Type() string   { return v.o.kind }
func (v *flagValue) Set(s string) error {
	v.f.set[v.o.flag] = s
	v.shown = s
	return nil
}

// AddFlags adds --config and one flag per setting to fs. Defaults shown in
// help are Default's, never a value from the environment, so no secret
// can reach a help text.
func AddFlags(fs *pflag.FlagSet) *Flags {
	f := &Flags{set: map[string]string{}}
	d := Default()
	fs.StringVar(&f.path, "config", "", "config file, YAML or JSON (env "+ConfigEnv+")")
	for _, o := range options() {
		def := o.get(&d)
		usage := o.usage + " (env " + EnvName(o.flag)
		if o.secret != public {
			usage += " or " + EnvName(o.flag) + "_FILE"
		}
		usage += ")"
		fs.Var(&flagValue{o: o, f: f, shown: def}, o.flag, usage)
		fl := fs.Lookup(o.flag)
		fl.DefValue = def
		if o.kind == "bool" {
			fl.NoOptDefVal = "true"
		}
	}
	return f
}

// Load builds the configuration from defaults, then the config file (from
// --config or SESSIOND_CONFIG), then SESSIOND_* variables (a secret's
// SESSIOND_*_FILE names a file holding it), then the flags given. It
// returns one error naming every problem, secrets redacted.
func (f *Flags) Load(getenv func(string) string) (Config, error) {
	c := Default()
	opts := options()
	var problems []string
	bad := func(src string, o option, v string, err error) {
		problems = append(problems, fmt.Sprintf("%s=%q: %v", src, redact(o, v), err))
	}
	path := f.path
	if path == "" {
		path = getenv(ConfigEnv)
	}
	if path != "" {
		file, ps := readFile(path)
		problems = append(problems, ps...)
		for _, o := range opts {
			if v, ok := file[o.flag]; ok {
				if err := o.set(&c, v.value); err != nil {
					bad(v.where, o, v.value, err)
				}
			}
		}
	}
	for _, o := range opts {
		name := EnvName(o.flag)
		v := getenv(name)
		if o.secret != public {
			if fv := getenv(name + "_FILE"); fv != "" {
				if v != "" {
					problems = append(problems, fmt.Sprintf("env %s and %s_FILE are both set; set one", name, name))
					continue
				}
				b, err := os.ReadFile(fv)
				if err != nil {
					problems = append(problems, fmt.Sprintf("env %s_FILE: %v", name, unwrapPathError(err)))
					continue
				}
				v = strings.TrimRight(string(b), "\r\n")
				if v == "" {
					problems = append(problems, fmt.Sprintf("env %s_FILE: %s is empty", name, fv))
					continue
				}
				name += "_FILE"
			}
		}
		if v != "" {
			if err := o.set(&c, v); err != nil {
				bad("env "+name, o, v, err)
			}
		}
	}
	for _, o := range opts {
		if v, ok := f.set[o.flag]; ok {
			if err := o.set(&c, v); err != nil {
				bad("flag --"+o.flag, o, v, err)
			}
		}
	}
	if err := c.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return c, errors.New("invalid configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// Load builds the configuration from args (the flags after "serve"), the
// environment lookup and the config file named by --config or
// SESSIOND_CONFIG. It returns one error naming every bad value. Help and
// flag errors are written to stderr.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	if stderr == nil {
		stderr = io.Discard
	}
	fs.SetOutput(stderr)
	f := AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return Default(), err
	}
	if fs.NArg() > 0 {
		return Default(), fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return f.Load(getenv)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
