package wire

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/updraft-dev/updraft/internal/fn"
)

// CORS is a function URL's Cors configuration as Lambda's API spells it.
// The lambda adapter validates it (ParseCORS); the furl adapter applies it
// (furl/cors.go).
type CORS struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

// corsMethods are the values AllowMethods takes on Lambda.
var corsMethods = []string{"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"}

// corsMaxAge is Lambda's upper bound of MaxAge, in seconds.
const corsMaxAge = 86400

// DecodeCORS decodes a stored Cors; nil (and JSON null) is no configuration.
func DecodeCORS(raw json.RawMessage) (*CORS, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	c := new(CORS)
	if err := dec.Decode(c); err != nil {
		return nil, fn.InvalidParameter("Cors is invalid: %v: use AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials", err)
	}
	return c, nil
}

// ParseCORS decodes and validates a Cors given to Create or
// UpdateFunctionUrlConfig, with Lambda's limits.
func ParseCORS(raw json.RawMessage) (*CORS, error) {
	c, err := DecodeCORS(raw)
	if c == nil || err != nil {
		return c, err
	}
	if len(c.AllowMethods) > len(corsMethods)-1 {
		return nil, fn.InvalidParameter("Cors.AllowMethods has %d entries: the limit is 6", len(c.AllowMethods))
	}
	for _, m := range c.AllowMethods {
		if !slices.Contains(corsMethods, m) {
			return nil, fn.InvalidParameter("Cors.AllowMethods value %q is invalid: use GET, PUT, HEAD, POST, PATCH, DELETE or *", m)
		}
	}
	for _, list := range []struct {
		name   string
		values []string
		max    int
	}{{"AllowOrigins", c.AllowOrigins, 253}, {"AllowHeaders", c.AllowHeaders, 1024}, {"ExposeHeaders", c.ExposeHeaders, 1024}} {
		if len(list.values) > 100 {
			return nil, fn.InvalidParameter("Cors.%s has %d entries: the limit is 100", list.name, len(list.values))
		}
		for _, v := range list.values {
			if v == "" || len(v) > list.max {
				return nil, fn.InvalidParameter("Cors.%s value %q is invalid: use 1 to %d characters", list.name, v, list.max)
			}
		}
	}
	if c.MaxAge < 0 || c.MaxAge > corsMaxAge {
		return nil, fn.InvalidParameter("Cors.MaxAge %d is out of range: use 0 to %d seconds", c.MaxAge, corsMaxAge)
	}
	return c, nil
}

// StoredCORS is a validated Cors as stored: JSON null is none.
func StoredCORS(raw json.RawMessage) json.RawMessage {
	if c, _ := DecodeCORS(raw); c == nil {
		return nil
	}
	return raw
}
