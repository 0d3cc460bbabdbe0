package control

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Default code collection settings (Config.CodeGrace, Config.CollectEvery).
const (
	DefaultCodeGrace    = 10 * time.Minute
	DefaultCollectEvery = 10 * time.Minute
	// collectPause spaces collections that deletes and redeploys ask for,
	// so that deleting many functions costs a few collections, not one each.
	collectPause = 2 * time.Second
)

// collectLoop collects unreferenced code and prunes the unpacked cache
// every CollectEvery and, at most every collectPause, after a delete or a
// redeploy (on any node: they reach every node through the change feed).
func (c *Control) collectLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.CollectEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
			select { // let a burst of deletes settle
			case <-ctx.Done():
				return
			case <-time.After(collectPause):
			}
		}
		if _, _, err := c.CollectCode(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Log.Warn("code collection failed; it runs again later", "err", err)
		}
	}
}

// askCollect asks the loop for a collection soon.
func (c *Control) askCollect() {
	select {
	case c.kick <- struct{}{}:
	default: // one is asked for already
	}
}

// CollectCode deletes code objects that no function or published version
// references (keeping those younger than the grace period and those a
// deploy in flight holds) and prunes this node's unpacked cache to the
// referenced code, keeping what instances of this node use.
func (c *Control) CollectCode(ctx context.Context) (registry.GCResult, deploy.PruneResult, error) {
	c.gcMu.Lock() // one at a time on this node
	defer c.gcMu.Unlock()
	gc, pr, err := c.dep.Collect(ctx, c.cfg.CodeGrace, c.liveRevisions())
	if err != nil {
		return gc, pr, err
	}
	if gc.Deleted > 0 || pr.Removed > 0 {
		c.cfg.Log.Info("code collected", "objects_deleted", gc.Deleted, "bytes_freed", gc.FreedBytes,
			"objects_kept", gc.Kept, "dirs_removed", pr.Removed, "dir_bytes_freed", pr.FreedBytes)
	}
	return gc, pr, nil
}

// liveRevisions names (deploy.UseKey) the revisions this node's pool has
// instances of, starting, idle or busy, retired ones included; the
// router's pool keys are <tenant>/<name>/<version>/<revision>.
func (c *Control) liveRevisions() map[string]bool {
	live := map[string]bool{}
	for _, key := range c.pool.LiveKeys() {
		parts := strings.Split(key, "/")
		if len(parts) != 4 {
			continue
		}
		rev, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil {
			continue
		}
		live[deploy.UseKey(parts[0], parts[1], rev)] = true
	}
	return live
}

// Storage reports the store's bytes per stream and per tenant: all of them
// for the admin (the default tenant), only its own row for another tenant.
func (c *Control) Storage(ctx context.Context, tenant string) (*fn.Storage, error) {
	if tenant == registry.DefaultTenant {
		tenant = ""
	}
	return c.reg.Storage(ctx, tenant)
}
