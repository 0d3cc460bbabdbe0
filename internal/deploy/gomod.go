package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// cacheGoMod makes the code cache a Go module of its own. Deployed code may
// hold .go files (a Go function's sources beside its bootstrap); when the
// data dir lies inside a Go module, as the quick start's ./updraft-data
// inside a checkout of Updraft does, `go vet ./...` and `go test ./...`
// would otherwise walk into them. Go leaves nested modules out of ./...
const cacheGoMod = `// Updraft's cache of unpacked function code. This file makes the cache a
// module of its own, so that Go tooling run in an enclosing module
// ("go vet ./...", "go test ./...") leaves deployed functions alone.
module updraft.invalid/code-cache
`

// writeCacheGoMod writes <dir>/go.mod unless it is there.
func writeCacheGoMod(dir string) error {
	p := filepath.Join(dir, "go.mod")
	if _, err := os.Stat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(p, []byte(cacheGoMod), 0o644); err != nil {
		return fmt.Errorf("deploy: code cache: %w", err)
	}
	return nil
}
