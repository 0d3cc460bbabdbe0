package deploy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(`
name: hello
runtime: go
handler: bootstrap
memory: 512
timeout: 30
env:
  A: x
  N: 42
  B: true
triggers:
  - type: schedule
    expression: cron(0/5 * * * ? *)
`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "hello" || m.Runtime != "go" || m.Handler != "bootstrap" || m.Memory != 512 || m.Timeout != 30 {
		t.Fatalf("%+v", m)
	}
	if m.Env["A"] != "x" || m.Env["N"] != "42" || m.Env["B"] != "true" {
		t.Fatalf("env %v", m.Env)
	}
	if len(m.Triggers) != 1 || m.Triggers[0].Kind != "schedule" ||
		string(m.Triggers[0].Spec) != `{"expression":"cron(0/5 * * * ? *)","type":"schedule"}` {
		t.Fatalf("triggers %+v", m.Triggers)
	}
	for _, bad := range []string{"triggers: {type: http}\n", "triggers:\n  - route: GET /\n", "triggers:\n  - just a string\n"} {
		if _, err := ParseManifest([]byte(bad)); err == nil || !strings.Contains(err.Error(), "type") {
			t.Errorf("%q: err = %v, want one about type:", bad, err)
		}
	}
	for _, empty := range []string{"", "# nothing\n", "~\n"} {
		if m, err := ParseManifest([]byte(empty)); err != nil || m.Name != "" {
			t.Fatalf("%q: %+v %v", empty, m, err)
		}
	}
}

func TestParseManifestErrors(t *testing.T) {
	cases := map[string]string{
		"name: x\ncolour: blue\n": `updraft.yaml line 2: unknown key "colour": the keys are name, runtime, handler, memory, timeout, env, network, ephemeral_storage, triggers`,
		"memory_mb: 256\n":        `unknown key "memory_mb" (did you mean memory?)`,
		"memory: 256MB\n":         "updraft.yaml line 1: memory must be a whole number of megabytes",
		"timeout: [1]\n":          "updraft.yaml line 1: timeout must be a whole number of seconds",
		"env: [A, B]\n":           "updraft.yaml line 1: env must be a mapping",
		"env:\n  A: {b: c}\n":     "env A must be a string",
		"name: {a: b}\n":          "updraft.yaml line 1: name must be a string",
		"- a\n- b\n":              "updraft.yaml line 1: expected a mapping",
		"name: x\nname: y\n":      `updraft.yaml line 2: key "name" is already set on line 1`,
		"name: 'x\n":              "updraft.yaml is not valid YAML",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			_, err := ParseManifest([]byte(in))
			fe := wantErr(t, err, fn.TypeInvalidParameterValue, http.StatusBadRequest)
			if !strings.Contains(fe.Message, want) {
				t.Errorf("message %q does not contain %q", fe.Message, want)
			}
		})
	}
}
