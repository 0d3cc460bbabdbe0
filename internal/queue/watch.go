package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Watch calls f for every queue whose name starts with prefix: first for
// each existing one, then for every change until ctx ends; cfg is nil when
// the queue was deleted. It watches the definitions bucket, so queues made
// on another node of a cluster are seen too. f runs on one goroutine.
func (m *Manager) Watch(ctx context.Context, prefix string, f func(id ID, cfg *Config)) error {
	w, err := m.defs.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("queue: watch definitions: %w", err)
	}
	go func() {
		defer func() {
			if err := w.Stop(); err != nil {
				m.log.Debug("stopping the definitions watch", "err", err)
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue // the end of the initial values
				}
				id, ok := parseDefKey(e.Key())
				if !ok || !strings.HasPrefix(id.Name, prefix) {
					continue
				}
				if e.Operation() != jetstream.KeyValuePut {
					f(id, nil)
					continue
				}
				var cfg Config
				if err := json.Unmarshal(e.Value(), &cfg); err != nil {
					m.log.Error("an unreadable queue definition is skipped", "queue", id.String(), "err", err)
					continue
				}
				f(id, &cfg)
			}
		}
	}()
	return nil
}
