package mgmt

import (
	"context"
	"io"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// BackupFunc writes a backup of the whole store (and the key files beside
// it) to w as a tar archive; the daemon wires it to store.Backup.
type BackupFunc func(ctx context.Context, w io.Writer) error

// BackupErrorTrailer carries why a backup stopped after its 200 was sent;
// a backup without it and with its manifest is complete.
const BackupErrorTrailer = "Updraft-Backup-Error"

// backup is GET /v1/backup, admin key only: the logs and usage buffered so
// far are stored first, so every call answered before the request is in
// the backup; then the archive is streamed as it is made.
func (g *API) backup(w http.ResponseWriter, r *http.Request, _ string) {
	// It holds every tenant's data and the platform's keys: the platform
	// admin's only; for anyone else it does not exist.
	if !g.adminOnly(w, r) {
		return
	}
	if g.cfg.Backup == nil {
		wire.Error(w, g.cfg.Log, fn.Unavailable("this server was built without backups"))
		return
	}
	ctx := r.Context()
	for _, j := range []interface{ Flush(context.Context) error }{g.logs, g.meter} {
		if err := j.Flush(ctx); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	}
	w.Header().Set("Trailer", BackupErrorTrailer)
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	if err := g.cfg.Backup(ctx, w); err != nil {
		g.cfg.Log.Error("backup failed", "err", err)
		w.Header().Set(BackupErrorTrailer, err.Error())
		return
	}
	g.cfg.Log.Info("backup taken")
}
