package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// The queue commands speak the SQS JSON protocol to the server's one AWS
// endpoint (apiclient.SQS) with the API key, so they see exactly what an
// SQS client sees.

func newQueueCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Create, use and delete SQS-compatible queues",
		Long: `Queues with SQS's semantics, served on the same endpoint as SQS's API: what
these commands do, any AWS SDK or the aws CLI can do too, with
AWS_ENDPOINT_URL set to the server's address.

A queue whose name ends in .fifo is a FIFO queue (order within a message
group, de-duplication over five minutes). Created here, a FIFO queue
de-duplicates by content unless a send gives --dedup-id.`,
		Example: `  updraft queue create jobs --visibility 60
  updraft queue send jobs '{"task":"resize","id":7}'
  updraft queue receive jobs --wait 10 --delete
  updraft queue ls`,
		Args: args(),
	}
	cmd.AddCommand(newQueueCreateCmd(a), newQueueLsCmd(a), newQueueSendCmd(a), newQueueReceiveCmd(a), newQueuePurgeCmd(a), newQueueRmCmd(a))
	return cmd
}

func newQueueCreateCmd(a *app) *cobra.Command {
	var fifo bool
	var visibility, maxReceives int
	var dlq string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a queue",
		Long: `Create a queue (1 to 80 letters, digits, - and _; a FIFO queue's name ends
in .fifo). Creating a queue that exists with the same settings succeeds.
--dlq NAME with --max-receives N moves a message received more than N
times to the queue NAME (create it first).`,
		Example: `  updraft queue create jobs-dlq
  updraft queue create jobs --visibility 60 --dlq jobs-dlq --max-receives 3
  updraft queue create events.fifo`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.BoolVar(&fifo, "fifo", false, "a FIFO queue (its name must end in .fifo; implied by the name)")
	f.IntVar(&visibility, "visibility", 0, "visibility timeout in seconds, 0 to 43200 (default 30)")
	f.StringVar(&dlq, "dlq", "", "dead-letter queue NAME (with --max-receives)")
	f.IntVar(&maxReceives, "max-receives", 0, "receives before a message moves to --dlq, 1 to 1000")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		name := args[0]
		isFIFO := strings.HasSuffix(name, ".fifo")
		if fifo && !isFIFO {
			return usagef("a FIFO queue's name ends in .fifo: updraft queue create %s.fifo", name)
		}
		if (dlq == "") != (maxReceives == 0) {
			return usagef("--dlq and --max-receives go together: updraft queue create %s --dlq %s-dlq --max-receives 3", name, name)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		attrs := map[string]string{}
		if isFIFO {
			attrs["FifoQueue"], attrs["ContentBasedDeduplication"] = "true", "true"
		}
		if cmd.Flags().Changed("visibility") {
			attrs["VisibilityTimeout"] = strconv.Itoa(visibility)
		}
		if dlq != "" {
			arn, err := queueARN(ctx, c, dlq)
			if err != nil {
				return err
			}
			attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, maxReceives)
		}
		url, err := c.CreateQueue(ctx, name, attrs)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"name": name, "url": url})
		}
		_, err = fmt.Fprintf(a.stdout, "created %s\n%s\n", name, url)
		return err
	})
	return cmd
}

func queueARN(ctx context.Context, c *apiclient.Client, name string) (string, error) {
	url, err := c.QueueURL(ctx, name)
	if err != nil {
		return "", err
	}
	attrs, err := c.QueueAttributes(ctx, url)
	return attrs["QueueArn"], err
}

// queueInfo is one queue as `queue ls` shows it.
type queueInfo struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Messages   int    `json:"messages"`
	InFlight   int    `json:"in_flight"`
	Delayed    int    `json:"delayed"`
	Visibility int    `json:"visibility_timeout"`
	FIFO       bool   `json:"fifo"`
	DeadLetter string `json:"redrive_policy,omitempty"`
}

func newQueueLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List queues with their message counts",
		Example: `  updraft queue ls`,
		Args:    args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		urls, err := c.ListQueues(ctx)
		if err != nil {
			return err
		}
		out := make([]queueInfo, 0, len(urls))
		for _, u := range urls {
			at, err := c.QueueAttributes(ctx, u)
			if err != nil {
				return err
			}
			n := func(k string) int { v, _ := strconv.Atoi(at[k]); return v }
			out = append(out, queueInfo{Name: u[strings.LastIndexByte(u, '/')+1:], URL: u,
				Messages: n("ApproximateNumberOfMessages"), InFlight: n("ApproximateNumberOfMessagesNotVisible"),
				Delayed: n("ApproximateNumberOfMessagesDelayed"), Visibility: n("VisibilityTimeout"),
				FIFO: at["FifoQueue"] == "true", DeadLetter: at["RedrivePolicy"]})
		}
		if a.jsonOutput() {
			return a.printJSON(out)
		}
		if len(out) == 0 {
			_, err := fmt.Fprintln(a.stdout, "no queues (create one with: updraft queue create NAME)")
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tMESSAGES\tIN-FLIGHT\tDELAYED\tVISIBILITY")
		for _, q := range out {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%ds\n", q.Name, q.Messages, q.InFlight, q.Delayed, q.Visibility)
		}
		return tw.Flush()
	})
	return cmd
}

