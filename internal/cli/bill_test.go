package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// billPrices make every call show on a bill: $0.01 a request, $100 a GB-s,
// the first 2 requests free, no free compute.
const billPrices = "requests_per_million: 10000\ngb_second_x86_64: 100\ngb_second_arm64: 100\nfree_requests: 2\nfree_gb_seconds: 0\n"

// TestBillEndToEnd deploys a Python function in a tenant, invokes it, and
// checks `updraft bill` against a hand calculation from the usage records
// the server itself returns; the platform admin sees the same bill, every
// tenant's with --all, and another tenant's key gets "not found".
func TestBillEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	table := filepath.Join(t.TempDir(), "prices.yaml")
	if err := os.WriteFile(table, []byte(billPrices), 0o600); err != nil {
		t.Fatal(err)
	}
	d, admin := startServerWith(t, func(c *config.Config) { c.PriceTable = table })
	endpoint := "http://" + d.Addr()
	as := apiclient.New(endpoint, admin)
	if _, err := as.CreateTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	k, err := as.NewKey(ctx, apiclient.KeyRequest{Tenant: "acme", Scope: fn.ScopeDeploy})
	if err != nil {
		t.Fatal(err)
	}
	acme := apiclient.New(endpoint, k.APIKey)
	const n = 5
	deployAndInvoke(ctx, t, acme, "calc", 256, n)
	deployAndInvoke(ctx, t, as, "mine", 128, 1)
	// A throttled call: counted on the bill, never billed.
	deployAndInvoke(ctx, t, acme, "off", 128, 0)
	zero := 0
	if _, err := acme.PutConcurrency(ctx, "off", fn.Concurrency{Reserved: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.Invoke(ctx, "off", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "TooManyRequests") {
		t.Fatalf("invoking a function with reserved concurrency 0: %v", err)
	}

	// The hand calculation, from the records the server returns.
	recs := usageRecords(ctx, t, endpoint, k.APIKey)
	if len(recs) != n {
		t.Fatalf("%d usage records, want %d: %+v", len(recs), n, recs)
	}
	mbMs := int64(0)
	for _, u := range recs {
		mbMs += u.BilledMs * int64(u.MemoryMB)
		if u.MemoryMB != 256 || u.BilledMs < 1 {
			t.Fatalf("record %+v", u)
		}
	}
	gbs := big.NewRat(mbMs, 1024*1000)
	requests := toCents(big.NewRat(n, 100))                       // n × $0.01
	compute := toCents(new(big.Rat).Mul(gbs, big.NewRat(100, 1))) // × $100, rounded half-up
	free := toCents(big.NewRat(2, 100))                           // 2 free requests
	total := requests + compute - free
	t.Logf("acme: %d calls, %d MB·ms = %s GB-s: requests %s + compute %s - free %s = %s",
		n, mbMs, gbs.FloatString(12), money(requests), money(compute), money(free), money(total))

	own := billJSON(t, endpoint, k.APIKey, "bill", "-o", "json")
	want := map[string]string{"requests": money(requests), "compute": money(compute), "free_tier_requests": "-" + money(free), "throttled": "0.00"}
	for _, l := range own.Lines {
		if w, ok := want[l.Item]; ok && l.Amount != w {
			t.Errorf("line %s: %s, want %s (%+v)", l.Item, l.Amount, w, l)
		}
		delete(want, l.Item)
	}
	if len(want) != 0 {
		t.Errorf("lines missing: %v in %+v", want, own.Lines)
	}
	if own.Total != money(total) || own.Subtotal != money(requests+compute) || own.Requests != n || own.Tenant != "acme" || own.Throttled != 1 ||
		own.GBs != strings.TrimRight(strings.TrimRight(gbs.FloatString(12), "0"), ".") {
		t.Errorf("bill %+v, want total %s", own, money(total))
	}
	if len(own.Functions) != 1 || own.Functions[0].Function != "calc" || own.Functions[0].Requests != n {
		t.Errorf("functions %+v", own.Functions)
	}

	// The admin's view of acme is the same bill; of every tenant, both.
	if theirs := billJSON(t, endpoint, admin, "bill", "--tenant", "acme", "-o", "json"); theirs.Total != own.Total || len(theirs.Lines) != len(own.Lines) {
		t.Errorf("admin's view %+v, acme's %+v", theirs, own)
	}
	r := run(t, nil, env(endpoint, admin), "bill", "--all", "-o", "json")
	r.want(t, 0, `"bills"`, "")
	var all apiclient.Bills
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil {
		t.Fatal(err)
	}
	totals := map[string]string{}
	for _, b := range all.Bills {
		totals[b.Tenant] = b.Total
	}
	mine := billJSON(t, endpoint, admin, "bill", "-o", "json")
	if totals["acme"] != own.Total || totals["default"] != mine.Total || mine.Requests != 1 {
		t.Errorf("all bills %+v; default's own %+v", all, mine)
	}
	run(t, nil, env(endpoint, admin), "bill", "--tenant", "acme").want(t, 0, "total", "")

	// Another tenant's bill and usage do not exist for acme; nor does --all.
	run(t, nil, env(endpoint, k.APIKey), "bill", "--tenant", "default").want(t, 1, "", "ResourceNotFoundException")
	run(t, nil, env(endpoint, k.APIKey), "bill", "--all").want(t, 1, "", "ResourceNotFoundException")
	run(t, nil, env(endpoint, k.APIKey), "usage", "--tenant", "default").want(t, 1, "", "ResourceNotFoundException")
	run(t, nil, env(endpoint, admin), "bill", "--tenant", "ghost").want(t, 1, "", "ResourceNotFoundException")
	if st := status(ctx, t, endpoint+"/v1/billing?all=true", k.APIKey); st != http.StatusNotFound {
		t.Errorf("acme's GET /v1/billing?all=true: %d, want 404", st)
	}
	if st := status(ctx, t, endpoint+"/v1/billing?tenant=default", k.APIKey); st != http.StatusNotFound {
		t.Errorf("acme's GET /v1/billing?tenant=default: %d, want 404", st)
	}

	// The admin's usage of acme and of everyone.
	us, err := as.UsageOf(ctx, "acme", "", "")
	if err != nil || len(us) != 1 || us[0].Invocations != n || us[0].BilledMs != sumBilled(recs) {
		t.Errorf("admin's usage of acme: %+v %v", us, err)
	}
	ts, err := as.AllUsage(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int64{}
	for _, tu := range ts {
		for _, f := range tu.Functions {
			seen[tu.Tenant+"/"+f.Function] = f.Invocations
		}
	}
	if seen["acme/calc"] != n || seen["default/mine"] != 1 || len(seen) != 2 {
		t.Errorf("all usage %+v", ts)
	}
	r = run(t, nil, env(endpoint, admin), "usage", "--all")
	r.want(t, 0, "TENANT", "")
	if !regexp.MustCompile(`(?m)^acme +calc +5 `).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^default +mine +1 `).MatchString(r.stdout) {
		t.Errorf("usage --all:\n%s", r.stdout)
	}
}

func env(endpoint, key string) opts {
	return opts{env: map[string]string{"UPDRAFT_ENDPOINT": endpoint, "UPDRAFT_API_KEY": key}}
}

func billJSON(t *testing.T, endpoint, key string, args ...string) apiclient.Bill {
	t.Helper()
	r := run(t, nil, env(endpoint, key), args...)
	r.want(t, 0, `"lines"`, "")
	var b apiclient.Bill
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	return b
}

func deployAndInvoke(ctx context.Context, t *testing.T, c *apiclient.Client, name string, mem, n int) {
	t.Helper()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("app.py")
	_, _ = io.WriteString(w, "def handler(event, context):\n    return sum(range(1000))\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: name, Runtime: "python3.11", Handler: "app.handler", MemoryMB: mem, Zip: zbuf.Bytes()}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		res, err := c.Invoke(ctx, name, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Payload) != "499500" {
			t.Fatalf("invoke %s: %s", name, res.Payload)
		}
	}
}

// usageRecords is GET /v1/usage/records of the key's tenant.
func usageRecords(ctx context.Context, t *testing.T, endpoint, key string) []fn.Usage {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/v1/usage/records", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Records []fn.Usage }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("usage records: %d %v", resp.StatusCode, err)
	}
	return out.Records
}

func status(ctx context.Context, t *testing.T, u, key string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func sumBilled(us []fn.Usage) int64 {
	s := int64(0)
	for _, u := range us {
		s += u.BilledMs
	}
	return s
}

// toCents rounds a positive amount half-up to whole cents.
func toCents(x *big.Rat) int64 {
	c := new(big.Rat).Mul(x, big.NewRat(100, 1))
	c.Add(c, big.NewRat(1, 2))
	return new(big.Int).Quo(c.Num(), c.Denom()).Int64()
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// startServerWith is startServer with a changed configuration.
func startServerWith(t *testing.T, change func(*config.Config)) (*daemon.Daemon, string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	change(&cfg)
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	})
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return d, strings.TrimSpace(string(key))
}

// TestBillProvisioned keeps one provisioned instance ready for a few
// seconds, stops the server (which records the time counted) and checks
// the bill after a restart prices it: instance-ms × memory at the
// provisioned price, and no requests for it.
func TestBillProvisioned(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	table := filepath.Join(t.TempDir(), "prices.yaml")
	if err := os.WriteFile(table, []byte("provisioned_gb_second: 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir, cfg.Listen, cfg.PriceTable = dir, "127.0.0.1:0", table
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	c := apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(key)))
	deployAndInvoke(ctx, t, c, "warm", 128, 0)
	if _, err := c.PutConcurrency(ctx, "warm", fn.Concurrency{Provisioned: fn.Provisioned{"$LATEST": 1}}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	for {
		in, err := c.Instances(ctx, "warm")
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Instances) == 1 && in.Instances[0].Provisioned && in.Instances[0].State == "provisioned" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // ready: counted from the next sample (each second) on
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(started)

	d, admin := startServerWith(t, func(c *config.Config) { c.DataDir, c.PriceTable = dir, table })
	b := billJSON(t, "http://"+d.Addr(), admin, "bill", "-o", "json")
	var prov *apiclient.BillLine
	for i, l := range b.Lines {
		if l.Item == "provisioned" {
			prov = &b.Lines[i]
		}
	}
	if prov == nil || b.Requests != 0 {
		t.Fatalf("no provisioned line, or requests: %+v", b)
	}
	gbs, ok := new(big.Rat).SetString(prov.Quantity)
	if !ok {
		t.Fatalf("quantity %q", prov.Quantity)
	}
	// At least the 1.5 s between the first sample that saw it ready and
	// the stop, at most the time since it was asked for, of one 128 MB
	// instance: 0.125 GB.
	low, high := big.NewRat(1500*128, 1000*1024), new(big.Rat).Mul(big.NewRat(elapsed.Milliseconds(), 1000), big.NewRat(128, 1024))
	if gbs.Cmp(low) < 0 || gbs.Cmp(high) > 0 {
		t.Errorf("provisioned %s GB-s, want %s to %s", prov.Quantity, low.FloatString(3), high.FloatString(3))
	}
	if want := money(toCents(new(big.Rat).Mul(gbs, big.NewRat(100, 1)))); prov.Amount != want || b.Total != want {
		t.Errorf("provisioned line %+v, total %s, want %s", prov, b.Total, want)
	}
	t.Logf("provisioned for %v: %s GB-s, %s", elapsed, prov.Quantity, prov.Amount)
}
