package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// DefaultTenant is the tenant of the admin key created on first start.
const DefaultTenant = "default"

// keyPrefix starts every API key, so a key is recognisable in a config file
// or a leak scanner; 32 random bytes in hex follow it.
const keyPrefix = "upd_"

const keyLen = len(keyPrefix) + 2*32

// keyRecord is what the apikeys bucket stores under sha256(key): never the
// key itself.
type keyRecord struct {
	Tenant  string    `json:"tenant"`
	Created time.Time `json:"created"`
	// Scope is what the key may do; "" (keys of older versions) is
	// fn.ScopeAdmin.
	Scope       string `json:"scope,omitempty"`
	ID          string `json:"id,omitempty"` // the paired access key id, or "" for a lone key (loneKeyID)
	Description string `json:"description,omitempty"`
}

// loneKeyID names an API key made without an access key pair (the admin
// key file's): KEY- and the start of its hash.
func loneKeyID(hash string) string { return "KEY-" + strings.ToUpper(hash[:16]) }

func (k keyRecord) identity(hash string) Identity {
	id := k.ID
	if id == "" {
		id = loneKeyID(hash)
	}
	return Identity{Tenant: k.Tenant, Scope: scopeOr(k.Scope), KeyID: id}
}

func scopeOr(s string) string {
	if s == "" {
		return fn.ScopeAdmin
	}
	return s
}

// CreateAPIKey makes a new admin API key for tenant (no access key pair)
// and returns it. Only its sha256 is stored: the key cannot be shown again.
func (r *Registry) CreateAPIKey(ctx context.Context, tenant string) (string, error) {
	key, _, err := r.createAPIKey(ctx, keyRecord{Tenant: tenant, Scope: fn.ScopeAdmin})
	return key, err
}

// createAPIKey stores a new API key with rec (Created set here) and
// returns it with its hash.
func (r *Registry) createAPIKey(ctx context.Context, rec keyRecord) (key, hash string, err error) {
	if err := fn.ValidateTenant(rec.Tenant); err != nil {
		return "", "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("registry: random key: %w", err)
	}
	key = keyPrefix + hex.EncodeToString(b[:])
	rec.Created = time.Now().UTC()
	data, err := json.Marshal(rec)
	if err != nil {
		return "", "", fmt.Errorf("registry: encode key record: %w", err)
	}
	h := hashKey(key)
	if _, err := r.apiKeys.Create(ctx, h, data); err != nil {
		return "", "", fmt.Errorf("registry: store API key for tenant %s: %w", rec.Tenant, err)
	}
	r.keysMu.Lock()
	r.keys[h] = rec.identity(h)
	r.keysMu.Unlock()
	return key, h, nil
}

// Authenticate returns the tenant of key (see APIKeyIdentity).
func (r *Registry) Authenticate(ctx context.Context, key string) (string, error) {
	id, err := r.APIKeyIdentity(ctx, key)
	return id.Tenant, err
}

// APIKeyIdentity returns whose key is and what it may do. Known keys are
// answered from memory (a revoked key leaves memory on every node at once,
// keys.go); an unknown or malformed key is a 401
// UnrecognizedClientException.
func (r *Registry) APIKeyIdentity(ctx context.Context, key string) (Identity, error) {
	if key == "" {
		return Identity{}, unrecognized("no API key: send the header Authorization: Bearer <API key>")
	}
	if len(key) != keyLen || !strings.HasPrefix(key, keyPrefix) {
		return Identity{}, unrecognized("the API key is malformed: Updraft keys look like upd_ followed by 64 hex digits")
	}
	h := hashKey(key)
	r.keysMu.RLock()
	id, ok := r.keys[h]
	r.keysMu.RUnlock()
	if ok {
		return id, nil
	}
	e, err := r.apiKeys.Get(ctx, h)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Identity{}, unrecognized("the API key is not known here (or was revoked)")
	}
	if err != nil {
		return Identity{}, fmt.Errorf("registry: look up API key: %w", err)
	}
	var rec keyRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return Identity{}, fmt.Errorf("registry: API key record %s…: %w", h[:12], err)
	}
	if rec.Tenant == "" {
		return Identity{}, fmt.Errorf("registry: API key record %s… has no tenant", h[:12])
	}
	id = rec.identity(h)
	r.keysMu.Lock()
	r.keys[h] = id
	r.keysMu.Unlock()
	return id, nil
}

// EnsureAdminKey makes sure the file at path holds a working API key of the
// default tenant. If the file's key is known it returns false. With no file
// it creates a key, writes it and its newline to path with mode 0600 (the
// directory 0700) and returns true. A file whose key this store does not
// know is replaced (the old file kept as path.old, with a warning) only when
// the store holds no API key at all; when it holds others, the admin key
// was lost or the file belongs to another store, and EnsureAdminKey refuses
// rather than hide that with a new key.
func (r *Registry) EnsureAdminKey(ctx context.Context, path string) (created bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if _, aerr := r.Authenticate(ctx, strings.TrimSpace(string(data))); aerr == nil {
			return false, nil
		} else if !isUnrecognized(aerr) {
			return false, aerr
		}
		keys, err := kvEntries(ctx, r.js, apiKeysBucket)
		if err != nil {
			return false, err
		}
		if len(keys) > 0 {
			dir := filepath.Dir(path)
			return false, fmt.Errorf("the admin key in %s is not in this store, which holds %d other API keys: "+
				"the store lost it, or the file belongs to another data directory. Nothing was changed. "+
				"Run `updraft admin check --data-dir %s` to see what else is damaged; to make a new admin key, "+
				"move %s away and start again (the other keys keep working)", path, len(keys), dir, path)
		}
		old := path + ".old"
		if err := os.Rename(path, old); err != nil {
			return false, fmt.Errorf("registry: keep the unknown admin key as %s: %w", old, err)
		}
		r.log.Warn("the admin key file holds a key this store does not know, and the store holds no API key: writing a new admin key",
			"path", path, "old_key_kept_in", old)
	case !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("registry: read admin key %s: %w", path, err)
	}
	key, err := r.CreateAPIKey(ctx, DefaultTenant)
	if err != nil {
		return false, err
	}
	if err := writeKeyFile(path, key); err != nil {
		return false, err
	}
	return true, nil
}

// writeKeyFile replaces path with key+"\n", mode 0600, atomically.
func writeKeyFile(path, key string) error {
	return writeFileAtomic(path, []byte(key+"\n"))
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// unrecognized is the 401 every failed authentication returns, with how to
// get a working key.
func unrecognized(why string) *fn.Error {
	return fn.Errorf(http.StatusUnauthorized, fn.TypeUnrecognizedClient,
		"%s. The admin API key is in <data-dir>/admin.key (`updraft serve` prints its path at start); pass it as Authorization: Bearer <key>", why)
}

func isUnrecognized(err error) bool {
	var e *fn.Error
	return errors.As(err, &e) && e.Type == fn.TypeUnrecognizedClient
}
