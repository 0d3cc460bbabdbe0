package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the store keeps its files.
type Config struct {
	Dir string // JetStream's storage directory
}

// Store is the embedded NATS JetStream server and a client connection to it.
type Store struct {
	ns *server.Server
	nc *nats.Conn
	js jetstream.JetStream
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
		JetStreamMaxStore: 1 << 40,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("store: new server: %w", err)
	}
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
	return &Store{ns: ns, nc: nc, js: js}, nil
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

// Close drains the client and shuts the server down, waiting for it.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.nc.Close()
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	return nil
}
