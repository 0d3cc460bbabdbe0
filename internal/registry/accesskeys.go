package registry

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Access keys are AWS-style key pairs for Signature Version 4. The gateway
// needs each secret to verify signatures, so the secret is stored, sealed
// with AES-GCM under a key derived from the install's master key file.

// accessKeyPrefix starts every access key id ("AKIA" on AWS).
const accessKeyPrefix = "AKUD"

// masterKeyLen is the size of the master key file's random content.
const masterKeyLen = 32

// Key is a new credential: an API key and an access key pair of one tenant,
// with the tenant's account id (fn.AccountID) that its ARNs carry.
type Key struct {
	Tenant          string `json:"tenant"`
	AccountID       string `json:"accountId"`
	APIKey          string `json:"apiKey"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Scope           string `json:"scope"`
	Description     string `json:"description,omitempty"`
}

// accessKeyRecord is what the accesskeys bucket stores under the key id.
type accessKeyRecord struct {
	Tenant  string    `json:"tenant"`
	Sealed  []byte    `json:"sealed"` // nonce || AES-GCM(secret), AAD = key id
	Created time.Time `json:"created"`
	// Scope as keyRecord's; APIKeyHash names the API key made with it
	// (revoked together), "" for a lone pair (the admin credentials file).
	Scope       string `json:"scope,omitempty"`
	APIKeyHash  string `json:"apiKeyHash,omitempty"`
	Description string `json:"description,omitempty"`
}

type accessKey struct{ tenant, secret, scope string }

// UseMasterKey loads the master key from path, creating it (32 random
// bytes, mode 0600) on first use, and derives the key that seals access key
// secrets. Without it, access keys cannot be created or verified.
func (r *Registry) UseMasterKey(path string) error {
	master, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		master = make([]byte, masterKeyLen)
		if _, err := rand.Read(master); err != nil {
			return fmt.Errorf("registry: random master key: %w", err)
		}
		if err := writeFileAtomic(path, master); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("registry: read master key %s: %w", path, err)
	case len(master) != masterKeyLen:
		return fmt.Errorf("registry: master key %s holds %d bytes, not %d: restore it from a backup (access keys cannot be verified without it)", path, len(master), masterKeyLen)
	}
	aead, sk, err := deriveKeys(master)
	if err != nil {
		return err
	}
	// A rotation that stopped half-way left the new key beside it: records
	// sealed under either open (rotate.go).
	var fallback []cipher.AEAD
	if next, err := os.ReadFile(path + rotatingSuffix); err == nil && len(next) == masterKeyLen {
		na, _, err := deriveKeys(next)
		if err != nil {
			return err
		}
		fallback = append(fallback, na)
		r.log.Warn("a master key rotation did not finish: run `updraft admin rotate-master-key` again (with the server stopped)", "path", path+rotatingSuffix)
	}
	r.keysMu.Lock()
	r.aead = aead
	r.fallback = fallback
	r.sessionKey = sk
	r.keysMu.Unlock()
	return r.unsealCached()
}

// deriveKeys derives from a master key the key that seals secrets and the
// one that signs session credentials.
func deriveKeys(master []byte) (cipher.AEAD, []byte, error) {
	k, err := hkdf.Key(sha256.New, master, nil, "updraft access key secrets v1", 32)
	if err != nil {
		return nil, nil, fmt.Errorf("registry: derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, nil, fmt.Errorf("registry: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("registry: sealing key: %w", err)
	}
	sk, err := hkdf.Key(sha256.New, master, nil, "updraft session credentials v1", 32)
	if err != nil {
		return nil, nil, fmt.Errorf("registry: derive session key: %w", err)
	}
	return aead, sk, nil
}

// CreateAccessKey makes a new admin access key pair for tenant.
func (r *Registry) CreateAccessKey(ctx context.Context, tenant string) (id, secret string, err error) {
	return r.createAccessKey(ctx, accessKeyRecord{Tenant: tenant, Scope: fn.ScopeAdmin})
}

// createAccessKey stores a new access key pair with rec (Sealed and
// Created set here).
func (r *Registry) createAccessKey(ctx context.Context, rec accessKeyRecord) (id, secret string, err error) {
	tenant := rec.Tenant
	if err := fn.ValidateTenant(tenant); err != nil {
		return "", "", err
	}
	r.keysMu.RLock()
	aead := r.aead
	r.keysMu.RUnlock()
	if aead == nil {
		return "", "", errors.New("registry: no master key: call UseMasterKey first")
	}
	var idb [10]byte
	var sb [30]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", fmt.Errorf("registry: random key id: %w", err)
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return "", "", fmt.Errorf("registry: random secret: %w", err)
	}
	id = accessKeyPrefix + base32.StdEncoding.EncodeToString(idb[:]) // 4 + 16 characters
	secret = base64.StdEncoding.EncodeToString(sb[:])                // 40 characters
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(secret)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", fmt.Errorf("registry: random nonce: %w", err)
	}
	rec.Sealed, rec.Created = aead.Seal(nonce, nonce, []byte(secret), []byte(id)), time.Now().UTC()
	data, err := json.Marshal(rec)
	if err != nil {
		return "", "", fmt.Errorf("registry: encode access key: %w", err)
	}
	if _, err := r.accessKeys.Create(ctx, id, data); err != nil {
		return "", "", fmt.Errorf("registry: store access key for tenant %s: %w", tenant, err)
	}
	r.keysMu.Lock()
	r.access[id] = accessKey{tenant, secret, scopeOr(rec.Scope)}
	r.keysMu.Unlock()
	return id, secret, nil
}

// AccessKey returns the tenant and secret of access key id; an unknown id
// is a 403 UnrecognizedClientException.
func (r *Registry) AccessKey(ctx context.Context, id string) (tenant, secret string, err error) {
	r.keysMu.RLock()
	k, ok := r.access[id]
	aead := r.aead
	r.keysMu.RUnlock()
	if ok {
		return k.tenant, k.secret, nil
	}
	invalid := fn.Errorf(http.StatusForbidden, fn.TypeUnrecognizedClient,
		"The security token included in the request is invalid: access key id %q is not known here (create one with `updraft keys create`)", id)
	if !strings.HasPrefix(id, accessKeyPrefix) || len(id) != 20 || aead == nil {
		return "", "", invalid
	}
	e, err := r.accessKeys.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", "", invalid
	}
	if err != nil {
		return "", "", fmt.Errorf("registry: look up access key: %w", err)
	}
	var rec accessKeyRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return "", "", fmt.Errorf("registry: access key record %s: %w", id, err)
	}
	plain, err := r.open(rec.Sealed, id)
	if err != nil {
		return "", "", fmt.Errorf("registry: access key %s: %w", id, err)
	}
	r.keysMu.Lock()
	r.access[id] = accessKey{rec.Tenant, string(plain), scopeOr(rec.Scope)}
	r.keysMu.Unlock()
	return rec.Tenant, string(plain), nil
}

// EnsureAdminCredentials makes sure path holds a working access key pair of
// the default tenant, in the AWS shared credentials file format (usable as
// AWS_SHARED_CREDENTIALS_FILE). It reports whether it wrote a new pair.
func (r *Registry) EnsureAdminCredentials(ctx context.Context, path string) (created bool, err error) {
	if id := credentialsKeyID(path); id != "" {
		if _, _, err := r.AccessKey(ctx, id); err == nil {
			return false, nil
		} else if !isUnrecognized(err) {
			return false, err
		}
		r.log.Warn("admin credentials file holds a key this store does not know: writing a new one", "path", path)
	}
	id, secret, err := r.CreateAccessKey(ctx, DefaultTenant)
	if err != nil {
		return false, err
	}
	body := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	return true, writeFileAtomic(path, []byte(body))
}

// credentialsKeyID reads aws_access_key_id from a credentials file; "" when
// there is none.
func credentialsKeyID(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "aws_access_key_id" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// writeFileAtomic replaces path with data, mode 0600 (the directory 0700).
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("registry: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("registry: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("registry: write %s: %w", path, err)
	}
	return nil
}
