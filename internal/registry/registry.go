package registry

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Bucket names.
const (
	functionsBucket = "functions"
	apiKeysBucket   = "apikeys"
	accessKeyBucket = "accesskeys"
	versionsBucket  = "versions"
	aliasesBucket   = "aliases"
	urlsBucket      = "urls"
	codeBucket      = "code"
	codeHoldsBucket = "codeholds"
)

// Registry holds function definitions, code and API keys.
type Registry struct {
	log *slog.Logger

	functions  jetstream.KeyValue
	apiKeys    jetstream.KeyValue
	accessKeys jetstream.KeyValue
	versions   jetstream.KeyValue
	aliases    jetstream.KeyValue
	urls       jetstream.KeyValue

	versionMu    sync.RWMutex
	versionCache map[string]*fn.Function // immutable published versions
	code         jetstream.ObjectStore
	codeHolds    jetstream.KeyValue // deploys in flight: sha → active/done (gc.go)
	js           jetstream.JetStream

	mu    sync.RWMutex
	cache map[string]map[string]*entry // tenant → name → entry

	tenants jetstream.KeyValue // tenants.go

	secrets jetstream.KeyValue // secrets.go

	keysMu     sync.RWMutex
	keys       map[string]Identity  // sha256 hex of an API key → its identity (known-good keys only)
	quotas     map[string]fn.Quotas // tenant → quotas (tenants.go)
	access     map[string]accessKey // access key id → tenant and secret (known-good keys only)
	aead       cipher.AEAD          // seals access key secrets; nil until UseMasterKey
	fallback   []cipher.AEAD        // also open what they sealed: an unfinished rotation's new key (rotate.go)
	sessionKey []byte               // signs session credentials; nil until UseMasterKey

	watcher   jetstream.KeyWatcher
	done      chan struct{} // closed when the watch goroutine returns
	changes   chan<- Change // nil: nobody listens (see Changes)
	changesMu sync.Mutex
	closeOnce sync.Once

	keyWatchers []jetstream.KeyWatcher // keys.go
	keyWatchWG  sync.WaitGroup
}

// entry is a cached definition and the KV revision it came from. A nil f is
// a deletion, kept so that an older put delivered late stays ignored.
type entry struct {
	f   *fn.Function
	rev uint64
}

// New opens the registry's buckets and loads every function definition into
// the cache before returning; a watcher keeps the cache current until Close.
func New(ctx context.Context, st *store.Store) (*Registry, error) {
	if st == nil {
		return nil, errors.New("registry: no store")
	}
	functions, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: functionsBucket, Description: "function definitions, key <tenant>.<name>", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	apiKeys, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: apiKeysBucket, Description: "sha256(API key) → tenant", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	accessKeys, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: accessKeyBucket, Description: "access key id → tenant and sealed secret", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	versions, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: versionsBucket, Description: "published versions, key <tenant>.<name>.<version>", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	aliases, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: aliasesBucket, Description: "aliases, key <tenant>.<name>.<alias>", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	urls, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: urlsBucket, Description: "function URL id → tenant, function", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	code, err := st.Objects(ctx, jetstream.ObjectStoreConfig{
		Bucket: codeBucket, Description: "function code zips, named by their sha256",
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	holds, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: codeHoldsBucket, Description: "code sha256 → a deploy about to reference it (active) or done; kept from collection",
		History: 1, TTL: codeHoldTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r := &Registry{
		log:        slog.Default().With("component", "registry"),
		functions:  functions,
		apiKeys:    apiKeys,
		accessKeys: accessKeys,
		versions:   versions, aliases: aliases, urls: urls, versionCache: make(map[string]*fn.Function),
		access: make(map[string]accessKey),
		code:   code, codeHolds: holds, js: st.JetStream(),
		cache:  make(map[string]map[string]*entry),
		keys:   make(map[string]Identity),
		quotas: make(map[string]fn.Quotas),
		done:   make(chan struct{}),
	}
	if err := r.openTenants(ctx, st.KV); err != nil {
		return nil, err
	}
	if r.secrets, err = st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: secretsBucket, Description: "tenant secrets, sealed: key <tenant>.<name>", History: 1,
	}); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := r.watchKeys(); err != nil {
		return nil, err
	}
	// The watcher lives until Close, not until ctx ends: ctx only bounds
	// the initial load below.
	w, err := functions.WatchAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("registry: watch %s: %w", functionsBucket, err)
	}
	r.watcher = w
	loaded := make(chan struct{})
	go r.watch(loaded)
	select {
	case <-loaded:
	case <-r.done:
		return nil, errors.New("registry: function watcher stopped during the initial load")
	case <-ctx.Done():
		_ = r.Close()
		return nil, fmt.Errorf("registry: loading functions: %w", ctx.Err())
	}
	return r, nil
}

