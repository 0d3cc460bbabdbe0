package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/store"
)

// damage changes the first block file of a stream the way a failing disk
// does: "flip" inverts 16 bytes at frac of its length, "truncate" cuts it
// there. The store must be closed.
func damage(t *testing.T, storeDir, stream, how string, frac float64) {
	t.Helper()
	blks, err := filepath.Glob(filepath.Join(storeDir, "jetstream", "$G", "streams", stream, "msgs", "*.blk"))
	if err != nil || len(blks) == 0 {
		t.Fatalf("no block files of stream %s (%v)", stream, err)
	}
	data, err := os.ReadFile(blks[0])
	if err != nil {
		t.Fatal(err)
	}
	at := int(float64(len(data)) * frac)
	switch how {
	case "flip":
		for i := at; i < at+16 && i < len(data); i++ {
			data[i] ^= 0xff
		}
	case "truncate":
		data = data[:at]
	default:
		t.Fatalf("unknown damage %q", how)
	}
	if err := os.WriteFile(blks[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fixture is a store as a server leaves it at a clean stop: three
// functions with their own code, three API keys, 52 async events.
type fixture struct {
	dir   string
	codes map[string]string // sha → function
	keys  []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{dir: t.TempDir(), codes: map[string]string{}}
	st, r := openKeyed(t, fx.dir)
	if err := st.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		zip := make([]byte, 64<<10)
		rand.Read(zip)
		sha := sum(zip)
		if err := r.PutCode(ctx, sha, zip); err != nil {
			t.Fatal(err)
		}
		f := testFunction("default", fmt.Sprintf("f%d", i))
		f.CodeSHA256 = sha
		if err := r.PutFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		fx.codes[sha] = f.Name
		key, err := r.CreateAPIKey(ctx, fmt.Sprintf("tenant%d", i))
		if err != nil {
			t.Fatal(err)
		}
		fx.keys = append(fx.keys, key)
	}
	// The async queue's stream, as internal/async creates it.
	if _, err := st.Stream(ctx, jetstream.StreamConfig{Name: "ASYNC", Subjects: []string{"async.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	for i := range 52 {
		if _, err := st.JetStream().Publish(ctx, "async.default.f0", fmt.Appendf(nil, `{"request_id":"r%02d","payload":"%s"}`, i, strings.Repeat("x", 64))); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// check opens the store and checks it fully.
func (fx *fixture) check(t *testing.T) *CheckReport {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Dir: fx.dir, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := Check(context.Background(), st, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func finding(rep *CheckReport, stream, what string) *Finding {
	for i, f := range rep.Findings {
		if f.Stream == stream && f.What == what {
			return &rep.Findings[i]
		}
	}
	return nil
}

func TestCheckIntact(t *testing.T) {
	fx := newFixture(t)
	rep := fx.check(t)
	if rep.Damaged() || !rep.CodeChecked || rep.Store.Baseline != "clean stop" {
		t.Fatalf("intact store: damaged=%v code checked=%v baseline=%s\n%s", rep.Damaged(), rep.CodeChecked, rep.Store.Baseline, strings.Join(rep.Lines(), "\n"))
	}
	if s := rep.Store.Stream("ASYNC"); s == nil || s.Readable != 52 {
		t.Fatalf("ASYNC read back: %+v", s)
	}
	// A check accepts nothing and changes nothing: it passes again.
	if rep := fx.check(t); rep.Damaged() {
		t.Fatalf("second check: %s", strings.Join(rep.Lines(), "\n"))
	}
}

// TestCheckNamesDamage damages each stream's block file in two ways and
// wants a report that names what was lost, in the registry's terms.
func TestCheckNamesDamage(t *testing.T) {
	functions := func(fx *fixture) []string {
		return []string{"function default/f0", "function default/f1", "function default/f2"}
	}
	apiKeys := func(fx *fixture) []string {
		var out []string
		for _, k := range fx.keys {
			out = append(out, "API key sha256 "+hashKey(k)[:12]+"…")
		}
		return out
	}
	codes := func(fx *fixture) []string {
		var out []string
		for sha, name := range fx.codes {
			out = append(out, "code "+sha, "code "+sha+" (used by default/"+name+")")
		}
		return out
	}
	for _, tc := range []struct {
		stream, what string
		frac         float64
		names        func(*fixture) []string // nil: counted, not named
	}{
		{"KV_functions", "functions", 0.4, functions},
		{"KV_apikeys", "API keys", 0.4, apiKeys},
		{"ASYNC", "async events", 0.4, nil},
		{"OBJ_code", "code objects", 0.5, codes},
	} {
		for _, how := range []string{"flip", "truncate"} {
			t.Run(tc.stream+"/"+how, func(t *testing.T) {
				fx := newFixture(t)
				damage(t, fx.dir, tc.stream, how, tc.frac)
				rep := fx.check(t)
				lines := strings.Join(rep.Lines(), "\n")
				t.Log("report:\n" + lines)
				if !rep.Damaged() {
					t.Fatal("damage not reported")
				}
				f := finding(rep, tc.stream, tc.what)
				if f == nil || f.Count == 0 {
					t.Fatalf("no finding of %s in %s:\n%s", tc.what, tc.stream, lines)
				}
				if tc.names == nil {
					return
				}
				if len(f.Names) == 0 {
					t.Fatalf("%s lost but not named:\n%s", tc.what, lines)
				}
				known := tc.names(fx)
				for _, n := range f.Names {
					if !strings.Contains(strings.Join(known, "\n"), n) {
						t.Errorf("named %q, not one of %q", n, known)
					}
				}
			})
		}
	}
}

// TestCorruptCodeOnInvoke: reading damaged code is ErrCodeCorrupt at once,
// not a wait or an anonymous failure; intact code of the same store reads.
func TestCorruptCodeOnInvoke(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	damage(t, fx.dir, "OBJ_code", "flip", 0.5)
	_, r := openKeyed(t, fx.dir)
	var bad, good int
	for sha := range fx.codes {
		data, err := r.GetCode(ctx, sha)
		switch {
		case errors.Is(err, ErrCodeCorrupt):
			bad++
		case err == nil && sum(data) == sha:
			good++
		default:
			t.Errorf("code %s: %v", sha, err)
		}
	}
	if bad == 0 || good == 0 {
		t.Fatalf("%d damaged and %d intact code objects, want some of each", bad, good)
	}
}

func TestCheckAtStart(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	damage(t, fx.dir, "KV_functions", "truncate", 0.4)
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))

	st, err := store.Open(ctx, store.Config{Dir: fx.dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckAtStart(ctx, st, StartCheck{DataDir: "/data", Log: log})
	if err == nil {
		t.Fatal("a damaged store started")
	}
	for _, want := range []string{"damaged", "function default/f", "updraft admin check --data-dir /data", "--allow-degraded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q:\n%s", want, err)
		}
	}
	if !strings.Contains(logged.String(), "level=ERROR msg=\"store damaged\"") {
		t.Errorf("findings not logged at error level:\n%s", logged.String())
	}
	st.Close()

	// Refusing accepted nothing: the check still fails. Degraded start
	// logs, accepts, and the next start is clean.
	st, err = store.Open(ctx, store.Config{Dir: fx.dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	logged.Reset()
	if err := CheckAtStart(ctx, st, StartCheck{DataDir: "/data", Log: log, AllowDegraded: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "function default/f") || !strings.Contains(logged.String(), "allow-degraded") {
		t.Errorf("degraded start did not log a named report:\n%s", logged.String())
	}
	st.Close()
	if rep := fx.check(t); rep.Damaged() {
		t.Fatalf("after a degraded start accepted the loss: %s", strings.Join(rep.Lines(), "\n"))
	}
}

// TestEnsureAdminKeyNotReplacedWhenKeysExist: the admin key file holds a
// key the store lost while it kept others: refuse, change nothing.
func TestEnsureAdminKeyNotReplacedWhenKeysExist(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	if _, err := r.CreateAPIKey(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "admin.key")
	lost := []byte("upd_" + strings.Repeat("1", 64) + "\n")
	if err := os.WriteFile(path, lost, 0o600); err != nil {
		t.Fatal(err)
	}
	created, err := r.EnsureAdminKey(ctx, path)
	if err == nil || created {
		t.Fatalf("lost admin key replaced: created=%v err=%v", created, err)
	}
	for _, want := range []string{path, "1 other API keys", "updraft admin check --data-dir", "move"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q: %v", want, err)
		}
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, lost) {
		t.Fatal("the key file was changed")
	}
}

// TestDegradedStartRepairs: a stream counting a message it cannot deliver
// would hang the function watcher; a degraded start rewrites it with what
// is left, the registry opens with the surviving functions, and the next
// check is clean.
func TestDegradedStartRepairs(t *testing.T) {
	ctx := context.Background()
	for _, stream := range []string{"KV_functions", "KV_apikeys", "ASYNC", "OBJ_code"} {
		t.Run(stream, func(t *testing.T) {
			fx := newFixture(t)
			damage(t, fx.dir, stream, "flip", 0.4)
			lost := fx.check(t)
			st, err := store.Open(ctx, store.Config{Dir: fx.dir, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := CheckAtStart(ctx, st, StartCheck{DataDir: "/d", AllowDegraded: true, Log: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
			tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			r, err := New(tctx, st)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			fs, err := r.ListFunctions(ctx, "default")
			if err != nil {
				t.Fatal(err)
			}
			want := 3
			if f := finding(lost, "KV_functions", "functions"); f != nil {
				want -= len(f.Names)
			}
			if len(fs) != want {
				t.Fatalf("%d functions after the degraded start, want %d", len(fs), want)
			}
			r.Close()
			st.Close()
			// The streams are whole again; a function whose code is gone
			// stays reported until it is deployed again.
			rep := fx.check(t)
			for _, f := range rep.Findings {
				if stream != "OBJ_code" || f.What != "code objects" || !strings.Contains(f.Names[0], "(used by default/f") {
					t.Errorf("after the degraded start: %s", strings.Join(rep.Lines(), "\n"))
				}
			}
			if rep.Store.Damaged() {
				t.Errorf("streams still damaged after the degraded start: %s", strings.Join(rep.Lines(), "\n"))
			}
		})
	}
}
