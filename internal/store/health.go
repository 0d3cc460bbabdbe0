package store

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/sys/unix"

	"github.com/updraft-dev/updraft/internal/fn"
)

// A write that finds the disk full leaves the stream it was for in a
// sticky write-error state ("Filestore [X] Critical write error: ... no
// space left on device"): that stream refuses every write until JetStream
// reloads it, and on some paths the server shuts JetStream down altogether
// ("JetStream out of space, will be DISABLED"). The health watcher notices
// either within a second (the server's log, see logger.go, and
// JetStreamEnabled), reports the store unhealthy (Healthy: /healthz, async
// refusals, the disk reserve), and once the disk has MinFreeMB free again
// restarts JetStream by itself, which reloads every stream from disk:
// publishes and KV operations work again at once, and the client's
// consumers and watchers resume on their own heartbeats (within about 30 s).
// Nothing acknowledged is lost: a write that failed was never acknowledged.

// healthInterval is how often the watcher looks.
const healthInterval = time.Second

// DefaultMinFreeMB is the disk space kept free for queues and metering when
// Config.MinFreeMB is 0.
const DefaultMinFreeMB = 64

type health struct {
	mu       sync.Mutex
	err      error // nil: JetStream takes writes
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	minFree  int // MB
}

// watchHealth starts the watcher. Close stops it.
func (s *Store) watchHealth(minFreeMB int, log *slog.Logger) {
	if minFreeMB <= 0 {
		minFreeMB = DefaultMinFreeMB
	}
	s.health = &health{stop: make(chan struct{}), done: make(chan struct{}), minFree: minFreeMB}
	go func() {
		defer close(s.health.done)
		t := time.NewTicker(healthInterval)
		defer t.Stop()
		for {
			select {
			case <-s.health.stop:
				return
			case <-t.C:
				s.checkHealth(log)
			}
		}
	}()
}

func (s *Store) stopHealth() {
	if s.health != nil {
		s.health.stopOnce.Do(func() { close(s.health.stop) })
		<-s.health.done
	}
}

// checkHealth notices a write failure or JetStream shut down and restarts
// JetStream when the disk has room again.
func (s *Store) checkHealth(log *slog.Logger) {
	enabled := s.ns.JetStreamEnabled()
	if enabled && !s.log.writeFailed.Load() {
		s.setHealth(nil, log)
		return
	}
	free, err := s.FreeMB()
	if err != nil || free < s.health.minFree {
		s.setHealth(s.diskFull(free), log)
		return
	}
	// Reload every stream: the ones that hit the full disk write again.
	s.log.writeFailed.Store(false)
	if enabled {
		if err := s.ns.ShutdownJetStream(); err != nil {
			s.setHealth(fn.InsufficientStorage("the store stopped writing and could not restart: %v", err), log)
			return
		}
	}
	if err := s.ns.EnableJetStream(&server.JetStreamConfig{StoreDir: s.dir, MaxStore: maxStore, MaxMemory: -1}); err != nil {
		s.setHealth(fn.InsufficientStorage("the store stopped writing and could not restart: %v", err), log)
		return
	}
	log.Warn("store: the disk has room again; the store takes writes again", "free_mb", free)
	s.setHealth(nil, log)
}

// diskFull is the error while the store cannot write.
func (s *Store) diskFull(freeMB int) error {
	return fn.InsufficientStorage("the store's disk is full (%d MB free under %s; writes resume by themselves once %d MB are free): free space there",
		freeMB, s.dir, s.health.minFree)
}

func (s *Store) setHealth(err error, log *slog.Logger) {
	s.health.mu.Lock()
	was := s.health.err
	s.health.err = err
	s.health.mu.Unlock()
	if err != nil && was == nil {
		log.Error("store: cannot write; refusing writes until the disk has room", "err", err)
	}
}

// Healthy returns nil while the store takes writes, else a 507 error that
// says why and what to do.
func (s *Store) Healthy() error {
	if s.health == nil {
		return nil
	}
	if !s.ns.JetStreamEnabled() || s.log.writeFailed.Load() {
		// Between a failure and the watcher's next look.
		s.health.mu.Lock()
		err := s.health.err
		s.health.mu.Unlock()
		if err != nil {
			return err
		}
		free, _ := s.FreeMB()
		return s.diskFull(free)
	}
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.err
}

// Reserve returns a 507 error when the store's disk has less than the
// reserve (MinFreeMB) free: new deploys and uploads are refused first, so
// that queues and metering keep working longest.
func (s *Store) Reserve() error {
	if err := s.Healthy(); err != nil {
		return err
	}
	free, err := s.FreeMB()
	if err != nil {
		return nil // no figure: do not refuse on a guess
	}
	if min := s.health.minFree; free < min {
		return fn.InsufficientStorage("the disk under %s has %d MB free, less than the %d MB kept for queues and metering (serve --min-free-mb): free space, then retry", s.dir, free, min)
	}
	return nil
}

// FreeMB is the space available to the store on its filesystem.
func (s *Store) FreeMB() (int, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(s.dir, &st); err != nil {
		return 0, fmt.Errorf("store: statfs %s: %w", s.dir, err)
	}
	return int(st.Bavail * uint64(st.Bsize) >> 20), nil
}
