package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// routesFigures measures an HTTP API route (serve --routes-listen) against
// a direct Lambda Invoke of the same function on the same platform, in the
// same run: what the route adds at 1 client (p50, target <= 30 us) and its
// throughput at 16 clients. base is the plain Go server, for scale.
func routesFigures(ctx context.Context, w io.Writer, o Options, tmp, goHello string, base Target) error {
	raddr, err := freeAddr()
	if err != nil {
		return err
	}
	srv, err := startServe(ctx, o, filepath.Join(tmp, "routes"), "--routes-listen", raddr)
	if err != nil {
		return err
	}
	defer srv.stop()
	c := apiclient.New(srv.endpoint, srv.key)
	if err := deployDir(ctx, c, goHello, "hello-go", "provided", ""); err != nil {
		return err
	}
	if _, err := c.PutRoute(ctx, apiclient.Route{RouteKey: "POST /hello/{id}", Function: "hello-go"}); err != nil {
		return err
	}
	direct := Target{URL: srv.endpoint + "/2015-03-31/functions/hello-go/invocations",
		Header: http.Header{"Authorization": {"Bearer " + srv.key}}, Body: []byte(`{}`)}
	route := Target{URL: "http://" + raddr + "/hello/7?x=1", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}
	us := func(x time.Duration) float64 { return float64(x) / float64(time.Microsecond) }

	// Alternate the two in short rounds so that drift on the shared
	// machine hits both alike.
	const rounds = 6
	var d1, r1 LoadResult
	for i := range rounds {
		d := Load(ctx, direct, 1, o.Duration/3)
		r := Load(ctx, route, 1, o.Duration/3)
		if d.Errors > 0 || r.Errors > 0 {
			return fmt.Errorf("routes 1 client: %d errors (direct: %d), first: %s%s", r.Errors, d.Errors, r.FirstError, d.FirstError)
		}
		if i == 0 {
			d1, r1 = d, r
			continue
		}
		d1 = merge(d1, d)
		r1 = merge(r1, r)
	}
	b1 := Load(ctx, base, 1, o.Duration/2)
	Emit(w, Figure{Name: "route_p50_1client", Value: us(r1.Percentile(50)), Unit: "us", Baseline: us(d1.Percentile(50)),
		Note: fmt.Sprintf("POST /hello/{id} on the routes listener; baseline: a direct Lambda Invoke of the same function (plain Go server: %.0f us)", us(b1.Percentile(50)))})
	Emit(w, Figure{Name: "route_overhead_p50_1client", Value: us(r1.Percentile(50) - d1.Percentile(50)), Unit: "us", Target: "<= 30",
		Note: "route p50 minus the direct Invoke's p50, same run, 1 client"})
	Emit(w, Figure{Name: "route_p99_1client", Value: us(r1.Percentile(99)), Unit: "us", Baseline: us(d1.Percentile(99)),
		Note: "baseline: the direct Invoke's p99"})

	d16 := Load(ctx, direct, 16, o.Duration)
	r16 := Load(ctx, route, 16, o.Duration)
	b16 := Load(ctx, base, 16, o.Duration)
	if d16.Errors > 0 || r16.Errors > 0 {
		return fmt.Errorf("routes 16 clients: %d errors (direct: %d), first: %s%s", r16.Errors, d16.Errors, r16.FirstError, d16.FirstError)
	}
	Emit(w, Figure{Name: "route_throughput_16clients", Value: r16.Throughput(), Unit: "req/s", Baseline: d16.Throughput(),
		Note: fmt.Sprintf("baseline: direct Lambda Invoke, same run; the plain Go server did %.0f req/s", b16.Throughput())})
	Emit(w, Figure{Name: "route_p50_16clients", Value: us(r16.Percentile(50)), Unit: "us", Baseline: us(d16.Percentile(50)),
		Note: "baseline: the direct Invoke's p50 at 16 clients"})
	return nil
}

// merge joins two load runs of the same target.
func merge(a, b LoadResult) LoadResult {
	out := LoadResult{Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors, Elapsed: a.Elapsed + b.Elapsed,
		Calls: a.Calls + b.Calls, FirstError: a.FirstError + b.FirstError}
	out.Latencies = append(append(out.Latencies, a.Latencies...), b.Latencies...)
	slices.Sort(out.Latencies)
	return out
}
