package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// HasCode reports whether the code object sha (sha256 hex of the zip) is stored.
func (r *Registry) HasCode(ctx context.Context, sha string) (bool, error) {
	if err := checkSHA(sha); err != nil {
		return false, err
	}
	_, err := r.code.GetInfo(ctx, sha)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return false, nil
	}
	return false, fmt.Errorf("registry: look up code %s: %w", sha, err)
}

// PutCode stores zip under its sha256 sha. Storing code that is already
// there does nothing.
func (r *Registry) PutCode(ctx context.Context, sha string, zip []byte) error {
	if err := checkSHA(sha); err != nil {
		return err
	}
	if sum := sha256.Sum256(zip); hex.EncodeToString(sum[:]) != sha {
		return fmt.Errorf("registry: code %s: content has sha256 %x", sha, sum)
	}
	ok, err := r.HasCode(ctx, sha)
	if err != nil || ok {
		return err
	}
	if _, err := r.code.PutBytes(ctx, sha, zip); err != nil {
		return fmt.Errorf("registry: store code %s: %w", sha, err)
	}
	return nil
}

// ErrCodeCorrupt is wrapped by GetCode's error when the stored object
// cannot be read back whole or its content does not match its digest.
var ErrCodeCorrupt = errors.New("the stored code object is damaged")

// GetCode returns the zip stored as sha, checked against its digest. A
// missing object is an error that wraps jetstream.ErrObjectNotFound; a
// damaged one wraps ErrCodeCorrupt.
func (r *Registry) GetCode(ctx context.Context, sha string) ([]byte, error) {
	if err := checkSHA(sha); err != nil {
		return nil, err
	}
	data, err := readCode(ctx, r.js, r.code, sha)
	if errors.Is(err, ErrCodeCorrupt) {
		r.log.Error("code object damaged: run `updraft admin check`", "code_sha256", sha, "err", err)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: read code %s: %w", sha, err)
	}
	return data, nil
}

// checkSHA accepts a lower-case sha256 hex digest, the only object names
// the code bucket holds.
func checkSHA(sha string) error {
	if len(sha) != 2*sha256.Size {
		return fn.InvalidParameter("code sha256 %q is not 64 hex digits", sha)
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fn.InvalidParameter("code sha256 %q is not 64 lower-case hex digits", sha)
		}
	}
	return nil
}
