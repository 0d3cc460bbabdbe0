package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// fillStore opens a store with a KV bucket, an object store and a work
// queue stream with a durable consumer.
func fillStore(t *testing.T, dir string) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: "functions"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if _, err := kv.Put(ctx, k, []byte("value-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	obs, err := st.Objects(ctx, jetstream.ObjectStoreConfig{Bucket: "code"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(ctx, "blob", bytes.Repeat([]byte("x"), 300<<10)); err != nil {
		t.Fatal(err)
	}
	s, err := st.Stream(ctx, jetstream.StreamConfig{Name: "ASYNC", Subjects: []string{"async.>"}, Retention: jetstream.WorkQueuePolicy})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := st.JetStream().Publish(ctx, "async.t.f", []byte("event")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "worker", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	key := filepath.Join(root, "master.key")
	if err := os.WriteFile(key, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := fillStore(t, filepath.Join(root, "old"))
	var archive bytes.Buffer
	m, err := st.Backup(ctx, &archive, BackupOptions{Files: []BackupFile{{Name: "master.key", Path: key}}, TempDir: root})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	var names []string
	for _, s := range m.Streams {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "KV_functions,OBJ_code,ASYNC" {
		t.Fatalf("streams in backup order = %s", got)
	}

	bdir := filepath.Join(root, "backup")
	if _, err := ExtractBackup(bytes.NewReader(archive.Bytes()), bdir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(bdir, "files", "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master.key in backup: %v %v", fi, err)
	}

	// A non-empty target is refused.
	busy := filepath.Join(root, "busy")
	if err := os.MkdirAll(filepath.Join(busy, "jetstream"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, bdir, RestoreOptions{DataDir: busy, StoreDir: filepath.Join(busy, "jetstream")}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore onto a non-empty dir: %v", err)
	}

	data := filepath.Join(root, "new")
	if _, err := Restore(ctx, bdir, RestoreOptions{DataDir: data, StoreDir: filepath.Join(data, "js")}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(data, "master.key")); err != nil || string(b) != "secret" {
		t.Fatalf("restored master.key = %q, %v", b, err)
	}
	st2, err := Open(ctx, Config{Dir: filepath.Join(data, "js")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st2.Close() }()
	kv, err := st2.JetStream().KeyValue(ctx, "functions")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctx, "b"); err != nil || string(e.Value()) != "value-b" {
		t.Fatalf("restored kv b: %v", err)
	}
	obs, err := st2.JetStream().ObjectStore(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := obs.GetBytes(ctx, "blob"); err != nil || len(b) != 300<<10 {
		t.Fatalf("restored object: %d bytes, %v", len(b), err)
	}
	s, err := st2.JetStream().Stream(ctx, "ASYNC")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(ctx); err != nil || info.State.Msgs != 5 || info.State.Consumers != 1 {
		t.Fatalf("restored ASYNC: %+v %v", info, err)
	}
}

func TestRestoreRefusesDamagedBackup(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st := fillStore(t, filepath.Join(root, "old"))
	var archive bytes.Buffer
	if _, err := st.Backup(ctx, &archive, BackupOptions{TempDir: root}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	// An archive cut before its manifest is incomplete and leaves nothing.
	cut := filepath.Join(root, "cut")
	if _, err := ExtractBackup(bytes.NewReader(archive.Bytes()[:archive.Len()/2]), cut); err == nil {
		t.Fatal("a truncated archive was accepted")
	}
	if entries, _ := os.ReadDir(cut); len(entries) != 0 {
		t.Fatalf("a failed extract left %d entries", len(entries))
	}

	bdir := filepath.Join(root, "backup")
	if _, err := ExtractBackup(bytes.NewReader(archive.Bytes()), bdir); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(bdir, "streams", "KV_functions.snap")
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(snap, b, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "new")
	_, err = Restore(ctx, bdir, RestoreOptions{DataDir: data, StoreDir: filepath.Join(data, "js")})
	if err == nil || !strings.Contains(err.Error(), "streams/KV_functions.snap") {
		t.Fatalf("restore of a damaged backup: %v", err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("restore wrote %s before verifying the backup", data)
	}
}
