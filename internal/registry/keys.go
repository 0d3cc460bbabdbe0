package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Keys: each `updraft keys create` makes an API key (Bearer) and an access
// key pair (SigV4) together, of one tenant and one scope; they are listed
// and revoked together by the access key id. API keys are stored hashed,
// secrets sealed; memory caches of known keys are evicted on every node as
// soon as a key's record is deleted (watchKeys), so a revoked key fails at
// once.

// Identity is who a key speaks for.
type Identity struct {
	Tenant string
	Scope  string // fn.Scope*
	KeyID  string // the access key id (or KEY-… for a lone API key)
}

// KeySpec is a key to create.
type KeySpec struct {
	Tenant      string
	Scope       string // "" is fn.ScopeAdmin
	Description string
}

// KeyInfo is a key as listed: never its secrets.
type KeyInfo struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	Scope       string    `json:"scope"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	APIKey      bool      `json:"apiKey"`    // an API key belongs to it
	AccessKey   bool      `json:"accessKey"` // an access key pair belongs to it
}

// CreateKey makes an API key and an access key pair of spec's tenant,
// which must exist. The secrets are returned only here.
func (r *Registry) CreateKey(ctx context.Context, spec KeySpec) (*Key, error) {
	spec.Scope = scopeOr(spec.Scope)
	if err := fn.ValidateScope(spec.Scope); err != nil {
		return nil, err
	}
	if len(spec.Description) > 256 {
		return nil, fn.InvalidParameter("a key's description is at most 256 characters")
	}
	if _, err := r.GetTenant(ctx, spec.Tenant); err != nil {
		return nil, err
	}
	id, secret, err := r.createAccessKey(ctx, accessKeyRecord{Tenant: spec.Tenant, Scope: spec.Scope, Description: spec.Description})
	if err != nil {
		return nil, err
	}
	apiKey, hash, err := r.createAPIKey(ctx, keyRecord{Tenant: spec.Tenant, Scope: spec.Scope, ID: id, Description: spec.Description})
	if err != nil {
		return nil, err
	}
	// Link the pair to its API key so that revoking one revokes both.
	if _, err := r.updateAccessRecord(ctx, id, func(rec *accessKeyRecord) { rec.APIKeyHash = hash }); err != nil {
		return nil, err
	}
	return &Key{Tenant: spec.Tenant, AccountID: fn.AccountID(spec.Tenant), APIKey: apiKey, AccessKeyID: id,
		SecretAccessKey: secret, Scope: spec.Scope, Description: spec.Description}, nil
}

func (r *Registry) updateAccessRecord(ctx context.Context, id string, change func(*accessKeyRecord)) (*accessKeyRecord, error) {
	e, err := r.accessKeys.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("registry: access key %s: %w", id, err)
	}
	var rec accessKeyRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, fmt.Errorf("registry: access key record %s: %w", id, err)
	}
	change(&rec)
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if _, err := r.accessKeys.Update(ctx, id, data, e.Revision()); err != nil {
		return nil, fmt.Errorf("registry: update access key %s: %w", id, err)
	}
	return &rec, nil
}

// AccessKeyIdentity returns whose access key id is and what it may do.
func (r *Registry) AccessKeyIdentity(ctx context.Context, id string) (Identity, error) {
	if _, _, err := r.AccessKey(ctx, id); err != nil {
		return Identity{}, err
	}
	r.keysMu.RLock()
	k, ok := r.access[id]
	r.keysMu.RUnlock()
	if !ok { // revoked in between
		return Identity{}, unrecognized("the access key is not known here (or was revoked)")
	}
	return Identity{Tenant: k.tenant, Scope: k.scope, KeyID: id}, nil
}

// ListKeys lists tenant's keys ("" for every tenant's), oldest first.
func (r *Registry) ListKeys(ctx context.Context, tenant string) ([]KeyInfo, error) {
	apiKeys, err := kvEntries(ctx, r.js, apiKeysBucket)
	if err != nil {
		return nil, err
	}
	access, err := kvEntries(ctx, r.js, accessKeyBucket)
	if err != nil {
		return nil, err
	}
	byID := map[string]*KeyInfo{}
	for hash, v := range apiKeys {
		var rec keyRecord
		if json.Unmarshal(v, &rec) != nil || (tenant != "" && rec.Tenant != tenant) {
			continue
		}
		id := rec.identity(hash)
		byID[id.KeyID] = &KeyInfo{ID: id.KeyID, Tenant: rec.Tenant, Scope: id.Scope, Description: rec.Description, Created: rec.Created, APIKey: true}
	}
	for id, v := range access {
		var rec accessKeyRecord
		if json.Unmarshal(v, &rec) != nil || (tenant != "" && rec.Tenant != tenant) {
			continue
		}
		if k, ok := byID[id]; ok {
			k.AccessKey = true
			continue
		}
		byID[id] = &KeyInfo{ID: id, Tenant: rec.Tenant, Scope: scopeOr(rec.Scope), Description: rec.Description, Created: rec.Created, AccessKey: true}
	}
	out := make([]KeyInfo, 0, len(byID))
	for _, k := range byID {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// RevokeKey deletes the key id of tenant ("" for any tenant: the platform
// admin) — its API key and its access key pair. Another tenant's key is a
// 404, as an unknown one.
func (r *Registry) RevokeKey(ctx context.Context, tenant, id string) error {
	keys, err := r.ListKeys(ctx, tenant)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID != id {
			continue
		}
		if k.AccessKey {
			if err := r.accessKeys.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("registry: revoke access key %s: %w", id, err)
			}
			r.evictAccess(id)
		}
		if k.APIKey {
			hash, err := r.apiKeyHash(ctx, id)
			if err != nil {
				return err
			}
			if err := r.apiKeys.Delete(ctx, hash); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("registry: revoke API key %s: %w", id, err)
			}
			r.evictAPIKey(hash)
		}
		return nil
	}
	return fn.NotFound("key %s does not exist (list keys with `updraft keys ls`)", id)
}

// apiKeyHash finds the stored hash of the API key with id.
func (r *Registry) apiKeyHash(ctx context.Context, id string) (string, error) {
	entries, err := kvEntries(ctx, r.js, apiKeysBucket)
	if err != nil {
		return "", err
	}
	for hash, v := range entries {
		var rec keyRecord
		if json.Unmarshal(v, &rec) == nil && rec.identity(hash).KeyID == id {
			return hash, nil
		}
	}
	return "", fn.NotFound("key %s has no API key", id)
}

func (r *Registry) evictAccess(id string) {
	r.keysMu.Lock()
	delete(r.access, id)
	r.keysMu.Unlock()
}

func (r *Registry) evictAPIKey(hash string) {
	r.keysMu.Lock()
	delete(r.keys, hash)
	r.keysMu.Unlock()
}

// watchKeys evicts keys deleted on any node from this node's caches, and
// keeps the tenants' quotas in memory, until the watchers stop.
func (r *Registry) watchKeys() error {
	type watch struct {
		kv jetstream.KeyValue
		on func(jetstream.KeyValueEntry)
	}
	for _, w := range []watch{
		{r.apiKeys, func(e jetstream.KeyValueEntry) {
			if e.Operation() != jetstream.KeyValuePut {
				r.evictAPIKey(e.Key())
			}
		}},
		{r.accessKeys, func(e jetstream.KeyValueEntry) {
			if e.Operation() != jetstream.KeyValuePut {
				r.evictAccess(e.Key())
			}
		}},
		{r.tenants, func(e jetstream.KeyValueEntry) {
			var t Tenant
			if e.Operation() == jetstream.KeyValuePut && json.Unmarshal(e.Value(), &t) == nil {
				r.setQuotas(e.Key(), t.Quotas)
			} else {
				r.setQuotas(e.Key(), fn.Quotas{})
			}
		}},
	} {
		kw, err := w.kv.WatchAll(context.Background())
		if err != nil {
			return fmt.Errorf("registry: watch keys: %w", err)
		}
		r.keyWatchers = append(r.keyWatchers, kw)
		r.keyWatchWG.Add(1)
		go func(kw jetstream.KeyWatcher, on func(jetstream.KeyValueEntry)) {
			defer r.keyWatchWG.Done()
			for e := range kw.Updates() {
				if e != nil {
					on(e)
				}
			}
		}(kw, w.on)
	}
	return nil
}

func (r *Registry) stopKeyWatchers() error {
	var first error
	for _, kw := range r.keyWatchers {
		if err := kw.Stop(); err != nil && first == nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
			first = fmt.Errorf("registry: stop key watcher: %w", err)
		}
	}
	r.keyWatchWG.Wait()
	return first
}

// keyActive reports whether key id (an access key id, or KEY-… for a lone
// API key) still exists: sessions made from a key end with it. Known keys
// answer from memory.
func (r *Registry) keyActive(id string) bool {
	r.keysMu.RLock()
	_, ok := r.access[id]
	if !ok {
		for _, k := range r.keys {
			if k.KeyID == id {
				ok = true
				break
			}
		}
	}
	r.keysMu.RUnlock()
	if ok {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if strings.HasPrefix(id, accessKeyPrefix) {
		_, _, err := r.AccessKey(ctx, id)
		return err == nil
	}
	_, err := r.apiKeyHash(ctx, id)
	return err == nil
}
