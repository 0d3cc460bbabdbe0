package control

import (
	"context"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
)

// SecretRef is the prefix of an environment value that names a secret of
// the function's tenant: `DB_PASSWORD: secret:db-password` gets the
// secret's value at instance start.
const SecretRef = "secret:"

// checkSecretRefs refuses a deploy whose environment names a secret that
// does not exist.
func (c *Control) checkSecretRefs(ctx context.Context, f *fn.Function) error {
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(f.Env[k], SecretRef)
		if !ok {
			continue
		}
		if err := registry.ValidateSecretName(name); err != nil {
			return fn.InvalidParameter("environment variable %s: %s", k, fn.AsError(err).Message)
		}
		if _, err := c.reg.SecretValue(ctx, f.Tenant, name); err != nil {
			if fn.IsNotFound(err) {
				return fn.InvalidParameter("environment variable %s names secret %s, which does not exist: set it first with `updraft secret set %s`", k, name, name)
			}
			return err
		}
	}
	return nil
}