// Close stops the watcher and waits for its goroutine. Safe to call twice.
func (r *Registry) Close() error {
	var err error
	r.closeOnce.Do(func() {
		// Stop unsubscribes; the client then closes Updates(), which ends
		// watch. watch keeps draining until then so the client never
		// blocks delivering to a channel nobody reads.
		// If the connection is already closed, so is the subscription
		// and with it Updates().
		if e := r.watcher.Stop(); e != nil && !errors.Is(e, nats.ErrConnectionClosed) && !errors.Is(e, nats.ErrBadSubscription) {
			err = fmt.Errorf("registry: stop watcher: %w", e)
		}
		<-r.done
		if e := r.stopKeyWatchers(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// watch applies KV updates to the cache until the watcher is stopped. The
// nil entry that marks the end of the initial values closes loaded.
func (r *Registry) watch(loaded chan struct{}) {
	defer close(r.done)
	for e := range r.watcher.Updates() {
		if e == nil {
			if loaded != nil {
				close(loaded)
				loaded = nil
			}
			continue
		}
		r.apply(e)
		if loaded == nil {
			r.notify(e)
		}
	}
}

// Change is one change of a function's definition ($LATEST) as the store
// delivered it: on every node sharing the store, whoever made it.
type Change struct {
	Tenant, Name string
	Deleted      bool
}

// Changes returns the changes of function definitions from now on, to one
// listener (the control plane, which retires old instances on them). The
// channel is buffered; a listener that falls far behind blocks the watcher.
func (r *Registry) Changes() <-chan Change {
	ch := make(chan Change, 1024)
	r.changesMu.Lock()
	r.changes = ch
	r.changesMu.Unlock()
	return ch
}

func (r *Registry) notify(e jetstream.KeyValueEntry) {
	r.changesMu.Lock()
	ch := r.changes
	r.changesMu.Unlock()
	if ch == nil {
		return
	}
	tenant, name, ok := strings.Cut(e.Key(), ".")
	if !ok {
		return
	}
	ch <- Change{Tenant: tenant, Name: name, Deleted: e.Operation() != jetstream.KeyValuePut}
}

// apply puts one KV event into the cache if it is newer than what is there.
func (r *Registry) apply(e jetstream.KeyValueEntry) {
	tenant, name, ok := strings.Cut(e.Key(), ".")
	if !ok {
		r.log.Warn("ignoring malformed function key", "key", e.Key())
		return
	}
	var f *fn.Function
	if e.Operation() == jetstream.KeyValuePut {
		f = new(fn.Function)
		if err := r.decodeFunction(e.Value(), f); err != nil {
			r.log.Warn("ignoring undecodable function definition", "key", e.Key(), "err", err)
			return
		}
		// The key is the identity; the value cannot move a function.
		f.Tenant, f.Name, f.CodeChanged = tenant, name, false
	}
	r.setCached(tenant, name, f, e.Revision())
}

// setCached stores f (nil: deleted) at revision rev unless the cache already
// holds that key at rev or later.
func (r *Registry) setCached(tenant, name string, f *fn.Function, rev uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byName := r.cache[tenant]
	if byName == nil {
		byName = make(map[string]*entry)
		r.cache[tenant] = byName
	}
	if old := byName[name]; old != nil && old.rev >= rev {
		return
	}
	byName[name] = &entry{f: f, rev: rev}
}

// cached returns the cached definition (shared: callers copy it) and its
// revision; f is nil when unknown or deleted.
func (r *Registry) cached(tenant, name string) (f *fn.Function, rev uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e := r.cache[tenant][name]; e != nil {
		return e.f, e.rev
	}
	return nil, 0
}

// clone returns a deep copy of f that shares nothing with it.
func clone(f *fn.Function) *fn.Function {
	c := *f
	if f.Env != nil {
		c.Env = make(map[string]string, len(f.Env))
		for k, v := range f.Env {
			c.Env[k] = v
		}
	}
	if f.Tags != nil {
		c.Tags = maps.Clone(f.Tags)
	}
	if f.Provisioned != nil {
		c.Provisioned = maps.Clone(f.Provisioned)
	}
	if f.URL != nil {
		u := *f.URL
		c.URL = &u
	}
	return &c
}

func functionKey(tenant, name string) string { return tenant + "." + name }
