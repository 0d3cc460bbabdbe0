package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/store"
)

func newAdminRestoreCmd(a *app) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "restore DIR --data-dir DATA",
		Short: "Restore a backup into a new data directory, with the server stopped",
		Long: `Restore a backup taken with "updraft admin backup" into DATA, offline:
no server may run on DATA, and DATA must not exist or be empty (move a
damaged data directory aside first; restore never overwrites one).

Before it writes anything, restore checks the backup against its
manifest: every file present, with the size and SHA-256 the manifest
records. It then opens a new store in DATA, restores every stream from its
snapshot (with its consumers, so queued async events keep their place),
checks each restored stream's message count and last sequence against the
manifest, and writes master.key, admin.key and admin.credentials into
DATA with mode 0600. If any step fails, what it wrote is removed again.

Then start the server on DATA: "updraft serve --data-dir DATA". The admin
key and every other key are those of the backup; function code is
unpacked again on first use.`,
		Example: `  updraft admin restore /backups/updraft-2026-12-01 --data-dir /var/lib/updraft-restored
  updraft serve --data-dir /var/lib/updraft-restored`,
		Args: args("DIR"),
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the new data directory to restore into (required; must be absent or empty)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		if dataDir == "" {
			return usagef("restore needs --data-dir: the new (absent or empty) data directory to restore into")
		}
		cfg := config.Default()
		cfg.DataDir = dataDir
		m, err := store.Restore(ctx, argv[0], store.RestoreOptions{DataDir: cfg.DataDir, StoreDir: cfg.StoreDir()})
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(m)
		}
		var msgs uint64
		for _, s := range m.Streams {
			msgs += s.Messages
		}
		_, err = fmt.Fprintf(a.stdout, "restored %d streams (%d messages) and %d files from the backup of %s into %s; start the server with: updraft serve --data-dir %s\n",
			len(m.Streams), msgs, len(m.Files), m.Created.Format("2006-01-02 15:04:05Z"), dataDir, dataDir)
		return err
	})
	return cmd
}
