package objects

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/store"
)

// env is a Service over a real embedded JetStream in a temp dir.
type env struct {
	dir string
	st  *store.Store
	s   *Service
}

func open(t *testing.T, dir string, targets Targets) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: filepath.Join(dir, "js"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, Dir: filepath.Join(dir, "objects"), Targets: targets, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, st: st, s: s}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.s == nil {
		return
	}
	_ = e.s.Close(context.Background())
	_ = e.st.Close()
	e.s = nil
}

func (e *env) put(t *testing.T, bucket, key, body string) *Object {
	t.Helper()
	o, err := e.s.Put(context.Background(), "t1", PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body))})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return o
}

func (e *env) get(t *testing.T, bucket, key string) string {
	t.Helper()
	o, c, err := e.s.Get(context.Background(), "t1", bucket, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer c.Close()
	b, err := io.ReadAll(c.Range(0, o.Size))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListPages(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	ctx := context.Background()
	if err := e.s.CreateBucket(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "a/1", "a/2", "a/b/1", "b", "b/1", "c/x/y", "c/z", "d", "é", "z/"} {
		e.put(t, "bk1", k, k)
	}
	type page struct {
		keys, prefixes []string
		truncated      bool
	}
	for _, tc := range []struct {
		name string
		in   ListInput
		want []page // successive pages, each continuing after the last's Next
	}{
		{"all", ListInput{MaxKeys: 1000}, []page{{keys: []string{"a", "a/1", "a/2", "a/b/1", "b", "b/1", "c/x/y", "c/z", "d", "z/", "é"}}}},
		{"delimiter", ListInput{Delimiter: "/", MaxKeys: 1000}, []page{{keys: []string{"a", "b", "d", "é"}, prefixes: []string{"a/", "b/", "c/", "z/"}}}},
		{"prefix and delimiter", ListInput{Prefix: "a/", Delimiter: "/", MaxKeys: 1000}, []page{{keys: []string{"a/1", "a/2"}, prefixes: []string{"a/b/"}}}},
		{"pages of 2 with delimiter", ListInput{Delimiter: "/", MaxKeys: 2}, []page{
			{keys: []string{"a"}, prefixes: []string{"a/"}, truncated: true},
			{keys: []string{"b"}, prefixes: []string{"b/"}, truncated: true},
			{keys: []string{"d"}, prefixes: []string{"c/"}, truncated: true},
			{keys: []string{"é"}, prefixes: []string{"z/"}},
		}},
		{"pages of 3 with prefix", ListInput{Prefix: "a", MaxKeys: 3}, []page{
			{keys: []string{"a", "a/1", "a/2"}, truncated: true},
			{keys: []string{"a/b/1"}},
		}},
		{"after", ListInput{After: "b", MaxKeys: 1000, Delimiter: "/"}, []page{{keys: []string{"d", "é"}, prefixes: []string{"b/", "c/", "z/"}}}},
		{"after a prefix listed whole", ListInput{After: "c/", MaxKeys: 1000, Delimiter: "/"}, []page{{keys: []string{"d", "é"}, prefixes: []string{"z/"}}}},
		{"after beyond the prefix", ListInput{Prefix: "a/", After: "b", MaxKeys: 1000}, []page{{}}},
		{"after before the prefix", ListInput{Prefix: "c/", After: "a", MaxKeys: 1000}, []page{{keys: []string{"c/x/y", "c/z"}}}},
		{"multi-byte delimiter", ListInput{Delimiter: "/1", MaxKeys: 1000}, []page{{keys: []string{"a", "a/2", "b", "c/x/y", "c/z", "d", "z/", "é"}, prefixes: []string{"a/1", "a/b/1", "b/1"}}}},
		{"max keys 0", ListInput{}, []page{{}}},
		{"no match", ListInput{Prefix: "q", MaxKeys: 10}, []page{{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			for i, want := range tc.want {
				p, err := e.s.List(ctx, "t1", "bk1", in)
				if err != nil {
					t.Fatal(err)
				}
				var got page
				for _, o := range p.Objects {
					got.keys = append(got.keys, o.Key)
				}
				got.prefixes, got.truncated = p.CommonPrefixes, p.Truncated
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("page %d: got %+v, want %+v", i, got, want)
				}
				in.After = p.Next
			}
		})
	}
}

// recorder is a Targets that records deliveries and can fail the first
// ones.
type recorder struct {
	mu       sync.Mutex
	failures int
	got      []string // kind target body
	known    map[string]bool
}

func (r *recorder) add(kind, arn string, body []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return io.ErrUnexpectedEOF
	}
	r.got = append(r.got, kind+" "+arn+" "+string(body))
	return nil
}

func (r *recorder) InvokeAsync(_ context.Context, _, arn, _ string, p []byte) error {
	return r.add(KindLambda, arn, p)
}
func (r *recorder) SendQueue(_ context.Context, _, arn, _ string, b []byte) error {
	return r.add(KindQueue, arn, b)
}
func (r *recorder) PublishTopic(_ context.Context, _, arn, _, _, m string) error {
	return r.add(KindTopic, arn, []byte(m))
}
func (r *recorder) Exists(_ context.Context, _, _, arn string) (bool, error) {
	return r.known[arn], nil
}

func (r *recorder) wait(t *testing.T, n int) []string {
	t.Helper()
	for range 300 {
		r.mu.Lock()
		got := append([]string(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("got %d deliveries, want %d", len(r.got), n)
	return nil
}

func TestRestartKeepsCommittedObjectsAndEvents(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{known: map[string]bool{"arn:fn": true}, failures: 1 << 30} // nothing delivered before the restart
	e := open(t, dir, rec)
	ctx := context.Background()
	if err := e.s.CreateBucket(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutNotification(ctx, "t1", "bk1", NotificationConfig{Lambda: []NotificationTarget{{ID: "c1", ARN: "arn:fn", Events: []string{"s3:ObjectCreated:*"}, Suffix: ".txt"}}}); err != nil {
		t.Fatal(err)
	}
	err := e.s.PutNotification(ctx, "t1", "bk1", NotificationConfig{Queue: []NotificationTarget{{ARN: "arn:nope", Events: []string{"s3:ObjectCreated:*"}}}})
	if err == nil || !strings.Contains(err.Error(), "Unable to validate the following destination configurations: arn:nope") {
		t.Fatalf("unknown target: %v", err)
	}
	e.put(t, "bk1", "kept.txt", "hello")
	e.put(t, "bk1", "other.bin", "x")
	// An upload interrupted before its commit: a content file no record
	// references.
	stray := filepath.Join(dir, "objects", newID())
	if err := os.WriteFile(stray, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.close()

	rec.failures = 0
	e = open(t, dir, rec)
	if got := e.get(t, "bk1", "kept.txt"); got != "hello" {
		t.Fatalf("after restart: %q", got)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Fatalf("the uncommitted content file is still there: %v", err)
	}
	got := rec.wait(t, 1)
	if len(got) != 1 || !strings.HasPrefix(got[0], "lambda arn:fn ") {
		t.Fatalf("deliveries: %q", got)
	}
	var ev struct {
		Records []struct {
			EventName string
			S3        struct {
				ConfigurationID string
				Object          struct {
					Key  string
					Size int64
					ETag string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(got[0], "lambda arn:fn ")), &ev); err != nil {
		t.Fatal(err)
	}
	r := ev.Records[0]
	if r.EventName != "ObjectCreated:Put" || r.S3.ConfigurationID != "c1" || r.S3.Object.Key != "kept.txt" || r.S3.Object.Size != 5 || r.S3.Object.ETag != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("event: %+v", r)
	}
}

func TestDeliveryRetriesAndOverwriteRemovesOldContent(t *testing.T) {
	rec := &recorder{known: map[string]bool{"arn:q": true}, failures: 1}
	e := open(t, t.TempDir(), rec)
	ctx := context.Background()
	if err := e.s.CreateBucket(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutNotification(ctx, "t1", "bk1", NotificationConfig{Queue: []NotificationTarget{{ID: "q", ARN: "arn:q", Events: []string{"s3:ObjectRemoved:*"}}}}); err != nil {
		t.Fatal(err)
	}
	one, two := strings.Repeat("1", InlineMax+1), strings.Repeat("2", InlineMax+1)
	e.put(t, "bk1", "k", one)
	e.put(t, "bk1", "k", two)
	if got := e.get(t, "bk1", "k"); got != two {
		t.Fatalf("got %d bytes", len(got))
	}
	ents, _ := os.ReadDir(filepath.Join(e.dir, "objects"))
	if len(ents) != 1 {
		t.Fatalf("%d content files, want 1 (the replaced one removed)", len(ents))
	}
	e.put(t, "bk1", "k", "small") // inline: no content file
	if got := e.get(t, "bk1", "k"); got != "small" {
		t.Fatalf("got %q", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dir, "objects")); len(ents) != 0 {
		t.Fatalf("%d content files, want none (the object is inline)", len(ents))
	}
	if err := e.s.Delete(ctx, "t1", "bk1", "k", Caller{}); err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, 1)
	if !strings.Contains(got[0], `"eventName":"ObjectRemoved:Delete"`) {
		t.Fatalf("deliveries: %q", got)
	}
	if _, _, err := e.s.Get(ctx, "t1", "bk1", "k"); err == nil || !strings.Contains(err.Error(), CodeNoSuchKey) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := e.s.DeleteBucket(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
}

func TestMultipartAssemblesPartsWithoutCopying(t *testing.T) {
	e := open(t, t.TempDir(), nil)
	ctx := context.Background()
	if err := e.s.CreateBucket(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
	id, err := e.s.CreateUpload(ctx, "t1", "bk1", "big", Headers{ContentType: "text/plain"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte("a"), MinPartSize)
	var parts []CompletedPart
	for n, body := range [][]byte{p1, []byte("tail")} {
		p, err := e.s.UploadPart(ctx, "t1", PartInput{Bucket: "bk1", Key: "big", Upload: id, Number: n + 1, Body: bytes.NewReader(body), Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, CompletedPart{Number: n + 1, ETag: p.ETag})
	}
	if _, err := e.s.Complete(ctx, "t1", "bk1", "big", id, []CompletedPart{parts[1], parts[0]}, Caller{}); err == nil || !strings.Contains(err.Error(), CodeInvalidPartOrder) {
		t.Fatalf("out of order: %v", err)
	}
	o, err := e.s.Complete(ctx, "t1", "bk1", "big", id, parts, Caller{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(o.ETag, "-2") || o.Size != MinPartSize+4 {
		t.Fatalf("object %+v", o)
	}
	if got := e.get(t, "bk1", "big"); got != string(p1)+"tail" {
		t.Fatalf("content differs (%d bytes)", len(got))
	}
	if _, err := e.s.Uploads(ctx, "t1", "bk1"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.s.Parts(ctx, "t1", "bk1", "big", id, 0, 10); err == nil {
		t.Fatal("the completed upload still lists parts")
	}
}
