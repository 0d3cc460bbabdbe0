package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/updraft-dev/updraft/internal/fn"
)

// kind is a guest style.
type kind uint8

const (
	command kind = iota // _start per call, the event on stdin
	reactor             // _initialize once, updraft_handle per call
)

func (k kind) String() string {
	if k == reactor {
		return "reactor"
	}
	return "command"
}

// The reactor ABI's exports (guest/wasm implements it for Go).
const (
	exportAlloc    = "updraft_alloc"
	exportHandle   = "updraft_handle"
	exportResponse = "updraft_response"
	exportInit     = "_initialize"
	exportStart    = "_start"
	exportMemory   = "memory"
)

// module is a validated, compiled module, kept for as long as the runtime
// lives: compiling a Go guest takes seconds, instantiating it microseconds.
type module struct {
	sha      string
	compiled wazero.CompiledModule
	kind     kind
	minBytes uint64 // the memory it needs to start
}

// fileKey names a module file as it is on disk: the deploy cache never
// changes a file in place, so path, size and mtime identify its content.
type fileKey struct {
	path  string
	size  int64
	mtime time.Time
}

// Check validates and compiles a module at deploy time, keeping the
// compiled form (in memory and in the cache on disk) for the instances to
// come. A module that is not valid Wasm, imports anything but WASI preview 1
// functions, or follows neither guest style is an
// InvalidParameterValueException saying why.
func (r *Runtime) Check(ctx context.Context, code []byte) error {
	_, err := r.load(ctx, code)
	return err
}

// moduleFor returns the compiled module in the file at path.
func (r *Runtime) moduleFor(ctx context.Context, path string) (*module, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("wasm: module: %w", err)
	}
	key := fileKey{path, fi.Size(), fi.ModTime()}
	r.mu.Lock()
	m := r.byPath[key]
	r.mu.Unlock()
	if m != nil {
		return m, nil
	}
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasm: module: %w", err)
	}
	if m, err = r.load(ctx, code); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.byPath[key] = m
	r.mu.Unlock()
	return m, nil
}

// load returns the compiled module of code, compiling it once however many
// callers ask at the same time.
func (r *Runtime) load(ctx context.Context, code []byte) (*module, error) {
	sum := sha256.Sum256(code)
	sha := hex.EncodeToString(sum[:])
	r.mu.Lock()
	if m := r.bySHA[sha]; m != nil {
		r.mu.Unlock()
		return m, nil
	}
	if f := r.compile[sha]; f != nil {
		r.mu.Unlock()
		select {
		case <-f.done:
			return f.mod, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	r.compile[sha] = f
	r.mu.Unlock()

	began := time.Now()
	f.mod, f.err = r.compileModule(ctx, sha, code)
	r.mu.Lock()
	delete(r.compile, sha)
	if f.err == nil {
		r.bySHA[sha] = f.mod
	}
	r.mu.Unlock()
	close(f.done)
	if f.err == nil {
		r.log.Debug("module compiled", "sha256", sha, "kind", f.mod.kind, "bytes", len(code), "took", time.Since(began))
	}
	return f.mod, f.err
}

// compileModule compiles code and checks its imports and exports.
func (r *Runtime) compileModule(ctx context.Context, sha string, code []byte) (*module, error) {
	cm, err := r.wz.CompileModule(ctx, code)
	if err != nil {
		return nil, fn.InvalidParameter("the module is not valid WebAssembly: %v", err)
	}
	m := &module{sha: sha, compiled: cm}
	if err := r.checkImports(cm); err != nil {
		cm.Close(ctx)
		return nil, err
	}
	if m.kind, err = guestKind(cm); err != nil {
		cm.Close(ctx)
		return nil, err
	}
	for _, mem := range cm.ExportedMemories() {
		m.minBytes = max(m.minBytes, uint64(mem.Min())<<16)
	}
	return m, nil
}

// checkImports refuses a module that imports anything but WASI preview 1
// functions, with the signatures wazero implements: anything else would
// fail at every start.
func (r *Runtime) checkImports(cm wazero.CompiledModule) error {
	if mems := cm.ImportedMemories(); len(mems) > 0 {
		mod, name, _ := mems[0].Import()
		return fn.InvalidParameter("the module imports memory %s.%s: a function's module defines its own memory", mod, name)
	}
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		if mod != "wasi_snapshot_preview1" {
			return fn.InvalidParameter("the module imports %s.%s, a host function the platform does not provide: only WASI preview 1 (wasi_snapshot_preview1) is available", mod, name)
		}
		host, ok := r.wasi[name]
		if !ok {
			return fn.InvalidParameter("the module imports %s.%s, which WASI preview 1 does not define", mod, name)
		}
		if !slices.Equal(host.ParamTypes(), d.ParamTypes()) || !slices.Equal(host.ResultTypes(), d.ResultTypes()) {
			return fn.InvalidParameter("the module imports %s.%s with the signature %s, WASI's is %s", mod, name, signature(d), signature(host))
		}
	}
	return nil
}

// guestKind tells a reactor (the updraft_* ABI) from a command (_start).
func guestKind(cm wazero.CompiledModule) (kind, error) {
	ex := cm.ExportedFunctions()
	if _, ok := ex[exportHandle]; ok {
		want := map[string]string{
			exportAlloc:    "(i32) -> (i32)",
			exportHandle:   "(i32,i32,i64) -> (i32)",
			exportResponse: "() -> (i64)",
		}
		for name, sig := range want {
			d, ok := ex[name]
			if !ok {
				return 0, fn.InvalidParameter("the module exports %s but not %s: a reactor exports %s, %s and %s (docs/WASM.md)", exportHandle, name, exportAlloc, exportHandle, exportResponse)
			}
			if got := signature(d); got != sig {
				return 0, fn.InvalidParameter("the module's %s has the signature %s: the reactor ABI's is %s", name, got, sig)
			}
		}
		if _, ok := cm.ExportedMemories()[exportMemory]; !ok {
			return 0, fn.InvalidParameter("the module is a reactor but exports no memory named %q", exportMemory)
		}
		if d, ok := ex[exportInit]; ok && signature(d) != "() -> ()" {
			return 0, fn.InvalidParameter("the module's %s has the signature %s, want () -> ()", exportInit, signature(d))
		}
		return reactor, nil
	}
	if d, ok := ex[exportStart]; ok {
		if signature(d) != "() -> ()" {
			return 0, fn.InvalidParameter("the module's %s has the signature %s, want () -> ()", exportStart, signature(d))
		}
		return command, nil
	}
	return 0, fn.InvalidParameter("the module exports neither %s (a WASI command) nor %s (a reactor): build a command (e.g. GOOS=wasip1 go build) or a reactor (docs/WASM.md)", exportStart, exportHandle)
}

func signature(d api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ",")
	}
	return "(" + names(d.ParamTypes()) + ") -> (" + names(d.ResultTypes()) + ")"
}

// modulePath is the module file of spec's code: its handler, a path
// inside the code directory.
func modulePath(codeDir, handler string) (string, error) {
	if handler == "" {
		return "", fmt.Errorf("wasm: no handler: name the .wasm file")
	}
	p := filepath.Join(codeDir, filepath.FromSlash(clean(handler)))
	return p, nil
}