func newQueueSendCmd(a *app) *cobra.Command {
	var delay int
	var group, dedup string
	cmd := &cobra.Command{
		Use:   "send NAME BODY",
		Short: "Send a message to a queue",
		Long: `Send BODY (text up to 256 KiB; "-" reads it from stdin) to the queue NAME.
It returns once the message is stored on disk. A FIFO queue needs --group.`,
		Example: `  updraft queue send jobs '{"task":"resize"}'
  updraft queue send jobs hello --delay 30
  echo '{"n":1}' | updraft queue send events.fifo - --group orders`,
		Args: args("NAME", "BODY"),
	}
	f := cmd.Flags()
	f.IntVar(&delay, "delay", 0, "seconds before the message can be received, 0 to 900")
	f.StringVar(&group, "group", "", "message group (FIFO queues)")
	f.StringVar(&dedup, "dedup-id", "", "de-duplication id (FIFO queues; default: the content)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		body := args[1]
		if body == "-" {
			data, err := io.ReadAll(a.stdin)
			if err != nil {
				return err
			}
			body = string(data)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		url, err := c.QueueURL(ctx, args[0])
		if err != nil {
			return err
		}
		m := apiclient.SQSMessage{MessageBody: body, MessageGroupID: group, MessageDeduplicationID: dedup}
		if cmd.Flags().Changed("delay") {
			m.DelaySeconds = &delay
		}
		sent, err := c.SendMessage(ctx, url, m)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"message_id": sent.MessageID, "md5_of_body": sent.MD5OfMessageBody, "sequence_number": sent.SequenceNumber})
		}
		_, err = fmt.Fprintf(a.stdout, "sent %s\n", sent.MessageID)
		return err
	})
	return cmd
}

// receivedMessage is one message as `queue receive --output json` prints it.
type receivedMessage struct {
	ID            string            `json:"message_id"`
	Body          string            `json:"body"`
	ReceiptHandle string            `json:"receipt_handle"`
	Attributes    map[string]string `json:"attributes"`
	Deleted       bool              `json:"deleted"`
}

func newQueueReceiveCmd(a *app) *cobra.Command {
	var max, wait int
	var del bool
	cmd := &cobra.Command{
		Use:   "receive NAME",
		Short: "Receive messages from a queue",
		Long: `Receive up to --max messages (1 to 10), waiting up to --wait seconds (0 to
20) for the first. A received message is invisible to other receivers for
the queue's visibility timeout and comes back after it unless deleted:
--delete deletes each one printed.`,
		Example: `  updraft queue receive jobs
  updraft queue receive jobs --max 10 --wait 20 --delete
  updraft queue receive jobs --output json`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.IntVar(&max, "max", 1, "most messages to receive, 1 to 10")
	f.IntVar(&wait, "wait", 0, "seconds to wait for a first message, 0 to 20")
	f.BoolVar(&del, "delete", false, "delete each message received")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if max < 1 || max > 10 || wait < 0 || wait > 20 {
			return usagef("--max is 1 to 10 and --wait 0 to 20 seconds")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		url, err := c.QueueURL(ctx, args[0])
		if err != nil {
			return err
		}
		msgs, err := c.ReceiveMessages(ctx, url, max, wait)
		if err != nil {
			return err
		}
		out := make([]receivedMessage, 0, len(msgs))
		for _, m := range msgs {
			r := receivedMessage{ID: m.MessageID, Body: m.Body, ReceiptHandle: m.ReceiptHandle, Attributes: m.Attributes}
			if del {
				if err := c.DeleteMessage(ctx, url, m.ReceiptHandle); err != nil {
					return fmt.Errorf("deleting message %s: %w", m.MessageID, err)
				}
				r.Deleted = true
			}
			out = append(out, r)
		}
		if a.jsonOutput() {
			return a.printJSON(out)
		}
		if len(out) == 0 {
			_, err := fmt.Fprintln(a.stderr, "no messages")
			return err
		}
		for _, m := range out {
			state := "received " + m.Attributes["ApproximateReceiveCount"] + "x"
			if m.Deleted {
				state += ", deleted"
			}
			if _, err := fmt.Fprintf(a.stdout, "%s (%s)\n%s\n", m.ID, state, m.Body); err != nil {
				return err
			}
		}
		return nil
	})
	return cmd
}

func newQueuePurgeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "purge NAME",
		Short:   "Delete every message of a queue",
		Example: `  updraft queue purge jobs`,
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		return a.onQueue(ctx, args[0], "purged", (*apiclient.Client).PurgeQueue)
	})
	return cmd
}

func newQueueRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"delete"},
		Short:   "Delete a queue and its messages",
		Example: `  updraft queue rm jobs`,
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		return a.onQueue(ctx, args[0], "deleted", (*apiclient.Client).DeleteQueue)
	})
	return cmd
}

// onQueue runs do on the queue name and reports done.
func (a *app) onQueue(ctx context.Context, name, done string, do func(*apiclient.Client, context.Context, string) error) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	url, err := c.QueueURL(ctx, name)
	if err != nil {
		return err
	}
	if err := do(c, ctx, url); err != nil {
		return err
	}
	if a.jsonOutput() {
		return a.printJSON(map[string]string{done: name})
	}
	_, err = fmt.Fprintf(a.stdout, "%s %s\n", done, name)
	return err
}
