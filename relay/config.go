package relay

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxConfigFile bounds the --config file: a relay's settings fit in a few
// kilobytes, and anything larger is not one.
const maxConfigFile = 1 << 20

// ErrConfig reports a --config file the relay refuses: unreadable, not TOML, or
// naming a setting that does not exist or with a value of the wrong kind.
var ErrConfig = errors.New("config file")

// applySettings completes fs, already parsed from the command line, from the
// environment and then from the --config file: each setting takes the first of
// flag, environment variable, file and default that sets it (docs/RELAY.md,
// "Settings"). The file's name may itself come from the flag or HUSH_RELAY_CONFIG.
func applySettings(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	if err := applyEnv(fs, lookup); err != nil {
		return err
	}
	path := fs.Lookup("config").Value.String()
	if path == "" {
		return nil
	}
	return applyFile(fs, path)
}

// applyFile sets every flag not yet set (by the command line or the environment)
// from the TOML file at path, whose keys are the flags' names. A key that is no
// setting fails, so a misspelt one is not silently ignored.
func applyFile(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrConfig, path, err)
	}
	if st.Size() > maxConfigFile {
		return fmt.Errorf("%w %s: %d bytes, more than %d", ErrConfig, path, st.Size(), maxConfigFile)
	}
	var raw map[string]any
	if _, err := toml.NewDecoder(f).Decode(&raw); err != nil {
		return fmt.Errorf("%w %s: %w", ErrConfig, path, err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		fl := fs.Lookup(key)
		if fl == nil || key == "config" {
			errs = append(errs, fmt.Errorf("%w %s: %q is not a setting (hush-relay -h lists them)", ErrConfig, path, key))
			continue
		}
		v, err := settingText(raw[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("%w %s: %s: %w", ErrConfig, path, key, err))
			continue
		}
		if given[key] {
			continue
		}
		if err := fs.Set(key, v); err != nil {
			errs = append(errs, fmt.Errorf("%w %s: %s = %q: %w", ErrConfig, path, key, v, err))
		}
	}
	return errors.Join(errs...)
}

// settingText turns a TOML value into the text its flag parses: strings as they
// are ("30s" for a duration), numbers and booleans in Go's syntax, and an array of
// strings joined with commas (trusted-proxy = ["127.0.0.1/32", "10.0.0.0/8"]).
func settingText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("an array may hold strings only, not %T", e)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("a %T is no setting's value", v)
}

// settingsTable returns the Markdown table of every setting in fs, for
// docs/RELAY.md ("Settings"); TestSettingsTableInDocs keeps the two equal.
func settingsTable(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("| flag and file key | environment | default | meaning |\n|---|---|---|---|\n")
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" {
			def = "—"
		}
		name := "`" + f.Name + "`"
		if f.Name == "config" {
			name += " (not in the file)"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", name, envName(f.Name), def, strings.ReplaceAll(usage, "|", `\|`))
	})
	return b.String()
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
