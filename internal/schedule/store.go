package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Buckets: definitions, and each schedule's firing state (the last tick
// fired, the ticks being delivered and who delivers them), both keyed
// "TENANT.NAME".
const (
	DefinitionsBucket = "SCHEDULES"
	StateBucket       = "SCHEDULE_STATE"
)

// Delivery is one tick's invocation, handed to the asynchronous queue.
type Delivery struct {
	Tenant, Function, Qualifier string
	// ID is the request id, the same for every attempt to deliver one
	// tick of one schedule: the queue stores a repeat once.
	ID      string
	Payload []byte
}

// Config wires the service. Deliver is required.
type Config struct {
	// Deliver stores a tick's invocation durably (async.Queue).
	Deliver func(ctx context.Context, d Delivery) error
	// FunctionExists refuses a schedule whose function tenant lacks
	// (nil: not checked).
	FunctionExists func(ctx context.Context, tenant, name string) error
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time
	// Poll is how often due ticks are looked for (default 1 s).
	Poll time.Duration
	// Lease is how long a node holds the ticks it claimed before another
	// may deliver them (default 30 s).
	Lease time.Duration
	// Grace is how late a tick may be and still count as on time rather
	// than missed (default 10 s: ten scans; a tick later than that was
	// due while no node ran).
	Grace time.Duration
	// Node names this node in leases (default random).
	Node string
	Log  *slog.Logger
}

// Service keeps schedules and fires them.
type Service struct {
	cfg   Config
	defs  jetstream.KeyValue
	state jetstream.KeyValue
	log   *slog.Logger

	cache     cache
	watchers  sync.WaitGroup
	stopWatch context.CancelFunc

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Open opens (or creates) the buckets. Start begins firing.
func Open(ctx context.Context, st *store.Store, cfg Config) (*Service, error) {
	if cfg.Deliver == nil {
		return nil, errors.New("schedule: no Deliver")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	if cfg.Node == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.Node = hex.EncodeToString(b[:])
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	defs, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: DefinitionsBucket, Description: "schedules", History: 1})
	if err != nil {
		return nil, fmt.Errorf("schedule: definitions: %w", err)
	}
	state, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: StateBucket, Description: "schedules' firing state", History: 1})
	if err != nil {
		return nil, fmt.Errorf("schedule: state: %w", err)
	}
	s := &Service{cfg: cfg, defs: defs, state: state, log: cfg.Log.With("component", "schedule", "node", cfg.Node)}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWatch = stop
	if err := s.watch(ctx, wctx); err != nil {
		stop()
		s.watchers.Wait()
		return nil, err
	}
	return s, nil
}

func key(tenant, name string) string { return tenant + "." + name }

func splitKey(k string) (tenant, name string) {
	tenant, name, _ = strings.Cut(k, ".")
	return tenant, name
}

// NotFound is the error for an unknown schedule.
func NotFound(name string) error {
	return fn.NotFound("Schedule %s does not exist. (list yours with `updraft schedule ls` or GET /v1/schedules)", name)
}

// Create stores a new schedule.
func (s *Service) Create(ctx context.Context, tenant string, sc Schedule) (Schedule, error) {
	if err := s.check(ctx, tenant, &sc); err != nil {
		return Schedule{}, err
	}
	now := s.cfg.Now().UTC()
	sc.ARN = ARN(tenant, sc.Name)
	sc.Created, sc.LastModified, sc.Since = now, now, now
	sc.LastTick, sc.NextTick, sc.Fired, sc.Skipped, sc.Dropped = nil, nil, 0, 0, 0
	// A state left by an earlier schedule of the name goes first.
	if err := s.state.Delete(ctx, key(tenant, sc.Name)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return Schedule{}, fmt.Errorf("schedule: create %s: %w", sc.Name, err)
	}
	data, _ := json.Marshal(sc)
	rev, err := s.defs.Create(ctx, key(tenant, sc.Name), data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return Schedule{}, fn.Conflict("Schedule %s already exists: change it with `updraft schedule` flags via PUT /v1/schedules/%s, or remove it first", sc.Name, sc.Name)
	} else if err != nil {
		return Schedule{}, fmt.Errorf("schedule: create %s: %w", sc.Name, err)
	}
	sc.revision = rev
	s.cache.putDef(key(tenant, sc.Name), &sc, rev)
	s.log.Info("schedule created", "tenant", tenant, "schedule", sc.Name, "expression", sc.Expression, "fn", sc.Function)
	return s.withStatus(ctx, tenant, sc), nil
}

// check validates sc for tenant and its function's existence.
func (s *Service) check(ctx context.Context, tenant string, sc *Schedule) error {
	if _, _, err := sc.Validate(); err != nil {
		return err
	}
	if s.cfg.FunctionExists != nil {
		if err := s.cfg.FunctionExists(ctx, tenant, sc.Function); err != nil {
			return err
		}
	}
	return nil
}

// Get returns tenant's schedule with its status.
func (s *Service) Get(ctx context.Context, tenant, name string) (Schedule, error) {
	sc, err := s.get(ctx, tenant, name)
	if err != nil {
		return Schedule{}, err
	}
	return s.withStatus(ctx, tenant, sc), nil
}

