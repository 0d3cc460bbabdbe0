package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// apiPrefix keys a tenant's API-wide settings in the routes bucket
// ("_api.TENANT"): no tenant is named "_api".
const apiPrefix = "_api."

// APISettings are a tenant's API-wide settings.
type APISettings struct {
	// CORS applies to every route without a CORS configuration of its
	// own, and answers preflights of any path.
	CORS *CORS `json:"cors,omitempty"`
}

// SetCORS sets tenant's API-wide CORS configuration (nil removes it).
func (s *Service) SetCORS(ctx context.Context, tenant string, cors *CORS) error {
	if cors == nil {
		if err := s.routes.Purge(ctx, apiPrefix+tenant); err != nil {
			return fmt.Errorf("httpapi: remove the API's CORS: %w", err)
		}
		s.awaitApplied(ctx, func() bool { return s.Table(tenant) == nil || s.Table(tenant).cors == nil })
		return nil
	}
	probe := Route{Key: DefaultKey, Function: "-", CORS: cors}
	if err := probe.Validate(); err != nil {
		return fn.InvalidParameter("the API's CORS configuration: %v", fn.AsError(err).Message)
	}
	data, err := json.Marshal(APISettings{CORS: cors})
	if err != nil {
		return fmt.Errorf("httpapi: encode the API's settings: %w", err)
	}
	rev, err := s.routes.Put(ctx, apiPrefix+tenant, data)
	if err != nil {
		return fmt.Errorf("httpapi: store the API's settings: %w", err)
	}
	s.awaitApplied(ctx, func() bool { return s.appliedRev.Load() >= rev })
	return nil
}

// Settings returns tenant's API-wide settings.
func (s *Service) Settings(ctx context.Context, tenant string) (APISettings, error) {
	e, err := s.routes.Get(ctx, apiPrefix+tenant)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return APISettings{}, nil
	} else if err != nil {
		return APISettings{}, fmt.Errorf("httpapi: the API's settings: %w", err)
	}
	var a APISettings
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return APISettings{}, fmt.Errorf("httpapi: the API's settings are unreadable: %w", err)
	}
	return a, nil
}

// apiChanged applies a change of tenant's API-wide settings.
func (s *Service) apiChanged(tenant string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.apiCORS, tenant)
	if value != nil {
		var a APISettings
		if err := json.Unmarshal(value, &a); err != nil {
			s.cfg.Log.Error("unreadable API settings are ignored", "tenant", tenant, "err", err)
		} else if a.CORS != nil {
			s.apiCORS[tenant] = a.CORS
		}
	}
	s.rebuildLocked(tenant)
}
