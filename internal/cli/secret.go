package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newSecretCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Manage secrets functions read from their environment",
		Long: `Secrets are your tenant's named values (passwords, tokens). They are stored
encrypted (AES-256-GCM under the platform's master key), never shown again
by any command or API once set, and never logged. A function gets one in
an environment variable whose value names it:

  env:
    DB_PASSWORD: secret:db-password     # in updraft.yaml
  updraft deploy DIR --env DB_PASSWORD=secret:db-password

A deploy naming a secret that does not exist is refused; the value is
read when an instance starts, so setting a secret again reaches instances
started from then on.`,
		Example: `  printf %s 'hunter2' | updraft secret set db-password
  updraft secret set tls-key --value-file key.pem
  updraft secret ls
  updraft secret rm db-password`,
	}
	cmd.AddCommand(newSecretSetCmd(a), newSecretLsCmd(a), newSecretRmCmd(a))
	return cmd
}

func newSecretSetCmd(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Set a secret from --value-file or stdin",
		Long: `Set a secret. The value comes from --value-file, or else stdin (never from
the command line, where it would stay in the shell's history). One final
newline of stdin is dropped, so echo works as expected.`,
		Example: "  printf %s \"$TOKEN\" | updraft secret set api-token\n  updraft secret set tls-key --value-file key.pem",
		Args:    args("NAME"),
	}
	cmd.Flags().StringVar(&file, "value-file", "", "read the value from this file (default: stdin)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		var value []byte
		var err error
		if file != "" {
			value, err = os.ReadFile(file)
		} else {
			value, err = io.ReadAll(io.LimitReader(a.stdin, 1<<20))
			value = []byte(strings.TrimSuffix(string(value), "\n"))
		}
		if err != nil {
			return err
		}
		if len(value) == 0 {
			return usagef("no value: pipe it on stdin or pass --value-file")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		info, err := c.SetSecret(ctx, argv[0], value)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(info)
		}
		_, err = fmt.Fprintf(a.stdout, "secret %s set (%d bytes)\n", info.Name, info.Size)
		return err
	})
	return cmd
}

func newSecretLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "ls", Short: "List secrets (names only)", Args: args(), Example: "  updraft secret ls"}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		list, err := c.ListSecrets(ctx)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]any{"secrets": list})
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "NAME\tBYTES\tUPDATED")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", s.Name, s.Size, s.Updated.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	})
	return cmd
}

func newSecretRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "rm NAME", Short: "Delete a secret", Args: args("NAME"), Example: "  updraft secret rm db-password"}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.DeleteSecret(ctx, argv[0]); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "deleted secret %s\n", argv[0])
		return err
	})
	return cmd
}
