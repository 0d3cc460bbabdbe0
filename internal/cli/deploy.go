package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

func newDeployCmd(a *app) *cobra.Command {
	var (
		name, runtime, handler string
		memory, timeout        int
		env                    []string
		tmpl                   templateFlags
	)
	cmd := &cobra.Command{
		Use:   "deploy PATH | deploy --template template.yaml",
		Short: "Deploy a function from a directory or a .zip file, or an app from a SAM template",
		Long: `Deploy a function: upload its code and configuration to the server. If a
function of that name exists, this updates it (its revision goes up by one);
otherwise it creates it.

PATH is a directory (updraft zips it) or a .zip file (uploaded as is). The
code may carry an updraft.yaml at its root with the function's name, runtime,
handler, memory, timeout and environment. Flags win over updraft.yaml; only
the flags you give are sent. Without --name or a name in updraft.yaml, the
function is named after the directory (or the zip file without .zip).

Runtimes, as Lambda names them, with short aliases: python3.12, python3.11,
python3.10 (alias python3; handler FILE.FUNCTION, e.g. app.handler) run on the
host's Python 3; nodejs20.x, nodejs18.x (alias node; handler FILE.FUNCTION,
e.g. index.handler) on its Node.js; provided.al2023, provided.al2 (alias
provided, go) run any executable named bootstrap that speaks the AWS Lambda
Runtime API.`,
		Example: `  # a Python function in ./hello with app.py defining handler(event, context)
  updraft deploy ./hello --runtime python3 --handler app.handler

  # more memory, a longer timeout and two environment variables
  updraft deploy ./hello --memory 512 --timeout 30 --env STAGE=dev --env DEBUG=1

  # a Go function built for Linux as ./bootstrap and zipped
  updraft deploy function.zip --name orders --runtime provided

  # a whole application from an AWS SAM template (docs/SAM.md)
  updraft deploy --template template.yaml --parameter-overrides Stage=dev
  updraft deploy --template template.yaml --dry-run`,
		Args: func(cmd *cobra.Command, got []string) error {
			if tmpl.template != "" {
				return args()(cmd, got)
			}
			return args("PATH")(cmd, got)
		},
	}
	tmpl.register(cmd)
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "function name (default: from updraft.yaml, else the directory or zip name)")
	f.StringVar(&runtime, "runtime", "", "runtime: a Lambda name (python3.12, nodejs20.x, provided.al2023, …) or python3, node, provided (alias go)")
	f.StringVar(&handler, "handler", "", "handler, e.g. app.handler for python3 and node")
	f.IntVar(&memory, "memory", 0, "memory in MB, 128 to 10240 (default 128)")
	f.IntVar(&timeout, "timeout", 0, "timeout in seconds, 1 to 900 (default 3)")
	f.StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE; repeat for more")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if tmpl.template != "" {
			return a.deployTemplate(ctx, tmpl)
		}
		req := apiclient.DeployRequest{Runtime: runtime, Handler: handler}
		if f.Changed("memory") {
			if memory <= 0 {
				return usagef("--memory must be a positive number of MB, e.g. --memory 256")
			}
			req.MemoryMB = memory
		}
		if f.Changed("timeout") {
			if timeout <= 0 {
				return usagef("--timeout must be a positive number of seconds, e.g. --timeout 30")
			}
			req.TimeoutSec = timeout
		}
		var err error
		if req.Env, err = parseEnv(env); err != nil {
			return err
		}
		code, err := readCode(args[0])
		if err != nil {
			return err
		}
		req.Zip = code.zip
		req.Name = name
		if req.Name == "" {
			req.Name = code.name
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		fu, _, err := c.Deploy(ctx, req)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(fu)
		}
		changed := "unchanged"
		if fu.CodeChanged {
			changed = "changed"
		}
		_, err = fmt.Fprintf(a.stdout, "deployed %s (%s) revision %d\ncode: %d bytes sha256 %s (%s)\n",
			fu.Name, fu.LambdaRuntime(), fu.Revision, fu.CodeSize, fu.CodeSHA256, changed)
		return err
	})
	return cmd
}

// parseEnv turns repeated KEY=VALUE flags into a map; nil when none.
func parseEnv(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	env := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--env %q is not KEY=VALUE: write e.g. --env STAGE=dev", kv)
		}
		env[k] = v
	}
	return env, nil
}

// code is a function's zipped code and the name it would have without
// --name: updraft.yaml's, else the directory's or zip file's.
type code struct {
	zip  []byte
	name string
}

// readCode zips a directory or reads a zip file.
func readCode(path string) (*code, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: give the directory or .zip file with the function's code", path)
		}
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c := &code{}
	var manifest []byte
	if st.IsDir() {
		c.name = filepath.Base(abs)
		if c.zip, err = deploy.PackageDir(path); err != nil {
			return nil, err // names the directory
		}
		manifest, err = os.ReadFile(filepath.Join(path, deploy.ManifestFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	} else {
		c.name = strings.TrimSuffix(filepath.Base(abs), ".zip")
		if c.zip, err = os.ReadFile(path); err != nil {
			return nil, err
		}
		if manifest, err = zippedManifest(c.zip); err != nil {
			return nil, fmt.Errorf("%s is not a zip file (%v): deploy a directory or a .zip file", path, err)
		}
	}
	if len(c.zip) > fn.MaxZippedBytes {
		return nil, fmt.Errorf("the zipped code of %s takes %.1f MB: the limit is %d MB; leave out what the function does not need at run time",
			path, float64(len(c.zip))/(1<<20), fn.MaxZippedBytes>>20)
	}
	if manifest != nil {
		m, err := deploy.ParseManifest(manifest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if m.Name != "" {
			c.name = m.Name
		}
	}
	return c, nil
}

// zippedManifest returns the updraft.yaml at the root of a zip, or nil.
func zippedManifest(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if f.Name != deploy.ManifestFile {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 1<<20))
	}
	return nil, nil
}
