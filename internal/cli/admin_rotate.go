package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

func newAdminRotateCmd(a *app) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Replace the master key and re-encrypt everything under it (server stopped)",
		Long: `Replace <data-dir>/master.key with a new random key and re-encrypt every
value sealed under the old one: access key secrets, tenants' secrets, and
function and version environments. Run it with the server stopped.

The new key is written first as master.key.rotating; only when everything
is sealed again does it replace master.key, and the old key is kept as
master.key.old (delete it once you have a backup made after the rotation:
backups made before need it). If the rotation stops half-way, the server
still starts (values sealed under either key open) and warns; run the
command again to finish it.`,
		Example: `  # stop the server first, then:
  updraft admin rotate-master-key --data-dir /var/lib/updraft`,
		Args: args(),
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the server's data directory (env UPDRAFT_DATA_DIR, default ./updraft-data)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		cfg := config.Default().FromEnv(a.getenv)
		if dataDir != "" {
			cfg.DataDir = dataDir
		}
		if abs, err := filepath.Abs(cfg.DataDir); err == nil {
			cfg.DataDir = abs
		}
		rot, err := daemon.RotateMasterKey(ctx, cfg)
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(rot)
		}
		_, err = fmt.Fprintf(a.stdout, "master key replaced (the old one is %s.old): sealed again %d access keys, %d secrets, %d function and %d version environments\n",
			cfg.MasterKeyPath(), rot.AccessKeys, rot.Secrets, rot.Functions, rot.Versions)
		return err
	})
	return cmd
}
