package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
)

// tmpPrefix names unpacks in progress inside the cache directory.
const tmpPrefix = ".tmp-"

// CodeDir returns the directory holding f's unpacked code, read-only, and
// records that an instance of f's revision is about to use it, which keeps
// it from PruneCache while such instances live. When
// the cache lacks it (wiped, or deployed through another node) it fetches
// the zip from the registry and unpacks it; concurrent callers for the same
// code share one unpack.
func (d *Deployer) CodeDir(ctx context.Context, f *fn.Function) (string, error) {
	if !isSHA256(f.CodeSHA256) {
		return "", fmt.Errorf("deploy: function %s has no valid code sha256 (%q)", fn.Key(f.Tenant, f.Name), f.CodeSHA256)
	}
	d.use(UseKey(f.Tenant, f.Name, f.Revision), f.CodeSHA256)
	dir, err := d.unpackOnce(ctx, f.CodeSHA256, nil)
	if errors.Is(err, registry.ErrCodeCorrupt) {
		return "", fn.CodeCorrupt(f.Name, f.CodeSHA256, err)
	}
	return dir, err
}

// unpackOnce makes sure <cache>/<sha> holds the unpacked code and returns
// its path. zip is the code if the caller has it, else nil to fetch it.
func (d *Deployer) unpackOnce(ctx context.Context, sha string, zip []byte) (string, error) {
	dir := filepath.Join(d.cacheDir, sha)
	for {
		if exists(dir) {
			return dir, nil
		}
		d.mu.Lock()
		if fl := d.flights[sha]; fl != nil {
			d.mu.Unlock()
			select {
			case <-fl.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if fl.err == nil {
				return dir, nil
			}
			// The leader's caller went away: try again as the leader.
			if errors.Is(fl.err, context.Canceled) || errors.Is(fl.err, context.DeadlineExceeded) {
				continue
			}
			return "", fl.err
		}
		fl := &flight{done: make(chan struct{})}
		d.flights[sha] = fl
		d.mu.Unlock()

		fl.err = d.unpack(ctx, sha, dir, zip)
		d.mu.Lock()
		delete(d.flights, sha)
		d.mu.Unlock()
		close(fl.done)
		if fl.err != nil {
			return "", fl.err
		}
		return dir, nil
	}
}

// unpack extracts the code sha into a temporary directory inside the cache
// and renames it to dir, so dir is either absent or complete.
func (d *Deployer) unpack(ctx context.Context, sha, dir string, zip []byte) error {
	if exists(dir) { // finished between our check and taking the lead
		return nil
	}
	if zip == nil {
		var err error
		if zip, err = d.reg.GetCode(ctx, sha); err != nil {
			return fmt.Errorf("deploy: fetch code %s: %w", sha, err)
		}
		if sum := sha256.Sum256(zip); hex.EncodeToString(sum[:]) != sha {
			return fmt.Errorf("deploy: code %s from the registry has sha256 %x: the stored object is corrupt", sha, sum)
		}
	}
	a, err := openZip(zip)
	if err != nil {
		return fmt.Errorf("deploy: code %s: %w", sha, err)
	}
	tmp, err := os.MkdirTemp(d.cacheDir, tmpPrefix+sha[:12]+"-")
	if err != nil {
		return fmt.Errorf("deploy: unpack code %s: %w", sha, err)
	}
	if err := a.extract(ctx, tmp); err != nil {
		_ = removeTree(tmp)
		return fmt.Errorf("deploy: unpack code %s: %w", sha, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = removeTree(tmp)
		if exists(dir) { // another process got there first
			return nil
		}
		return fmt.Errorf("deploy: unpack code %s: %w", sha, err)
	}
	d.log.Debug("unpacked code", "code_sha256", sha, "dir", dir)
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
