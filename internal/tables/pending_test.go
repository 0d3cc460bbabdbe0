package tables

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// TestPendingRecords: a record stored without its item (the server
// stopped between the two messages) is rolled forward when its item is
// still the one it expected, and deleted otherwise; a reader delivers
// exactly the records of the versions the items took.
func TestPendingRecords(t *testing.T) {
	ctx := context.Background()
	grace := settleGrace
	settleGrace = 0
	defer func() { settleGrace = grace }()
	st, s := openStore(t, t.TempDir())
	defer func() { _ = s.Close(ctx); _ = st.Close() }()
	if _, err := s.Create(ctx, Table{Tenant: "t", Name: "users", Hash: KeyAttr{Name: "id"},
		Attributes: []KeyAttr{{"id", "S"}}, StreamView: NewImage}); err != nil {
		t.Fatal(err)
	}
	item := func(id, v string) attr.Item { return attr.Item{"id": attr.Str(id), "v": attr.Str(v)} }
	write := func(it attr.Item) {
		t.Helper()
		if _, err := s.Write(ctx, "t", Mutation{Table: "users", Key: it, Change: put(it)}); err != nil {
			t.Fatal(err)
		}
	}
	// orphan stores only the record of a write of it expecting sequence expect.
	orphan := func(it attr.Item, expect uint64) {
		t.Helper()
		tb, _ := s.Table("t", "users")
		k, err := tb.key(it, false)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := newRecord(tb, k, nil, it, "", expect)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.atomic(ctx, []*nats.Msg{rec}); err != nil {
			t.Fatal(err)
		}
	}
	write(item("a", "1"))
	orphan(item("b", "1"), 0)     // b did not exist: it can roll forward
	orphan(item("a", "stale"), 1) // a is not at sequence 1: stale
	if got, _ := s.Get(ctx, "t", "users", attr.Item{"id": attr.Str("b")}); got != nil {
		t.Fatalf("b visible before it is settled: %v", got)
	}
	write(item("a", "2")) // settles a's stale record first: deleted

	rd, err := s.OpenStream(ctx, func() string { tb, _ := s.Table("t", "users"); return tb.ID }(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	for len(got) < 3 {
		recs, err := rd.Next(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			dr, err := DecodeRecord(mustEnvelope(t, r.Data), r.Seq)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, dr.EventName+" "+string(dr.Change.NewImage))
		}
	}
	want := `[INSERT {"id":{"S":"a"},"v":{"S":"1"}} INSERT {"id":{"S":"b"},"v":{"S":"1"}} MODIFY {"id":{"S":"a"},"v":{"S":"2"}}]`
	if fmt.Sprint(got) != want {
		t.Fatalf("delivered %v\nwant %s", got, want)
	}
	if b, err := s.Get(ctx, "t", "users", attr.Item{"id": attr.Str("b")}); err != nil || b == nil || *b["v"].S != "1" {
		t.Fatalf("b after the reader settled it: %v %v", b, err)
	}
	if a, _ := s.Get(ctx, "t", "users", attr.Item{"id": attr.Str("a")}); *a["v"].S != "2" {
		t.Fatalf("a: %v", a)
	}
}

// mustEnvelope wraps a delivered record (already unwrapped) back into a
// stored envelope for DecodeRecord.
func mustEnvelope(t *testing.T, r []byte) []byte {
	t.Helper()
	return append(append([]byte(`{"r":`), r...), '}')
}
