package queue

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

// The stream, its subjects and the definitions bucket.
const (
	StreamName  = "QUEUES"
	DefsBucket  = "QUEUE_DEFS"
	readyPrefix = "q."
	delayPrefix = "qd."
)

// Limits and defaults, SQS's where SQS has one.
const (
	DefaultVisibility = 30 * time.Second
	MaxVisibility     = 12 * time.Hour
	DefaultRetention  = 4 * 24 * time.Hour
	MaxRetention      = 14 * 24 * time.Hour
	MaxDelay          = 15 * time.Minute
	MaxWait           = 20 * time.Second
	MaxBatch          = 10_000 // one receive; SQS's API allows 10, mappings up to 10,000
	DedupWindow       = 5 * time.Minute
	// MaxMessageBytes bounds one stored message (body and attributes):
	// SQS's 256 KiB with room for Lambda's 1 MB asynchronous events.
	MaxMessageBytes = 1<<20 + 64<<10
)

// ID names a queue: its tenant and its name within the tenant. Names are
// the caller's; "lambda-async:FUNCTION" is an asynchronous-invocation
// queue, SQS names are letters, digits, - and _ (and ".fifo").
type ID struct {
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
}

func (id ID) String() string { return id.Tenant + "/" + id.Name }

// Config is a queue's definition. Zero durations take the defaults.
type Config struct {
	Visibility time.Duration `json:"visibility"`
	Retention  time.Duration `json:"retention"`
	Delay      time.Duration `json:"delay,omitempty"` // default delay of a sent message
	// MaxReceives > 0 moves a message received more often than this to
	// DeadLetter (a queue of the same tenant) instead of returning it.
	MaxReceives int    `json:"max_receives,omitempty"`
	DeadLetter  string `json:"dead_letter,omitempty"`
	FIFO        bool   `json:"fifo,omitempty"`
	// Attributes are the protocol's own settings (SQS attributes, tags),
	// stored with the definition and otherwise not interpreted here.
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Modified   time.Time         `json:"modified"`
}

func (c *Config) defaults() {
	if c.Visibility <= 0 {
		c.Visibility = DefaultVisibility
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
}

// Validate says what is wrong with c, in words a user can act on.
func (c *Config) Validate() error {
	switch {
	case c.Visibility > MaxVisibility:
		return fmt.Errorf("visibility timeout %v is above the maximum of %v", c.Visibility, MaxVisibility)
	case c.Retention < time.Minute || c.Retention > MaxRetention:
		return fmt.Errorf("retention %v is outside 1 minute to %v", c.Retention, MaxRetention)
	case c.Delay < 0 || c.Delay > MaxDelay:
		return fmt.Errorf("delay %v is outside 0 to %v", c.Delay, MaxDelay)
	case c.MaxReceives < 0 || (c.MaxReceives > 0) != (c.DeadLetter != ""):
		return errors.New("a dead-letter policy needs both a target queue and a maximum receive count of at least 1")
	}
	return nil
}

// Manager holds every queue of the store.
type Manager struct {
	st     *store.Store
	js     jetstream.JetStream
	nc     *nats.Conn
	stream jetstream.Stream
	defs   jetstream.KeyValue
	log    *slog.Logger
	health func() error

	mu        sync.Mutex
	consumers map[ID]jetstream.Consumer
	defCache  map[ID]Config // every queue's definition, kept by a watch
	stopWatch context.CancelFunc
	fifo      map[ID]*fifoState // FIFO queues' batches in flight on this node
	mover     *mover
}

// Options tune a Manager.
type Options struct {
	// Health says whether the store takes writes; while it does not, Send
	// refuses at once with its reason. nil: always.
	Health func() error
	Log    *slog.Logger
}

// Open creates (or opens) the stream and the definitions bucket.
func Open(ctx context.Context, st *store.Store, opt Options) (*Manager, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	s, err := st.Stream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "every queue's messages: q.TENANT.NAME ready, qd.TENANT.NAME delayed",
		Subjects:    []string{readyPrefix + ">", delayPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      MaxRetention,
		MaxMsgSize:  MaxMessageBytes,
		Duplicates:  DedupWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream: %w", err)
	}
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: DefsBucket, Description: "queue definitions", History: 1})
	if err != nil {
		return nil, fmt.Errorf("queue: definitions: %w", err)
	}
	return &Manager{
		st: st, js: st.JetStream(), nc: st.Conn(), stream: s, defs: kv,
		log: opt.Log.With("component", "queue"), health: opt.Health,
		fifo: make(map[ID]*fifoState), consumers: make(map[ID]jetstream.Consumer), defCache: make(map[ID]Config),
	}, nil
}

