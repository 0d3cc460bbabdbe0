package cli

import (
	"github.com/spf13/cobra"
)

// newAdminCmd is the parent of the operator's commands, which work on the
// server's data directory rather than through its API.
func newAdminCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operate the server's store: check it for damage",
		Long: `Commands for the operator of an Updraft server. They act on the data
directory itself; check runs with the server stopped.`,
		Example: `  # is anything lost or damaged in the store? (stop the server first)
  updraft admin check --data-dir /var/lib/updraft`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Help()
			return exitCode(2) // no subcommand given
		},
	}
	cmd.AddCommand(newAdminCheckCmd(a))
	return cmd
}
