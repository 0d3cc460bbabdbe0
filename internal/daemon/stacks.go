package daemon

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/stack"
	"github.com/updraft-dev/updraft/internal/store"
)

// openStacks builds the SAM stack engine. It makes a stack's resources
// through the platform's own AWS endpoint with session credentials of the
// deploying tenant and key scope, so a template can do exactly what its
// deployer could do by hand; functions are deployed through control like
// `updraft deploy` of a directory.
func (d *Daemon) openStacks(ctx context.Context, st *store.Store, reg *registry.Registry, ctl *control.Control, mt *meter.Meter) (*stack.Engine, error) {
	return stack.New(ctx, stack.Config{
		Store:    st,
		Deployer: ctl,
		Endpoint: func() string { return "http://" + d.instanceEndpoint() },
		RoutesURL: func() string {
			if a := d.RoutesAddr(); a != "" {
				return "http://" + reachable(a)
			}
			return ""
		},
		Credentials: func(_ context.Context, tenant string, caller stack.Caller) (aws.Credentials, error) {
			c, err := reg.NewSession(registry.Session{Tenant: tenant, Scope: caller.Scope, Permissions: caller.Permissions}, time.Hour)
			if err != nil {
				return aws.Credentials{}, err
			}
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
				CanExpire: true, Expires: c.Expiration, Source: "updraft stack engine"}, nil
		},
		Code: reg.GetCode,
		Calls: func(ctx context.Context, tenant, function, version string, since time.Time) (calls, errs int, err error) {
			err = mt.Records(ctx, tenant, function, since, func(u fn.Usage) error {
				if u.Version != version {
					return nil
				}
				calls++
				if u.Outcome != fn.OutcomeSuccess {
					errs++
				}
				return nil
			})
			return calls, errs, err
		},
		Log: d.log,
	})
}
