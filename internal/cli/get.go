package cli

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/fn"
)

func newGetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show one function's configuration",
		Long: `Show a deployed function's configuration and code: runtime, handler,
memory, timeout, environment, revision, the size and sha256 of its zipped
code, and when it was created and last changed. With --output json it
prints the function as JSON.`,
		Example: `  updraft get hello
  updraft get hello -o json`,
		Args: args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		f, err := c.GetFunction(ctx, args[0])
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(f)
		}
		return writeFunction(a, f)
	})
	return cmd
}

// writeFunction prints f as aligned "key: value" lines.
func writeFunction(a *app, f *fn.Function) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
	line := func(k string, format string, v ...any) {
		fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, v...)...)
	}
	handler := f.Handler
	if handler == "" {
		handler = "-"
	}
	line("name", "%s", f.Name)
	line("arn", "%s", f.ARN())
	line("runtime", "%s", f.LambdaRuntime())
	line("handler", "%s", handler)
	line("memory", "%d MB", f.MemoryMB)
	line("timeout", "%d s", f.TimeoutSec)
	line("revision", "%d", f.Revision)
	line("code size", "%d bytes", f.CodeSize)
	line("code sha256", "%s", f.CodeSHA256)
	line("created", "%s", formatTime(f.CreatedAt))
	line("updated", "%s", formatTime(f.UpdatedAt))
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("env", "%s=%s", k, f.Env[k])
	}
	return tw.Flush()
}
