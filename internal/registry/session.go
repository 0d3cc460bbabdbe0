package registry

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Session credentials are short-lived AWS key triples (access key id,
// secret, session token) like STS's: each function instance gets one in
// its environment, and the CLI exchanges its API key for one to speak the
// AWS protocols. They are stateless: the token carries the session's
// claims (tenant, function, permissions, expiry) under an HMAC of a key
// derived from the master key, and the secret is an HMAC of the key id, so
// any node with the master key verifies them without a lookup, and nothing
// is stored per instance.

// sessionKeyPrefix starts every session access key id ("ASIA" on AWS).
const sessionKeyPrefix = "ASUD"

// MaxSessionLifetime bounds a session's validity.
const MaxSessionLifetime = 12 * time.Hour

// Session is who session credentials speak for.
type Session struct {
	Tenant   string `json:"t"`
	Function string `json:"f,omitempty"` // "" for a tenant-wide session
	// Permissions limit what the session may do; nil: everything of the
	// tenant.
	Permissions fn.Permissions `json:"p"` // no omitempty: [] must not read back as null
	// Scope is the scope of the key it was exchanged for; "" for a
	// function's (fn.ScopeDeploy, within Permissions).
	Scope   string    `json:"s,omitempty"`
	Expires time.Time `json:"e"`
	KeyID   string    `json:"k"`
	// Parent is the key it was exchanged for (POST /v1/session); the
	// session ends when that key is revoked. "" for a function's.
	Parent string `json:"pk,omitempty"`
}

// SessionCredentials are what a session hands out.
type SessionCredentials struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
}

// IsSessionKey reports whether id names session credentials.
func IsSessionKey(id string) bool { return strings.HasPrefix(id, sessionKeyPrefix) }

// NewSession issues credentials for s, valid for lifetime (at most
// MaxSessionLifetime).
func (r *Registry) NewSession(s Session, lifetime time.Duration) (SessionCredentials, error) {
	if err := fn.ValidateTenant(s.Tenant); err != nil {
		return SessionCredentials{}, err
	}
	if lifetime <= 0 || lifetime > MaxSessionLifetime {
		return SessionCredentials{}, fn.InvalidParameter("a session lasts between 1s and %s, not %s", MaxSessionLifetime, lifetime)
	}
	key := r.sessionSigningKey()
	if key == nil {
		return SessionCredentials{}, errors.New("registry: no master key: call UseMasterKey first")
	}
	var idb [10]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return SessionCredentials{}, fmt.Errorf("registry: random session key id: %w", err)
	}
	s.KeyID = sessionKeyPrefix + base32.StdEncoding.EncodeToString(idb[:])
	s.Expires = time.Now().Add(lifetime).UTC().Truncate(time.Second)
	claims, err := json.Marshal(s)
	if err != nil {
		return SessionCredentials{}, fmt.Errorf("registry: encode session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(claims) + "." + base64.RawURLEncoding.EncodeToString(mac(key, "token", claims))
	return SessionCredentials{
		AccessKeyID:     s.KeyID,
		SecretAccessKey: sessionSecret(key, s.KeyID),
		SessionToken:    token,
		Expiration:      s.Expires,
	}, nil
}

// OpenSession verifies session credentials' token for key id and returns
// the session and the secret the request must be signed with. A missing,
// forged or expired token is a 403 the SDK reports as is.
func (r *Registry) OpenSession(keyID, token string) (Session, string, error) {
	key := r.sessionSigningKey()
	if key == nil {
		return Session{}, "", errors.New("registry: no master key: call UseMasterKey first")
	}
	if token == "" {
		return Session{}, "", invalidToken("access key %s is a session key: send its session token (X-Amz-Security-Token, AWS_SESSION_TOKEN) too", keyID)
	}
	b64, sig64, ok := strings.Cut(token, ".")
	claims, err1 := base64.RawURLEncoding.DecodeString(b64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(sig, mac(key, "token", claims)) {
		return Session{}, "", invalidToken("The security token included in the request is invalid")
	}
	var s Session
	if err := json.Unmarshal(claims, &s); err != nil {
		return Session{}, "", invalidToken("The security token included in the request is invalid")
	}
	if s.KeyID != keyID {
		return Session{}, "", invalidToken("The security token included in the request is invalid: it belongs to another access key")
	}
	if s.Parent != "" && !r.keyActive(s.Parent) {
		return Session{}, "", invalidToken("The security token included in the request is invalid: the key it was made from (%s) was revoked", s.Parent)
	}
	if time.Now().After(s.Expires) {
		return Session{}, "", fn.Errorf(http.StatusForbidden, fn.TypeExpiredToken,
			"The security token included in the request is expired (it expired at %s): get new credentials", s.Expires.Format(time.RFC3339))
	}
	return s, sessionSecret(key, keyID), nil
}

func (r *Registry) sessionSigningKey() []byte {
	r.keysMu.RLock()
	defer r.keysMu.RUnlock()
	return r.sessionKey
}

func invalidToken(format string, args ...any) error {
	return fn.Errorf(http.StatusForbidden, fn.TypeUnrecognizedClient, format, args...)
}

func mac(key []byte, label string, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(data)
	return h.Sum(nil)
}

// sessionSecret derives the secret of session key id: 40 characters like
// an AWS secret access key.
func sessionSecret(key []byte, id string) string {
	return base64.StdEncoding.EncodeToString(mac(key, "secret", []byte(id)))[:40]
}
