package replay

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// Options tune a replay.
type Options struct {
	Policy       string        // "adaptive" or "fixed:D"
	IdleBudgetMB int           // 0: none
	ColdStart    time.Duration // simulated cold-start cost; default 500ms
	Step         time.Duration // reaper and idle-memory step; default 10s
}

// Result is one policy's figures.
type Result struct {
	Policy               string  `json:"policy"`
	Invocations          int64   `json:"invocations"`
	ColdStarts           int64   `json:"cold_starts"`
	ColdFraction         float64 `json:"cold_fraction"`
	MedianFnColdFraction float64 `json:"median_fn_cold_fraction"`
	IdleGBs              float64 `json:"idle_gb_s"`
	// Prewarms are instances the policy started ahead of a call;
	// PrewarmHits those a call then used (its call was warm).
	Prewarms    int64 `json:"prewarms"`
	PrewarmHits int64 `json:"prewarm_hits"`
}

// Run replays t under o's policy.
func Run(ctx context.Context, t *Trace, o Options) (*Result, error) {
	if o.ColdStart <= 0 {
		o.ColdStart = 500 * time.Millisecond
	}
	if o.Step <= 0 {
		o.Step = 10 * time.Second
	}
	kaCfg, err := scheduler.ParseKeepAlivePolicy(o.Policy, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	start := time.Date(2019, 7, 15, 0, 0, 0, 0, time.UTC)
	var clockNs atomic.Int64 // the pool's start goroutines read it
	clockNs.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clockNs.Load()).UTC() }
	setClock := func(t time.Time) { clockNs.Store(t.UnixNano()) }
	rt := &simRuntime{initDur: o.ColdStart}
	p, err := pool.New(pool.Config{
		KeepAlive: kaCfg.Fixed, MaxInstances: 1 << 20, Policy: scheduler.NewKeepAlive(kaCfg),
		IdleBudgetMB: o.IdleBudgetMB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, rt)
	if err != nil {
		return nil, err
	}
	defer p.Close(context.Background())
	p.SetClock(now)

	specs := make([]pool.SpecFunc, len(t.Functions))
	keys := make([]string, len(t.Functions))
	for i, f := range t.Functions {
		mb := f.MemoryMB
		specs[i] = func(context.Context) (runtime.Spec, error) { return runtime.Spec{MemoryMB: mb}, nil }
		keys[i] = f.Key()
	}
	calls := make([]int64, len(t.Functions))
	colds := make([]int64, len(t.Functions))
	res := &Result{Policy: o.Policy}
	var idleMBs float64 // MB × seconds
	var done doneHeap
	nextReap := start.Add(o.Step)

	// advance moves the clock to at, releasing calls and reaping on the way.
	advance := func(at time.Time) {
		for {
			next := nextReap
			if len(done) > 0 && done[0].at.Before(next) {
				next = done[0].at
			}
			if next.After(at) {
				break
			}
			setClock(next)
			if len(done) > 0 && !done[0].at.After(next) {
				d := heap.Pop(&done).(doneEvent)
				p.Release(d.lease, false)
				continue
			}
			p.Reap()
			idleMBs += float64(p.IdleMB()) * o.Step.Seconds()
			nextReap = nextReap.Add(o.Step)
		}
		setClock(at)
	}
	type arrival struct {
		at time.Time
		fn int
	}
	var arrivals []arrival
	for m := 0; m < Minutes; m++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		arrivals = arrivals[:0]
		base := start.Add(time.Duration(m) * time.Minute)
		for i, f := range t.Functions {
			c := f.Counts[m]
			for k := 0; k < c; k++ {
				arrivals = append(arrivals, arrival{base.Add(time.Duration((float64(k) + 0.5) * float64(time.Minute) / float64(c))), i})
			}
		}
		sort.Slice(arrivals, func(a, b int) bool { return arrivals[a].at.Before(arrivals[b].at) })
		for _, a := range arrivals {
			advance(a.at)
			l, err := p.Acquire(ctx, keys[a.fn], keys[a.fn], specs[a.fn])
			if err != nil {
				return nil, fmt.Errorf("replay: acquire %s: %w", keys[a.fn], err)
			}
			busy := time.Duration(t.Functions[a.fn].DurationMs * float64(time.Millisecond))
			calls[a.fn]++
			if l.Cold {
				colds[a.fn]++
				busy += o.ColdStart
			} else if inst := l.Instance().(*simInstance); !inst.used {
				res.PrewarmHits++
			}
			l.Instance().(*simInstance).used = true
			heap.Push(&done, doneEvent{at: a.at.Add(busy), lease: l})
		}
	}
	advance(start.Add(Minutes * time.Minute))
	for len(done) > 0 {
		p.Release(heap.Pop(&done).(doneEvent).lease, false)
	}

	var fracs []float64
	for i := range calls {
		res.Invocations += calls[i]
		res.ColdStarts += colds[i]
		if calls[i] > 0 {
			fracs = append(fracs, float64(colds[i])/float64(calls[i]))
		}
	}
	if res.Invocations > 0 {
		res.ColdFraction = float64(res.ColdStarts) / float64(res.Invocations)
	}
	if len(fracs) > 0 {
		sort.Float64s(fracs)
		res.MedianFnColdFraction = fracs[len(fracs)/2]
	}
	res.IdleGBs = idleMBs / 1024
	res.Prewarms = rt.started.Load() - res.ColdStarts
	return res, nil
}

type doneEvent struct {
	at    time.Time
	lease *pool.Lease
}

type doneHeap []doneEvent

func (h doneHeap) Len() int           { return len(h) }
func (h doneHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h doneHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *doneHeap) Push(x any)        { *h = append(*h, x.(doneEvent)) }
func (h *doneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// simRuntime starts instances at once; their calls are simulated by the
// replay loop holding leases, so Invoke is never called.
type simRuntime struct {
	initDur time.Duration
	started atomic.Int64
}

func (r *simRuntime) NewInstance(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	r.started.Add(1)
	return &simInstance{initDur: r.initDur}, nil
}

type simInstance struct {
	initDur time.Duration
	used    bool // a call has leased it; read and set by the replay loop only
}

var _ runtime.Instance = (*simInstance)(nil)

func (i *simInstance) Invoke(ctx context.Context, req *runtime.Request) (*runtime.Response, error) {
	return &runtime.Response{}, nil
}
func (i *simInstance) InitDuration() time.Duration     { return i.initDur }
func (i *simInstance) InitLogs() []byte                { return nil }
func (i *simInstance) Close(ctx context.Context) error { return nil }
