package cli

import "github.com/spf13/cobra"

// newAdminCmd is the parent of the operator's commands (admin_*.go).
func newAdminCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operate the platform: storage usage, backup and restore",
		Long: `Commands for whoever runs the server: what the store holds and how it
is split between tenants, backups and restore. Most need the admin key
(the one serve wrote to admin.key in the data directory); with a tenant's
key "usage" shows that tenant's share only. "backup" needs the admin key; "restore" runs offline,
on a data directory with no server running.`,
		Example: `  updraft admin usage
  updraft admin backup /backups/updraft-$(date +%F)
  updraft admin restore /backups/updraft-2026-12-01 --data-dir ./updraft-restored`,
	}
	cmd.AddCommand(newAdminUsageCmd(a))
	cmd.AddCommand(newAdminBackupCmd(a))
	cmd.AddCommand(newAdminRestoreCmd(a))
	return cmd
}
