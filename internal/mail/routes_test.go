package mail

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// refuseInvoke fails the test if anything is delivered: these tests only
// manage routes.
type refuseInvoke struct{ t *testing.T }

func (r refuseInvoke) InvokeAsync(_ context.Context, tenant, function, _, _ string, _ []byte) error {
	r.t.Errorf("unexpected delivery to %s/%s", tenant, function)
	return nil
}

// openService opens the service on a real embedded store in a temp dir;
// functions "a" and "b" exist in every tenant.
func openService(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, err := Open(ctx, Config{Store: st, Invoker: refuseInvoke{t}, Function: func(_ context.Context, tenant, name string) (*fn.Function, error) {
		if name != "a" && name != "b" {
			return nil, fn.FunctionNotFound(tenant, name)
		}
		return &fn.Function{Tenant: tenant, Name: name}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if err == nil || fn.AsError(err).Status != status {
		t.Fatalf("want %d, got %v", status, err)
	}
}

func TestRoutesMatchAddressBeforeDomain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc := openService(t)
	if _, err := svc.AddRoute(ctx, "t1", "@Example.com", "a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddRoute(ctx, "t1", "VIP@example.com", "b", "live"); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"vip@EXAMPLE.com":      "b:live",
		"anyone@example.com":   "a:",
		"x@sub.example.com":    "",
		"vip@example.org":      "",
		"not an address":       "",
		"vip@example.com.evil": "",
	} {
		r, err := svc.Routes().Match(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if r != nil {
			got = r.Function + ":" + r.Qualifier
		}
		if got != want {
			t.Errorf("%s matched %q, want %q", addr, got, want)
		}
	}

	// Adding again replaces; a missing function, a bad qualifier or a bad
	// recipient is refused.
	if r, err := svc.AddRoute(ctx, "t1", "vip@example.com", "a", ""); err != nil || r.Function != "a" || r.Qualifier != "" {
		t.Fatalf("replace: %+v %v", r, err)
	}
	_, err := svc.AddRoute(ctx, "t1", "x@example.com", "missing", "")
	wantStatus(t, err, http.StatusNotFound)
	_, err = svc.AddRoute(ctx, "t1", "x@example.com", "a", "bad qualifier!")
	wantStatus(t, err, http.StatusBadRequest)
	_, err = svc.AddRoute(ctx, "t1", "example.com", "a", "")
	wantStatus(t, err, http.StatusBadRequest)

	routes, err := svc.ListRoutes(ctx, "t1")
	if err != nil || len(routes) != 2 || routes[0].Recipient != "@example.com" || routes[1].Recipient != "vip@example.com" {
		t.Fatalf("list: %+v %v", routes, err)
	}
	if err := svc.RemoveRoute(ctx, "t1", "VIP@example.com"); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Routes().Match(ctx, "vip@example.com"); err != nil || r == nil || r.Function != "a" {
		t.Fatalf("after removing the address route, the domain's: %+v %v", r, err)
	}
	wantStatus(t, svc.RemoveRoute(ctx, "t1", "vip@example.com"), http.StatusNotFound)
}

func TestRoutesBelongToOneTenant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc := openService(t)
	if _, err := svc.AddRoute(ctx, "t1", "help@example.com", "a", ""); err != nil {
		t.Fatal(err)
	}
	_, err := svc.AddRoute(ctx, "t2", "HELP@example.com", "a", "")
	wantStatus(t, err, http.StatusConflict)
	// Another tenant neither sees nor removes it.
	if routes, err := svc.ListRoutes(ctx, "t2"); err != nil || len(routes) != 0 {
		t.Fatalf("t2 lists %+v %v", routes, err)
	}
	wantStatus(t, svc.RemoveRoute(ctx, "t2", "help@example.com"), http.StatusNotFound)
	// A domain is a recipient of its own: t2 may route the domain.
	if _, err := svc.AddRoute(ctx, "t2", "@example.com", "b", ""); err != nil {
		t.Fatal(err)
	}
	r, err := svc.Routes().Match(ctx, "help@example.com")
	if err != nil || r.Tenant != "t1" {
		t.Fatalf("help@ goes to %+v %v", r, err)
	}
	if r, err = svc.Routes().Match(ctx, "other@example.com"); err != nil || r.Tenant != "t2" {
		t.Fatalf("other@ goes to %+v %v", r, err)
	}
}

func spec(t *testing.T, v map[string]any) json.RawMessage {
	t.Helper()
	v["type"] = "mail"
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTriggerAppliesOnlyDeclaredRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc := openService(t)
	tr := svc.Trigger()
	a := &fn.Function{Tenant: "t1", Name: "a"}
	b := &fn.Function{Tenant: "t1", Name: "b"}
	if _, err := svc.AddRoute(ctx, "t1", "by-api@example.com", "a", ""); err != nil {
		t.Fatal(err)
	}
	v1 := []json.RawMessage{spec(t, map[string]any{"recipients": []string{"one@example.com", "@yaml.example.com"}})}
	for range 2 { // idempotent
		if err := tr.Check(ctx, a, v1); err != nil {
			t.Fatal(err)
		}
		if err := tr.Apply(ctx, a, v1); err != nil {
			t.Fatal(err)
		}
	}
	recipients := func() map[string]string {
		routes, err := svc.ListRoutes(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range routes {
			out[r.Recipient] = r.Function + ":" + r.Qualifier + "/" + r.Owner
		}
		return out
	}
	want := map[string]string{"by-api@example.com": "a:/", "one@example.com": "a:/yaml:a", "@yaml.example.com": "a:/yaml:a"}
	if got := recipients(); len(got) != 3 || got["one@example.com"] != want["one@example.com"] || got["@yaml.example.com"] != want["@yaml.example.com"] || got["by-api@example.com"] != want["by-api@example.com"] {
		t.Fatalf("after apply: %v", got)
	}

	// A redeploy drops what is no longer declared and keeps API routes.
	v2 := []json.RawMessage{spec(t, map[string]any{"recipients": []string{"two@example.com"}, "qualifier": "live"})}
	if err := tr.Apply(ctx, a, v2); err != nil {
		t.Fatal(err)
	}
	if got := recipients(); len(got) != 2 || got["two@example.com"] != "a:live/yaml:a" || got["by-api@example.com"] != "a:/" {
		t.Fatalf("after redeploy: %v", got)
	}

	// Another function's yaml may not take a declared route; another
	// tenant may not take any.
	taken := []json.RawMessage{spec(t, map[string]any{"recipients": []string{"two@example.com"}})}
	wantStatus(t, tr.Check(ctx, b, taken), http.StatusConflict)
	wantStatus(t, tr.Apply(ctx, b, taken), http.StatusConflict)
	wantStatus(t, tr.Check(ctx, &fn.Function{Tenant: "t2", Name: "a"}, taken), http.StatusConflict)

	// Bad entries are refused with what to fix.
	for _, bad := range []map[string]any{
		{"recipients": []string{}}, {"recipients": []string{"nope"}}, {"recipient": "a@b.c"}, {"recipients": []string{"a@b.c"}, "qualifier": "x y"},
	} {
		wantStatus(t, tr.Check(ctx, a, []json.RawMessage{spec(t, bad)}), http.StatusBadRequest)
	}

	// Deleting the function removes its declared routes only.
	if err := tr.Remove(ctx, "t1", "a"); err != nil {
		t.Fatal(err)
	}
	if got := recipients(); len(got) != 1 || got["by-api@example.com"] != "a:/" {
		t.Fatalf("after remove: %v", got)
	}
}
