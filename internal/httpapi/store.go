package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Bucket holds every route, keyed "TENANT.<base64url of the route key>".
const Bucket = "HTTP_ROUTES"

// Config tunes the service.
type Config struct {
	Log *slog.Logger
	// Invoker runs Lambda authorizers (the router).
	Invoker fn.Invoker
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Service owns the routes of every tenant: stored in JetStream KV, served
// from an in-memory table per tenant that a watch of the bucket keeps
// current on every node. It also runs the authorizers and keeps the API
// keys and usage plans of routes (apikeys.go).
type Service struct {
	cfg    Config
	routes jetstream.KeyValue
	keys   jetstream.KeyValue
	usage  jetstream.KeyValue
	jwks   *jwksCache
	authz  *authorizerCache
	meter  *usageMeter

	tables  atomic.Pointer[map[string]*Table]
	mu      sync.Mutex                      // the watch's state below
	byTen   map[string]map[string]*Compiled // tenant → key → route
	apiCORS map[string]*CORS                // tenant → API-wide CORS (api.go)
	apiKeys atomic.Pointer[map[string]*APIKey]
	// appliedRev is the last routes bucket revision in the tables.
	appliedRev atomic.Uint64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens (or creates) the routes' buckets. Start loads and watches
// them.
func Open(ctx context.Context, st *store.Store, cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "httpapi")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	routes, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Description: "HTTP API routes", History: 1})
	if err != nil {
		return nil, fmt.Errorf("httpapi: routes: %w", err)
	}
	keys, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: KeysBucket, Description: "HTTP API keys and usage plans", History: 1})
	if err != nil {
		return nil, fmt.Errorf("httpapi: api keys: %w", err)
	}
	usage, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: UsageBucket, Description: "HTTP API key daily usage", History: 1, TTL: 48 * time.Hour})
	if err != nil {
		return nil, fmt.Errorf("httpapi: usage: %w", err)
	}
	s := &Service{cfg: cfg, routes: routes, keys: keys, usage: usage, jwks: newJWKSCache(), authz: newAuthorizerCache(),
		byTen: map[string]map[string]*Compiled{}, apiCORS: map[string]*CORS{}}
	s.meter = newUsageMeter(usage, cfg.Log, cfg.Now)
	empty := map[string]*Table{}
	s.tables.Store(&empty)
	noKeys := map[string]*APIKey{}
	s.apiKeys.Store(&noKeys)
	return s, nil
}

// Start loads every route and API key and keeps them current; it returns
// once the existing ones are in the tables.
func (s *Service) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if err := watch(ctx, s, s.routes, s.routeChanged); err != nil {
		return err
	}
	if err := watch(ctx, s, s.keys, s.keyChanged); err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.meter.run(ctx)
	}()
	return nil
}

// Close stops the watches and writes the usage counted since the last
// flush. It works after a failed Start.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	return s.meter.flush(ctx)
}

// Table is tenant's route table (nil: tenant has no routes).
func (s *Service) Table(tenant string) *Table { return (*s.tables.Load())[tenant] }

func routeKV(tenant, key string) string {
	return tenant + "." + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// NotFound is the error for an unknown route.
func NotFound(key string) error {
	return fn.NotFound("no route %q (list them with `updraft route ls`)", key)
}

// compile checks r and prepares it to serve.
func compile(r Route) (*Compiled, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	pk, err := parseKey(r.Key)
	if err != nil {
		return nil, err
	}
	sch, err := compileSchema(r.Schema)
	if err != nil {
		return nil, err
	}
	return &Compiled{Route: r, key: pk, schema: sch}, nil
}

// Put creates or replaces tenant's route r.Key, after checking it (a bad
// key, auth or schema is refused with what to fix).
func (s *Service) Put(ctx context.Context, r Route) (Route, error) {
	c, err := compile(r)
	if err != nil {
		return Route{}, err
	}
	r = c.Route
	if r.Created.IsZero() {
		r.Created = s.cfg.Now().UTC()
	}
	data, err := json.Marshal(r)
	if err != nil {
		return Route{}, fmt.Errorf("httpapi: encode route: %w", err)
	}
	rev, err := s.routes.Put(ctx, routeKV(r.Tenant, r.Key), data)
	if err != nil {
		return Route{}, fmt.Errorf("httpapi: store route %s: %w", r.Key, err)
	}
	s.awaitApplied(ctx, func() bool { return s.appliedRev.Load() >= rev })
	return r, nil
}

// Get returns tenant's route key.
func (s *Service) Get(ctx context.Context, tenant, key string) (Route, error) {
	norm, err := ParseKey(key)
	if err != nil {
		return Route{}, err
	}
	e, err := s.routes.Get(ctx, routeKV(tenant, norm))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Route{}, NotFound(norm)
	} else if err != nil {
		return Route{}, fmt.Errorf("httpapi: get route: %w", err)
	}
	var r Route
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Route{}, fmt.Errorf("httpapi: route %s is unreadable: %w", norm, err)
	}
	return r, nil
}

