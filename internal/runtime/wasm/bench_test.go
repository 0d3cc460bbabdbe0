package wasm

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/runtime"
)

// The runtime's own share of a warm call and of a cold start, in-process
// (`make bench` measures the whole platform path: internal/bench/wasm.go).
//
//	go test -run X -bench . ./internal/runtime/wasm

func benchInvoke(b *testing.B, module, fixture, event string) {
	r := newRuntime(b)
	inst, err := r.NewInstance(context.Background(), spec(module, fixture))
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close(context.Background())
	req := &runtime.Request{ID: "id", Payload: []byte(event)}
	b.ResetTimer()
	for range b.N {
		req.Deadline = time.Now().Add(10 * time.Second)
		resp, err := inst.Invoke(context.Background(), req)
		if err != nil || resp.FunctionError != "" {
			b.Fatalf("%v %+v", err, resp)
		}
	}
}

func BenchmarkInvokeReactorGo(b *testing.B) {
	benchInvoke(b, "reactor.wasm", "echo", `{"hello":"world"}`)
}
func BenchmarkInvokeReactorMinimal(b *testing.B) { benchInvoke(b, "recursion.wasm", "", `{}`) }
func BenchmarkInvokeCommandMinimal(b *testing.B) { benchInvoke(b, "echo.wasm", "", `{}`) }
func BenchmarkInvokeCommandGo(b *testing.B)      { benchInvoke(b, "command.wasm", "echo", `{}`) }

func benchColdStart(b *testing.B, module, fixture string) {
	r := newRuntime(b)
	s := spec(module, fixture)
	req := &runtime.Request{ID: "id", Payload: []byte(`{}`)}
	if _, err := r.moduleFor(context.Background(), filepath.Join(s.CodeDir, s.Handler)); err != nil {
		b.Fatal(err) // compiled before the clock starts, as at deploy
	}
	b.ResetTimer()
	for range b.N {
		inst, err := r.NewInstance(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		req.Deadline = time.Now().Add(10 * time.Second)
		if resp, err := inst.Invoke(context.Background(), req); err != nil || resp.FunctionError != "" {
			b.Fatalf("%v %+v", err, resp)
		}
		inst.Close(context.Background())
	}
}

func BenchmarkColdStartReactorGo(b *testing.B)      { benchColdStart(b, "reactor.wasm", "echo") }
func BenchmarkColdStartReactorMinimal(b *testing.B) { benchColdStart(b, "recursion.wasm", "") }
func BenchmarkColdStartCommandMinimal(b *testing.B) { benchColdStart(b, "echo.wasm", "") }
