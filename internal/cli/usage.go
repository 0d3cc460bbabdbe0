package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newUsageCmd(a *app) *cobra.Command {
	var since, tenant string
	var all bool
	cmd := &cobra.Command{
		Use:   "usage [NAME]",
		Short: "Show invocations and billed time per function",
		Long: `Show what functions used, summed per function: invocations, errors,
billed milliseconds (each call rounded up to 1 ms), GB-seconds (billed
seconds times memory in GB, what AWS Lambda bills by) and cold starts.

Give NAME for one function, or nothing for all of them. --since takes a
duration back from now (1h, 24h) or an RFC 3339 time; without it, all the
usage the server has kept. With --output json it prints a JSON array with
one object per function.

The platform admin's key may name any tenant with --tenant, or show
every tenant's usage with --all (then JSON is [{"tenant","functions"}]).
Anyone else naming another tenant gets "not found".`,
		Example: `  updraft usage
  updraft usage hello --since 24h
  updraft usage -o json
  updraft usage --tenant acme
  updraft usage --all --since 24h`,
		Args: args("[NAME]"),
	}
	cmd.Flags().StringVar(&since, "since", "", "count calls newer than this duration ago or RFC 3339 time (default: all)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "usage of this tenant (platform admin's key only; default: the key's own)")
	cmd.Flags().BoolVar(&all, "all", false, "every tenant's usage (platform admin's key only)")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if err := checkSince(since); err != nil {
			return err
		}
		name := ""
		if len(args) > 0 {
			name = args[0]
		}
		if all && tenant != "" {
			return usagef("give --tenant or --all, not both")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if all {
			ts, err := c.AllUsage(ctx, name, since)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(ts)
			}
			return printAllUsage(a.stdout, ts)
		}
		us, err := c.UsageOf(ctx, tenant, name, since)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(us)
		}
		if len(us) == 0 {
			_, err := fmt.Fprintln(a.stdout, "no invocations recorded")
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "FUNCTION\tINVOCATIONS\tERRORS\tBILLED_MS\tGB_S\tCOLD_STARTS")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.6f\t%d\n", u.Function, u.Invocations, u.Errors, u.BilledMs, u.GBs, u.ColdStarts)
		}
		return tw.Flush()
	})
	return cmd
}

func printAllUsage(w io.Writer, ts []apiclient.TenantUsage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tFUNCTION\tINVOCATIONS\tERRORS\tBILLED_MS\tGB_S\tCOLD_STARTS")
	for _, t := range ts {
		for _, u := range t.Functions {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.6f\t%d\n", t.Tenant, u.Function, u.Invocations, u.Errors, u.BilledMs, u.GBs, u.ColdStarts)
		}
	}
	return tw.Flush()
}
