package deploy

import (
	"context"
	"net/http"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestLambdaRequests: CreateOnly conflicts, IgnoreManifest ignores
// updraft.yaml, and an updraft.yaml deploy over a Lambda-made function
// keeps what only the Lambda API sets; Publish snapshots.
func TestLambdaRequests(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	zip, err := PackageDir(writeTree(t, map[string]string{
		"app.py":       "def handler(event, context):\n    return 'v1'\n",
		"updraft.yaml": pyManifest,
	}))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{
		Name: "lam", Runtime: "python3.12", Handler: "app.handler", Zip: zip, Description: "d",
		Role: "arn:role", EphemeralStorageMB: 1024, Tags: map[string]string{"t": "1"},
		IgnoreManifest: true, CreateOnly: true,
	}
	f, created, err := e.dep.Deploy(ctx, "default", req)
	if err != nil || !created {
		t.Fatal(err)
	}
	if f.Runtime != fn.RuntimePython || f.RuntimeName != "python3.12" || f.MemoryMB != fn.DefaultMemoryMB ||
		f.Env != nil || f.EphemeralStorageMB != 1024 || f.Tags["t"] != "1" {
		t.Fatalf("created %+v", f)
	}
	_, _, err = e.dep.Deploy(ctx, "default", req)
	wantErr(t, err, fn.TypeResourceConflict, http.StatusConflict)

	// updraft deploy over it: the manifest's config, the Lambda fields kept.
	f, _, err = e.dep.Deploy(ctx, "default", Request{Name: "lam", Zip: zip})
	if err != nil {
		t.Fatal(err)
	}
	if f.MemoryMB != 256 || f.Description != "d" || f.Role != "arn:role" || f.EphemeralStorageMB != 1024 ||
		f.RuntimeName != "python3.12" || f.Tags["t"] != "1" {
		t.Fatalf("after updraft deploy: %+v", f)
	}
	// A short name keeps the Lambda name the function has; a Lambda name replaces it.
	f, _, err = e.dep.Deploy(ctx, "default", Request{Name: "lam", Runtime: "python3", Zip: zip})
	if err != nil || f.LambdaRuntime() != "python3.12" {
		t.Fatalf("updraft deploy --runtime python3: %v, runtime %q", err, f.LambdaRuntime())
	}
	f, _, err = e.dep.Deploy(ctx, "default", Request{Name: "lam", Runtime: "python3.10", Zip: zip})
	if err != nil || f.LambdaRuntime() != "python3.10" || f.Runtime != fn.RuntimePython {
		t.Fatalf("updraft deploy --runtime python3.10: %v, runtime %q (%s)", err, f.LambdaRuntime(), f.Runtime)
	}
	if _, _, err = e.dep.Deploy(ctx, "default", Request{Name: "lam", Runtime: "python3.12", Zip: zip}); err != nil {
		t.Fatal(err)
	}

	v, err := e.dep.Publish(ctx, "default", "lam", "", nil)
	if err != nil || v.Version != "1" || v.Tags != nil {
		t.Fatalf("publish: %v %+v", err, v)
	}
	again, err := e.dep.Publish(ctx, "default", "lam", "", nil)
	if err != nil || again.Version != "1" {
		t.Fatalf("publish unchanged: %v %+v", err, again)
	}
	_, err = e.dep.Publish(ctx, "default", "lam", "00", nil)
	wantErr(t, err, "PreconditionFailedException", http.StatusPreconditionFailed)
	// A redeploy keeps the version counter.
	f, _, err = e.dep.Deploy(ctx, "default", Request{Name: "lam", Zip: zip, TimeoutSec: 30})
	if err != nil || f.LastVersion != 1 {
		t.Fatalf("redeploy: %v %+v", err, f)
	}
	v2, err := e.dep.Publish(ctx, "default", "lam", f.CodeSHA256, nil)
	if err != nil || v2.Version != "2" || v2.TimeoutSec != 30 {
		t.Fatalf("publish 2: %v %+v", err, v2)
	}
	v1, err := e.reg.GetVersion(ctx, "default", "lam", "1")
	if err != nil || v1.TimeoutSec == 30 {
		t.Fatalf("version 1 changed: %v %+v", err, v1)
	}
}
