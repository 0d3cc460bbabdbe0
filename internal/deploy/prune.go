package deploy

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/registry"
)

// defaultUseGrace is how long a directory CodeDir handed out stays in use without
// a live instance claiming it: the time between CodeDir and the pool
// counting the instance it starts (the sandbox then bind-mounts the
// directory, so it must not go away under a start).
const defaultUseGrace = time.Minute

// UseKey names the instances of one revision of a function, as CodeDir
// records them and as PruneCache's live set names them. A published
// version carries the revision of $LATEST it was taken from, and with it
// the same code.
func UseKey(tenant, name string, revision int64) string {
	return tenant + "/" + name + "/" + strconv.FormatInt(revision, 10)
}

// use records that CodeDir handed out sha's directory for key.
func (d *Deployer) use(key, sha string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	shas := d.uses[key]
	if shas == nil {
		shas = make(map[string]time.Time, 1)
		d.uses[key] = shas
	}
	shas[sha] = time.Now()
}

// unuse drops what use recorded for key and sha.
func (d *Deployer) unuse(key, sha string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if shas := d.uses[key]; shas != nil {
		delete(shas, sha)
		if len(shas) == 0 {
			delete(d.uses, key)
		}
	}
}

// PruneResult is what one pruning of the unpacked cache removed.
type PruneResult struct {
	Dirs       int   // unpacked directories in the cache before
	Removed    int   // directories removed
	FreedBytes int64 // their files' sizes
}

// PruneCache removes the unpacked directories of code that referenced
// lacks, except those an instance may be using: the revisions in live (by
// UseKey: the instances this node runs, idle, busy or starting) and any
// directory CodeDir handed out within the last minute. A pruned directory
// is unpacked again by CodeDir if its code is needed after all.
func (d *Deployer) PruneCache(ctx context.Context, referenced, live map[string]bool) (PruneResult, error) {
	var res PruneResult
	entries, err := os.ReadDir(d.cacheDir)
	if err != nil {
		return res, fmt.Errorf("deploy: read code cache: %w", err)
	}
	var doomed []string
	now := time.Now()
	d.mu.Lock()
	inUse := map[string]bool{}
	for key, shas := range d.uses {
		for sha, at := range shas {
			switch {
			case live[key] || now.Sub(at) < d.useGrace:
				inUse[sha] = true
			default:
				delete(shas, sha)
			}
		}
		if len(shas) == 0 {
			delete(d.uses, key)
		}
	}
	for _, e := range entries {
		sha := e.Name()
		if !e.IsDir() || !isSHA256(sha) {
			continue
		}
		res.Dirs++
		if referenced[sha] || inUse[sha] || d.flights[sha] != nil {
			continue
		}
		// Moved aside under the lock, so that CodeDir sees either the
		// whole directory or none and unpacks it again; a crash before
		// the removal leaves a temporary directory New removes.
		tmp := filepath.Join(d.cacheDir, tmpPrefix+"pruned-"+sha)
		if err := os.Rename(filepath.Join(d.cacheDir, sha), tmp); err != nil {
			d.mu.Unlock()
			return res, fmt.Errorf("deploy: prune code %s: %w", sha, err)
		}
		doomed = append(doomed, tmp)
	}
	d.mu.Unlock()
	for _, dir := range doomed {
		if err := ctx.Err(); err != nil {
			return res, err // what is left is removed at the next start
		}
		n := treeSize(dir)
		if err := removeTree(dir); err != nil {
			return res, fmt.Errorf("deploy: prune %s: %w", dir, err)
		}
		res.Removed++
		res.FreedBytes += n
		d.log.Debug("pruned unpacked code", "dir", dir, "bytes", n)
	}
	return res, nil
}

// Collect deletes the code objects nothing references (registry's
// CollectCode, keeping what is younger than grace) and then prunes this
// node's unpacked cache to what is still referenced.
func (d *Deployer) Collect(ctx context.Context, grace time.Duration, live map[string]bool) (registry.GCResult, PruneResult, error) {
	gc, referenced, err := d.reg.CollectCode(ctx, grace)
	if err != nil {
		return gc, PruneResult{}, err
	}
	pr, err := d.PruneCache(ctx, referenced, live)
	return gc, pr, err
}

// treeSize sums the sizes of the regular files under dir.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts count as nothing: the size is a report
		}
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
