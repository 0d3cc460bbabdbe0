package compat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway"
)

// TestTenancyMatrix walks every authenticated REST route the gateway
// registered (so a new endpoint cannot be forgotten) with every kind of
// caller: no key, a revoked key, another tenant's admin key, and the
// owning tenant's key of each scope. No key and a revoked key get 401;
// another tenant gets 404 for anything naming the owner's resources and
// never sees them in a list; a scope that does not allow the route's
// action gets 403, and one that does is let through.
func TestTenancyMatrix(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := apiclient.New(p.endpoint, p.key.APIKey)
	for _, name := range []string{"alpha", "beta"} {
		if _, err := admin.CreateTenant(ctx, name, nil); err != nil {
			t.Fatal(err)
		}
	}
	keys := map[string]*apiclient.Key{}
	for _, scope := range fn.Scopes {
		k, err := admin.NewKey(ctx, apiclient.KeyRequest{Tenant: "alpha", Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		keys[scope] = k
	}
	beta, err := admin.CreateKey(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := admin.CreateKey(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.RevokeKey(ctx, revoked.AccessKeyID); err != nil {
		t.Fatal(err)
	}

	// alpha's resources, named by the routes' path parameters.
	alpha := apiclient.New(p.endpoint, keys[fn.ScopeAdmin].APIKey)
	if _, _, err := alpha.Deploy(ctx, apiclient.DeployRequest{Name: "victim", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v1")}); err != nil {
		t.Fatal(err)
	}
	lc := p.client(keys[fn.ScopeAdmin].AccessKeyID, keys[fn.ScopeAdmin].SecretAccessKey)
	if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("victim")}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("victim"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := alpha.CreateQueue(ctx, "jobs", nil); err != nil {
		t.Fatal(err)
	}
	m, err := alpha.CreateMapping(ctx, apiclient.MappingInput{Queue: "jobs", Function: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{
		"name": "victim", "alias": "live", "uuid": m.UUID, "id": keys[fn.ScopeRead].AccessKeyID,
		"arn": fn.ARN("alpha", "victim", ""), "recipient": "victim@example.com",
	}
	// ghosts name resources that do not exist, in the same shapes.
	ghosts := map[string]string{
		"name": "ghost", "alias": "ghost", "uuid": "00000000-0000-4000-8000-000000000000", "id": "AKUDGHOSTGHOSTGHOST2",
		"arn": fn.ARN("alpha", "ghost", ""), "recipient": "ghost@example.com",
	}
	alphaAccount := fn.AccountID("alpha")

	routes := p.daemon.AuthedRoutes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes recorded: %v", len(routes), routes)
	}
	sort.Strings(routes)
	param := regexp.MustCompile(`\{([a-zA-Z]+)\.{0,3}\}`)
	stamps := regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`) // times differ between two answers
	cells := 0
	for _, pattern := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.TrimSuffix(path, "{$}")
		named := param.MatchString(path)
		// fill names alpha's resources, or ghosts.
		fill := func(ghost bool) string {
			return param.ReplaceAllStringFunc(path, func(s string) string {
				k := param.FindStringSubmatch(s)[1]
				from := params
				if ghost {
					from = ghosts
				}
				v, ok := from[k]
				switch {
				case strings.HasPrefix(path, "/v1/tenants/") && !ghost:
					v = "alpha"
				case !ok && ghost:
					v = "ghost"
				case !ok:
					v = "victim"
				}
				return url.PathEscape(v)
			})
		}
		// alpha's own keys DELETE ghosts: allowed or not, nothing later
		// rows need is deleted.
		own := func() string { return fill(method == http.MethodDelete) }
		action := gateway.RESTAction(pattern)
		check := func(who string, status int, body string, ok bool, want string) {
			if !ok {
				t.Errorf("%s with %s: %d %s (want %s)", pattern, who, status, trim(body), want)
			}
		}
		// No key and a revoked key: 401.
		for who, key := range map[string]string{"no key": "", "a revoked key": revoked.APIKey} {
			st, body := matrixSend(ctx, t, method, p.endpoint+fill(false), key)
			cells++
			check(who, st, body, st == http.StatusUnauthorized, "401")
		}
		// Another tenant: alpha's resources answer exactly as ones that do
		// not exist (404, or the same 400 for the input); lists hold none.
		st, body := matrixSend(ctx, t, method, p.endpoint+fill(false), beta.APIKey)
		cells++
		switch {
		case named:
			ghost, ghostBody := matrixSend(ctx, t, method, p.endpoint+fill(true), beta.APIKey)
			same := stamps.ReplaceAllString(strings.NewReplacer("victim", "ghost", "alpha", "ghost", params["uuid"], ghosts["uuid"], params["id"], ghosts["id"]).Replace(body), "T") ==
				stamps.ReplaceAllString(ghostBody, "T")
			check("beta's key", st, body, st != http.StatusForbidden && st == ghost && same,
				fmt.Sprintf("the answer for a resource that does not exist: %d %s", ghost, trim(ghostBody)))
		default:
			check("beta's key", st, body, !strings.Contains(body, "victim") && !strings.Contains(body, alphaAccount) && st != http.StatusUnauthorized,
				"no trace of alpha")
		}
		// alpha's keys: the scope decides.
		for _, scope := range fn.Scopes {
			st, body := matrixSend(ctx, t, method, p.endpoint+own(), keys[scope].APIKey)
			cells++
			if fn.ScopeAllows(scope, action) {
				check(scope+" key", st, body, st != http.StatusUnauthorized && st != http.StatusForbidden, "allowed ("+action+")")
			} else {
				check(scope+" key", st, body, st == http.StatusForbidden, "403 ("+action+")")
			}
		}
	}
	t.Logf("tenancy matrix: %d routes × 7 callers = %d cells", len(routes), cells)
}

// matrixSend makes one request with a Bearer key ("" for none) and a {} body
// for methods that take one.
func matrixSend(ctx context.Context, t *testing.T, method, u, key string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
