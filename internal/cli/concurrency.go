package cli

import (
	"context"
	"fmt"
	"maps"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/fn"
)

func newConcurrencyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "concurrency NAME",
		Short: "Show or set a function's reserved and provisioned concurrency",
		Long: `Without flags, show a function's scaling configuration. With flags, set it:

  --reserved N      carve N concurrent calls out of the tenant's limit for this
                    function alone; also its ceiling. 0 disables the function
                    (every call gets 429).
  --provisioned N   keep N instances initialised at all times for the
                    qualifier (--qualifier: $LATEST, a version or an alias;
                    the same setting as Lambda's PutProvisionedConcurrencyConfig);
                    the command returns once they are ready. 0 removes it.
  --max-instances N cap the function's instances, and so its concurrent
                    calls (0: no cap of its own).
  --delete          remove the configuration: the function shares the
                    tenant's unreserved concurrency again.

Flags not given keep their current value.`,
		Example: `  updraft concurrency hello --reserved 50 --provisioned 2
  updraft concurrency hello --provisioned 5 --qualifier live
  updraft concurrency hello
  updraft concurrency hello --delete`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	reserved := f.Int("reserved", 0, "reserved concurrency (0 disables the function)")
	provisioned := f.Int("provisioned", 0, "instances kept initialised at all times")
	maxInst := f.Int("max-instances", 0, "most instances of the function (0: no cap of its own)")
	qualifier := f.String("qualifier", fn.LatestVersion, "version or alias that --provisioned applies to")
	del := f.Bool("delete", false, "remove the function's concurrency configuration")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		name := args[0]
		if *del {
			if err := c.DeleteConcurrency(ctx, name); err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(map[string]string{"deleted": name})
			}
			_, err = fmt.Fprintf(a.stdout, "concurrency of %s removed\n", name)
			return err
		}
		cc, err := c.GetConcurrency(ctx, name)
		if err != nil {
			return err
		}
		if f.Changed("reserved") || f.Changed("provisioned") || f.Changed("max-instances") {
			if f.Changed("reserved") {
				cc.Reserved = reserved
			}
			if f.Changed("provisioned") {
				cc.Provisioned = maps.Clone(cc.Provisioned)
				if cc.Provisioned == nil {
					cc.Provisioned = fn.Provisioned{}
				}
				cc.Provisioned[*qualifier] = *provisioned
				if *provisioned == 0 {
					delete(cc.Provisioned, *qualifier)
				}
			}
			if f.Changed("max-instances") {
				cc.MaxInstances = *maxInst
			}
			if cc, err = c.PutConcurrency(ctx, name, *cc); err != nil {
				return err
			}
		}
		if a.jsonOutput() {
			return a.printJSON(cc)
		}
		return writeConcurrency(a, cc)
	})
	return cmd
}

func writeConcurrency(a *app, cc *fn.Concurrency) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
	res := "unreserved"
	if cc.Reserved != nil {
		res = fmt.Sprint(*cc.Reserved)
	}
	maxInst := "no cap"
	if cc.MaxInstances > 0 {
		maxInst = fmt.Sprint(cc.MaxInstances)
	}
	fmt.Fprintf(tw, "reserved:\t%s\nprovisioned:\t%s\nmax instances:\t%s\n", res, cc.Provisioned, maxInst)
	return tw.Flush()
}
