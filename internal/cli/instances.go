package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newInstancesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "instances NAME",
		Short: "List a function's instances and their states",
		Long: `List the instances of a function that are running on the server, one a
line, with their state: starting, idle, busy, or provisioned (an idle
instance kept warm by provisioned concurrency). A function with no traffic
for longer than the keep-alive has none.`,
		Example: `  updraft instances hello
  updraft instances hello -o json`,
		Args: args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		in, err := c.Instances(ctx, args[0])
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(in)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "STATE\tPROVISIONED\tVERSION\tIDLE SINCE\n")
		for _, i := range in.Instances {
			idle := "-"
			if !i.IdleSince.IsZero() {
				idle = formatTime(i.IdleSince)
			}
			fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", i.State, i.Provisioned, i.Version, idle)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%d instances, %d calls in flight\n", len(in.Instances), in.InFlight)
		return err
	})
	return cmd
}
