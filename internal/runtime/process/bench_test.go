package process

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkWarmInvoke: sequential warm calls of hello-go through the Runtime
// API, as the pool makes them.
func BenchmarkWarmInvoke(b *testing.B) {
	benchWarm(b, helloDir, `{"message":"Hello, bench!"}`)
}

// BenchmarkWarmInvokeRawClient: the same with a minimal hand-written
// Runtime API client instead of aws-lambda-go: the platform side's share.
func BenchmarkWarmInvokeRawClient(b *testing.B) {
	benchWarm(b, rawDir, `{"message":"Hello, world!"}`)
}

func benchWarm(b *testing.B, dir, reply string) {
	r := newRuntime(b)
	inst := start(b, r, goSpec(dir))
	req := newRequest(`{"name":"bench"}`, time.Hour)
	ctx := context.Background()
	want := []byte(reply)
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		resp, err := inst.Invoke(ctx, req)
		if err != nil || !bytes.Equal(resp.Payload, want) {
			b.Fatalf("%v %+v", err, resp)
		}
		lat = append(lat, time.Since(t0))
	}
	reportP50(b, lat)
}

// BenchmarkBaselineHTTP: the same reply from a plain Go HTTP server in its
// own process, over a keep-alive connection: what a warm invoke is compared
// with (compare only within one run).
func BenchmarkBaselineHTTP(b *testing.B) {
	cmd := exec.Command(filepath.Join(plainDir, "bootstrap"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + addr[:len(addr)-1] + "/"
	body := []byte(`{"name":"bench"}`)
	client := &http.Client{}
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
	}
	reportP50(b, lat)
}

func reportP50(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}
