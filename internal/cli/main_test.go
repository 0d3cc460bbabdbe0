package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var commands = []string{"serve", "deploy", "invoke", "logs", "ls", "get", "rm", "usage", "version", "completion", "queue"}

func TestHelp(t *testing.T) {
	r := run(t, nil, opts{}, "--help")
	r.want(t, 0, "Usage:", "")
	for _, c := range commands {
		if !strings.Contains(r.stdout, "\n  "+c+" ") {
			t.Errorf("root help does not list %s:\n%s", c, r.stdout)
		}
	}
	for _, c := range commands {
		t.Run(c, func(t *testing.T) {
			r := run(t, nil, opts{}, c, "--help")
			r.want(t, 0, "Examples:\n  ", "")
			for _, g := range []string{"--endpoint", "--api-key", "--output"} {
				if !strings.Contains(r.stdout, g) {
					t.Errorf("%s --help lacks the global flag %s", c, g)
				}
			}
		})
	}
}

func TestNoCommand(t *testing.T) {
	run(t, nil, opts{}).want(t, 2, "", "Available Commands:")
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
		help string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "updraft"`, "updraft"},
		{[]string{"lss"}, "unknown command \"lss\" for \"updraft\"\n\nDid you mean this?\n\tlogs\n\tls\n", "updraft"},
		{[]string{"invoke"}, "missing NAME", "updraft invoke"},
		{[]string{"invoke", "a", "b"}, `unexpected argument "b"`, "updraft invoke"},
		{[]string{"deploy"}, "missing PATH", "updraft deploy"},
		{[]string{"ls", "extra"}, `unexpected argument "extra"`, "updraft ls"},
		{[]string{"usage", "a", "b"}, `unexpected argument "b"`, "updraft usage"},
		{[]string{"ls", "--bogus"}, "unknown flag: --bogus", "updraft ls"},
		{[]string{"--output", "yaml", "ls"}, `--output must be text or json, not "yaml"`, "updraft ls"},
		{[]string{"deploy", ".", "--memory", "lots"}, `invalid argument "lots" for "--memory"`, "updraft deploy"},
		{[]string{"deploy", ".", "--memory", "0"}, "--memory must be a positive number", "updraft deploy"},
		{[]string{"deploy", ".", "--timeout", "-1"}, "--timeout must be a positive number", "updraft deploy"},
		{[]string{"deploy", ".", "--env", "NOEQUALS"}, `--env "NOEQUALS" is not KEY=VALUE`, "updraft deploy"},
		{[]string{"deploy", ".", "--env", "=v"}, `--env "=v" is not KEY=VALUE`, "updraft deploy"},
		{[]string{"logs", "x", "--since", "yesterday"}, `--since "yesterday" is neither a duration`, "updraft logs"},
		{[]string{"usage", "--since", "1 hour"}, `--since "1 hour" is neither a duration`, "updraft usage"},
		{[]string{"serve", "--keep-alive", "forever"}, `invalid argument "forever" for "--keep-alive"`, "updraft serve"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, opts{}, tc.args...)
			r.want(t, 2, "", "updraft: "+tc.msg)
			r.want(t, 2, "", "Run '"+tc.help+" --help' for usage.")
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
		})
	}
}

func TestAPIKeyResolution(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/functions", 200, map[string]any{"functions": []any{}})
	auth := func() string { return srv.last(t).Auth }

	// The admin key file in $UPDRAFT_DATA_DIR, whitespace trimmed.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.key"), []byte("  "+testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, srv, opts{env: map[string]string{"UPDRAFT_API_KEY": "", "UPDRAFT_DATA_DIR": dir}}, "ls").want(t, 0, "no functions yet", "")
	if auth() != "Bearer "+testKey {
		t.Fatalf("from file: %q", auth())
	}

	// UPDRAFT_API_KEY wins over the file.
	run(t, srv, opts{env: map[string]string{"UPDRAFT_API_KEY": "from-env", "UPDRAFT_DATA_DIR": dir}}, "ls").want(t, 1, "", "UnrecognizedClientException")
	if auth() != "Bearer from-env" {
		t.Fatalf("from env: %q", auth())
	}

	// --api-key wins over both.
	r := run(t, srv, opts{env: map[string]string{"UPDRAFT_API_KEY": "from-env", "UPDRAFT_DATA_DIR": dir}}, "ls", "--api-key", "from-flag")
	r.want(t, 1, "", "hint: the server rejected the API key from --api-key")
	if auth() != "Bearer from-flag" {
		t.Fatalf("from flag: %q", auth())
	}
}

func TestNoAPIKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := run(t, nil, opts{env: map[string]string{"UPDRAFT_API_KEY": "", "UPDRAFT_DATA_DIR": dir}}, "ls")
	r.want(t, 1, "", "updraft: no API key")
	for _, s := range []string{filepath.Join(dir, "admin.key"), "--api-key", "UPDRAFT_API_KEY", "UPDRAFT_DATA_DIR", "updraft serve"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the error does not mention %s:\n%s", s, r.stderr)
		}
	}

	// Without UPDRAFT_DATA_DIR it looks in ./updraft-data.
	r = run(t, nil, opts{env: map[string]string{"UPDRAFT_API_KEY": "", "UPDRAFT_DATA_DIR": ""}}, "ls")
	r.want(t, 1, "", filepath.Join("updraft-data", "admin.key"))

	// An empty key file.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "admin.key"), []byte("\n"), 0o600)
	run(t, nil, opts{env: map[string]string{"UPDRAFT_API_KEY": "", "UPDRAFT_DATA_DIR": dir}}, "ls").want(t, 1, "", "is empty")
}

func TestEndpoint(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/functions", 200, map[string]any{"functions": []any{}})
	// --endpoint wins over UPDRAFT_ENDPOINT.
	r := run(t, srv, opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://127.0.0.1:1"}}, "ls", "--endpoint", srv.URL)
	r.want(t, 0, "no functions yet", "")
}

func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	r := run(t, nil, opts{env: map[string]string{"UPDRAFT_ENDPOINT": addr}}, "ls")
	r.want(t, 1, "", "connection refused")
	r.want(t, 1, "", `hint: is "updraft serve" running? This command talked to `+addr)
}
