package registry

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/updraft-dev/updraft/internal/store"
)

// Bounds of the check at start; the offline check has none.
const (
	startMaxReads     = 50_000    // messages read back per stream (≈70 µs each)
	startMaxCodeBytes = 256 << 20 // code bytes read to check digests
)

// StartCheck is how the server checks its store before it uses it.
type StartCheck struct {
	DataDir       string // named in the command the message gives
	AllowDegraded bool   // start on a damaged store (serve --allow-degraded)
	Log           *slog.Logger
}

// CheckAtStart checks the store (Check, bounded for a quick start) and logs
// every finding at error level. A damaged store is an error saying what was
// lost and the command to run, unless AllowDegraded; then the losses are
// logged and accepted as the new baseline, and streams holding unreadable
// messages are rewritten without them (store.Repair). An intact store is accepted too
// (store.Accept), so that the next start compares with this one.
func CheckAtStart(ctx context.Context, st *store.Store, sc StartCheck) error {
	log := sc.Log
	if log == nil {
		log = slog.Default()
	}
	rep, err := Check(ctx, st, CheckOptions{MaxReads: startMaxReads, MaxCodeBytes: startMaxCodeBytes})
	if err != nil {
		return fmt.Errorf("checking the store: %w", err)
	}
	var unread []string
	for _, s := range rep.Store.Streams {
		if s.Unread {
			unread = append(unread, s.Name)
		}
	}
	if len(unread) > 0 || !rep.CodeChecked {
		log.Info("store: some data is too large to read back at start; `updraft admin check` reads it all",
			"streams_not_read", strings.Join(unread, ","), "code_digests_checked", rep.CodeChecked)
	}
	if !rep.Damaged() {
		log.Info("store checked: intact", "streams", len(rep.Store.Streams), "compared_with", rep.Store.Baseline)
		return st.Accept(ctx)
	}
	lines := rep.Lines()
	for _, line := range lines {
		log.Error("store damaged", "finding", line)
	}
	if !sc.AllowDegraded {
		return fmt.Errorf("the store in %s is damaged, so the server did not start (nothing was changed):\n  %s\n"+
			"Run `updraft admin check --data-dir %s` for the full report. Restore a backup, or start with what is left "+
			"with `updraft serve --allow-degraded` (the losses are then logged and accepted)",
			sc.DataDir, strings.Join(lines, "\n  "), sc.DataDir)
	}
	log.Warn("store damaged: starting anyway (--allow-degraded); the losses above are accepted as the new baseline",
		"findings", len(lines))
	// A stream that counts messages it cannot deliver would hang its
	// readers (the function watcher first): rewrite it with what is left.
	if _, err := st.Repair(ctx, rep.Store); err != nil {
		return fmt.Errorf("repairing the damaged store for a degraded start: %w", err)
	}
	return st.Accept(ctx)
}
