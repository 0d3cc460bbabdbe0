package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/store"
)

// Names in JetStream.
const (
	// Bucket holds table definitions, keyed "TENANT.NAME".
	Bucket = "TABLES"
	// DataStream holds every table's items and stream records: one
	// stream, so a transaction across tables is one atomic batch.
	DataStream = "TABLE_DATA"
	// RecordTTL is how long a stream record is kept, DynamoDB Streams'.
	RecordTTL = 24 * time.Hour
)

// Store is the tables of every tenant: definitions, items, indexes and
// stream records.
type Store struct {
	st   *store.Store
	js   jetstream.JetStream
	nc   *nats.Conn
	data jetstream.Stream
	meta jetstream.KeyValue
	log  *slog.Logger

	locks itemLocks

	mu      sync.RWMutex
	defs    map[string]*defEntry // by "TENANT.NAME"
	indexes map[string]*index    // by table ID

	commits chan *commitReq // multi-message writes waiting for the committer
	stopped chan struct{}   // closed when the committer stops

	tokenOnce sync.Once
	tokenKV   jetstream.KeyValue
	tokenErr  error

	ready  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type defEntry struct {
	t   *Table
	rev uint64
}

// Open opens (or creates) the definitions bucket and the data stream.
func Open(ctx context.Context, st *store.Store, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	meta, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Description: "table definitions", History: 1})
	if err != nil {
		return nil, fmt.Errorf("tables: definitions: %w", err)
	}
	data, err := st.Stream(ctx, jetstream.StreamConfig{
		Name:               DataStream,
		Description:        "table items (one message per item subject, rolled up) and stream records",
		Subjects:           []string{"tbl.>"},
		AllowRollup:        true, // an item message replaces its subject's ("Nats-Rollup: sub")
		AllowAtomicPublish: true,
		AllowMsgTTL:        true,
		AllowDirect:        true,
		Discard:            jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("tables: data stream: %w", err)
	}
	return &Store{
		st: st, js: st.JetStream(), nc: st.Conn(), data: data, meta: meta,
		log:  log.With("component", "tables"),
		defs: map[string]*defEntry{}, indexes: map[string]*index{},
		locks: itemLocks{m: map[string]*itemLock{}}, ready: make(chan struct{}),
		commits: make(chan *commitReq, 256), stopped: make(chan struct{}),
	}, nil
}

// Start loads the definitions and rebuilds every table's index from the
// data stream, then follows both until Close.
func (s *Store) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.watchDefs(ctx, wctx); err != nil {
		cancel()
		return err
	}
	if err := s.watchItems(ctx, wctx); err != nil {
		cancel()
		return err
	}
	s.wg.Add(2)
	go s.runCommitter(wctx)
	go s.runReaper(wctx)
	return nil
}

// Close stops the watches.
func (s *Store) Close(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func defKey(tenant, name string) string { return tenant + "." + name }

// watchDefs loads every definition, then keeps the cache by a watch.
func (s *Store) watchDefs(ctx, wctx context.Context) error {
	w, err := s.meta.WatchAll(wctx)
	if err != nil {
		return fmt.Errorf("tables: watch definitions: %w", err)
	}
	apply := func(e jetstream.KeyValueEntry) {
		if e.Operation() != jetstream.KeyValuePut {
			s.mu.Lock()
			if d, ok := s.defs[e.Key()]; ok && d.rev <= e.Revision() {
				delete(s.defs, e.Key())
			}
			s.mu.Unlock()
			return
		}
		var t Table
		if err := json.Unmarshal(e.Value(), &t); err != nil {
			s.log.Error("a table definition is unreadable; the table is skipped", "key", e.Key(), "err", err)
			return
		}
		s.setDef(&t, e.Revision())
	}
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					defer func() { _ = w.Stop() }()
					for e := range w.Updates() {
						if e != nil {
							apply(e)
						}
					}
				}()
				return nil
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return ctx.Err()
		}
	}
}

func (s *Store) setDef(t *Table, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := defKey(t.Tenant, t.Name)
	if d, ok := s.defs[k]; ok && d.rev > rev {
		return
	}
	s.defs[k] = &defEntry{t: t, rev: rev}
	if _, ok := s.indexes[t.ID]; !ok {
		s.indexes[t.ID] = newIndex()
	}
}

// table returns tenant's table name and its index.
func (s *Store) table(tenant, name string) (*Table, *index, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.defs[defKey(tenant, name)]
	if !ok {
		return nil, nil, tableNotFound(name)
	}
	return d.t, s.indexes[d.t.ID], nil
}

// indexOf returns the index of table id, creating it.
func (s *Store) indexOf(id string) *index {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.indexes[id]
	if !ok {
		x = newIndex()
		s.indexes[id] = x
	}
	return x
}

// itemFilter is every item subject of every table.
const itemFilter = "tbl.*.i.>"

// watchItems rebuilds the indexes from the latest message of every item
// subject and then follows new writes (from any node).
func (s *Store) watchItems(ctx, wctx context.Context) error {
	var until uint64
	last, err := s.data.GetLastMsgForSubject(ctx, itemFilter)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		close(s.ready)
	case err != nil:
		return fmt.Errorf("tables: last item: %w", err)
	default:
		until = last.Sequence
	}
	cons, err := s.js.OrderedConsumer(ctx, DataStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{itemFilter},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("tables: item watch: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("tables: item watch: %w", err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-wctx.Done()
		it.Stop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		readyDone := until == 0
		for {
			m, err := it.Next()
			if err != nil {
				if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					s.log.Error("the table item watch stopped", "err", err)
				}
				return
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			s.applyItem(m.Subject(), md.Sequence.Stream, m.Headers(), m.Data())
			if !readyDone && md.Sequence.Stream >= until {
				readyDone = true
				close(s.ready)
			}
		}
	}()
	select {
	case <-s.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tables: rebuilding the indexes: %w", ctx.Err())
	}
}

// applyItem records one item message in its table's index.
func (s *Store) applyItem(subject string, seq uint64, h nats.Header, data []byte) {
	parts := strings.Split(subject, ".")
	if len(parts) < 4 || len(parts) > 5 {
		return
	}
	k, ok := keyFromTokens(parts[3:])
	if !ok {
		s.log.Warn("an item subject does not decode; skipped", "subject", subject)
		return
	}
	x := s.indexOf(parts[1])
	if h.Get(hdrDeleted) != "" {
		x.removeWatched(k, seq)
		return
	}
	e := entry{key: k, seq: seq, size: len(data)}
	if exp := h.Get(hdrExpires); exp != "" {
		e.expires, _ = parseEpoch(exp)
	}
	if sz := h.Get(hdrSize); sz != "" {
		if n, ok := atoi(sz); ok {
			e.size = n
		}
	}
	x.put(e)
}
