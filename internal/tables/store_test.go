package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

func openStore(t *testing.T, dir string) (*store.Store, *Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return st, s
}

func put(item attr.Item) Change {
	return func(attr.Item) (attr.Item, bool, error) { return item, true, nil }
}

func del(attr.Item) (attr.Item, bool, error) { return nil, true, nil }

// TestWritesRecordsAndRestart: writes keep the index in sort order, each
// change stores one stream record in the same batch, and a restart
// rebuilds the index from the stream.
func TestWritesRecordsAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, s := openStore(t, dir)
	_, err := s.Create(ctx, Table{Tenant: "t", Name: "events", Hash: KeyAttr{Name: "pk"}, Range: &KeyAttr{Name: "n"},
		Attributes: []KeyAttr{{"pk", "S"}, {"n", "N"}}, StreamView: NewAndOldImages})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"10", "2", "-1.5", "2.0", "100"} {
		if _, err := s.Write(ctx, "t", Mutation{Table: "events", Key: attr.Item{"pk": attr.Str("a"), "n": attr.Num(n), "v": attr.Str(n)}, Change: put(attr.Item{"pk": attr.Str("a"), "n": attr.Num(n), "v": attr.Str(n)})}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Write(ctx, "t", Mutation{Table: "events", Key: attr.Item{"pk": attr.Str("a"), "n": attr.Num("100")}, Exact: true, Change: del}); err != nil {
		t.Fatal(err)
	}
	order := func(s *Store) string {
		var got []string
		err := s.Query(ctx, "t", "events", QueryInput{Hash: attr.Str("a"), Forward: true}, func(_, it attr.Item) (bool, error) {
			got = append(got, *it["v"].S)
			return true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(got)
	}
	if got := order(s); got != "[-1.5 2.0 10]" {
		t.Fatalf("query order %s", got)
	}
	info, _ := s.Describe(ctx, "t", "events")
	if info.ItemCount != 3 {
		t.Fatalf("ItemCount %d", info.ItemCount)
	}
	si, err := s.data.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 5 puts (one replaces "2" by "2.0") and a delete: 6 records, 4 item subjects
	if si.State.Msgs != 10 {
		t.Fatalf("%d messages in the data stream, want 6 records + 4 item versions", si.State.Msgs)
	}
	_ = s.Close(ctx)
	_ = st.Close()
	st2, s2 := openStore(t, dir)
	defer func() { _ = s2.Close(ctx); _ = st2.Close() }()
	if got := order(s2); got != "[-1.5 2.0 10]" {
		t.Fatalf("after restart: %s", got)
	}
	it, err := s2.Get(ctx, "t", "events", attr.Item{"pk": attr.Str("a"), "n": attr.Num("10")})
	if err != nil || it == nil {
		t.Fatal(it, err)
	}
	b, _ := json.Marshal(it)
	if string(b) != `{"n":{"N":"10"},"pk":{"S":"a"},"v":{"S":"10"}}` {
		t.Fatal(string(b))
	}
}

// TestIndexForgetsWatchedDeletes: a deletion the write path applied is
// remembered (so an older version the watch delivers late cannot bring
// the item back) only until the watch delivers the deletion itself.
func TestIndexForgetsWatchedDeletes(t *testing.T) {
	x := newIndex()
	k, _ := (&Table{Hash: KeyAttr{Name: "id", Type: "S"}}).key(attr.Item{"id": attr.Str("a")}, true)
	x.put(entry{key: k, seq: 1})
	x.remove(k, 2)               // the write path
	x.put(entry{key: k, seq: 1}) // the watch, late: ignored
	if n, _ := x.stats(); n != 0 {
		t.Fatalf("a late older version brought the item back")
	}
	x.removeWatched(k, 2)
	if len(x.gone) != 0 {
		t.Fatalf("the deletion is still remembered after the watch delivered it: %v", x.gone)
	}
}
