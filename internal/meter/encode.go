package meter

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// appendUsage appends u as the bytes json.Marshal gives, without
// reflection: the router records one per invocation, on the invoke path,
// where json.Marshal cost ~9 µs of CPU a call under load. It reports false
// when a float is NaN or infinite (json.Marshal's only failure here).
func appendUsage(b []byte, u *fn.Usage) ([]byte, bool) {
	if !finite(u.DurationMs) || !finite(u.GBs) || !finite(u.InitMs) || u.Time.Year() < 0 || u.Time.Year() > 9999 {
		return b, false
	}
	b = append(b, `{"time":"`...)
	b = u.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","tenant":`...)
	b = appendString(b, u.Tenant)
	b = append(b, `,"function":`...)
	b = appendString(b, u.Function)
	b = append(b, `,"version":`...)
	b = appendString(b, u.Version)
	b = append(b, `,"request_id":`...)
	b = appendString(b, u.RequestID)
	b = append(b, `,"duration_ms":`...)
	b = appendFloat(b, u.DurationMs)
	b = append(b, `,"billed_ms":`...)
	b = strconv.AppendInt(b, u.BilledMs, 10)
	b = append(b, `,"memory_mb":`...)
	b = strconv.AppendInt(b, int64(u.MemoryMB), 10)
	b = append(b, `,"max_memory_mb":`...)
	b = strconv.AppendInt(b, int64(u.MaxMemoryMB), 10)
	b = append(b, `,"gb_s":`...)
	b = appendFloat(b, u.GBs)
	b = append(b, `,"cold":`...)
	b = strconv.AppendBool(b, u.Cold)
	if u.InitMs != 0 {
		b = append(b, `,"init_ms":`...)
		b = appendFloat(b, u.InitMs)
	}
	b = append(b, `,"outcome":`...)
	b = appendString(b, u.Outcome)
	return append(b, '}'), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendFloat formats f as encoding/json does: the shortest repr, in
// exponent form below 1e-6 and from 1e21 on, with a one-digit exponent
// kept short (1e-7, not 1e-07).
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s as a JSON string. The values here (names, ids,
// versions, outcomes) are plain ASCII: those are copied; anything else
// goes through json.Marshal, so the escaping is always encoding/json's.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
