package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// storeWithFunctions makes a data directory as a server leaves it at a
// clean stop: an admin key and three functions with their code.
func storeWithFunctions(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	st, err := store.Open(ctx, store.Config{Dir: filepath.Join(dir, "jetstream"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if _, err := reg.EnsureAdminKey(ctx, filepath.Join(dir, "admin.key")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		zip := make([]byte, 4<<10)
		rand.Read(zip)
		sum := sha256.Sum256(zip)
		sha := hex.EncodeToString(sum[:])
		if err := reg.PutCode(ctx, sha, zip); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		f := &fn.Function{Tenant: "default", Name: fmt.Sprintf("f%d", i), Runtime: fn.RuntimePython, Handler: "app.handler",
			MemoryMB: 128, TimeoutSec: 3, CodeSHA256: sha, CodeSize: int64(len(zip)), Revision: 1, CreatedAt: now, UpdatedAt: now}
		if err := reg.PutFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// truncateBlock cuts the first block file of stream to 40% of its length.
func truncateBlock(t *testing.T, dataDir, stream string) {
	t.Helper()
	damageBlock(t, dataDir, stream, func(b []byte) []byte { return b[:len(b)*4/10] })
}

// damageBlock rewrites the first block file of stream with change.
func damageBlock(t *testing.T, dataDir, stream string, change func([]byte) []byte) {
	t.Helper()
	blks, _ := filepath.Glob(filepath.Join(dataDir, "jetstream", "jetstream", "$G", "streams", stream, "msgs", "*.blk"))
	if len(blks) == 0 {
		t.Fatalf("no block file of %s", stream)
	}
	data, err := os.ReadFile(blks[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blks[0], change(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAdminCheck(t *testing.T) {
	dir := storeWithFunctions(t)
	r := run(t, nil, opts{}, "admin", "check", "--data-dir", dir)
	r.want(t, 0, "intact: nothing lost or damaged", "")
	if !strings.Contains(r.stdout, "compared with the state at the last clean stop") {
		t.Errorf("check does not say what it compared with:\n%s", r.stdout)
	}

	truncateBlock(t, dir, "KV_functions")
	r = run(t, nil, opts{}, "admin", "check", "--data-dir", dir)
	r.want(t, 1, "DAMAGED", "")
	if !regexp.MustCompile(`KV_functions: \d functions lost or damaged .*: function default/f\d`).MatchString(r.stdout) {
		t.Errorf("check does not name the lost functions:\n%s", r.stdout)
	}
	// JSON for scripts, the same verdict.
	r = run(t, nil, opts{}, "admin", "check", "--data-dir", dir, "-o", "json")
	r.want(t, 1, `"damaged": true`, "")

	r = run(t, nil, opts{}, "admin", "check", "--data-dir", filepath.Join(t.TempDir(), "nothing"))
	r.want(t, 1, "", "holds no store")
}

// TestServeRefusesDamagedStore: a damaged store stops `serve` with the
// command to run; --allow-degraded starts, logs the named loss and
// accepts it, so the next check passes. The admin key survived, so it is
// not replaced.
func TestServeRefusesDamagedStore(t *testing.T) {
	t.Run("truncate", func(t *testing.T) { testServeDamaged(t, truncateBlock) })
	t.Run("flip", func(t *testing.T) {
		testServeDamaged(t, func(t *testing.T, dir, stream string) {
			damageBlock(t, dir, stream, func(b []byte) []byte {
				for i := len(b) * 4 / 10; i < len(b)*4/10+16; i++ {
					b[i] ^= 0xff
				}
				return b
			})
		})
	})
}

func testServeDamaged(t *testing.T, damage func(t *testing.T, dataDir, stream string)) {
	dir := storeWithFunctions(t)
	key, err := os.ReadFile(filepath.Join(dir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	damage(t, dir, "KV_functions")
	env := map[string]string{"UPDRAFT_DATA_DIR": dir}
	serve := []string{"serve", "--listen", "127.0.0.1:0", "--stem-cells", "0"}

	r := run(t, nil, opts{env: env}, serve...)
	r.want(t, 1, "", "updraft admin check --data-dir "+dir)
	for _, want := range []string{"is damaged, so the server did not start", "function default/f", "--allow-degraded"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("refusal does not say %q:\n%s", want, r.stderr)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := newWatch()
	done := make(chan result, 1)
	go func() {
		done <- run(t, nil, opts{env: env, ctx: ctx, teeErr: log}, append(serve, "--allow-degraded")...)
	}()
	select {
	case r := <-done:
		t.Fatalf("serve --allow-degraded ended: exit %d\n%s", r.code, r.stderr)
	case <-log.match(regexp.MustCompile(`updraft listening on`)):
	case <-time.After(60 * time.Second):
		t.Fatalf("serve --allow-degraded did not start:\n%s", log.String())
	}
	out := log.String()
	if !regexp.MustCompile(`level=ERROR msg="store damaged" finding=".*function default/f`).MatchString(out) ||
		!strings.Contains(out, "starting anyway (--allow-degraded)") {
		t.Errorf("degraded start did not log a named report:\n%s", out)
	}
	// While it runs, the store is locked against an offline check.
	run(t, nil, opts{}, "admin", "check", "--data-dir", dir).want(t, 1, "", "in use by another process")
	cancel()
	if r := <-done; r.code != 0 {
		t.Fatalf("serve exit %d\n%s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "admin.key")); string(again) != string(key) {
		t.Error("the admin key was replaced")
	}
	run(t, nil, opts{}, "admin", "check", "--data-dir", dir).want(t, 0, "intact", "")
}

// TestInvokeDamagedCode: code damaged in the store is a clear error naming
// the function and the digest, not "internal error", while the function
// stays listed.
func TestInvokeDamagedCode(t *testing.T) {
	dir := storeWithFunctions(t)
	damageBlock(t, dir, "OBJ_code", func(b []byte) []byte {
		for i := len(b) / 2; i < len(b)/2+16; i++ {
			b[i] ^= 0xff
		}
		return b
	})
	env := map[string]string{"UPDRAFT_DATA_DIR": dir, "UPDRAFT_API_KEY": ""}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := newWatch()
	done := make(chan result, 1)
	go func() {
		done <- run(t, nil, opts{env: env, ctx: ctx, teeErr: log}, "serve", "--listen", "127.0.0.1:0", "--stem-cells", "0", "--allow-degraded")
	}()
	select {
	case r := <-done:
		t.Fatalf("serve ended: exit %d\n%s", r.code, r.stderr)
	case m := <-log.match(regexp.MustCompile(`updraft listening on (http://\S+)`)):
		env["UPDRAFT_ENDPOINT"] = m[1]
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	run(t, nil, opts{env: env}, "ls").want(t, 0, "f2", "")
	named := 0
	for i := range 3 {
		r := run(t, nil, opts{env: env}, "invoke", fmt.Sprintf("f%d", i))
		t.Logf("invoke f%d: exit %d %s", i, r.code, r.stderr)
		if strings.Contains(r.stderr, "internal error") {
			t.Errorf("invoke f%d: %s", i, r.stderr)
		}
		if regexp.MustCompile(fmt.Sprintf(`the code of function f%d \(sha256 [0-9a-f]{64}\) is damaged`, i)).MatchString(r.stderr) {
			named++
		}
	}
	if named == 0 {
		t.Error("no invoke named the damaged code")
	}
	cancel()
	<-done
}
