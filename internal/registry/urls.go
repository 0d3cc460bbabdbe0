package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// PutURL records that function URL id leads to ref.
func (r *Registry) PutURL(ctx context.Context, id string, ref fn.URLRef) error {
	data, err := json.Marshal(ref)
	if err != nil {
		return fmt.Errorf("registry: encode url: %w", err)
	}
	if _, err := r.urls.Put(ctx, id, data); err != nil {
		return fmt.Errorf("registry: store url %s: %w", id, err)
	}
	return nil
}

// GetURL returns where function URL id leads; an unknown id is a 404.
func (r *Registry) GetURL(ctx context.Context, id string) (*fn.URLRef, error) {
	e, err := r.urls.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return nil, fn.NotFound("no function URL %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: read url %s: %w", id, err)
	}
	ref := new(fn.URLRef)
	if err := json.Unmarshal(e.Value(), ref); err != nil {
		return nil, fmt.Errorf("registry: decode url %s: %w", id, err)
	}
	return ref, nil
}

// DeleteURL removes function URL id.
func (r *Registry) DeleteURL(ctx context.Context, id string) error {
	if err := r.urls.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("registry: delete url %s: %w", id, err)
	}
	return nil
}
