package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// The dashboard against a real server: a daemon in-process, a Python
// function deployed and invoked through the API, then the page in a real
// headless Chromium.

func startServer(t *testing.T) (base, key string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
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
	b, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + d.Addr(), strings.TrimSpace(string(b))
}

const handler = `import json
def handler(event, context):
    print("dashboard-marker", json.dumps(event, sort_keys=True))
    return {"greeting": "hello " + str(event.get("who", "nobody"))}
`

func pyZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("app.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, handler); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// usd formats a cost as the dashboard does (util.js fmt.usd).
func usd(v float64) string {
	if v == 0 {
		return "$0.00"
	}
	if v >= 0.01 {
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', 10, 64), "0")
	if strings.HasSuffix(s, ".") {
		s += "00"
	}
	return "$" + s
}

type records struct {
	Records   []fn.Usage `json:"records"`
	Truncated bool       `json:"truncated"`
}

func getJSON(t *testing.T, url, key string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

func TestDashboard(t *testing.T) {
	base, key := startServer(t)
	ctx := context.Background()
	c := apiclient.New(base, key)
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: "hello", Runtime: "python3.11", Handler: "app.handler", Zip: pyZip(t)}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, who := range []string{"ada", "grace"} {
		res, err := c.Invoke(ctx, "hello", []byte(`{"who":"`+who+`"}`))
		if err != nil || res.FunctionError != "" {
			t.Fatalf("invoke: %v %+v", err, res)
		}
		ids = append(ids, res.RequestID)
	}
	if _, err := c.CreateQueue(ctx, "jobs", nil); err != nil {
		t.Fatal(err)
	}

	// GET /v1/usage/records: the calls, oldest first, of this tenant only.
	var recs records
	if code := getJSON(t, base+"/v1/usage/records?function=hello&since=1h", key, &recs); code != 200 {
		t.Fatalf("usage records: %d", code)
	}
	if len(recs.Records) != 2 || recs.Records[0].RequestID != ids[0] || recs.Records[1].RequestID != ids[1] ||
		!recs.Records[0].Cold || recs.Records[1].Cold || recs.Records[0].BilledMs < 1 || recs.Truncated {
		t.Fatalf("usage records: %+v, want the two calls %v (cold, then warm)", recs, ids)
	}
	var last records
	if getJSON(t, base+"/v1/usage/records?limit=1", key, &last); len(last.Records) != 1 || last.Records[0].RequestID != ids[1] || !last.Truncated {
		t.Errorf("limit=1: %+v, want the newest call and truncated", last)
	}
	for _, q := range []string{"limit=0", "limit=10001", "since=yesterday", "function=a.*"} {
		if code := getJSON(t, base+"/v1/usage/records?"+q, key, nil); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	if code := getJSON(t, base+"/v1/usage/records", "", nil); code != 401 {
		t.Errorf("no key: %d, want 401", code)
	}
	if _, err := c.CreateTenant(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	other, err := c.CreateKey(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	var theirs records
	if getJSON(t, base+"/v1/usage/records?function=hello", other.APIKey, &theirs); len(theirs.Records) != 0 {
		t.Errorf("another tenant sees %d records", len(theirs.Records))
	}
	gbs := recs.Records[0].GBs + recs.Records[1].GBs
	// The page's default price table, computed in the same float64 steps.
	perMillion, perGBs, calls := 0.20, 0.0000166667, float64(len(ids))
	wantCost := usd(calls*perMillion/1e6 + gbs*perGBs)

	t.Run("browser", func(t *testing.T) { browse(t, base, key, ids, wantCost) })
}
