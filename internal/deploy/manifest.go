package deploy

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/updraft-dev/updraft/internal/fn"
)

// ManifestFile is the name of the manifest at the root of a function's code.
const ManifestFile = "updraft.yaml"

// Manifest is updraft.yaml: the function's configuration next to its code.
// Zero fields are not given.
type Manifest struct {
	Name     string            `yaml:"name"`
	Runtime  string            `yaml:"runtime"`
	Handler  string            `yaml:"handler"`
	Memory   int               `yaml:"memory"`  // MB
	Timeout  int               `yaml:"timeout"` // seconds
	Env      map[string]string `yaml:"env"`
	Network  string            `yaml:"network"`           // "" or "none"
	Storage  int               `yaml:"ephemeral_storage"` // MB of /tmp
	Triggers []fn.Trigger      `yaml:"-"`                 // triggers:, each entry by its type:
	// Permissions limit what the function's own credentials may do; nil
	// when absent (everything of the tenant).
	Permissions fn.Permissions `yaml:"permissions"`
}

// manifestKeys are the keys updraft.yaml accepts, in the order the error
// message lists them.
var manifestKeys = []string{"name", "runtime", "handler", "memory", "timeout", "env", "network", "ephemeral_storage", "triggers", "permissions"}

// misspelt maps keys people write from habit to the key updraft.yaml uses.
var misspelt = map[string]string{
	"memory_mb": "memory", "memorysize": "memory", "memory_size": "memory", "mem": "memory",
	"ephemeralstorage": "ephemeral_storage", "ephemeral_mb": "ephemeral_storage", "tmp": "ephemeral_storage",
	"timeout_s": "timeout", "timeout_sec": "timeout", "environment": "env", "function": "name",
}

// ParseManifest parses updraft.yaml. Unknown keys and values of the wrong
// type are InvalidParameterValueExceptions naming the key, its line and the
// file.
func ParseManifest(data []byte) (*Manifest, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fn.InvalidParameter("%s is not valid YAML: %s", ManifestFile, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	m := &Manifest{}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file
		return m, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return m, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fn.InvalidParameter("%s line %d: expected a mapping of keys such as name:, runtime:, handler:", ManifestFile, root.Line)
	}
	seen := make(map[string]int) // key → line
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if line, dup := seen[k.Value]; dup {
			return nil, fn.InvalidParameter("%s line %d: key %q is already set on line %d", ManifestFile, k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		if err := m.set(k, v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// set decodes the value v of key k into m.
func (m *Manifest) set(k, v *yaml.Node) error {
	key := k.Value
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	bad := func(want string) error {
		return fn.InvalidParameter("%s line %d: %s must be %s", ManifestFile, v.Line, key, want)
	}
	switch key {
	case "network":
		if v.Kind != yaml.ScalarNode || v.Decode(&m.Network) != nil {
			return bad(`"none" (or absent for the host's network)`)
		}
	case "ephemeral_storage":
		if v.Kind != yaml.ScalarNode || v.Decode(&m.Storage) != nil {
			return bad("a whole number of megabytes for /tmp, e.g. ephemeral_storage: 1024")
		}
	case "name", "runtime", "handler":
		var s string
		if v.Kind != yaml.ScalarNode || v.Decode(&s) != nil {
			return bad("a string")
		}
		switch key {
		case "name":
			m.Name = s
		case "runtime":
			m.Runtime = s
		default:
			m.Handler = s
		}
	case "memory":
		if v.Kind != yaml.ScalarNode || v.Decode(&m.Memory) != nil {
			return bad("a whole number of megabytes, e.g. memory: 256")
		}
	case "timeout":
		if v.Kind != yaml.ScalarNode || v.Decode(&m.Timeout) != nil {
			return bad("a whole number of seconds, e.g. timeout: 30")
		}
	case "env":
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return nil
		}
		if v.Kind != yaml.MappingNode {
			return bad("a mapping of NAME: value")
		}
		m.Env = make(map[string]string, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			name, val := v.Content[i], v.Content[i+1]
			var s string
			if val.Kind != yaml.ScalarNode || val.Decode(&s) != nil {
				return fn.InvalidParameter("%s line %d: env %s must be a string, number or boolean", ManifestFile, val.Line, name.Value)
			}
			m.Env[name.Value] = s
		}
	case "triggers":
		t, err := parseTriggers(v)
		if err != nil {
			return err
		}
		m.Triggers = t
	case "permissions":
		var p fn.Permissions
		if v.Kind != yaml.SequenceNode || v.Decode(&p) != nil {
			return bad("a list of {actions: [SERVICE:Operation, ...], resources: [ARN or name, ...]}")
		}
		if p == nil {
			p = fn.Permissions{} // an empty list: no access at all
		}
		if err := p.Validate(); err != nil {
			return fn.InvalidParameter("%s line %d: %s", ManifestFile, v.Line, fn.AsError(err).Message)
		}
		m.Permissions = p
	default:
		msg := fmt.Sprintf("%s line %d: unknown key %q", ManifestFile, k.Line, key)
		if want, ok := misspelt[strings.ToLower(key)]; ok {
			msg += fmt.Sprintf(" (did you mean %s?)", want)
		}
		return fn.InvalidParameter("%s: the keys are %s", msg, strings.Join(manifestKeys, ", "))
	}
	return nil
}

// parseTriggers reads `triggers:`: a list of mappings, each with a type:
// naming its kind. The rest of each entry is the kind's to check (at deploy,
// before anything is stored) and apply.
func parseTriggers(v *yaml.Node) ([]fn.Trigger, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fn.InvalidParameter("%s line %d: triggers must be a list of entries, each with a type: (http, schedule, queue, mail, …)", ManifestFile, v.Line)
	}
	out := make([]fn.Trigger, 0, len(v.Content))
	for _, e := range v.Content {
		var entry map[string]any
		if e.Kind != yaml.MappingNode || e.Decode(&entry) != nil {
			return nil, fn.InvalidParameter("%s line %d: a trigger must be a mapping with a type:, e.g. {type: schedule, expression: rate(5 minutes)}", ManifestFile, e.Line)
		}
		kind, _ := entry["type"].(string)
		if kind == "" {
			return nil, fn.InvalidParameter("%s line %d: this trigger has no type: (http, schedule, queue, mail, …)", ManifestFile, e.Line)
		}
		spec, err := json.Marshal(entry)
		if err != nil {
			return nil, fn.InvalidParameter("%s line %d: trigger of type %s: %v", ManifestFile, e.Line, kind, err)
		}
		out = append(out, fn.Trigger{Kind: kind, Spec: spec})
	}
	return out, nil
}
