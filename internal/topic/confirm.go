package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// HTTP/S subscriptions are pending until confirmed with the token their
// SubscriptionConfirmation message carried: by ConfirmSubscription
// (signed) or by the SubscribeURL (unsigned: the token is the secret).

// tokenRef is what a confirmation token, stored under "c.TOKEN", names:
// the subscription it confirms, so that the SubscribeURL works without a
// signature (the token is the secret).
type tokenRef struct {
	Tenant          string `json:"tenant"`
	SubscriptionARN string `json:"subscription_arn"`
}

func tokenKey(token string) string { return "c." + token }

var tokenRE = regexp.MustCompile(`^[0-9a-f]{128}$`)

// ConfirmSubscription confirms the pending HTTP/S subscription of
// tenant's topic that was sent token, and returns it.
func (s *Service) ConfirmSubscription(ctx context.Context, tenant, topicARN, token string) (*Subscription, error) {
	return s.confirm(ctx, tenant, topicARN, token, true)
}

// ConfirmByToken confirms a subscription with its token alone, as SNS's
// SubscribeURL does without a signature; ConfirmationWasAuthenticated is
// then false.
func (s *Service) ConfirmByToken(ctx context.Context, topicARN, token string) (*Subscription, error) {
	ref, err := s.lookupToken(ctx, topicARN, token)
	if err != nil {
		return nil, err
	}
	return s.confirm(ctx, ref.Tenant, topicARN, token, false)
}

// lookupToken returns what a confirmation token names.
func (s *Service) lookupToken(ctx context.Context, topicARN, token string) (tokenRef, error) {
	var ref tokenRef
	if !tokenRE.MatchString(token) {
		return ref, invalidToken(topicARN)
	}
	e, err := s.kv.Get(ctx, tokenKey(token))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ref, invalidToken(topicARN)
	} else if err != nil {
		return ref, fmt.Errorf("topic: read token reference: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &ref); err != nil {
		return ref, fmt.Errorf("topic: decode token reference: %w", err)
	}
	return ref, nil
}

func invalidToken(topicARN string) error {
	return fn.InvalidParameter("Invalid token: no pending subscription of %s was sent this token", topicARN)
}

func (s *Service) confirm(ctx context.Context, tenant, topicARN, token string, authenticated bool) (*Subscription, error) {
	ref, err := s.lookupToken(ctx, topicARN, token)
	if err != nil {
		return nil, err
	}
	if ref.Tenant != tenant || !strings.HasPrefix(ref.SubscriptionARN, topicARN+":") {
		return nil, invalidToken(topicARN)
	}
	return s.updateSubscription(ctx, tenant, ref.SubscriptionARN, func(sub *Subscription) error {
		if sub.Token != token {
			return invalidToken(topicARN)
		}
		if sub.Pending {
			sub.Pending, sub.Authenticated = false, authenticated
		}
		return nil
	})
}
