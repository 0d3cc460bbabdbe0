package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// clock is a test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// recorder keeps every delivery.
type recorder struct {
	mu  sync.Mutex
	got []Delivery
	err error // returned instead of keeping, when set
}

func (r *recorder) deliver(_ context.Context, d Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, d)
	return nil
}

func (r *recorder) all() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// ticks are the scheduled times of the deliveries of schedule name.
func (r *recorder) ticks(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, d := range r.all() {
		var ev struct {
			Time      string   `json:"time"`
			Resources []string `json:"resources"`
		}
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatalf("payload %s: %v", d.Payload, err)
		}
		if len(ev.Resources) == 1 && ev.Resources[0] == ARN("default", name) {
			out = append(out, ev.Time)
		}
	}
	return out
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func openService(t *testing.T, st *store.Store, c *clock, r *recorder, node string) *Service {
	t.Helper()
	s, err := Open(context.Background(), st, Config{Deliver: r.deliver, Now: c.now, Node: node, Lease: 30 * time.Second, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func create(t *testing.T, s *Service, sc Schedule) Schedule {
	t.Helper()
	if sc.Function == "" {
		sc.Function = "report"
	}
	got, err := s.Create(context.Background(), "default", sc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTwoNodesFireEachTickOnce(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	a, b := openService(t, st, &c, r, "a"), openService(t, st, &c, r, "b")
	create(t, a, Schedule{Name: "every5", Expression: "rate(5 minutes)"})
	ctx := context.Background()
	// Both nodes scan at once, repeatedly, over 30 minutes of ticks.
	for range 31 {
		var wg sync.WaitGroup
		for _, s := range []*Service{a, b, a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); s.scan(ctx, c.now()) }()
		}
		wg.Wait()
		c.advance(time.Minute)
	}
	got := r.ticks(t, "every5")
	want := []string{}
	for i := range 7 {
		want = append(want, t0.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ticks fired %v, want each once: %v", got, want)
	}
	ids := map[string]bool{}
	for _, d := range r.all() {
		if ids[d.ID] {
			t.Fatalf("request id %s used twice", d.ID)
		}
		ids[d.ID] = true
	}
	sc, err := b.Get(ctx, "default", "every5")
	if err != nil || sc.Fired != 7 || sc.NextTick == nil || !sc.NextTick.Equal(t0.Add(35*time.Minute)) {
		t.Fatalf("status %+v %v", sc, err)
	}
}

func TestCatchUpPolicies(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	s := openService(t, st, &c, r, "a")
	for _, p := range []string{CatchUpNone, CatchUpOne, CatchUpAll} {
		create(t, s, Schedule{Name: "hourly-" + p, Expression: "rate(1 hour)", CatchUp: p})
	}
	ctx := context.Background()
	s.scan(ctx, c.now()) // each fires its first tick at once
	// Down for 5.5 hours: ticks at +1h … +5h were missed.
	c.advance(5*time.Hour + 30*time.Minute)
	s.scan(ctx, c.now())
	s.scan(ctx, c.now())
	at := func(h int) string { return t0.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	if sc, err := s.Get(ctx, "default", "hourly-none"); err != nil || sc.Skipped != 5 || sc.Fired != 1 {
		t.Errorf("catch-up none status: %+v %v, want 5 skipped", sc, err)
	}
	for p, want := range map[string][]string{
		CatchUpNone: {at(0)},
		CatchUpOne:  {at(0), at(5)},
		CatchUpAll:  {at(0), at(1), at(2), at(3), at(4), at(5)},
	} {
		if got := r.ticks(t, "hourly-"+p); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("catch-up %s fired %v, want %v", p, got, want)
		}
	}
	// The next tick fires on time for all three.
	c.advance(30*time.Minute + 5*time.Second)
	s.scan(ctx, c.now())
	for _, p := range []string{CatchUpNone, CatchUpOne, CatchUpAll} {
		got := r.ticks(t, "hourly-"+p)
		if got[len(got)-1] != at(6) {
			t.Errorf("catch-up %s: last tick %v, want %s", p, got, at(6))
		}
	}
}

func TestCatchUpAllIsBounded(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	s := openService(t, st, &c, r, "a")
	create(t, s, Schedule{Name: "minutely", Expression: "rate(1 minute)", CatchUp: CatchUpAll})
	c.advance(3 * 24 * time.Hour)
	s.scan(context.Background(), c.now())
	if n := len(r.all()); n != MaxCatchUp {
		t.Fatalf("fired %d ticks after 3 days, want the bound %d", n, MaxCatchUp)
	}
}

func TestOneTimeFiresOnceThenCompletes(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	s := openService(t, st, &c, r, "a")
	create(t, s, Schedule{Name: "once", Expression: "at(2026-03-02T11:00:00)", Input: json.RawMessage(`{"k":1}`)})
	ctx := context.Background()
	s.scan(ctx, c.now())
	if n := len(r.all()); n != 0 {
		t.Fatalf("fired %d before its time", n)
	}
	c.advance(time.Hour)
	for range 3 {
		s.scan(ctx, c.now())
		c.advance(time.Minute)
	}
	got := r.all()
	if len(got) != 1 || string(got[0].Payload) != `{"k":1}` || got[0].Function != "report" {
		t.Fatalf("deliveries %+v, want the input once", got)
	}
	sc, err := s.Get(ctx, "default", "once")
	if err != nil || sc.State != StateCompleted || sc.Fired != 1 || sc.NextTick != nil {
		t.Fatalf("after firing: %+v %v", sc, err)
	}
	if _, err := s.SetState(ctx, "default", "once", StateEnabled); err == nil {
		t.Fatal("resuming a completed one-time schedule succeeded")
	}
}

func TestCrashAfterClaimDeliversAgainUnderTheSameID(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	a := openService(t, st, &c, &recorder{}, "a")
	create(t, a, Schedule{Name: "n", Expression: "cron(0 11 * * ? *)"})
	ctx := context.Background()
	c.set(t0.Add(time.Hour))
	// Node a claims 11:00 and crashes before delivering it: its claim
	// stays, with its lease.
	k := key("default", "n")
	stt, rev, err := a.readState(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := a.get(ctx, "default", "n")
	e, loc, _ := sc.Validate()
	fire, last, _ := a.due("default", &sc, e, loc, stt, c.now())
	stt.Pending, stt.Last, stt.Owner, stt.LeaseUntil = fire, last, "a", c.now().Add(30*time.Second)
	if _, err := a.writeState(ctx, k, stt, rev); err != nil {
		t.Fatal(err)
	}
	rb := &recorder{}
	b := openService(t, st, &c, rb, "b")
	b.scan(ctx, c.now())
	if n := len(rb.all()); n != 0 {
		t.Fatalf("node b delivered %d ticks while a's lease held", n)
	}
	c.advance(31 * time.Second) // a's lease lapses
	b.scan(ctx, c.now())
	b.scan(ctx, c.now())
	got := rb.all()
	if len(got) != 1 || got[0].ID != TickID("default", &sc, t0.Add(time.Hour)) {
		t.Fatalf("b delivered %+v, want the claimed tick once under its id", got)
	}
}

func TestPauseResumeAndWindow(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	s := openService(t, st, &c, r, "a")
	ctx := context.Background()
	end := t0.Add(150 * time.Minute)
	create(t, s, Schedule{Name: "h", Expression: "cron(30 * * * ? *)", End: &end})
	if _, err := s.SetState(ctx, "default", "h", StateDisabled); err != nil {
		t.Fatal(err)
	}
	c.advance(40 * time.Minute) // 10:30 passes while paused
	s.scan(ctx, c.now())
	if _, err := s.SetState(ctx, "default", "h", StateEnabled); err != nil {
		t.Fatal(err)
	}
	for range 6 { // to 13:40: 11:30 and 12:30 fire; 13:30 is past the end
		c.advance(30 * time.Minute)
		s.scan(ctx, c.now())
	}
	want := []string{"2026-03-02T11:30:00Z", "2026-03-02T12:30:00Z"}
	if got := r.ticks(t, "h"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fired %v, want %v (nothing while paused, nothing after the end)", got, want)
	}
	// A flexible window delays a tick by up to its minutes, never more.
	create(t, s, Schedule{Name: "flex", Expression: "cron(0 14 * * ? *)", FlexibleWindow: 15})
	c.set(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC))
	fired := time.Time{}
	for range 16 * 6 {
		s.scan(ctx, c.now())
		if len(r.ticks(t, "flex")) > 0 && fired.IsZero() {
			fired = c.now()
		}
		c.advance(10 * time.Second)
	}
	sc, _ := s.get(ctx, "default", "flex")
	wantAt := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC).Add(flexDelay("default", &sc, time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)))
	if len(r.ticks(t, "flex")) != 1 || fired.Before(wantAt) || fired.Sub(wantAt) > 10*time.Second {
		t.Fatalf("flexible tick fired at %s, want once at %s", fired, wantAt)
	}
}

func TestCRUDAndValidation(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	s, err := Open(context.Background(), st, Config{Deliver: (&recorder{}).deliver, Now: c.now, Log: quiet,
		FunctionExists: func(_ context.Context, tenant, name string) error {
			if name != "report" {
				return fn.FunctionNotFound(tenant, name)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	ctx := context.Background()
	create(t, s, Schedule{Name: "a", Expression: "rate(1 hour)", Timezone: "Europe/Berlin"})
	for _, c := range []struct {
		sc   Schedule
		want string
	}{
		{Schedule{Name: "a", Expression: "rate(1 hour)", Function: "report"}, "already exists"},
		{Schedule{Name: "b", Expression: "rate(1 hours)", Function: "report"}, "singular"},
		{Schedule{Name: "b", Expression: "rate(1 hour)", Function: "nope"}, "nope"},
		{Schedule{Name: "b", Expression: "rate(1 hour)", Function: "report", Timezone: "Mars/Base"}, "IANA"},
		{Schedule{Name: "b c", Expression: "rate(1 hour)", Function: "report"}, "schedule name"},
		{Schedule{Name: "b", Expression: "rate(1 hour)", Function: "report", CatchUp: "some"}, "none, one or all"},
		{Schedule{Name: "b", Expression: "rate(1 hour)", Function: "report", Input: json.RawMessage(`{`)}, "not valid JSON"},
	} {
		if _, err := s.Create(ctx, "default", c.sc); err == nil || !contains(err.Error(), c.want) {
			t.Errorf("Create(%+v) = %v, want %q", c.sc, err, c.want)
		}
	}
	if _, err := s.Get(ctx, "other", "a"); !fn.IsNotFound(err) {
		t.Fatalf("another tenant's schedule: %v", err)
	}
	up, err := s.Update(ctx, "default", "a", Schedule{Expression: "cron(0 9 * * ? *)", Function: "report", Timezone: "Europe/Berlin"})
	if err != nil || up.Expression != "cron(0 9 * * ? *)" || up.NextTick == nil || !up.NextTick.Equal(time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("update: %+v %v", up, err)
	}
	list, err := s.List(ctx, "default")
	if err != nil || len(list) != 1 || list[0].ARN != "arn:aws:scheduler:local:"+fn.AccountID("default")+":schedule/default/a" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := s.Delete(ctx, "default", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "default", "a"); !fn.IsNotFound(err) {
		t.Fatalf("delete twice: %v", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestFailedDeliveryIsRetriedOnTheNextScan(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{err: fn.Unavailable("queue down")}
	s := openService(t, st, &c, r, "a")
	create(t, s, Schedule{Name: "n", Expression: "rate(1 hour)"})
	ctx := context.Background()
	s.scan(ctx, c.now())
	r.mu.Lock()
	r.err = nil
	r.mu.Unlock()
	c.advance(time.Second)
	s.scan(ctx, c.now())
	s.scan(ctx, c.now())
	if got := r.ticks(t, "n"); fmt.Sprint(got) != fmt.Sprint([]string{t0.Format(time.RFC3339)}) {
		t.Fatalf("after a failed delivery: fired %v, want the tick once", got)
	}
}

func TestTicksOfADeletedFunctionAreDropped(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	exists := atomic.Bool{}
	exists.Store(true)
	s, err := Open(context.Background(), st, Config{Deliver: r.deliver, Now: c.now, Log: quiet,
		FunctionExists: func(_ context.Context, tenant, name string) error {
			if !exists.Load() {
				return fn.FunctionNotFound(tenant, name)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	create(t, s, Schedule{Name: "n", Expression: "rate(1 hour)"})
	exists.Store(false)
	ctx := context.Background()
	s.scan(ctx, c.now())
	c.advance(time.Hour)
	s.scan(ctx, c.now())
	if sc, err := s.Get(ctx, "default", "n"); err != nil || sc.Dropped != 2 {
		t.Errorf("status %+v %v, want 2 dropped", sc, err)
	}
	stt, _, err := s.readState(ctx, key("default", "n"))
	if err != nil || len(r.all()) != 0 || stt.Dropped != 2 || len(stt.Pending) != 0 || !stt.Last.Equal(t0.Add(time.Hour)) {
		t.Fatalf("state %+v, deliveries %d: want two ticks dropped and the schedule moving on", stt, len(r.all()))
	}
}

// A node learns of schedules made on another through the watches.
func TestNodeFiresScheduleMadeElsewhere(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	r := &recorder{}
	a, b := openService(t, st, &c, &recorder{}, "a"), openService(t, st, &c, r, "b")
	create(t, a, Schedule{Name: "made-on-a", Expression: "rate(1 hour)"})
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for len(r.all()) == 0 && time.Now().Before(deadline) {
		b.scan(ctx, c.now())
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.ticks(t, "made-on-a"); fmt.Sprint(got) != fmt.Sprint([]string{t0.Format(time.RFC3339)}) {
		t.Fatalf("node b fired %v", got)
	}
	// Deleted on a: b stops looking at it.
	if err := a.Delete(ctx, "default", "made-on-a"); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		if len(b.candidates(c.now().Add(2*time.Hour))) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("node b still considers a deleted schedule")
}

func TestTenantResources(t *testing.T) {
	st := openStore(t)
	var c clock
	c.set(t0)
	s := openService(t, st, &c, &recorder{}, "a")
	ctx := context.Background()
	create(t, s, Schedule{Name: "a", Expression: "rate(1 day)"})
	create(t, s, Schedule{Name: "b", Expression: "rate(1 day)"})
	if _, err := s.Create(ctx, "other", Schedule{Name: "a", Expression: "rate(1 day)", Function: "f"}); err != nil {
		t.Fatal(err)
	}
	tr := s.TenantResources()
	if n, err := tr.Count(ctx, "default"); err != nil || n != 2 || tr.Kind() != "schedules" {
		t.Fatalf("count %d %v", n, err)
	}
	if err := tr.DeleteAll(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if n, _ := tr.Count(ctx, "default"); n != 0 {
		t.Fatalf("%d schedules left after DeleteAll", n)
	}
	if n, _ := tr.Count(ctx, "other"); n != 1 {
		t.Fatalf("another tenant's schedules: %d, want 1 kept", n)
	}
}
