package cli

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestKeysCreate(t *testing.T) {
	srv := newAPI(t)
	var gotTenant string
	srv.on("POST /v1/keys", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tenant string `json:"tenant"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		gotTenant = body.Tenant
		tenant := body.Tenant
		if tenant == "" {
			tenant = "default"
		}
		writeJSON(w, 201, map[string]string{"tenant": tenant, "accountId": "123456789012", "apiKey": "upd_k", "accessKeyId": "AKUDEXAMPLE", "secretAccessKey": "s3cr3t"})
	})
	r := run(t, srv, opts{}, "keys", "create", "-o", "json")
	r.want(t, 0, `"accessKeyId"`, "")
	var k map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || k["apiKey"] != "upd_k" || k["accessKeyId"] != "AKUDEXAMPLE" || k["secretAccessKey"] != "s3cr3t" {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	run(t, srv, opts{}, "keys", "create", "--tenant", "team-a").want(t, 0, "secret access key: s3cr3t", "")
	if gotTenant != "team-a" {
		t.Errorf("tenant sent: %q", gotTenant)
	}
	run(t, srv, opts{}, "keys", "create").want(t, 0, "account id:        123456789012\n", "")
	run(t, srv, opts{}, "keys", "create", "extra").want(t, 2, "", "unexpected argument")
}