// Delete removes tenant's route key.
func (s *Service) Delete(ctx context.Context, tenant, key string) error {
	r, err := s.Get(ctx, tenant, key)
	if err != nil {
		return err
	}
	if err := s.routes.Purge(ctx, routeKV(tenant, r.Key)); err != nil {
		return fmt.Errorf("httpapi: delete route %s: %w", r.Key, err)
	}
	s.awaitApplied(ctx, func() bool {
		for _, c := range s.Table(tenant).Routes() {
			if c.Key == r.Key {
				return false
			}
		}
		return true
	})
	return nil
}

// awaitApplied waits (briefly) until done reports that this node's table
// reflects a change just stored, so that a request right after the API
// call that made a route finds it here. Other nodes see it a moment later.
func (s *Service) awaitApplied(ctx context.Context, done func() bool) {
	deadline := time.Now().Add(2 * time.Second)
	for !done() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
}

// List returns tenant's routes sorted by path, then method.
func (s *Service) List(ctx context.Context, tenant string) ([]Route, error) {
	lister, err := s.routes.ListKeysFiltered(ctx, tenant+".*")
	if err != nil {
		return nil, fmt.Errorf("httpapi: list routes: %w", err)
	}
	out := []Route{}
	for k := range lister.Keys() {
		e, err := s.routes.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("httpapi: list routes: %w", err)
		}
		var r Route
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, fmt.Errorf("httpapi: route %s is unreadable: %w", k, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Route) int {
		_, pa, _ := strings.Cut(a.Key, " ")
		_, pb, _ := strings.Cut(b.Key, " ")
		if c := strings.Compare(pa, pb); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// routeChanged applies one change of the routes bucket to the tables.
func (s *Service) routeChanged(key string, value []byte, rev uint64) {
	defer s.appliedRev.Store(rev)
	if tenant, ok := strings.CutPrefix(key, apiPrefix); ok {
		s.apiChanged(tenant, value)
		return
	}
	tenant, enc, ok := strings.Cut(key, ".")
	if !ok {
		return
	}
	rk, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byTen[tenant]
	if m == nil {
		m = map[string]*Compiled{}
		s.byTen[tenant] = m
	}
	if value == nil {
		delete(m, string(rk))
	} else {
		var r Route
		c, err := func() (*Compiled, error) {
			if err := json.Unmarshal(value, &r); err != nil {
				return nil, err
			}
			return compile(r)
		}()
		if err != nil {
			s.cfg.Log.Error("an unreadable route is not served", "tenant", tenant, "route", string(rk), "err", err)
			delete(m, string(rk))
		} else {
			m[c.Key] = c
		}
	}
	s.rebuildLocked(tenant)
}

// rebuildLocked replaces tenant's table from its routes and API settings.
// s.mu is held.
func (s *Service) rebuildLocked(tenant string) {
	m := s.byTen[tenant]
	list := make([]*Compiled, 0, len(m))
	for _, c := range m {
		list = append(list, c)
	}
	old := *s.tables.Load()
	next := make(map[string]*Table, len(old)+1)
	for t, tb := range old {
		next[t] = tb
	}
	cors := s.apiCORS[tenant]
	if len(list) == 0 && cors == nil {
		delete(next, tenant)
	} else {
		tb := newTable(list)
		tb.cors = cors
		next[tenant] = tb
	}
	s.tables.Store(&next)
}

// watch passes every entry of kv to f (value nil: deleted), first the
// existing ones, then every change; it returns once the existing ones
// were passed.
func watch(ctx context.Context, s *Service, kv jetstream.KeyValue, f func(key string, value []byte, rev uint64)) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("httpapi: watch: %w", err)
	}
	loaded := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			if err := w.Stop(); err != nil {
				s.cfg.Log.Debug("stopping a watch", "err", err)
			}
		}()
		initial := true
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					if initial {
						initial = false
						close(loaded)
					}
					continue
				}
				if e.Operation() != jetstream.KeyValuePut {
					f(e.Key(), nil, e.Revision())
					continue
				}
				f(e.Key(), e.Value(), e.Revision())
			}
		}
	}()
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
