package wasm

import (
	"testing"

	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/runtimetest"
)

// TestConformance runs the runtimetest suite on both guest styles: a Go
// reactor (guest/wasm) and a Go WASI command, with hand-assembled modules
// where Go cannot show the behaviour (a command that fails to start, one
// that traps).
func TestConformance(t *testing.T) {
	for _, style := range []struct {
		name   string
		module func(runtimetest.Fixture) string
	}{
		{"reactor", func(runtimetest.Fixture) string { return "reactor.wasm" }},
		{"command", func(f runtimetest.Fixture) string {
			switch f {
			case runtimetest.InitFail:
				return "big.wasm" // needs more memory than the function has
			case runtimetest.Crash:
				return "trap.wasm"
			}
			return "command.wasm"
		}},
	} {
		t.Run(style.name, func(t *testing.T) {
			runtimetest.Run(t, runtimetest.Harness{
				NewRuntime: func(t *testing.T) runtime.Runtime { return newRuntime(t) },
				Spec: func(t *testing.T, f runtimetest.Fixture) runtime.Spec {
					return spec(style.module(f), string(f))
				},
				Stopped: func(t *testing.T, inst runtime.Instance) bool { return inst.(*instance).stopped() },
			})
		})
	}
}
