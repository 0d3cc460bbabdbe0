package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

func newMailCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mail",
		Short: "Receive email: route addresses and domains to functions",
		Long: `Inbound email with SES receiving semantics. Start the server with
--smtp-listen ADDR; a route sends the mail for an address (help@example.com)
or a whole domain (@example.com) to a function, which is invoked
asynchronously with SES's Lambda receipt event. The raw message is stored and
named by the event's receipt.action.objectKey; "updraft mail message ID"
prints it. An address or domain is routed by one tenant only. See
docs/TRIGGERS.md (mail).`,
		Example: `  updraft mail route add help@example.com tickets
  updraft mail route add @support.example.com tickets:live
  updraft mail route ls
  updraft mail route rm help@example.com
  updraft mail message 3hqpz7k2mbx4t9w1c5r8n6d0yfga2je7 > message.eml`,
	}
	route := &cobra.Command{
		Use:   "route",
		Short: "Manage mail routes: add, ls, rm",
		Example: `  updraft mail route add help@example.com tickets
  updraft mail route ls --output json`,
	}
	route.AddCommand(newMailRouteAddCmd(a), newMailRouteLsCmd(a), newMailRouteRmCmd(a))
	cmd.AddCommand(route, newMailMessageCmd(a))
	return cmd
}

func newMailRouteAddCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "add ADDRESS|@DOMAIN FUNCTION[:ALIAS]",
		Short: "Route an address or a domain to a function",
		Long: `Send the mail for ADDRESS, or for every address at DOMAIN (not its
subdomains), to FUNCTION (a name, name:qualifier or ARN). A recipient's own
address route wins over its domain's. Adding a route you already have
replaces it; one another tenant has is refused (ResourceConflictException).`,
		Example: `  updraft mail route add help@example.com tickets
  updraft mail route add @support.example.com tickets:live`,
		Args: args("ADDRESS|@DOMAIN", "FUNCTION[:ALIAS]"),
		RunE: a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.AddMailRoute(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(r)
			}
			_, err = fmt.Fprintf(a.stdout, "mail for %s goes to %s\n", r.Recipient, target(*r))
			return err
		}),
	}
}

func newMailRouteLsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "ls",
		Short:   "List your mail routes",
		Example: `  updraft mail route ls --output json`,
		Args:    args(),
		RunE: a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			routes, err := c.MailRoutes(ctx)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(routes)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RECIPIENT\tFUNCTION\tDECLARED BY")
			for _, r := range routes {
				by := "api"
				if r.Owner != "" {
					by = r.Owner
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Recipient, target(r), by)
			}
			return tw.Flush()
		}),
	}
}

func newMailRouteRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "rm ADDRESS|@DOMAIN",
		Short:   "Remove a mail route",
		Long:    `Remove your route of ADDRESS or @DOMAIN: its mail is refused (550) from then on, unless another route matches.`,
		Example: `  updraft mail route rm help@example.com`,
		Args:    args("ADDRESS|@DOMAIN"),
		RunE: a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RemoveMailRoute(ctx, args[0]); err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(map[string]string{"deleted": args[0]})
			}
			_, err = fmt.Fprintf(a.stdout, "mail route %s removed\n", args[0])
			return err
		}),
	}
}

func newMailMessageCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "message MESSAGE_ID",
		Short: "Print a stored raw message",
		Long: `Print the raw message (RFC 5322, with the server's Return-Path and Received
lines on top) stored for MESSAGE_ID: the event's ses.mail.messageId, also its
receipt.action.objectKey.`,
		Example: `  updraft mail message 3hqpz7k2mbx4t9w1c5r8n6d0yfga2je7 > message.eml`,
		Args:    args("MESSAGE_ID"),
		RunE: a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			raw, err := c.MailMessage(ctx, args[0])
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(raw)
			return err
		}),
	}
}

// target is a route's FUNCTION[:QUALIFIER].
func target(r apiclient.MailRoute) string {
	if r.Qualifier != "" {
		return r.Function + ":" + r.Qualifier
	}
	return r.Function
}
