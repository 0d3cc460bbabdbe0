package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
)

// DefaultAuthorizerTTL is how long a Lambda authorizer's answer is cached
// per identity when the route does not say.
const DefaultAuthorizerTTL = 300 * time.Second

// authorizerCacheMax bounds the cache; past it, expired answers go first,
// then everything.
const authorizerCacheMax = 10000

// Authorize runs c's authorizer for the request r of tenant: nil with no
// authorizer, what the function learns in requestContext.authorizer, or
// an *Invalid (401, 403, 429) to answer instead of invoking. in describes
// the request as for its event (the Lambda authorizer gets it).
func (s *Service) Authorize(ctx context.Context, tenant string, c *Compiled, r *http.Request, in event.HTTPRequestInput) (*event.HTTPAuthorizer, error) {
	switch c.Auth.Type {
	case AuthAPIKey:
		return nil, s.checkAPIKey(tenant, r.Header)
	case AuthJWT:
		return verifyJWT(ctx, c.Auth.JWT, s.jwks, r.Header, s.cfg.Now())
	case AuthFunction:
		return s.lambdaAuthorize(ctx, tenant, c, r, in)
	}
	return nil, nil
}

// authorizerCache keeps Lambda authorizers' answers by identity.
type authorizerCache struct {
	mu      sync.Mutex
	answers map[string]authorizerAnswer
}

type authorizerAnswer struct {
	allowed bool
	context map[string]any
	expires time.Time
}

func newAuthorizerCache() *authorizerCache {
	return &authorizerCache{answers: map[string]authorizerAnswer{}}
}

func (a *authorizerCache) get(key string, now time.Time) (authorizerAnswer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ans, ok := a.answers[key]
	if !ok || now.After(ans.expires) {
		return authorizerAnswer{}, false
	}
	return ans, true
}

func (a *authorizerCache) put(key string, ans authorizerAnswer, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.answers) >= authorizerCacheMax {
		for k, v := range a.answers {
			if now.After(v.expires) {
				delete(a.answers, k)
			}
		}
		if len(a.answers) >= authorizerCacheMax {
			clear(a.answers)
		}
	}
	a.answers[key] = ans
}

// identity collects the identity source values of r; ok is false when
// one is missing (API Gateway answers 401 without calling the
// authorizer then).
func identity(sources []string, r *http.Request) ([]string, bool) {
	if len(sources) == 0 {
		sources = []string{"$request.header.Authorization"}
	}
	out := make([]string, 0, len(sources))
	for _, src := range sources {
		kind, name, err := identityPart(src)
		if err != nil {
			return nil, false
		}
		var v string
		if kind == "header" {
			v = strings.Join(r.Header.Values(name), ",")
		} else {
			v = strings.Join(r.URL.Query()[name], ",")
		}
		if v == "" {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// lambdaAuthorize asks c's authorizer function with the payload 2.0
// REQUEST event and reads its simple response, {"isAuthorized": bool,
// "context": {...}}: false is 403 Forbidden, a failing authorizer 500.
func (s *Service) lambdaAuthorize(ctx context.Context, tenant string, c *Compiled, r *http.Request, in event.HTTPRequestInput) (*event.HTTPAuthorizer, error) {
	ids, ok := identity(c.Auth.IdentitySource, r)
	if !ok {
		return nil, unauthorized()
	}
	ttl := DefaultAuthorizerTTL
	if c.Auth.TTLSeconds != nil {
		ttl = time.Duration(*c.Auth.TTLSeconds) * time.Second
	}
	now := s.cfg.Now()
	cacheKey := tenant + "\x00" + c.Auth.Function + "\x00" + c.Key + "\x00" + strings.Join(ids, "\x00")
	if ttl > 0 {
		if ans, ok := s.authz.get(cacheKey, now); ok {
			return answer(ans)
		}
	}
	in.Body = nil
	ev := event.NewHTTPRequest(r, in)
	ev.Type = "REQUEST"
	ev.IdentitySource = ids
	ev.RouteArn = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/$default/%s%s", fn.Region, in.AccountID, in.APIID, r.Method, in.RawPath)
	payload, err := event.Encode(ev)
	if err != nil {
		return nil, err
	}
	name, qualifier, _ := strings.Cut(c.Auth.Function, ":")
	if s.cfg.Invoker == nil {
		return nil, fmt.Errorf("httpapi: no invoker for Lambda authorizers")
	}
	res, err := s.cfg.Invoker.Invoke(ctx, &fn.Request{RequestID: in.RequestID + "-authorizer", Tenant: tenant,
		Function: name, Qualifier: qualifier, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("httpapi: authorizer %s: %w", c.Auth.Function, err)
	}
	defer s.cfg.Invoker.Finish(res)
	if res.FunctionError != "" {
		return nil, fmt.Errorf("httpapi: authorizer %s failed: %s", c.Auth.Function, res.Payload)
	}
	var simple struct {
		IsAuthorized *bool          `json:"isAuthorized"`
		Context      map[string]any `json:"context"`
	}
	if err := json.Unmarshal(res.Payload, &simple); err != nil || simple.IsAuthorized == nil {
		return nil, fmt.Errorf("httpapi: authorizer %s did not answer {\"isAuthorized\": true|false}: %s", c.Auth.Function, res.Payload)
	}
	ans := authorizerAnswer{allowed: *simple.IsAuthorized, context: simple.Context, expires: now.Add(ttl)}
	if ttl > 0 {
		s.authz.put(cacheKey, ans, now)
	}
	return answer(ans)
}

func answer(a authorizerAnswer) (*event.HTTPAuthorizer, error) {
	if !a.allowed {
		return nil, invalid(http.StatusForbidden, "Forbidden")
	}
	ctx := a.context
	if ctx == nil {
		ctx = map[string]any{}
	}
	return &event.HTTPAuthorizer{Lambda: ctx}, nil
}
