package registry

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Secrets are a tenant's named values (database passwords, API tokens)
// that functions reference from their environment ("secret:NAME") and get
// at instance start. Values are sealed with AES-256-GCM under a key derived
// from the master key, bound to their tenant and name, and never returned
// by any API once set. Function environment variables are sealed the same
// way in the stored definitions (env.go).

const secretsBucket = "secrets"

// MaxSecretBytes bounds a secret's value (Lambda's whole environment is
// 4 KB; a secret may be a certificate).
const MaxSecretBytes = 64 << 10

var secretNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// SecretInfo is a secret as listed: never its value.
type SecretInfo struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Size    int       `json:"size"`
}

type secretRecord struct {
	SecretInfo
	Sealed []byte `json:"sealed"`
}

func secretKey(tenant, name string) string { return tenant + "." + name }

// ValidateSecretName checks a secret's name.
func ValidateSecretName(name string) error {
	if !secretNameRE.MatchString(name) {
		return fn.InvalidParameter("secret name %q is invalid: use 1 to 128 letters, digits, hyphens or underscores", name)
	}
	return nil
}

// SetSecret creates or replaces tenant's secret name.
func (r *Registry) SetSecret(ctx context.Context, tenant, name string, value []byte) (*SecretInfo, error) {
	if err := ValidateSecretName(name); err != nil {
		return nil, err
	}
	if len(value) == 0 || len(value) > MaxSecretBytes {
		return nil, fn.InvalidParameter("a secret's value is 1 to %d bytes, not %d", MaxSecretBytes, len(value))
	}
	kv := r.secrets
	sealed, err := r.seal(value, "secret:"+tenant+"/"+name)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Round(0)
	rec := secretRecord{SecretInfo: SecretInfo{Name: name, Created: now, Updated: now, Size: len(value)}, Sealed: sealed}
	if e, err := kv.Get(ctx, secretKey(tenant, name)); err == nil {
		var old secretRecord
		if json.Unmarshal(e.Value(), &old) == nil {
			rec.Created = old.Created
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if _, err := kv.Put(ctx, secretKey(tenant, name), data); err != nil {
		return nil, fmt.Errorf("registry: store secret %s: %w", name, err)
	}
	return &rec.SecretInfo, nil
}

// ListSecrets lists tenant's secrets by name, without values.
func (r *Registry) ListSecrets(ctx context.Context, tenant string) ([]SecretInfo, error) {
	entries, err := kvEntries(ctx, r.js, secretsBucket)
	if err != nil {
		return nil, err
	}
	out := []SecretInfo{}
	for k, v := range entries {
		if !strings.HasPrefix(k, tenant+".") {
			continue
		}
		var rec secretRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("registry: secret record %s: %w", k, err)
		}
		out = append(out, rec.SecretInfo)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteSecret removes tenant's secret name.
func (r *Registry) DeleteSecret(ctx context.Context, tenant, name string) error {
	if _, err := r.secretRecord(ctx, tenant, name); err != nil {
		return err
	}
	if err := r.secrets.Delete(ctx, secretKey(tenant, name)); err != nil {
		return fmt.Errorf("registry: delete secret %s: %w", name, err)
	}
	return nil
}

// SecretValue returns the value of tenant's secret name: for instance
// starts only, never for an API reply.
func (r *Registry) SecretValue(ctx context.Context, tenant, name string) ([]byte, error) {
	rec, err := r.secretRecord(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	return r.open(rec.Sealed, "secret:"+tenant+"/"+name)
}

func (r *Registry) secretRecord(ctx context.Context, tenant, name string) (*secretRecord, error) {
	if err := ValidateSecretName(name); err != nil {
		return nil, err
	}
	e, err := r.secrets.Get(ctx, secretKey(tenant, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fn.NotFound("secret %s does not exist: set it with `updraft secret set %s`", name, name)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: read secret %s: %w", name, err)
	}
	rec := new(secretRecord)
	if err := json.Unmarshal(e.Value(), rec); err != nil {
		return nil, fmt.Errorf("registry: secret record %s: %w", name, err)
	}
	return rec, nil
}

// seal encrypts plain under the master key, bound to aad.
func (r *Registry) seal(plain []byte, aad string) ([]byte, error) {
	r.keysMu.RLock()
	aead := r.aead
	r.keysMu.RUnlock()
	if aead == nil {
		return nil, errors.New("registry: no master key: call UseMasterKey first")
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("registry: random nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, []byte(aad)), nil
}

// open decrypts what seal made for aad.
func (r *Registry) open(sealed []byte, aad string) ([]byte, error) {
	r.keysMu.RLock()
	keys := append([]cipher.AEAD{r.aead}, r.fallback...)
	r.keysMu.RUnlock()
	if keys[0] == nil {
		return nil, errors.New("registry: no master key: call UseMasterKey first")
	}
	var err error
	for _, aead := range keys {
		ns := aead.NonceSize()
		if len(sealed) < ns {
			return nil, errors.New("registry: sealed value too short")
		}
		var plain []byte
		if plain, err = aead.Open(nil, sealed[:ns], sealed[ns:], []byte(aad)); err == nil {
			return plain, nil
		}
	}
	return nil, fmt.Errorf("registry: cannot unseal (was the master key replaced?): %w", err)
}
