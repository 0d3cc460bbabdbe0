package meter

import (
	"context"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// OutcomeProvisioned marks a usage record of provisioned concurrency
// rather than of a call: BilledMs is instance-milliseconds (how long the
// version's provisioned instances were ready, summed over them), MemoryMB
// each instance's memory, GBs their product. Such records are not
// invocations: Summary and Records leave them out; AllRecords (bills)
// has them.
const OutcomeProvisioned = "provisioned"

// ProvisionedSample is one version's provisioned instances ready now.
type ProvisionedSample struct {
	Tenant, Function, Version string
	MemoryMB, Ready           int
}

// ProvisionedConfig tunes a Provisioned meter; zero values take the
// defaults.
type ProvisionedConfig struct {
	Sample time.Duration // how often the ready instances are counted (1s)
	Every  time.Duration // how often a record is written per version (1m)
	// Source counts the ready provisioned instances (pool.ProvisionedGroups).
	Source func() []ProvisionedSample
}

// Provisioned meters provisioned concurrency: it counts the ready
// provisioned instances every Sample and writes, every Every (and at
// Close), one usage record per version with the instance-milliseconds it
// counted, so that a bill can price the time they were kept ready. An
// instance counts for a whole sample period from the sample that first
// sees it: the records are right to within a sample period per change.
type Provisioned struct {
	m   *Meter
	cfg ProvisionedConfig
	now func() time.Time

	mu        sync.Mutex
	last      time.Time                   // the previous sample
	flushed   time.Time                   // the previous record
	acc       map[ProvisionedSample]int64 // Ready zeroed: key → instance-ms
	lastReady map[ProvisionedSample]int   // key → ready at the previous sample
	stop      chan struct{}
	done      chan struct{}
}

// NewProvisioned returns a provisioned-concurrency meter writing to m.
func (m *Meter) NewProvisioned(cfg ProvisionedConfig) *Provisioned {
	if cfg.Sample <= 0 {
		cfg.Sample = time.Second
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Minute
	}
	return &Provisioned{m: m, cfg: cfg, now: time.Now, acc: map[ProvisionedSample]int64{}, lastReady: map[ProvisionedSample]int{}}
}

// Start begins sampling until Close.
func (p *Provisioned) Start(ctx context.Context) error {
	now := p.now()
	p.mu.Lock()
	p.last, p.flushed = now, now
	stop, done := make(chan struct{}), make(chan struct{})
	p.stop, p.done = stop, done
	p.mu.Unlock()
	go p.loop(stop, done)
	return nil
}

func (p *Provisioned) loop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(p.cfg.Sample)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			now := p.now()
			p.sample(now)
			if now.Sub(p.flushedAt()) >= p.cfg.Every {
				p.flush(now)
			}
		}
	}
}

func (p *Provisioned) flushedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.flushed
}

// sample adds the time since the previous sample for the instances ready
// then (counted at that sample) and takes the new counts.
func (p *Provisioned) sample(now time.Time) {
	var cur []ProvisionedSample
	if p.cfg.Source != nil {
		cur = p.cfg.Source()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ms := now.Sub(p.last).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	for k, n := range p.lastReady {
		p.acc[k] += ms * int64(n)
	}
	p.last = now
	clear(p.lastReady)
	for _, s := range cur {
		if s.Ready > 0 {
			ready := s.Ready
			s.Ready = 0
			p.lastReady[s] += ready
		}
	}
}

// flush writes one record per version with the instance-ms counted.
func (p *Provisioned) flush(now time.Time) {
	p.mu.Lock()
	acc := p.acc
	p.acc = map[ProvisionedSample]int64{}
	p.flushed = now
	p.mu.Unlock()
	for k, ms := range acc {
		if ms <= 0 {
			continue
		}
		p.m.Record(fn.Usage{
			Time: now, Tenant: k.Tenant, Function: k.Function, Version: k.Version,
			DurationMs: float64(ms), BilledMs: ms, MemoryMB: k.MemoryMB,
			GBs: fn.GBSeconds(ms, k.MemoryMB), Outcome: OutcomeProvisioned,
		})
	}
}

// Close stops sampling and records the time counted so far (the meter's
// own Close stores it).
func (p *Provisioned) Close(ctx context.Context) error {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop = nil
	p.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	now := p.now()
	p.sample(now)
	p.flush(now)
	return nil
}
