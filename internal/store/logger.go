package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats-server/v2/server"
)

// natsLogger carries the embedded NATS server's log into slog: notices at
// debug (the banner and routine recovery lines would drown the platform's
// own), debug at debug, warnings and errors at warn and error. Fatal is
// logged at error too (the server shuts itself down after it). It also keeps
// the storage warnings and errors, so that Verify can name them in its
// report even when nobody reads the log.
type natsLogger struct {
	log *slog.Logger

	mu     sync.Mutex
	damage []string // storage warnings and errors, in order, bounded

	// writeFailed is set when a stream hit a write error (a full disk):
	// the stream then refuses every write until JetStream reloads it (see
	// health.go).
	writeFailed atomic.Bool
}

var _ server.Logger = (*natsLogger)(nil)

// maxDamageLines bounds the storage lines kept for the report.
const maxDamageLines = 200

func newNATSLogger(log *slog.Logger) *natsLogger {
	if log == nil {
		log = slog.Default()
	}
	return &natsLogger{log: log.With("component", "nats")}
}

func (l *natsLogger) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.emit(slog.LevelError, "fatal: "+format, v) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l *natsLogger) Tracef(format string, v ...any)  { l.emit(slog.LevelDebug-4, format, v) }

func (l *natsLogger) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if level >= slog.LevelWarn {
		msg := fmt.Sprintf(format, v...)
		if strings.Contains(msg, "Critical write error") || strings.Contains(msg, "no space left on device") {
			l.writeFailed.Store(true)
		}
		if strings.HasPrefix(msg, "Filestore [") || isDamage(msg) {
			l.mu.Lock()
			if len(l.damage) < maxDamageLines {
				l.damage = append(l.damage, msg)
			}
			l.mu.Unlock()
		}
		l.log.Log(ctx, level, msg)
		return
	}
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...))
}

// isDamage reports whether a server warning or error says that stored data
// was lost or could not be read back. Others, such as a stream state to be
// rebuilt, are normal after a crash and damage only after a clean stop.
func isDamage(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"lost", "corrupt", "checksum", "critical", "error loading", "loadblock error", "checkmsgs"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// damageLines returns the storage warnings and errors logged so far.
func (l *natsLogger) damageLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.damage...)
}
