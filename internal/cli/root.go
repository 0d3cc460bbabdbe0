package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
)

// app is one run of the command line: its stdio, environment and the
// global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	endpoint string // --endpoint
	apiKey   string // --api-key
	output   string // --output

	keySource string // where the API key came from, for error hints
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "updraft",
		Short: "Updraft runs your functions on your own machine, AWS Lambda style",
		Long: `Updraft is a self-hosted serverless platform in one binary. It runs
functions written in any language (Python, Node, Go, or any executable that
speaks the AWS Lambda Runtime API), starts them on demand, keeps them warm
for a while, and records the usage of every call.

The same binary is the server ("updraft serve") and the client for
everything else. The client talks to the server over HTTP at --endpoint and
authenticates with an API key: by default the admin key the server wrote to
./updraft-data/admin.key, so commands run from the server's directory work
without any setup.`,
		Example: `  # terminal 1: start the server (creates ./updraft-data)
  updraft serve

  # terminal 2, same directory: deploy a function and call it
  updraft deploy ./hello
  updraft invoke hello --data '{"name":"world"}'
  updraft logs hello`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.output != "text" && a.output != "json" {
				return usagef("--output must be text or json, not %q", a.output)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return exitCode(2) // no command given
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.endpoint, "endpoint", "", "server URL (env UPDRAFT_ENDPOINT, default "+apiclient.DefaultEndpoint+")")
	pf.StringVar(&a.apiKey, "api-key", "", "API key (env UPDRAFT_API_KEY, default: the key in $UPDRAFT_DATA_DIR/admin.key or ./updraft-data/admin.key)")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	root.AddCommand(
		newServeCmd(a),
		newDeployCmd(a),
		newInvokeCmd(a),
		newEventsCmd(a),
		newDestinationsCmd(a),
		newLogsCmd(a),
		newLsCmd(a),
		newGetCmd(a),
		newRmCmd(a),
		newKeysCmd(a),
		newTenantCmd(a),
		newSecretCmd(a),
		newUsageCmd(a),
		newBillCmd(a),
		newConcurrencyCmd(a),
		newTriggerCmd(a),
		newScheduleCmd(a),
		newStackCmd(a),
		newInstancesCmd(a),
		newReplayCmd(a),
		newQueueCmd(a),
		newTopicCmd(a),
		newRouteCmd(a),
		newBucketCmd(a),
		newObjectCmd(a),
		newMailCmd(a),
		newTableCmd(a),
		newAdminCmd(a),
		newVersionCmd(a),
	)
	// Cobra's completion command, listed in help and given an example.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Example = `  # bash, in this shell
  source <(updraft completion bash)

  # zsh, for every new shell
  updraft completion zsh > "${fpath[1]}/_updraft"`
	}
	return root
}

// Errors and exit codes. Cobra's own errors (unknown command or flag, bad
// flag value) and usageError mean a wrong command line: exit 2 with a hint
// to read --help. Errors a command's run returns are failures: exit 1.

// usageError is a wrong command line found by a command itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failure is an operation that failed.
type failure struct{ err error }

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// exitCode ends the run with a code; the command already reported why.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// run adapts a command's body to cobra, marking its errors as failures
// unless they are usage errors or exit codes.
func (a *app) run(body func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := body(cmd.Context(), cmd, args)
		var u *usageError
		var c exitCode
		if err == nil || errors.As(err, &u) || errors.As(err, &c) {
			return err
		}
		return &failure{err: err}
	}
}

// args checks positional arguments: names are required, optional (in
// brackets, e.g. "[NAME]") may be left out.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		required := 0
		for _, n := range names {
			if !strings.HasPrefix(n, "[") {
				required++
			}
		}
		if len(got) < required {
			return usagef("missing %s", strings.Join(names[len(got):required], " "))
		}
		if len(got) > len(names) {
			return usagef("unexpected argument %q", got[len(names)])
		}
		return nil
	}
}

// endpointURL is --endpoint, else $UPDRAFT_ENDPOINT, else the default.
func (a *app) endpointURL() string {
	if a.endpoint != "" {
		return a.endpoint
	}
	if v := a.getenv("UPDRAFT_ENDPOINT"); v != "" {
		return v
	}
	return apiclient.DefaultEndpoint
}

// client returns an API client with the endpoint and key resolved.
func (a *app) client() (*apiclient.Client, error) {
	key, err := a.resolveAPIKey()
	if err != nil {
		return nil, err
	}
	return apiclient.New(a.endpointURL(), key), nil
}

// resolveAPIKey is --api-key, else $UPDRAFT_API_KEY, else the admin key
// file in the data dir ($UPDRAFT_DATA_DIR or ./updraft-data).
func (a *app) resolveAPIKey() (string, error) {
	if k := strings.TrimSpace(a.apiKey); k != "" {
		a.keySource = "--api-key"
		return k, nil
	}
	if k := strings.TrimSpace(a.getenv("UPDRAFT_API_KEY")); k != "" {
		a.keySource = "UPDRAFT_API_KEY"
		return k, nil
	}
	path := config.Default().FromEnv(a.getenv).AdminKeyPath()
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // says which directory was meant
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf(`no API key: --api-key and UPDRAFT_API_KEY are not set, and there is no key file %s.
"updraft serve" writes its admin key to admin.key in its data directory. Run
this command in the directory where the server runs, set UPDRAFT_DATA_DIR to
the server's data directory, or pass the key with --api-key or UPDRAFT_API_KEY`, path)
	case err != nil:
		return "", fmt.Errorf("reading the API key: %w", err)
	}
	k := strings.TrimSpace(string(data))
	if k == "" {
		return "", fmt.Errorf("the API key file %s is empty: restart \"updraft serve\" to write a new one, or pass the key with --api-key or UPDRAFT_API_KEY", path)
	}
	a.keySource = path
	return k, nil
}

// hint adds a next step to common failures.
func (a *app) hint(err error) string {
	var e *apiclient.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("is \"updraft serve\" running? This command talked to %s (set it with --endpoint or UPDRAFT_ENDPOINT)", a.endpointURL())
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("the server rejected the API key from %s: use the key from the admin.key file in the server's data directory", a.keySource)
	}
	return ""
}

func (a *app) jsonOutput() bool { return a.output == "json" }

// printJSON writes v as indented JSON and a newline to stdout.
func (a *app) printJSON(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(append(data, '\n'))
	return err
}
