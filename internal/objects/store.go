package objects

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// streamName is the stream of metadata records and event records.
const streamName = "OBJECTS"

// Subjects of the stream: one per bucket, object, upload, part; one per
// event record.
const (
	subjBucket = "objects.b."
	subjObject = "objects.o."
	subjUpload = "objects.u."
	subjPart   = "objects.p."
	subjEvent  = "objects.e."
)

// Config wires a Service.
type Config struct {
	Store *store.Store
	// Dir holds the content files (DATA_DIR/objects).
	Dir string
	// Targets receives notification events; nil: notifications can be
	// configured only without destinations.
	Targets Targets
	Log     *slog.Logger
}

// Service is the object storage of every tenant.
type Service struct {
	cfg    Config
	log    *slog.Logger
	js     jetstream.JetStream
	nc     *nats.Conn
	stream jetstream.Stream
	ix     *index
	keys   [256]sync.Mutex  // per object key: commit, then remove replaced files
	bkts   [64]sync.RWMutex // per bucket: object commits (R) vs bucket deletion (W)
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// New returns the Service; Start opens its stream and builds its index.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Dir == "" {
		return nil, errors.New("objects: a store and a directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, log: cfg.Log.With("component", "objects"), ix: newIndex()}, nil
}

// Start opens the stream, rebuilds the index from it, removes content
// files no record references, and starts the watch and the event
// delivery loop.
func (s *Service) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	s.js, s.nc = s.cfg.Store.JetStream(), s.cfg.Store.Conn()
	st, err := s.cfg.Store.Stream(ctx, jetstream.StreamConfig{
		Name:               streamName,
		Subjects:           []string{"objects.>"},
		Storage:            jetstream.FileStorage,
		MaxMsgsPerSubject:  1,
		AllowAtomicPublish: true,
		AllowDirect:        true,
	})
	if err != nil {
		return fmt.Errorf("objects: open stream: %w", err)
	}
	s.stream = st
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("objects: stream info: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if err := s.watch(runCtx); err != nil {
		return err
	}
	if info.State.Msgs == 0 {
		s.ix.apply(record{}, 0, true)
	}
	if err := s.ix.waitCaughtUp(ctx); err != nil {
		return fmt.Errorf("objects: build the index: %w", err)
	}
	if err := s.removeUnreferenced(); err != nil {
		return err
	}
	if err := s.startDelivery(runCtx); err != nil {
		return err
	}
	return nil
}

// Close stops the watch and the delivery loop, waiting for them.
func (s *Service) Close(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("objects: close: %w", ctx.Err())
	}
}

// tok encodes a name as one subject token.
func tok(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func keyTok(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func bucketSubject(tenant, bucket string) string { return subjBucket + tok(tenant) + "." + tok(bucket) }
func objectSubject(tenant, bucket, key string) string {
	return subjObject + tok(tenant) + "." + tok(bucket) + "." + keyTok(key)
}
func uploadSubject(tenant, id string) string { return subjUpload + tok(tenant) + "." + id }
func partSubject(tenant, id string, n int) string {
	return subjPart + tok(tenant) + "." + id + "." + strconv.Itoa(n)
}

// record is what the stream holds on a bucket, object, upload or part
// subject. Exactly one of B, O, U, P is set; Gone marks a deleted bucket.
type record struct {
	Tenant string  `json:"tenant"`
	Bucket string  `json:"bucket"`
	B      *Bucket `json:"b,omitempty"`
	O      *Object `json:"o,omitempty"`
	U      *Upload `json:"u,omitempty"`
	P      *Part   `json:"p,omitempty"`
	Gone   bool    `json:"gone,omitempty"`
}

// pending is one message of a commit.
type pending struct {
	subject string
	data    []byte
}

func recordMsg(subject string, r record) pending {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // plain structs: cannot fail
	}
	return pending{subject, b}
}

// commit publishes msgs as one atomic batch (all stored or none), waits
// for the index to apply them, and returns the last one's sequence.
func (s *Service) commit(ctx context.Context, msgs ...pending) (uint64, error) {
	seq, err := s.publish(ctx, msgs)
	if err != nil {
		return 0, fn.Unavailable("objects: could not store the change durably (%v): retry", err)
	}
	if err := s.ix.waitFor(ctx, seq); err != nil {
		return 0, fmt.Errorf("objects: wait for the index: %w", err)
	}
	return seq, nil
}

func (s *Service) publish(ctx context.Context, msgs []pending) (uint64, error) {
	if len(msgs) == 1 {
		ack, err := s.js.Publish(ctx, msgs[0].subject, msgs[0].data)
		if err != nil {
			return 0, err
		}
		return ack.Sequence, nil
	}
	id := newID()
	for i, m := range msgs {
		msg := nats.NewMsg(m.subject)
		msg.Data = m.data
		msg.Header.Set("Nats-Batch-Id", id)
		msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := s.nc.PublishMsg(msg); err != nil {
				return 0, err
			}
			continue
		}
		msg.Header.Set("Nats-Batch-Commit", "1")
		ack, err := s.js.PublishMsg(ctx, msg)
		if err != nil {
			return 0, err
		}
		return ack.Sequence, nil
	}
	return 0, nil
}

// newID is a random 128-bit id in hex: content file names, upload ids,
// event ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Service) keyLock(tenant, bucket, key string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(tenant + "\x00" + bucket + "\x00" + key))
	return &s.keys[h.Sum32()%uint32(len(s.keys))]
}

func (s *Service) bucketLock(tenant, bucket string) *sync.RWMutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(tenant + "\x00" + bucket))
	return &s.bkts[h.Sum32()%uint32(len(s.bkts))]
}

// path is a content file's path.
func (s *Service) path(file string) string { return filepath.Join(s.cfg.Dir, file) }

// removeFiles removes content files a commit replaced; a failure leaves
// a file the next start removes.
func (s *Service) removeFiles(files []string) {
	for _, f := range files {
		if err := os.Remove(s.path(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove a replaced content file", "file", f, "err", err)
		}
	}
}

// removeUnreferenced removes the content files no record references:
// uploads interrupted before their commit.
func (s *Service) removeUnreferenced() error {
	live := s.ix.files()
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() || live[e.Name()] {
			continue
		}
		if err := os.Remove(s.path(e.Name())); err != nil {
			return fmt.Errorf("objects: remove an unreferenced content file: %w", err)
		}
		n++
	}
	if n > 0 {
		s.log.Info("removed content files of uncommitted uploads", "files", n)
	}
	return nil
}

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
