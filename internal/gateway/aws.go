package gateway

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// One AWS endpoint: every AWS-compatible API is served on the main
// listener, so AWS_ENDPOINT_URL is the only setting an SDK or the aws CLI
// needs. A request is dispatched by its X-Amz-Target (the JSON protocols:
// DynamoDB, SQS's JSON form, …) or else by the service name in its SigV4
// credential scope; requests for Lambda, and those without a signature
// (bearer keys, function URLs, health, metrics), go to the REST routes.

// Service is an AWS-compatible API mounted on the endpoint.
type Service struct {
	// Name is the SigV4 signing name, e.g. "sqs", "s3", "dynamodb".
	Name string
	// TargetPrefixes are the X-Amz-Target prefixes it answers, e.g.
	// "AmazonSQS" or "DynamoDB_20120810".
	TargetPrefixes []string
	// Handler serves an authenticated request of the tenant.
	Handler wire.TenantHandler
	// UnsignedActions are query-protocol actions served without a
	// signature on "/?Action=..." by Unsigned: links that carry their own
	// secret, as SNS's SubscribeURL carries its confirmation token.
	UnsignedActions []string
	Unsigned        http.HandlerFunc
	// Error, when set, writes the service's own error reply (S3's XML)
	// for a request of the service that failed authentication.
	Error func(w http.ResponseWriter, r *http.Request, err error)
	// Anonymous, when set, claims requests without credentials that the
	// service answers itself (S3's CORS preflights), served by
	// ServeAnonymous.
	Anonymous      func(r *http.Request) bool
	ServeAnonymous http.HandlerFunc
}

// restService is the signing name of the APIs served by the REST routes.
const restService = "lambda"

// Mount adds an AWS-compatible service. Call before Start.
func (g *Gateway) Mount(s Service) {
	g.services[s.Name] = s
	for _, p := range s.TargetPrefixes {
		g.targets[p] = s
	}
}

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	name, target := serviceOf(r)
	if name == "" && r.URL.Path == "/" && r.Header.Get("Authorization") == "" {
		if s, ok := g.unsigned(r.URL.Query().Get("Action")); ok {
			wire.SetRequestID(w)
			s.Unsigned(w, r)
			return
		}
	}
	if name == "" {
		if s, ok := g.anonymous(r); ok {
			wire.SetRequestID(w)
			s.ServeAnonymous(w, r)
			return
		}
	}
	if name == "" || name == restService {
		g.rest.ServeHTTP(w, r)
		return
	}
	s, ok := g.targets[target]
	if !ok {
		s, ok = g.services[name]
	}
	wire.SetRequestID(w)
	if !ok {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeUnknownOperation,
			"%s is not offered on this endpoint: Updraft serves %s here", describe(name, target), strings.Join(g.offered(), ", ")))
		return
	}
	g.authed(s.Handler)(w, r)
}

// unsigned finds the service serving action without a signature.
func (g *Gateway) unsigned(action string) (Service, bool) {
	if action == "" {
		return Service{}, false
	}
	for _, s := range g.services {
		if s.Unsigned != nil && slices.Contains(s.UnsignedActions, action) {
			return s, true
		}
	}
	return Service{}, false
}

// serviceOf names the service a request is for: the X-Amz-Target's prefix
// (before the '.') when present, else the SigV4 scope's service, else "".
func serviceOf(r *http.Request) (name, target string) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		target, _, _ = strings.Cut(t, ".")
	}
	authz := r.Header.Get("Authorization")
	if scope := presignedScope(r); len(scope) == 5 {
		return scope[3], target
	}
	if !strings.HasPrefix(authz, sigV4Algorithm+" ") {
		if target != "" {
			return target, target
		}
		return "", ""
	}
	_, cred, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return "", target
	}
	cred, _, _ = strings.Cut(cred, ",")
	scope := strings.Split(cred, "/")
	if len(scope) != 5 {
		return "", target // authentication reports the malformed scope
	}
	return scope[3], target
}

func describe(name, target string) string {
	if target != "" {
		return "X-Amz-Target " + target
	}
	return "the AWS service " + `"` + name + `"`
}

// offered lists the services the endpoint serves.
func (g *Gateway) offered() []string {
	out := []string{restService}
	for n := range g.services {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out[1:])
	return out
}