// Start runs the mover that releases delayed messages when they are due,
// and a watch that keeps every queue's definition in memory (sends and
// receives then read no bucket).
func (m *Manager) Start(ctx context.Context) error {
	wctx, stop := context.WithCancel(context.Background())
	err := m.Watch(wctx, "", func(id ID, cfg *Config) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if cfg == nil {
			delete(m.defCache, id)
			delete(m.consumers, id)
			return
		}
		m.defCache[id] = *cfg
	})
	if err != nil {
		stop()
		return err
	}
	mv, err := startMover(ctx, m)
	if err != nil {
		stop()
		return err
	}
	m.mu.Lock()
	m.mover, m.stopWatch = mv, stop
	m.mu.Unlock()
	return nil
}

// Close stops the mover; stored messages stay stored.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	mv, stop := m.mover, m.stopWatch
	m.mover, m.stopWatch = nil, nil
	m.mu.Unlock()
	if stop != nil {
		stop()
	}
	if mv != nil {
		mv.stop()
	}
	return nil
}

// ErrNotFound is returned for a queue that does not exist.
var ErrNotFound = errors.New("queue: no such queue")

// ErrExists is returned by Create for a queue that exists with another
// definition.
var ErrExists = errors.New("queue: exists with other attributes")

// Create defines a queue and its consumer. Creating a queue again with
// the same definition succeeds (as SQS's CreateQueue does); with another,
// it fails with ErrExists.
func (m *Manager) Create(ctx context.Context, id ID, cfg Config) (Config, error) {
	if err := checkID(id); err != nil {
		return Config{}, err
	}
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	now := time.Now().UTC()
	cfg.Created, cfg.Modified = now, now
	if old, err := m.Get(ctx, id); err == nil {
		if !sameDefinition(old, cfg) {
			return old, ErrExists
		}
		return old, m.ensureConsumer(ctx, id, old)
	} else if !errors.Is(err, ErrNotFound) {
		return Config{}, err
	}
	if err := m.ensureConsumer(ctx, id, cfg); err != nil {
		return Config{}, err
	}
	data, _ := json.Marshal(cfg)
	if _, err := m.defs.Create(ctx, defKey(id), data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return m.Create(ctx, id, cfg) // a concurrent create: compare with it
		}
		return Config{}, fmt.Errorf("queue: store definition: %w", err)
	}
	m.remember(id, cfg)
	return cfg, nil
}

// Update replaces a queue's definition (attributes) and its consumer's
// visibility timeout.
func (m *Manager) Update(ctx context.Context, id ID, change func(*Config) error) (Config, error) {
	for {
		e, err := m.defs.Get(ctx, defKey(id))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Config{}, ErrNotFound
		} else if err != nil {
			return Config{}, fmt.Errorf("queue: definition: %w", err)
		}
		var cfg Config
		if err := json.Unmarshal(e.Value(), &cfg); err != nil {
			return Config{}, fmt.Errorf("queue: definition of %s: %w", id, err)
		}
		if err := change(&cfg); err != nil {
			return Config{}, err
		}
		cfg.defaults()
		if err := cfg.Validate(); err != nil {
			return Config{}, err
		}
		cfg.Modified = time.Now().UTC()
		data, _ := json.Marshal(cfg)
		if _, err := m.defs.Update(ctx, defKey(id), data, e.Revision()); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // changed meanwhile: apply the change again
			}
			return Config{}, fmt.Errorf("queue: store definition: %w", err)
		}
		m.remember(id, cfg)
		return cfg, m.ensureConsumer(ctx, id, cfg)
	}
}

