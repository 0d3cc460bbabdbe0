package tables

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// records reads every stream record of table t.
func records(t *testing.T, s *Store, tb *Table) []event.DynamoDBRecord {
	t.Helper()
	ctx := context.Background()
	c, err := s.js.OrderedConsumer(ctx, DataStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{RecordSubjects(tb.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	var out []event.DynamoDBRecord
	for {
		b, err := c.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range b.Messages() {
			md, _ := m.Metadata()
			r, err := DecodeRecord(m.Data(), md.Sequence.Stream)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

// TestTTLReap: expired items (written before or after TTL was turned
// on) are deleted by the reaper with REMOVE records made by the service;
// items with a future or no TTL stay.
func TestTTLReap(t *testing.T) {
	ctx := context.Background()
	st, s := openStore(t, t.TempDir())
	defer func() { _ = s.Close(ctx); _ = st.Close() }()
	if _, err := s.Create(ctx, Table{Tenant: "t", Name: "sessions", Hash: KeyAttr{Name: "id"},
		Attributes: []KeyAttr{{"id", "S"}}, StreamView: KeysOnly}); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	past, future := strconv.FormatInt(at.Unix()-10, 10), strconv.FormatInt(at.Unix()+3600, 10)
	write := func(id, exp string) {
		it := attr.Item{"id": attr.Str(id)}
		if exp != "" {
			it["exp"] = attr.Num(exp)
		}
		if _, err := s.Write(ctx, "t", Mutation{Table: "sessions", Key: it, Change: put(it)}); err != nil {
			t.Fatal(err)
		}
	}
	write("before", past)
	if _, err := s.SetTTL(ctx, "t", "sessions", "exp", true); err != nil {
		t.Fatal(err)
	}
	write("after", past)
	write("later", future)
	write("never", "")
	n, err := s.Reap(ctx, at)
	if err != nil || n != 2 {
		t.Fatalf("reaped %d, %v; want 2", n, err)
	}
	for id, want := range map[string]bool{"before": false, "after": false, "later": true, "never": true} {
		it, err := s.Get(ctx, "t", "sessions", attr.Item{"id": attr.Str(id)})
		if err != nil || (it != nil) != want {
			t.Fatalf("%s: %v %v", id, it, err)
		}
	}
	tb, _ := s.Table("t", "sessions")
	recs := records(t, s, tb)
	if len(recs) != 6 {
		t.Fatalf("%d records, want 4 INSERT + 2 REMOVE", len(recs))
	}
	var prev string
	for i, r := range recs {
		if r.Change.SequenceNumber <= prev {
			t.Fatalf("sequence numbers not increasing: %s after %s", r.Change.SequenceNumber, prev)
		}
		prev = r.Change.SequenceNumber
		if i < 4 {
			if r.EventName != "INSERT" || r.UserIdentity != nil {
				t.Fatalf("record %d: %+v", i, r)
			}
			continue
		}
		if r.EventName != "REMOVE" || r.UserIdentity == nil || r.UserIdentity.PrincipalID != "dynamodb.amazonaws.com" ||
			r.UserIdentity.Type != "Service" || r.Change.NewImage != nil || r.Change.OldImage != nil || r.EventSourceARN != tb.StreamARN() {
			t.Fatalf("TTL record %+v", r)
		}
	}
}
