package daemon

import (
	"context"
	"io"

	"github.com/updraft-dev/updraft/internal/store"
)

// backupFiles are the files beside the store that a restored store needs:
// the master key that seals access key secrets, and the admin's key and
// key pair.
func (d *Daemon) backupFiles() []store.BackupFile {
	return []store.BackupFile{
		{Name: "master.key", Path: d.cfg.MasterKeyPath()},
		{Name: "admin.key", Path: d.cfg.AdminKeyPath()},
		{Name: "admin.credentials", Path: d.cfg.AdminCredentialsPath()},
	}
}

// backup serves GET /v1/backup: the whole store and backupFiles as a tar
// archive. Snapshots wait in the data directory, on the store's disk.
func (d *Daemon) backup(ctx context.Context, w io.Writer) error {
	_, err := d.st.Backup(ctx, w, store.BackupOptions{Files: d.backupFiles(), TempDir: d.cfg.DataDir})
	return err
}