// remember puts a definition this node just wrote into the cache, ahead
// of the watch.
func (m *Manager) remember(id ID, cfg Config) {
	m.mu.Lock()
	m.defCache[id] = cfg
	m.mu.Unlock()
}

// Get returns a queue's definition.
func (m *Manager) Get(ctx context.Context, id ID) (Config, error) {
	e, err := m.defs.Get(ctx, defKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Config{}, ErrNotFound
	} else if err != nil {
		return Config{}, fmt.Errorf("queue: definition: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(e.Value(), &cfg); err != nil {
		return Config{}, fmt.Errorf("queue: definition of %s: %w", id, err)
	}
	return cfg, nil
}

// List returns the tenant's queues whose names start with prefix, sorted.
func (m *Manager) List(ctx context.Context, tenant, prefix string) ([]ID, error) {
	lister, err := m.defs.ListKeysFiltered(ctx, token(tenant)+".>")
	if err != nil {
		return nil, fmt.Errorf("queue: list: %w", err)
	}
	var out []ID
	for k := range lister.Keys() {
		id, ok := parseDefKey(k)
		if ok && strings.HasPrefix(id.Name, prefix) {
			out = append(out, id)
		}
	}
	sortIDs(out)
	return out, nil
}

// Delete removes a queue, its messages and its consumer.
func (m *Manager) Delete(ctx context.Context, id ID) error {
	if _, err := m.Get(ctx, id); err != nil {
		return err
	}
	m.forget(id)
	m.mu.Lock()
	delete(m.defCache, id)
	m.mu.Unlock()
	if err := m.stream.DeleteConsumer(ctx, consumerName(id)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("queue: delete consumer of %s: %w", id, err)
	}
	for _, subj := range []string{readySubject(id), delaySubject(id)} {
		if err := m.stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
			return fmt.Errorf("queue: purge %s: %w", id, err)
		}
	}
	if err := m.defs.Purge(ctx, defKey(id)); err != nil {
		return fmt.Errorf("queue: delete definition of %s: %w", id, err)
	}
	return nil
}

// ensureConsumer creates or updates the queue's durable consumer.
func (m *Manager) ensureConsumer(ctx context.Context, id ID, cfg Config) error {
	_, err := m.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName(id),
		Description:   "queue " + id.String(),
		FilterSubject: readySubject(id),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.Visibility,
		MaxDeliver:    -1, // receive counts are this package's: dead-letter policy
		MaxAckPending: maxInFlight,
		MaxWaiting:    4096, // concurrent long polls
	})
	if err != nil {
		return fmt.Errorf("queue: consumer of %s: %w", id, err)
	}
	return nil
}

// maxInFlight is SQS's limit on in-flight messages of a standard queue.
const maxInFlight = 120_000

func sameDefinition(a, b Config) bool {
	return a.Visibility == b.Visibility && a.Retention == b.Retention && a.Delay == b.Delay &&
		a.MaxReceives == b.MaxReceives && a.DeadLetter == b.DeadLetter && a.FIFO == b.FIFO &&
		sameMap(a.Attributes, b.Attributes)
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkID refuses an id this package cannot hold.
func checkID(id ID) error {
	if id.Tenant == "" || id.Name == "" || len(id.Name) > 256 {
		return fmt.Errorf("queue: a queue needs a tenant and a name of 1 to 256 characters, got %q", id.String())
	}
	return nil
}
