package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// KeysBucket holds the API keys of routes with auth "apikey", keyed by the
// SHA-256 of the key (the key itself is shown once, at creation).
const KeysBucket = "HTTP_API_KEYS"

// APIKey is a key callers send in x-api-key, with its usage plan.
type APIKey struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	// Rate is the steady requests per second allowed and Burst the
	// bucket's size (0: no rate limit).
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// QuotaPerDay caps requests per UTC day (0: none).
	QuotaPerDay int64     `json:"quotaPerDay,omitempty"`
	Created     time.Time `json:"created"`
	hash        string
}

// NewAPIKey is a created key with its secret value.
type NewAPIKey struct {
	APIKey
	Value string `json:"value"`
}

func hashKey(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// CreateKey makes an API key for tenant's routes with a usage plan.
func (s *Service) CreateKey(ctx context.Context, tenant string, plan APIKey) (NewAPIKey, error) {
	if plan.Rate < 0 || plan.Burst < 0 || plan.QuotaPerDay < 0 {
		return NewAPIKey{}, fn.InvalidParameter("rate, burst and quota per day must not be negative")
	}
	if plan.Rate > 0 && plan.Burst == 0 {
		plan.Burst = max(1, int(plan.Rate))
	}
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return NewAPIKey{}, fmt.Errorf("httpapi: key: %w", err)
	}
	value := "uk-" + hex.EncodeToString(raw)
	k := APIKey{ID: hex.EncodeToString(raw[:6]), Tenant: tenant, Rate: plan.Rate, Burst: plan.Burst,
		QuotaPerDay: plan.QuotaPerDay, Created: s.cfg.Now().UTC()}
	data, err := json.Marshal(k)
	if err != nil {
		return NewAPIKey{}, fmt.Errorf("httpapi: encode key: %w", err)
	}
	hash := hashKey(value)
	if _, err := s.keys.Create(ctx, hash, data); err != nil {
		return NewAPIKey{}, fmt.Errorf("httpapi: store key: %w", err)
	}
	s.awaitApplied(ctx, func() bool { return (*s.apiKeys.Load())[hash] != nil })
	return NewAPIKey{APIKey: k, Value: value}, nil
}

// ListKeys returns tenant's API keys (without their values), oldest first.
func (s *Service) ListKeys(tenant string) []APIKey {
	out := []APIKey{}
	for _, k := range *s.apiKeys.Load() {
		if k.Tenant == tenant {
			out = append(out, *k)
		}
	}
	slices.SortFunc(out, func(a, b APIKey) int { return a.Created.Compare(b.Created) })
	return out
}

// DeleteKey removes tenant's API key id.
func (s *Service) DeleteKey(ctx context.Context, tenant, id string) error {
	for h, k := range *s.apiKeys.Load() {
		if k.Tenant == tenant && k.ID == id {
			if err := s.keys.Purge(ctx, h); err != nil {
				return fmt.Errorf("httpapi: delete key %s: %w", id, err)
			}
			return nil
		}
	}
	return fn.NotFound("no API key %q (list them with `updraft route key ls`)", id)
}

// keyChanged applies one change of the keys bucket to the cache.
func (s *Service) keyChanged(hash string, value []byte, _ uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.apiKeys.Load()
	next := make(map[string]*APIKey, len(old)+1)
	for h, k := range old {
		next[h] = k
	}
	delete(next, hash)
	if value != nil {
		var k APIKey
		if err := json.Unmarshal(value, &k); err != nil {
			s.cfg.Log.Error("an unreadable API key is not accepted", "err", err)
		} else {
			k.hash = hash
			next[hash] = &k
		}
	}
	s.apiKeys.Store(&next)
}

// checkAPIKey admits a request to tenant's route by its x-api-key: 403
// Forbidden without a valid key of the tenant, 429 over the key's rate or
// daily quota.
func (s *Service) checkAPIKey(tenant string, h http.Header) error {
	value := strings.TrimSpace(h.Get("X-Api-Key"))
	if value == "" {
		return invalid(http.StatusForbidden, "Forbidden", "missing x-api-key header")
	}
	k := (*s.apiKeys.Load())[hashKey(value)]
	if k == nil || k.Tenant != tenant {
		return invalid(http.StatusForbidden, "Forbidden", "invalid API key")
	}
	return s.meter.admit(k)
}
