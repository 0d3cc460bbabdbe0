package mail

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// RoutesBucket holds every mail route, keyed by its recipient: an address
// or a domain is routed by one tenant at most, across all tenants.
const RoutesBucket = "MAIL_ROUTES"

// Route sends the mail for a recipient to a function.
type Route struct {
	// Recipient is an address ("help@example.com") or a domain
	// ("@example.com"), lower-case.
	Recipient string `json:"recipient"`
	Tenant    string `json:"tenant"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	// Owner is "" for a route made through the API or CLI and
	// "yaml:FUNCTION" for one FUNCTION's updraft.yaml declares.
	Owner   string    `json:"owner,omitempty"`
	Created time.Time `json:"created"`
}

// yamlOwner marks the routes a function's updraft.yaml declares.
func yamlOwner(function string) string { return "yaml:" + function }

// Routes keeps the mail routes in JetStream KV.
type Routes struct {
	kv jetstream.KeyValue
}

// OpenRoutes opens (or creates) the routes bucket.
func OpenRoutes(ctx context.Context, st *store.Store) (*Routes, error) {
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: RoutesBucket, Description: "inbound mail routes", History: 1})
	if err != nil {
		return nil, fmt.Errorf("mail: routes: %w", err)
	}
	return &Routes{kv: kv}, nil
}

// routeKey makes a key-safe name of a normalized recipient.
func routeKey(recipient string) string {
	return "r." + base64.RawURLEncoding.EncodeToString([]byte(recipient))
}

func routeNotFound(recipient string) error {
	return fn.NotFound("no mail route for %s: list yours with `updraft mail route ls`", recipient)
}

func routedElsewhere(recipient string) error {
	return fn.Conflict("%s is already routed by another tenant: an address or domain is routed by one tenant only", recipient)
}

// get returns the route of a normalized recipient, nil when none.
func (rs *Routes) get(ctx context.Context, recipient string) (*Route, uint64, error) {
	e, err := rs.kv.Get(ctx, routeKey(recipient))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, fmt.Errorf("mail: route %s: %w", recipient, err)
	}
	var r Route
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("mail: route %s is unreadable: %w", recipient, err)
	}
	return &r, e.Revision(), nil
}

// put stores r unless another tenant routes its recipient (409); an
// existing route of r's tenant is replaced when replace allows it.
func (rs *Routes) put(ctx context.Context, r Route, replace func(old *Route) error) error {
	key := routeKey(r.Recipient)
	for {
		old, rev, err := rs.get(ctx, r.Recipient)
		if err != nil {
			return err
		}
		if old != nil {
			if old.Tenant != r.Tenant {
				return routedElsewhere(r.Recipient)
			}
			if err := replace(old); err != nil {
				return err
			}
			if old.Function == r.Function && old.Qualifier == r.Qualifier && old.Owner == r.Owner {
				return nil
			}
			r.Created = old.Created
		}
		if r.Created.IsZero() {
			r.Created = time.Now().UTC()
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("mail: encode route: %w", err)
		}
		if old == nil {
			_, err = rs.kv.Create(ctx, key, data)
		} else {
			_, err = rs.kv.Update(ctx, key, data, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // changed meanwhile: decide again on the newer route
		}
		if err != nil {
			return fmt.Errorf("mail: store route %s: %w", r.Recipient, err)
		}
		return nil
	}
}

// delete removes tenant's route of a normalized recipient when keep says
// so; another tenant's route is not found.
func (rs *Routes) delete(ctx context.Context, tenant, recipient string, drop func(*Route) bool) error {
	old, rev, err := rs.get(ctx, recipient)
	if err != nil {
		return err
	}
	if old == nil || old.Tenant != tenant {
		return routeNotFound(recipient)
	}
	if !drop(old) {
		return nil
	}
	err = rs.kv.Delete(ctx, routeKey(recipient), jetstream.LastRevision(rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("mail: delete route %s: %w", recipient, err)
	}
	return nil
}

// List returns tenant's routes by recipient.
func (rs *Routes) List(ctx context.Context, tenant string) ([]Route, error) {
	return rs.list(ctx, func(r *Route) bool { return r.Tenant == tenant })
}

func (rs *Routes) list(ctx context.Context, keep func(*Route) bool) ([]Route, error) {
	lister, err := rs.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail: list routes: %w", err)
	}
	out := []Route{}
	for k := range lister.Keys() {
		e, err := rs.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, fmt.Errorf("mail: list routes: %w", err)
		}
		var r Route
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, fmt.Errorf("mail: route %s is unreadable: %w", k, err)
		}
		if keep(&r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Recipient, b.Recipient) })
	return out, nil
}

// Match returns the route of an envelope recipient: its address's own
// route, else its domain's; nil when neither exists.
func (rs *Routes) Match(ctx context.Context, addr string) (*Route, error) {
	a, err := normalizeAddress(addr)
	if err != nil {
		return nil, nil // a malformed address has no route: it is unknown
	}
	r, _, err := rs.get(ctx, a)
	if r != nil || err != nil {
		return r, err
	}
	r, _, err = rs.get(ctx, domainOf(a))
	return r, err
}
