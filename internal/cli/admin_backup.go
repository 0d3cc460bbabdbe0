package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/store"
)

func newAdminBackupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup DIR",
		Short: "Copy the running server's whole store into a new directory",
		Long: `Take a backup of the running server, online, with the admin key: every
JetStream stream of its store (function definitions, versions, aliases,
URLs, keys, concurrency, code objects, queued async events, logs, usage —
every stream there is, each a consistent point-in-time snapshot taken with
its consumers after checking every message's checksum) and the files a
restored store needs beside it: master.key, admin.key and
admin.credentials.

The backup therefore holds secrets: anyone with it can call the API as
the admin and read every access key's secret. DIR is created with mode
0700 and every file in it with 0600; keep it that way and store it as you
would the keys themselves.

DIR must not exist or be empty. It receives streams/<stream>.snap,
files/<file> and manifest.json (the time, the server's version, each
stream's messages and sequences, every file's size and SHA-256), which is
written last, once every file was received and checked: a directory
without it is not a backup. Logs and usage buffered in the server are
stored before the snapshots, so every call answered before the backup
began is in it. Streams are snapshotted one after another, so a write
made while the backup runs may be in one stream's copy and not another's.
The server keeps one stream's snapshot at a time in its data directory
while it sends it.

Restore with "updraft admin restore DIR --data-dir NEW_DIR".`,
		Example: `  updraft admin backup /backups/updraft-$(date +%F)
  updraft admin backup ./bk --endpoint http://10.0.0.5:8080 --api-key "$(cat admin.key)"`,
		Args: args("DIR"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, argv []string) error {
		if err := store.RequireEmpty(argv[0], "give a new or empty directory for the backup"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		body, err := c.Backup(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = body.Close() }()
		m, err := store.ExtractBackup(body, argv[0])
		if err != nil {
			return err
		}
		if a.jsonOutput() {
			return a.printJSON(m)
		}
		var msgs uint64
		var size int64
		for _, s := range m.Streams {
			msgs += s.Messages
			size += s.Size
		}
		_, err = fmt.Fprintf(a.stdout, "backup written to %s: %d streams, %d messages, %d bytes of snapshots, %d files (it holds the admin key and the master key: keep it private)\n",
			argv[0], len(m.Streams), msgs, size, len(m.Files))
		return err
	})
	return cmd
}