func (s *Service) get(ctx context.Context, tenant, name string) (Schedule, error) {
	if !nameRE.MatchString(name) {
		return Schedule{}, NotFound(name)
	}
	e, err := s.defs.Get(ctx, key(tenant, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Schedule{}, NotFound(name)
	} else if err != nil {
		return Schedule{}, fmt.Errorf("schedule: get %s: %w", name, err)
	}
	var sc Schedule
	if err := json.Unmarshal(e.Value(), &sc); err != nil {
		return Schedule{}, fmt.Errorf("schedule: decode %s: %w", e.Key(), err)
	}
	sc.revision = e.Revision()
	return sc, nil
}

// List returns tenant's schedules by name.
func (s *Service) List(ctx context.Context, tenant string) ([]Schedule, error) {
	names, err := s.names(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := []Schedule{}
	for _, n := range names {
		sc, err := s.Get(ctx, tenant, n)
		if fn.IsNotFound(err) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// names lists tenant's schedule names ("" tenant: every key).
func (s *Service) names(ctx context.Context, tenant string) ([]string, error) {
	filter := ">"
	if tenant != "" {
		filter = tenant + ".*"
	}
	lister, err := s.defs.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("schedule: list: %w", err)
	}
	var out []string
	for k := range lister.Keys() {
		if tenant != "" {
			_, k = splitKey(k)
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// Update replaces tenant's schedule name with sc (its name, creation and
// owner kept). Recurring ticks count from now on.
func (s *Service) Update(ctx context.Context, tenant, name string, sc Schedule) (Schedule, error) {
	sc.Name = name
	if err := s.check(ctx, tenant, &sc); err != nil {
		return Schedule{}, err
	}
	return s.change(ctx, tenant, name, func(old *Schedule) error {
		sc.Owner = old.Owner
		sc.ARN, sc.Created = old.ARN, old.Created
		*old = sc
		return nil
	})
}

// SetState pauses (DISABLED) or resumes (ENABLED) a schedule; a resumed
// one fires from now on, not the ticks it missed while paused.
func (s *Service) SetState(ctx context.Context, tenant, name, state string) (Schedule, error) {
	if state != StateEnabled && state != StateDisabled {
		return Schedule{}, fn.Validation("state is ENABLED or DISABLED, not %q", state)
	}
	return s.change(ctx, tenant, name, func(sc *Schedule) error {
		if sc.State == StateCompleted {
			return fn.Conflict("Schedule %s is COMPLETED (a one-time schedule that fired): give it a new at() expression to use it again", name)
		}
		sc.State = state
		return nil
	})
}

// change updates a schedule by compare-and-set, running f again on a
// newer definition when another writer got there first.
func (s *Service) change(ctx context.Context, tenant, name string, f func(*Schedule) error) (Schedule, error) {
	for {
		sc, err := s.get(ctx, tenant, name)
		if err != nil {
			return Schedule{}, err
		}
		rev := sc.revision
		if err := f(&sc); err != nil {
			return Schedule{}, err
		}
		now := s.cfg.Now().UTC()
		sc.LastModified, sc.Since = now, now
		sc.LastTick, sc.NextTick, sc.Fired, sc.Skipped, sc.Dropped = nil, nil, 0, 0, 0
		data, _ := json.Marshal(sc)
		rev, err = s.defs.Update(ctx, key(tenant, name), data, rev)
		if isWrongRevision(err) {
			continue
		} else if err != nil {
			return Schedule{}, fmt.Errorf("schedule: update %s: %w", name, err)
		}
		sc.revision = rev
		s.cache.putDef(key(tenant, name), &sc, rev)
		s.log.Info("schedule changed", "tenant", tenant, "schedule", name, "state", sc.State, "expression", sc.Expression)
		return s.withStatus(ctx, tenant, sc), nil
	}
}

// Delete removes tenant's schedule and its firing state.
func (s *Service) Delete(ctx context.Context, tenant, name string) error {
	if _, err := s.get(ctx, tenant, name); err != nil {
		return err
	}
	if err := s.defs.Delete(ctx, key(tenant, name)); err != nil {
		return fmt.Errorf("schedule: delete %s: %w", name, err)
	}
	if err := s.state.Delete(ctx, key(tenant, name)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("schedule: delete %s: %w", name, err)
	}
	s.log.Info("schedule deleted", "tenant", tenant, "schedule", name)
	return nil
}

// withStatus fills in the last and next tick and the count fired.
func (s *Service) withStatus(ctx context.Context, tenant string, sc Schedule) Schedule {
	st, _, err := s.readState(ctx, key(tenant, sc.Name))
	if err != nil {
		s.log.Warn("reading a schedule's state failed", "schedule", sc.Name, "err", err)
		return sc
	}
	if !st.Last.IsZero() {
		last := st.Last
		sc.LastTick = &last
	}
	sc.Fired, sc.Skipped, sc.Dropped = st.Fired, st.Skipped, st.Dropped
	if sc.State == StateEnabled {
		if e, loc, err := sc.Validate(); err == nil {
			if ticks := upcoming(&sc, e, loc, st, 1); len(ticks) > 0 {
				next := ticks[0].UTC()
				sc.NextTick = &next
			}
		}
	}
	return sc
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}
