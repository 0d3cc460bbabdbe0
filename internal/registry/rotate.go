package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Rotating the master key, with the server stopped (`updraft admin
// rotate-master-key`): a new key is written beside the old one as
// master.key.rotating, every sealed value — access key secrets, secrets,
// function and version environments — is opened with the old key and
// sealed again with the new one, and only then does the new key replace
// the old (kept as master.key.old). A rotation that stops half-way leaves
// both files: the next start opens values sealed under either, and running
// the rotation again finishes it. Session credentials are signed with a
// key derived from the master key, so sessions made before end with it;
// with the server stopped there are none to lose.

const (
	rotatingSuffix = ".rotating"
	oldSuffix      = ".old"
)

// Rotation counts what RotateMasterKey sealed again.
type Rotation struct {
	AccessKeys int `json:"accessKeys"`
	Secrets    int `json:"secrets"`
	Functions  int `json:"functions"`
	Versions   int `json:"versions"`
}

// RotateMasterKey replaces the master key at path (already loaded with
// UseMasterKey) and seals every sealed value again under the new one.
func (r *Registry) RotateMasterKey(ctx context.Context, path string) (*Rotation, error) {
	if !r.hasMasterKey() {
		return nil, fmt.Errorf("registry: no master key: call UseMasterKey first")
	}
	next := make([]byte, masterKeyLen)
	if data, err := os.ReadFile(path + rotatingSuffix); err == nil && len(data) == masterKeyLen {
		next = data // finish the rotation that stopped
	} else if _, err := rand.Read(next); err != nil {
		return nil, fmt.Errorf("registry: random master key: %w", err)
	} else if err := writeFileAtomic(path+rotatingSuffix, next); err != nil {
		return nil, err
	}
	aead, sk, err := deriveKeys(next)
	if err != nil {
		return nil, err
	}
	// Open with both from here on; seal with the new one.
	r.keysMu.Lock()
	old := r.aead
	r.aead, r.fallback, r.sessionKey = aead, append(r.fallback, old), sk
	r.access = map[string]accessKey{}
	r.keysMu.Unlock()

	var rot Rotation
	if rot.AccessKeys, err = r.resealAccessKeys(ctx); err != nil {
		return nil, err
	}
	if rot.Secrets, err = r.resealSecrets(ctx); err != nil {
		return nil, err
	}
	if rot.Functions, rot.Versions, err = r.resealFunctions(ctx); err != nil {
		return nil, err
	}
	if err := os.Rename(path, path+oldSuffix); err != nil {
		return nil, fmt.Errorf("registry: keep the old master key as %s: %w", path+oldSuffix, err)
	}
	if err := os.Rename(path+rotatingSuffix, path); err != nil {
		return nil, fmt.Errorf("registry: put the new master key in place: %w", err)
	}
	r.keysMu.Lock()
	r.fallback = nil
	r.keysMu.Unlock()
	return &rot, nil
}

func (r *Registry) resealAccessKeys(ctx context.Context) (int, error) {
	entries, err := kvEntries(ctx, r.js, accessKeyBucket)
	if err != nil {
		return 0, err
	}
	for id, v := range entries {
		var rec accessKeyRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return 0, fmt.Errorf("registry: access key record %s: %w", id, err)
		}
		plain, err := r.open(rec.Sealed, id)
		if err != nil {
			return 0, fmt.Errorf("registry: access key %s: %w", id, err)
		}
		if rec.Sealed, err = r.seal(plain, id); err != nil {
			return 0, err
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, err
		}
		if _, err := r.accessKeys.Put(ctx, id, data); err != nil {
			return 0, fmt.Errorf("registry: store access key %s: %w", id, err)
		}
	}
	return len(entries), nil
}

func (r *Registry) resealSecrets(ctx context.Context) (int, error) {
	entries, err := kvEntries(ctx, r.js, secretsBucket)
	if err != nil {
		return 0, err
	}
	for key, v := range entries {
		tenant, name, _ := strings.Cut(key, ".")
		var rec secretRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return 0, fmt.Errorf("registry: secret record %s: %w", key, err)
		}
		aad := "secret:" + tenant + "/" + name
		plain, err := r.open(rec.Sealed, aad)
		if err != nil {
			return 0, fmt.Errorf("registry: secret %s of %s: %w", name, tenant, err)
		}
		if rec.Sealed, err = r.seal(plain, aad); err != nil {
			return 0, err
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, err
		}
		if _, err := r.secrets.Put(ctx, key, data); err != nil {
			return 0, fmt.Errorf("registry: store secret %s: %w", name, err)
		}
	}
	return len(entries), nil
}

// resealFunctions seals the environments of every definition and
// published version again (definitions without an environment are left).
func (r *Registry) resealFunctions(ctx context.Context) (functions, versions int, err error) {
	for _, bucket := range []string{functionsBucket, versionsBucket} {
		entries, err := kvEntries(ctx, r.js, bucket)
		if err != nil {
			return 0, 0, err
		}
		for key, v := range entries {
			f := new(fn.Function)
			if err := r.decodeFunction(v, f); err != nil {
				return 0, 0, fmt.Errorf("registry: %s %s: %w", bucket, key, err)
			}
			if len(f.Env) == 0 {
				continue
			}
			data, err := r.encodeFunction(f)
			if err != nil {
				return 0, 0, err
			}
			kv := r.functions
			if bucket == versionsBucket {
				kv = r.versions
				versions++
			} else {
				functions++
			}
			if _, err := kv.Put(ctx, key, data); err != nil {
				return 0, 0, fmt.Errorf("registry: store %s %s: %w", bucket, key, err)
			}
		}
	}
	return functions, versions, nil
}
