package registry

import (
	"encoding/json"
	"fmt"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Function environment variables are stored sealed, as Lambda encrypts
// them with KMS: the stored definition carries SealedEnv (AES-256-GCM
// under the master key, bound to the function and version) and no Env. In
// memory, definitions hold Env in the clear once the master key is
// loaded.

// encodeFunction is f as stored: its Env sealed.
func (r *Registry) encodeFunction(f *fn.Function) ([]byte, error) {
	c := *f
	c.SealedEnv = nil
	if len(f.Env) > 0 {
		plain, err := json.Marshal(f.Env)
		if err != nil {
			return nil, err
		}
		if c.SealedEnv, err = r.seal(plain, envAAD(f)); err != nil {
			return nil, fmt.Errorf("registry: seal the environment of %s: %w", f.Name, err)
		}
		c.Env = nil
	}
	return json.Marshal(&c)
}

// decodeFunction reads a stored definition, unsealing its Env when the
// master key is loaded (else it stays sealed until UseMasterKey).
func (r *Registry) decodeFunction(data []byte, f *fn.Function) error {
	if err := json.Unmarshal(data, f); err != nil {
		return err
	}
	return r.unsealEnv(f)
}

func (r *Registry) unsealEnv(f *fn.Function) error {
	if len(f.SealedEnv) == 0 || !r.hasMasterKey() {
		return nil
	}
	plain, err := r.open(f.SealedEnv, envAAD(f))
	if err != nil {
		return fmt.Errorf("registry: the environment of %s: %w", f.Name, err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(plain, &env); err != nil {
		return fmt.Errorf("registry: the environment of %s: %w", f.Name, err)
	}
	f.Env, f.SealedEnv = env, nil
	return nil
}

func envAAD(f *fn.Function) string {
	return "env:" + f.Tenant + "/" + f.Name + "/" + f.Version
}

func (r *Registry) hasMasterKey() bool {
	r.keysMu.RLock()
	defer r.keysMu.RUnlock()
	return r.aead != nil
}

// unsealCached unseals the environments of definitions loaded before the
// master key was.
func (r *Registry) unsealCached() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, byName := range r.cache {
		for _, e := range byName {
			if e.f != nil && len(e.f.SealedEnv) > 0 {
				c := clone(e.f)
				if err := r.unsealEnv(c); err != nil {
					return err
				}
				e.f = c
			}
		}
	}
	return nil
}
