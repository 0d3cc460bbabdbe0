package deploy

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Publish snapshots $LATEST of tenant's function name as a new immutable
// version. wantSHA (hex, optional) must match $LATEST's code. When the
// newest version already has $LATEST's code and configuration, that
// version is returned and nothing is published, as Lambda does.
func (d *Deployer) Publish(ctx context.Context, tenant, name, wantSHA string, description *string) (*fn.Function, error) {
	unlock := d.lock(fn.Key(tenant, name))
	defer unlock()
	f, err := d.reg.GetFunction(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	if wantSHA != "" && wantSHA != f.CodeSHA256 {
		return nil, fn.Errorf(http.StatusPreconditionFailed, "PreconditionFailedException",
			"CodeSha256 does not match the code of $LATEST: it changed since you read it; get the function again and retry")
	}
	if f.LastVersion > 0 {
		last, err := d.reg.GetVersion(ctx, tenant, name, strconv.FormatInt(f.LastVersion, 10))
		// A version's description is its own: compare the rest.
		cur := *f
		cur.Description, cur.Tags = last.Description, last.Tags
		if err == nil && last.CodeSHA256 == f.CodeSHA256 && sameConfig(last, &cur) &&
			(description == nil || *description == last.Description) {
			return last, nil
		}
	}
	snap := *f
	snap.Tags, snap.LastVersion, snap.Provisioned, snap.URL = nil, 0, nil, nil
	snap.UpdatedAt = time.Now().UTC().Round(0)
	if description != nil {
		snap.Description = *description
	}
	for v := f.LastVersion + 1; ; v++ {
		snap.Version = strconv.FormatInt(v, 10)
		err := d.reg.PutVersion(ctx, &snap)
		if err == nil {
			f.LastVersion = v
			break
		}
		// A version left by a publish that crashed before recording it.
		if fe := fn.AsError(err); fe.Type != fn.TypeResourceConflict || v > f.LastVersion+100 {
			return nil, err
		}
	}
	if err := d.reg.PutFunction(ctx, f); err != nil {
		return nil, err
	}
	return &snap, nil
}
