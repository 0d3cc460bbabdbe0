package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage API keys and AWS access keys",
		Long: `Create, list and revoke credentials. One key is two ways to sign in: an
API key sent as Authorization: Bearer <key>, and an AWS access key pair
that AWS SDKs and the aws CLI use with Signature Version 4 on the same
listener. Each key belongs to one tenant and has a scope:

  admin   everything in its tenant, its keys included (an admin key of
          the default tenant is the platform's administrator)
  deploy  everything in its tenant but keys
  invoke  invoke functions, nothing else
  read    read-only: list, get, describe, logs, usage`,
		Example: `  updraft keys create --scope deploy --description ci
  updraft keys create --tenant team-a --scope read -o json
  updraft keys ls
  updraft keys revoke AKUD…`,
	}
	cmd.AddCommand(newKeysCreateCmd(a), newKeysLsCmd(a), newKeysRevokeCmd(a))
	return cmd
}

func newKeysCreateCmd(a *app) *cobra.Command {
	var r apiclient.KeyRequest
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and an AWS access key pair",
		Long: `Create a key for your tenant (or, with the platform admin's key, for
--tenant, which must exist: see updraft tenant create). The secrets are
shown once: store them now. With --output json it prints
{"apiKey", "accessKeyId", "secretAccessKey", "tenant", "scope", …}.
The account id (12 digits) is the tenant's: it stands in the ARNs of its
functions, arn:aws:lambda:REGION:ACCOUNT:function:NAME.`,
		Example: `  updraft keys create --scope invoke --description "the web app" -o json
  # use it from an AWS SDK or the aws CLI:
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… aws lambda list-functions \
    --endpoint-url http://127.0.0.1:8080 --region us-east-1`,
		Args: args(),
	}
	cmd.Flags().StringVar(&r.Tenant, "tenant", "", "tenant of the new key (default: your own; others need the platform admin's key)")
	cmd.Flags().StringVar(&r.Scope, "scope", fn.ScopeAdmin, "what the key may do: "+strings.Join(fn.Scopes, ", "))
	cmd.Flags().StringVar(&r.Description, "description", "", "what the key is for, shown by keys ls")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		k, err := c.NewKey(ctx, r)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(k)
		}
		_, err = fmt.Fprintf(a.stdout, "tenant:            %s\naccount id:        %s\nscope:             %s\napi key:           %s\naccess key id:     %s\nsecret access key: %s\n(the secrets are not shown again; revoke with: updraft keys revoke %s)\n",
			k.Tenant, k.AccountID, k.Scope, k.APIKey, k.AccessKeyID, k.SecretAccessKey, k.AccessKeyID)
		return err
	})
	return cmd
}

func newKeysLsCmd(a *app) *cobra.Command {
	var tenant string
	var all bool
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List keys (never their secrets)",
		Example: "  updraft keys ls\n  updraft keys ls --all -o json",
		Args:    args(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "list this tenant's keys (platform admin)")
	cmd.Flags().BoolVar(&all, "all", false, "list every tenant's keys (platform admin)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		keys, err := c.ListKeys(ctx, tenant, all)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]any{"keys": keys})
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tSCOPE\tCREATED\tKINDS\tDESCRIPTION")
		for _, k := range keys {
			var kinds []string
			if k.APIKey {
				kinds = append(kinds, "api")
			}
			if k.AccessKey {
				kinds = append(kinds, "sigv4")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Scope, k.Created.Format("2006-01-02 15:04"), strings.Join(kinds, "+"), k.Description)
		}
		return tw.Flush()
	})
	return cmd
}

func newKeysRevokeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key: its API key and access key pair stop working at once",
		Long: `Revoke a key by its id (the access key id shown by keys create and keys
ls). Requests signed with it fail from now on, on every node.`,
		Example: "  updraft keys revoke AKUDABCDEFGHIJKLMNOP",
		Args:    args("ID"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.RevokeKey(ctx, argv[0]); err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"revoked": argv[0]})
		}
		_, err = fmt.Fprintf(a.stdout, "revoked %s\n", argv[0])
		return err
	})
	return cmd
}
