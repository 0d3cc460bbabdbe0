package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the store keeps its files.
type Config struct {
	Dir string       // JetStream's storage directory
	Log *slog.Logger // receives the NATS server's log (nil: slog.Default())
	// MinFreeMB is the disk space kept free: below it Reserve refuses
	// (deploys, uploads), and a store that stopped on a full disk resumes
	// once this much is free again. 0: DefaultMinFreeMB.
	MinFreeMB int
}

// Store is the embedded NATS JetStream server and a client connection to it.
type Store struct {
	ns  *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	log *natsLogger
	dir string // JetStream's storage directory, absolute

	lock     *os.File // flock held while the store is open
	accepted bool     // Accept ran: Close writes a clean manifest
	health   *health  // the full-disk watcher (health.go); nil before Open ends
}

// Open starts the embedded server and connects to it in-process.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("store: no directory configured")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", cfg.Dir, err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := start(dir, cfg.Log)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.lock = lock
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	s.watchHealth(cfg.MinFreeMB, log)
	return s, nil
}

// maxStore is JetStream's store limit: see the comment where it is set.
const maxStore = 1 << 40

// start runs the server on dir and connects to it.
func start(dir string, log *slog.Logger) (*Store, error) {
	opts := &server.Options{
		ServerName: "updraft",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: true,
		SyncAlways: true,
		NoSigs:     true,
		NoLog:      true,
		// Larger than a deploy's 50 MB zip is never sent as one message
		// (the object store chunks), but invocation payloads of 6 MB are.
		MaxPayload: 8 << 20,
		// JetStream reserves each stream's byte limit against the server's
		// store limit, which defaults to 75% of the disk's free space; on a
		// small disk that refuses to create the log and usage streams at
		// all. Limits are enforced per stream; the disk is the real bound.
		JetStreamMaxStore: maxStore,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("store: new server: %w", err)
	}
	// NoLog above keeps the server from configuring its own logger; ours
	// carries its notices, warnings and errors into slog.
	nl := newNATSLogger(log)
	ns.SetLogger(nl, false, false)
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("store: embedded NATS server did not become ready in 30s")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Name("updraft"), nats.MaxReconnects(-1))
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("store: connect in-process: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		ns.Shutdown()
		return nil, fmt.Errorf("store: jetstream: %w", err)
	}
	return &Store{ns: ns, nc: nc, js: js, log: nl, dir: dir}, nil
}

// JetStream returns the JetStream client.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Conn returns the NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// KV opens a key-value bucket, creating it on first use.
func (s *Store) KV(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if cfg.Storage == 0 {
		cfg.Storage = jetstream.FileStorage
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: kv %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// Objects opens an object store bucket, creating it on first use.
func (s *Store) Objects(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	cfg.Storage = jetstream.FileStorage
	obs, err := s.js.CreateOrUpdateObjectStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: object store %s: %w", cfg.Bucket, err)
	}
	return obs, nil
}

// Stream opens a stream, creating it or updating its config.
func (s *Store) Stream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	cfg.Storage = jetstream.FileStorage
	st, err := s.js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: stream %s: %w", cfg.Name, err)
	}
	return st, nil
}

// Close shuts the server down, waiting for it. After Accept it records the
// state at this clean stop in the manifest, for the next start's check.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.stopHealth()
	var m *stateManifest
	var err error
	if s.accepted {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m, err = s.recordState(ctx, true)
		cancel()
		s.accepted = false
	}
	s.nc.Close()
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	if m != nil {
		err = writeManifest(s.dir, m)
	}
	if s.lock != nil {
		_ = s.lock.Close() // releases the flock
	}
	if err != nil {
		return fmt.Errorf("store: record the state at stop (the next start checks less): %w", err)
	}
	return nil
}

// lockDir takes an exclusive lock on dir, so that a check or a second
// server never opens a store that a running server uses.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "updraft.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: %s is in use by another process (a running `updraft serve`?): stop it first", dir)
		}
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	return f, nil
}
