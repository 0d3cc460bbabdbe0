package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the deployed functions",
		Long: `List the functions deployed on the server, sorted by name, with their
runtime, memory, timeout, revision (how many times they were deployed) and
when they last changed. With --output json it prints a JSON array of
functions with every field.`,
		Example: `  updraft ls
  updraft ls -o json`,
		Args: args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		fs, err := c.ListFunctions(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(fs)
		}
		if len(fs) == 0 {
			_, err := fmt.Fprintln(a.stdout, "no functions yet: deploy one with \"updraft deploy DIR\"")
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "NAME\tRUNTIME\tMEMORY\tTIMEOUT\tREVISION\tUPDATED")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%dMB\t%ds\t%d\t%s\n", f.Name, f.LambdaRuntime(), f.MemoryMB, f.TimeoutSec, f.Revision, formatTime(f.UpdatedAt))
		}
		return tw.Flush()
	})
	return cmd
}

// formatTime shows a time in UTC to the second.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
