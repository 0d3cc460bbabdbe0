package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newBillCmd(a *app) *cobra.Command {
	var tenant, month string
	var all bool
	cmd := &cobra.Command{
		Use:   "bill",
		Short: "Show a tenant's itemised bill for a month",
		Long: `Show the bill of a calendar month (UTC), made from the usage records:
requests, compute (GB-seconds: billed ms × memory), provisioned
concurrency, the free tier's deductions, subtotal and total, then each
function's share. Prices are the server's price table (serve
--price-table; AWS Lambda's public prices by default). Each line is
rounded half-up to the cent; throttled calls are shown, never billed.

--month takes YYYY-MM (default: this month). The platform admin's key
may name any tenant with --tenant, or show every tenant's with --all.
With --output json it prints the bill as GET /v1/billing returns it,
with every quantity, unit price and exact amount. docs/BILLING.md
explains the arithmetic.`,
		Example: `  updraft bill
  updraft bill --month 2026-11 -o json
  updraft bill --tenant acme --month 2026-11
  updraft bill --all`,
		Args: args(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "bill of this tenant (platform admin's key only; default: the key's own)")
	cmd.Flags().StringVar(&month, "month", "", "month to bill, YYYY-MM (default: this month, UTC)")
	cmd.Flags().BoolVar(&all, "all", false, "every tenant's bill (platform admin's key only)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		if month != "" {
			if _, err := time.Parse("2006-01", month); err != nil {
				return usagef("--month %q: use YYYY-MM, such as 2026-11", month)
			}
		}
		if all && tenant != "" {
			return usagef("give --tenant or --all, not both")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if all {
			bs, err := c.AllBills(ctx, month)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(bs)
			}
			return printAllBills(a.stdout, bs)
		}
		b, err := c.Bill(ctx, tenant, month)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(b)
		}
		return printBill(a.stdout, b)
	})
	return cmd
}

func printBill(w io.Writer, b *apiclient.Bill) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "Bill of tenant %s for %s (%s, %s)\n\n", b.Tenant, b.Month, b.Currency, b.Architecture)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUNIT\tUNIT_PRICE\tAMOUNT")
	for _, l := range b.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Description, l.Quantity, l.Unit, l.UnitPrice, l.Amount)
	}
	fmt.Fprintf(tw, "subtotal\t\t\t\t%s\n", b.Subtotal)
	fmt.Fprintf(tw, "free tier\t\t\t\t%s\n", b.FreeTier)
	fmt.Fprintf(tw, "total\t\t\t\t%s %s\n", b.Total, b.Currency)
	if len(b.Functions) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "FUNCTION\tREQUESTS\tERRORS\tBILLED_MS\tGB_S\tPROVISIONED_GB_S\tSUBTOTAL")
		for _, f := range b.Functions {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", f.Function, f.Requests, f.Errors, f.BilledMs, f.GBs, f.Provisioned, f.Subtotal)
		}
	}
	return tw.Flush()
}

func printAllBills(w io.Writer, bs *apiclient.Bills) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "Bills for %s (%s)\n\n", bs.Month, bs.Currency)
	fmt.Fprintln(tw, "TENANT\tREQUESTS\tGB_S\tTHROTTLED\tSUBTOTAL\tFREE_TIER\tTOTAL")
	for _, b := range bs.Bills {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\n", b.Tenant, b.Requests, b.GBs, b.Throttled, b.Subtotal, b.FreeTier, b.Total)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t%s %s\n", bs.Total, bs.Currency)
	return tw.Flush()
}
