package fn

import (
	"encoding/json"
	"regexp"
	"strconv"
	"time"
)

// Alias is a named pointer to a published version, optionally sending a
// share of calls to one more version (weighted canary routing).
type Alias struct {
	Tenant          string             `json:"tenant"`
	Function        string             `json:"function"`
	Name            string             `json:"name"`
	FunctionVersion string             `json:"function_version"`
	Description     string             `json:"description,omitempty"`
	Weights         map[string]float64 `json:"weights,omitempty"` // version → share in [0,1]
	Revision        int64              `json:"revision"`
	UpdatedAt       time.Time          `json:"updated_at"`
}

var aliasRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// ValidateAliasName checks an alias name the way Lambda does: not all
// digits (that would be a version), not $LATEST.
func ValidateAliasName(name string) error {
	if !aliasRE.MatchString(name) || IsVersionNumber(name) {
		return InvalidParameter("invalid alias name %q: use 1 to 128 letters, digits, hyphens or underscores, not only digits", name)
	}
	return nil
}

// IsVersionNumber reports whether q names a published version ("1", "2", …).
func IsVersionNumber(q string) bool {
	n, err := strconv.ParseUint(q, 10, 63)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == q
}

// FunctionURL is a function's HTTP endpoint, served by Updraft at
// /url/<ID>/ on its listener.
type FunctionURL struct {
	ID         string          `json:"id"`
	Qualifier  string          `json:"qualifier,omitempty"`
	AuthType   string          `json:"auth_type"` // NONE or AWS_IAM
	InvokeMode string          `json:"invoke_mode"`
	Cors       json.RawMessage `json:"cors,omitempty"`
	Created    time.Time       `json:"created"`
	Modified   time.Time       `json:"modified"`
}

// URLRef is what a function URL id points at.
type URLRef struct {
	Tenant    string `json:"tenant"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	AuthType  string `json:"auth_type"`
}
