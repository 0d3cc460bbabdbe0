package tables

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TokenBucket remembers TransactWriteItems' ClientRequestTokens for
// TokenTTL, DynamoDB's idempotency window.
const (
	TokenBucket = "TABLE_TOKENS"
	TokenTTL    = 10 * time.Minute
)

func (s *Store) tokens(ctx context.Context) (jetstream.KeyValue, error) {
	s.tokenOnce.Do(func() {
		s.tokenKV, s.tokenErr = s.st.KV(ctx, jetstream.KeyValueConfig{Bucket: TokenBucket, Description: "TransactWriteItems client request tokens", History: 1, TTL: TokenTTL})
	})
	return s.tokenKV, s.tokenErr
}

func tokenKey(tenant, token string) string {
	sum := sha256.Sum256([]byte(token))
	return tenant + "." + hex.EncodeToString(sum[:])
}

// SeenToken reports whether tenant's transaction with token and request
// digest already succeeded within TokenTTL; the same token with another
// request is IdempotentParameterMismatchException.
func (s *Store) SeenToken(ctx context.Context, tenant, token, digest string) (bool, error) {
	kv, err := s.tokens(ctx)
	if err != nil {
		return false, fmt.Errorf("tables: tokens: %w", err)
	}
	e, err := kv.Get(ctx, tokenKey(tenant, token))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("tables: token: %w", err)
	}
	if string(e.Value()) != digest {
		return false, fn.Errorf(http.StatusBadRequest, TypeIdempotentParameter,
			"Request with the ClientRequestToken %q already used for a different request: use a new token", token)
	}
	return true, nil
}

// RememberToken records that tenant's transaction with token succeeded.
func (s *Store) RememberToken(ctx context.Context, tenant, token, digest string) error {
	kv, err := s.tokens(ctx)
	if err != nil {
		return fmt.Errorf("tables: tokens: %w", err)
	}
	if _, err := kv.Put(ctx, tokenKey(tenant, token), []byte(digest)); err != nil {
		return fmt.Errorf("tables: token: %w", err)
	}
	return nil
}
