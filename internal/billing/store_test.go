package billing

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/store"
)

// BenchmarkBillFromStore is what GET /v1/billing does for a tenant with
// 100 000 calls this month: read every record back from JetStream and
// price them. ns/op is per bill.
func BenchmarkBillFromStore(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m, err := meter.New(ctx, st, meter.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	const n = 100_000
	month := MonthOf(time.Now())
	for i := range n {
		u := calls("t", []string{"a", "b", "c"}[i%3], 1, 128<<(i%4), int64(1+i%500))[0]
		u.Time = time.Now()
		m.Record(u)
	}
	if err := m.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		bl := NewBuilder(DefaultPrices(), month, "x86_64")
		if err := m.AllRecords(ctx, "t", "", month.Start(), func(u fn.Usage) error { bl.Add(u); return nil }); err != nil {
			b.Fatal(err)
		}
		if bill := bl.Bill("t"); bill.Requests != n {
			b.Fatalf("%d requests billed, want %d", bill.Requests, n)
		}
	}
}
