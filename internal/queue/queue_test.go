package queue_test

import (
	"context"
	"testing"

	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/queue/queuetest"
	"github.com/updraft-dev/updraft/internal/store"
)

// TestSuite runs the conformance suite on one embedded server.
func TestSuite(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) (*queue.Manager, func() *queue.Manager) {
		dir := t.TempDir()
		var st *store.Store
		var m *queue.Manager
		open := func() *queue.Manager {
			ctx := context.Background()
			var err error
			if st, err = store.Open(ctx, store.Config{Dir: dir}); err != nil {
				t.Fatal(err)
			}
			if m, err = queue.Open(ctx, st, queue.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := m.Start(ctx); err != nil {
				t.Fatal(err)
			}
			return m
		}
		closeAll := func() {
			if err := m.Close(context.Background()); err != nil {
				t.Error(err)
			}
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		}
		t.Cleanup(closeAll)
		return open(), func() *queue.Manager { closeAll(); return open() }
	})
}
