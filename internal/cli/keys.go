package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage API keys and AWS access keys",
		Long: `Create credentials for the HTTP API. One key is two ways to sign in: an
API key sent as Authorization: Bearer <key>, and an AWS access key pair
that AWS SDKs and the aws CLI use with Signature Version 4 against the
Lambda API on the same listener.`,
		Example: `  updraft keys create
  updraft keys create --tenant team-a -o json`,
	}
	cmd.AddCommand(newKeysCreateCmd(a))
	return cmd
}

func newKeysCreateCmd(a *app) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and an AWS access key pair",
		Long: `Create a key for your tenant (or, with the admin key, for --tenant). The
secrets are shown once: store them now. With --output json it prints
{"tenant":…,"accountId":…,"apiKey":…,"accessKeyId":…,"secretAccessKey":…}.
The account id (12 digits) is the tenant's: it stands in the ARNs of its
functions, arn:aws:lambda:local:ACCOUNT:function:NAME.`,
		Example: `  updraft keys create -o json
  # use it from an AWS SDK or the aws CLI:
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… aws lambda list-functions \
    --endpoint-url http://127.0.0.1:8080 --region local`,
		Args: args(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant of the new key (default: your own; others need the admin key)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		k, err := c.CreateKey(ctx, tenant)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(k)
		}
		_, err = fmt.Fprintf(a.stdout, "tenant:            %s\naccount id:        %s\napi key:           %s\naccess key id:     %s\nsecret access key: %s\n(the secrets are not shown again)\n",
			k.Tenant, k.AccountID, k.APIKey, k.AccessKeyID, k.SecretAccessKey)
		return err
	})
	return cmd
}
