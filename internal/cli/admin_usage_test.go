package cli

import (
	"encoding/json"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

var storageReply = fn.Storage{
	Stores: []fn.StoreUsage{
		{Name: "LOGS", Kind: "stream", Bytes: 52311, Messages: 40},
		{Name: "code", Kind: "objects", Bytes: 734221, Messages: 12},
		{Name: "functions", Kind: "kv", Bytes: 2210, Messages: 3},
	},
	Tenants: []fn.TenantUsage{
		{Tenant: "default", Functions: 2, Versions: 1, CodeObjects: 2, CodeBytes: 700123, Messages: map[string]uint64{"USAGE": 7, "LOGS": 30}},
		{Tenant: "team-a", Functions: 1, CodeObjects: 1, CodeBytes: 34098},
	},
}

func TestAdminUsage(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/storage", 200, storageReply)
	r := run(t, srv, opts{}, "admin", "usage")
	r.want(t, 0, "STORE", "")
	golden(t, "admin-usage", r.stdout)

	r = run(t, srv, opts{}, "admin", "usage", "-o", "json")
	var got fn.Storage
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if len(got.Stores) != 3 || got.Tenants[0].CodeBytes != 700123 || got.Tenants[0].Messages["LOGS"] != 30 {
		t.Fatalf("json %+v", got)
	}
}

func TestAdminUsageTenantView(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/storage", 200, fn.Storage{Tenants: storageReply.Tenants[1:]})
	r := run(t, srv, opts{}, "admin", "usage")
	r.want(t, 0, "team-a", "")
	if r.stdout != "TENANT   FUNCTIONS   VERSIONS   CODE_OBJECTS   CODE_BYTES   MESSAGES\nteam-a   1           0          1              34098        -\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func TestAdminHelp(t *testing.T) {
	for _, c := range [][]string{{"admin", "--help"}, {"admin", "usage", "--help"}} {
		run(t, nil, opts{}, c...).want(t, 0, "Examples:\n  ", "")
	}
}
