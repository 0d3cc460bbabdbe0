package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"
)

// UsageBucket holds each API key's request count per UTC day, keyed
// "KEYID.YYYYMMDD"; entries expire after two days.
const UsageBucket = "HTTP_API_USAGE"

// usageFlush is how often counts are added to the bucket: a restart loses
// at most this much of a day's count; Close writes the rest.
const usageFlush = time.Second

// usageMeter enforces usage plans: a token bucket per key (rate, burst),
// per node, and a daily quota counted in the usage bucket, shared by
// every node and kept across restarts.
type usageMeter struct {
	kv  jetstream.KeyValue
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	limiters map[string]*limiter
	days     map[string]*dayCount // by "KEYID.YYYYMMDD"
}

type limiter struct {
	rate  float64
	burst int
	l     *rate.Limiter
}

// dayCount is one key's count for one day: stored is what the bucket
// held when last read or written, pending what this node counted since.
type dayCount struct {
	stored, pending int64
	loaded          bool
}

func newUsageMeter(kv jetstream.KeyValue, log *slog.Logger, now func() time.Time) *usageMeter {
	return &usageMeter{kv: kv, log: log, now: now, limiters: map[string]*limiter{}, days: map[string]*dayCount{}}
}

// admit counts one request of key k, or refuses it with 429.
func (m *usageMeter) admit(k *APIKey) error {
	now := m.now()
	m.mu.Lock()
	if k.Rate > 0 {
		l := m.limiters[k.ID]
		if l == nil || l.rate != k.Rate || l.burst != k.Burst {
			l = &limiter{rate: k.Rate, burst: k.Burst, l: rate.NewLimiter(rate.Limit(k.Rate), k.Burst)}
			m.limiters[k.ID] = l
		}
		if !l.l.AllowN(now, 1) {
			m.mu.Unlock()
			return invalid(http.StatusTooManyRequests, "Too Many Requests",
				fmt.Sprintf("API key %s is over its rate of %g requests per second (burst %d)", k.ID, k.Rate, k.Burst))
		}
	}
	if k.QuotaPerDay <= 0 {
		m.mu.Unlock()
		return nil
	}
	day := k.ID + "." + now.UTC().Format("20060102")
	d := m.days[day]
	if d == nil {
		d = &dayCount{}
		m.days[day] = d
	}
	if !d.loaded {
		m.mu.Unlock()
		stored, err := m.read(day)
		m.mu.Lock()
		if err != nil {
			m.log.Warn("reading an API key's usage failed: counting from this node's figures", "key", k.ID, "err", err)
		} else if !d.loaded {
			d.stored, d.loaded = stored, true
		}
	}
	if d.stored+d.pending >= k.QuotaPerDay {
		m.mu.Unlock()
		return invalid(http.StatusTooManyRequests, "Limit Exceeded",
			fmt.Sprintf("API key %s used its quota of %d requests for today (UTC)", k.ID, k.QuotaPerDay))
	}
	d.pending++
	m.mu.Unlock()
	return nil
}

func (m *usageMeter) read(day string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := m.kv.Get(ctx, day)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(e.Value()), 10, 64)
}

// run flushes counts every usageFlush until ctx ends.
func (m *usageMeter) run(ctx context.Context) {
	t := time.NewTicker(usageFlush)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.flush(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("storing API key usage failed: retried on the next flush", "err", err)
			}
		}
	}
}

// flush adds each day's pending count to the bucket (compare-and-set, so
// nodes counting together add up) and forgets days gone by.
func (m *usageMeter) flush(ctx context.Context) error {
	m.mu.Lock()
	todo := map[string]int64{}
	today := m.now().UTC().Format("20060102")
	for day, d := range m.days {
		if d.pending > 0 {
			todo[day] = d.pending
		} else if len(day) < 8 || day[len(day)-8:] != today {
			delete(m.days, day)
		}
	}
	m.mu.Unlock()
	var errs []error
	for day, n := range todo {
		total, err := m.add(ctx, day, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.mu.Lock()
		if d := m.days[day]; d != nil {
			d.pending -= n
			d.stored, d.loaded = total, true
		}
		m.mu.Unlock()
	}
	return errors.Join(errs...)
}

// add adds n to day's stored count and returns the new total.
func (m *usageMeter) add(ctx context.Context, day string, n int64) (int64, error) {
	for {
		e, err := m.kv.Get(ctx, day)
		var cur int64
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return 0, fmt.Errorf("httpapi: usage %s: %w", day, err)
		default:
			if cur, err = strconv.ParseInt(string(e.Value()), 10, 64); err != nil {
				cur = 0
			}
			rev = e.Revision()
		}
		val := []byte(strconv.FormatInt(cur+n, 10))
		if rev == 0 {
			_, err = m.kv.Create(ctx, day, val)
		} else {
			_, err = m.kv.Update(ctx, day, val, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("httpapi: usage %s: %w", day, err)
		}
		return cur + n, nil
	}
}
