package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newEventsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Inspect a function's asynchronous events",
	}
	var max int
	failed := &cobra.Command{
		Use:   "failed FUNCTION",
		Short: "List asynchronous events that failed for good",
		Long: `List the function's asynchronous events that failed their last attempt
(RetriesExhausted) or grew older than their maximum age (EventAgeExceeded)
and had nowhere else to go: no on-failure destination and no dead-letter
queue was configured, or delivering there failed (the reason is shown).
Nothing an asynchronous call acknowledged is dropped silently; such events
are kept here for 14 days. With --output json each event has its payload
and the last error.`,
		Example: `  updraft events failed resize
  updraft events failed resize -o json --max 10`,
		Args: args("FUNCTION"),
	}
	failed.Flags().IntVar(&max, "max", 100, "show at most this many (oldest first)")
	failed.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		events, err := c.FailedEvents(ctx, args[0], max)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(events)
		}
		if len(events) == 0 {
			_, err := fmt.Fprintf(a.stdout, "no failed events of %s\n", args[0])
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REQUEST ID\tCONDITION\tATTEMPTS\tFAILED\tWHY")
		for _, e := range events {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.RequestID, e.Condition, e.Attempts, e.FailedAt.Local().Format(time.DateTime), e.Why)
		}
		return tw.Flush()
	})
	cmd.AddCommand(failed)
	return cmd
}
