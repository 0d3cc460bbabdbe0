package cli

import "github.com/spf13/cobra"

// newAdminCmd is the parent of the operator's commands (admin_*.go).
func newAdminCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operate the platform: store check, storage usage, backup and restore",
		Long: `Commands for whoever runs the server: whether the store lost or damaged
anything, what it holds and how it is split between tenants, backups and
restore. "usage" and "backup" need the admin key (the one serve wrote to
admin.key in the data directory); with a tenant's key "usage" shows that
tenant's share only. "check" and "restore" run offline, on a data directory
with no server running.`,
		Example: `  updraft admin usage
  updraft admin check --data-dir /var/lib/updraft
  updraft admin backup /backups/updraft-$(date +%F)
  updraft admin restore /backups/updraft-2026-12-01 --data-dir ./updraft-restored`,
	}
	cmd.AddCommand(newAdminUsageCmd(a))
	cmd.AddCommand(newAdminCheckCmd(a))
	cmd.AddCommand(newAdminBackupCmd(a))
	cmd.AddCommand(newAdminRestoreCmd(a))
	cmd.AddCommand(newAdminRotateCmd(a))
	return cmd
}
