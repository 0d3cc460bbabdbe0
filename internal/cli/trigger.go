package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newTriggerCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trigger",
		Short: "Run functions on queue messages (event source mappings)",
		Long: `Manage event source mappings: a queue feeding a function, as Lambda's
CreateEventSourceMapping does for SQS. Messages reach the function in batches
as Lambda's SQS event; a batch the function fails returns to the queue after
its visibility timeout and ends in the queue's dead-letter queue by its
redrive policy. See docs/MESSAGING.md.`,
		Example: `  updraft trigger queue jobs worker --batch-size 50 --window 2
  updraft trigger ls worker
  updraft trigger rm 6f1c2a4e-0b1d-4c7a-9a53-2f0d9e1c8b77`,
	}
	cmd.AddCommand(newTriggerQueueCmd(a), newTriggerLsCmd(a), newTriggerRmCmd(a))
	return cmd
}

func newTriggerQueueCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue QUEUE FUNCTION",
		Short: "Map a queue to a function",
		Long: `Map QUEUE (a queue name of your account, or its ARN) to FUNCTION (a name,
name:qualifier or ARN). The function gets up to --batch-size messages per
call (1 to 10000, default 10; above 10 needs --window of 1 s or more),
waiting up to --window seconds (0 to 300) for a batch to fill. With
--report-failures the function may return {"batchItemFailures":
[{"itemIdentifier": MESSAGE_ID}]} and only those messages are retried.
--max-concurrency caps the batches in flight (2 to 1000; default 5).`,
		Example: `  updraft trigger queue jobs worker
  updraft trigger queue jobs worker:live --batch-size 100 --window 5 --report-failures --max-concurrency 20`,
		Args: args("QUEUE", "FUNCTION"),
	}
	f := cmd.Flags()
	batch := f.Int("batch-size", 0, "most messages per call, 1 to 10000 (default 10)")
	window := f.Int("window", 0, "seconds to wait for a batch to fill, 0 to 300")
	maxConc := f.Int("max-concurrency", 0, "most batches in flight, 2 to 1000 (default 5)")
	report := f.Bool("report-failures", false, "the function reports failed messages (ReportBatchItemFailures)")
	disabled := f.Bool("disabled", false, "create the mapping disabled")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		m, err := c.CreateMapping(ctx, apiclient.MappingInput{
			Queue: args[0], Function: args[1], BatchSize: *batch, WindowSeconds: *window,
			ReportFailures: *report, MaxConcurrency: *maxConc, Disabled: *disabled,
		})
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(m)
		}
		_, err = fmt.Fprintf(a.stdout, "%s: %s → %s (batch %d, window %ds, %s)\n",
			m.UUID, queueName(m.EventSourceArn), functionName(m.FunctionArn), m.BatchSize, m.MaximumBatchingWindowInSeconds, m.State)
		return err
	})
	return cmd
}

func newTriggerLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ls [FUNCTION]",
		Short: "List event source mappings",
		Long: `List your event source mappings, or those of FUNCTION, with their state on
the server that answers (Enabled once its poller runs there) and the outcome
of their last batch.`,
		Example: `  updraft trigger ls
  updraft trigger ls worker -o json`,
		Args: args("[FUNCTION]"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		function := ""
		if len(args) > 0 {
			function = args[0]
		}
		list, err := c.ListMappings(ctx, function)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			if list == nil {
				list = []apiclient.EventSourceMapping{}
			}
			return a.printJSON(list)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "UUID\tQUEUE\tFUNCTION\tBATCH\tWINDOW\tSTATE\tLAST RESULT")
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%ds\t%s\t%s\n", m.UUID, queueName(m.EventSourceArn), functionName(m.FunctionArn),
				m.BatchSize, m.MaximumBatchingWindowInSeconds, m.State, m.LastProcessingResult)
		}
		return tw.Flush()
	})
	return cmd
}

func newTriggerRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rm UUID",
		Short: "Delete an event source mapping",
		Long: `Delete a mapping: its pollers stop on every server; batches in flight
finish. The queue and its messages stay.`,
		Example: `  updraft trigger rm 6f1c2a4e-0b1d-4c7a-9a53-2f0d9e1c8b77`,
		Args:    args("UUID"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		m, err := c.DeleteMapping(ctx, args[0])
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(m)
		}
		_, err = fmt.Fprintf(a.stdout, "deleted %s (%s → %s)\n", m.UUID, queueName(m.EventSourceArn), functionName(m.FunctionArn))
		return err
	})
	return cmd
}

// queueName is the name in a queue ARN.
func queueName(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }

// functionName is NAME[:QUALIFIER] of a function ARN.
func functionName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":function:")
	if !ok {
		return arn
	}
	return rest
}
