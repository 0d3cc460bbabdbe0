package wasm

import (
	"context"
	"io/fs"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// TestCompilationCacheSurvivesRestart: a module compiled at deploy is on
// disk, and a restarted runtime loads it from there instead of compiling
// it again (which would rewrite the cache file).
func TestCompilationCacheSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	module := wasmtest.EchoCommand()
	files := func() map[string]time.Time {
		out := map[string]time.Time{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					out[p] = fi.ModTime()
				}
			}
			return nil
		})
		return out
	}
	first, err := New(ctx, Config{CacheDir: dir, ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Check(ctx, module); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	cached := files()
	if len(cached) == 0 {
		t.Fatal("nothing in the compilation cache after a compile")
	}
	second, err := New(ctx, Config{CacheDir: dir, ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close(ctx)
	if err := second.Check(ctx, module); err != nil {
		t.Fatal(err)
	}
	if after := files(); !maps.Equal(after, cached) {
		t.Errorf("the cache changed after a restart's load: %v, was %v", after, cached)
	}
}
