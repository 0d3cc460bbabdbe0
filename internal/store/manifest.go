package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// manifestFile, in the store directory, records every stream's state when
// the server last stopped cleanly (and, marked unclean, when it last
// started). Between a clean stop and the next start nothing may change, so
// any difference at start is damage; this is how a loss that JetStream
// repairs silently on recovery (a truncated or flipped block) still shows.
const manifestFile = "updraft-manifest.json"

// stateManifest is the content of manifestFile.
type stateManifest struct {
	// Clean is true when written by Close after every writer stopped; false
	// when written at start (the next start may follow a crash, so only
	// what can never shrink is compared).
	Clean   bool                  `json:"clean"`
	Written time.Time             `json:"written"`
	Streams map[string]streamMark `json:"streams"`
}

// streamMark is one stream's state in the manifest.
type streamMark struct {
	Msgs     uint64 `json:"msgs"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	// FirstTime is when the first message was stored: a stream with a
	// MaxAge may lose its head to expiry while the server is stopped.
	FirstTime time.Time `json:"first_time"`
	// Subjects are the keys of a KV bucket and the metadata subjects of an
	// object store (their names), so a loss can be named. Nil for other
	// streams, whose subjects are not names worth keeping.
	Subjects []string `json:"subjects,omitempty"`
}

// maxNamedSubjects bounds the subjects a manifest keeps per stream.
const maxNamedSubjects = 100_000

// namedSubjects is the subject filter whose subjects a manifest keeps for
// stream name, or "" for none: every key of a KV bucket, the metadata
// (one per object name) of an object store.
func namedSubjects(name string) string {
	switch {
	case strings.HasPrefix(name, "KV_"):
		return "$KV." + strings.TrimPrefix(name, "KV_") + ".>"
	case strings.HasPrefix(name, "OBJ_"):
		return "$O." + strings.TrimPrefix(name, "OBJ_") + ".M.>"
	}
	return ""
}

// recordState reads every stream's state for the manifest.
func (s *Store) recordState(ctx context.Context, clean bool) (*stateManifest, error) {
	m := &stateManifest{Clean: clean, Written: time.Now().UTC(), Streams: map[string]streamMark{}}
	names := s.js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := s.js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("store: stream %s: %w", name, err)
		}
		mark, err := markOf(ctx, st, name)
		if err != nil {
			return nil, err
		}
		m.Streams[name] = mark
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("store: list streams: %w", err)
	}
	return m, nil
}

func markOf(ctx context.Context, st jetstream.Stream, name string) (streamMark, error) {
	var opts []jetstream.StreamInfoOpt
	filter := namedSubjects(name)
	if filter != "" {
		opts = append(opts, jetstream.WithSubjectFilter(filter))
	}
	info, err := st.Info(ctx, opts...)
	if err != nil {
		return streamMark{}, fmt.Errorf("store: stream %s info: %w", name, err)
	}
	mark := streamMark{Msgs: info.State.Msgs, FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq, FirstTime: info.State.FirstTime}
	if filter != "" && len(info.State.Subjects) <= maxNamedSubjects {
		mark.Subjects = make([]string, 0, len(info.State.Subjects))
		for subj := range info.State.Subjects {
			mark.Subjects = append(mark.Subjects, subj)
		}
	}
	return mark, nil
}

// readManifest returns the manifest in dir, or nil when there is none.
func readManifest(dir string) (*stateManifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read manifest: %w", err)
	}
	m := new(stateManifest)
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("store: manifest %s is not valid JSON (delete it to check without it): %w", filepath.Join(dir, manifestFile), err)
	}
	return m, nil
}

// writeManifest replaces the manifest in dir atomically and durably.
func writeManifest(dir string, m *stateManifest) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("store: encode manifest: %w", err)
	}
	path := filepath.Join(dir, manifestFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store: write manifest: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: write manifest: %w", err)
	}
	return nil
}

// Accept records the store's present state as the expected one: Verify
// compares later starts against it, and Close replaces it with the state at
// a clean stop. The server calls it after a start whose check passed, or
// that --allow-degraded accepted; a read-only check never does, so damage
// stays visible until a start accepts it.
func (s *Store) Accept(ctx context.Context) error {
	m, err := s.recordState(ctx, false)
	if err != nil {
		return err
	}
	if err := writeManifest(s.dir, m); err != nil {
		return err
	}
	s.accepted = true
	return nil
}
