package router

import (
	"context"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// secretRef is the prefix of an environment value naming a secret of the
// function's tenant (control.SecretRef).
const secretRef = "secret:"

// resolveSecrets returns f's environment for a new instance, with each
// "secret:NAME" value replaced by the secret's value. A secret deleted
// since the deploy fails the start, naming it.
func (r *Router) resolveSecrets(ctx context.Context, f *fn.Function) (map[string]string, error) {
	var env map[string]string
	for k, v := range f.Env {
		name, ok := strings.CutPrefix(v, secretRef)
		if !ok {
			continue
		}
		if env == nil {
			env = make(map[string]string, len(f.Env))
			for k2, v2 := range f.Env {
				env[k2] = v2
			}
		}
		value, err := r.reg.SecretValue(ctx, f.Tenant, name)
		if err != nil {
			if fn.IsNotFound(err) {
				return nil, fn.InvalidParameter("environment variable %s of %s names secret %s, which no longer exists: set it again with `updraft secret set %s`", k, f.Name, name, name)
			}
			return nil, err
		}
		env[k] = string(value)
	}
	if env == nil {
		return f.Env, nil
	}
	return env, nil
}
