package store

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// fill writes a KV bucket with three keys and a stream with 20 messages.
func fill(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	kv, err := s.KV(ctx, jetstream.KeyValueConfig{Bucket: "things", History: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := kv.Put(ctx, fmt.Sprintf("k%d", i), bytes.Repeat([]byte("v"), 100)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Stream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := s.js.Publish(ctx, "ev.x", fmt.Appendf(nil, "event %d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, dir string, log *slog.Logger) *Report {
	t.Helper()
	s, err := Open(context.Background(), Config{Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestNATSLogReachesSlog: the server's lines arrive in slog, its warnings
// at warn level, and a flipped block's warning is in the report.
func TestNATSLogReachesSlog(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(context.Background(), Config{Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	s.Close()
	if !strings.Contains(buf.String(), `level=DEBUG msg="Server is ready" component=nats`) {
		t.Fatalf("no server notice in the log:\n%s", buf.String())
	}
	blk := filepath.Join(dir, "jetstream", "$G", "streams", "KV_things", "msgs", "1.blk")
	data, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	// At a third: the header of the second of three records.
	for i := len(data) / 3; i < len(data)/3+16; i++ {
		data[i] ^= 0xff
	}
	if err := os.WriteFile(blk, data, 0o600); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	rep := verify(t, dir, log)
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "KV_things") {
		t.Fatalf("no warning about the damaged stream:\n%s", buf.String())
	}
	if !rep.Damaged() || rep.Stream("KV_things") == nil || len(rep.Stream("KV_things").Problems) == 0 {
		t.Fatalf("damage not in the report: %+v", rep)
	}
}

func TestStoreLockedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second open: %v", err)
	}
	s.Close()
	s, err = Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s.Close()
}

// TestVerifyAfterCrash: a copy of a running store's files is what a crash
// leaves. Its recovery rebuilds state, which is no damage: only a clean
// stop's manifest makes every difference count.
func TestVerifyAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	crashed := t.TempDir()
	if err := copyTree(dir, crashed); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, crashed, slog.New(slog.DiscardHandler))
	if rep.Baseline != "last start" || rep.Damaged() {
		t.Fatalf("baseline %s, damaged %v: %+v", rep.Baseline, rep.Damaged(), rep)
	}
	if st := rep.Stream("EVENTS"); st == nil || st.Readable != 20 {
		t.Fatalf("EVENTS: %+v", st)
	}
	// Without any manifest (a store from before manifests), too.
	os.Remove(filepath.Join(crashed, manifestFile))
	if rep := verify(t, crashed, nil); rep.Baseline != "none" || rep.Damaged() {
		t.Fatalf("no manifest: baseline %s, damaged %v", rep.Baseline, rep.Damaged())
	}
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o600)
	})
}

// TestVerifyCleanStop: an untouched store passes against its clean stop;
// a truncated stream fails with the count lost.
func TestVerifyCleanStop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, dir, nil); rep.Baseline != "clean stop" || rep.Damaged() {
		t.Fatalf("intact: baseline %s, %+v", rep.Baseline, rep)
	}
	blk := filepath.Join(dir, "jetstream", "$G", "streams", "EVENTS", "msgs", "1.blk")
	fi, err := os.Stat(blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blk, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, dir, nil)
	ev := rep.Stream("EVENTS")
	if ev == nil || ev.Expected != 20 || ev.LostMsgs == 0 || ev.LostMsgs != 20-ev.Readable {
		t.Fatalf("truncated EVENTS: %+v", ev)
	}
}

// TestExpiredHead: messages gone from the head of a stream with MaxAge are
// expiry while the server was stopped, not loss; anything else is loss.
func TestExpiredHead(t *testing.T) {
	old := &streamMark{Msgs: 10, FirstSeq: 1, LastSeq: 10, FirstTime: time.Now().Add(-2 * time.Hour)}
	head := jetstream.StreamState{Msgs: 4, FirstSeq: 7, LastSeq: 10}
	if !expiredHead(time.Hour, head, old) {
		t.Error("head older than MaxAge gone: want expiry")
	}
	if expiredHead(0, head, old) {
		t.Error("no MaxAge: want loss")
	}
	if expiredHead(3*time.Hour, head, old) {
		t.Error("head younger than MaxAge gone: want loss")
	}
	if expiredHead(time.Hour, jetstream.StreamState{Msgs: 4, FirstSeq: 7, LastSeq: 9}, old) {
		t.Error("tail gone: want loss")
	}
}
