package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

func newTenantCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Manage tenants (platform admin)",
		Long: `Tenants are isolated customers of the platform: their functions, keys,
queues, topics and usage are their own, and another tenant's resources do
not exist for them. Each has a 12-digit account id used in its ARNs. Only
the platform's administrator (an admin key of the default tenant) manages
tenants.`,
		Example: `  updraft tenant create team-a
  updraft keys create --tenant team-a --scope deploy
  updraft tenant set team-a --max-concurrency 50 --max-gb-s 400000
  updraft tenant ls
  updraft tenant rm team-a --force`,
	}
	cmd.AddCommand(newTenantCreateCmd(a), newTenantLsCmd(a), newTenantGetCmd(a), newTenantSetCmd(a), newTenantRmCmd(a))
	return cmd
}

func (a *app) printTenant(t *apiclient.Tenant) error {
	if a.jsonOutput() {
		return a.printJSON(t)
	}
	q := t.Quotas
	_, err := fmt.Fprintf(a.stdout, "tenant:     %s\naccount id: %s\ncreated:    %s\nquotas:     concurrency %s, invocations/month %s, GB-s/month %s, stored bytes %s\n",
		t.Name, t.AccountID, t.Created.Format("2006-01-02 15:04:05"),
		limit(float64(q.MaxConcurrency)), limit(float64(q.MaxInvocationsPerMonth)), limit(q.MaxGBSecondsPerMonth), limit(float64(q.MaxStoredBytes)))
	return err
}

func limit(v float64) string {
	if v == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g", v)
}

func newTenantCreateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use: "create NAME", Short: "Create a tenant", Args: args("NAME"),
		Example: "  updraft tenant create team-a",
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		t, err := c.CreateTenant(ctx, argv[0], nil)
		if err != nil {
			return err
		}
		return a.printTenant(t)
	})
	return cmd
}

func newTenantLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "ls", Short: "List tenants", Args: args(), Example: "  updraft tenant ls -o json"}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		ts, err := c.ListTenants(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]any{"tenants": ts})
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tACCOUNT\tCREATED\tMAX CONCURRENCY")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.AccountID, t.Created.Format("2006-01-02 15:04"), limit(float64(t.Quotas.MaxConcurrency)))
		}
		return tw.Flush()
	})
	return cmd
}

func newTenantGetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "get NAME", Short: "Show a tenant and its quotas", Args: args("NAME"), Example: "  updraft tenant get team-a"}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		t, err := c.GetTenant(ctx, argv[0])
		if err != nil {
			return err
		}
		return a.printTenant(t)
	})
	return cmd
}

func newTenantSetCmd(a *app) *cobra.Command {
	var q fn.Quotas
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Set a tenant's quotas (0: no limit)",
		Long: `Set a tenant's quotas; flags not given keep their value. Over a quota,
calls fail with 429 TooManyRequestsException (reason TenantQuotaExceeded)
saying which.`,
		Example: "  updraft tenant set team-a --max-concurrency 50 --max-invocations 1000000 --max-gb-s 400000",
		Args:    args("NAME"),
	}
	f := cmd.Flags()
	f.IntVar(&q.MaxConcurrency, "max-concurrency", 0, "concurrent executions")
	f.Int64Var(&q.MaxInvocationsPerMonth, "max-invocations", 0, "invocations per calendar month (UTC)")
	f.Float64Var(&q.MaxGBSecondsPerMonth, "max-gb-s", 0, "GB-seconds of compute per calendar month (UTC)")
	f.Int64Var(&q.MaxStoredBytes, "max-stored-bytes", 0, "bytes of function code stored")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		t, err := c.GetTenant(ctx, argv[0])
		if err != nil {
			return err
		}
		next := t.Quotas
		if f.Changed("max-concurrency") {
			next.MaxConcurrency = q.MaxConcurrency
		}
		if f.Changed("max-invocations") {
			next.MaxInvocationsPerMonth = q.MaxInvocationsPerMonth
		}
		if f.Changed("max-gb-s") {
			next.MaxGBSecondsPerMonth = q.MaxGBSecondsPerMonth
		}
		if f.Changed("max-stored-bytes") {
			next.MaxStoredBytes = q.MaxStoredBytes
		}
		if t, err = c.SetQuotas(ctx, argv[0], next); err != nil {
			return err
		}
		return a.printTenant(t)
	})
	return cmd
}

func newTenantRmCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a tenant and revoke its keys",
		Long: `Delete a tenant. It is refused while the tenant owns functions, queues,
topics or other resources; --force deletes all of them first.`,
		Example: "  updraft tenant rm team-a\n  updraft tenant rm team-a --force",
		Args:    args("NAME"),
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete everything the tenant owns too")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteTenant(ctx, argv[0], force); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "deleted tenant %s\n", argv[0])
		return err
	})
	return cmd
}
