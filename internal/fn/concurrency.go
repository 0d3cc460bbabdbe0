package fn

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Concurrency is a function's scaling configuration (Lambda's
// PutFunctionConcurrency plus provisioned concurrency and an instance cap).
type Concurrency struct {
	// Reserved is carved out of the tenant's concurrency limit for this
	// function alone and is also its ceiling. nil: the function shares the
	// tenant's unreserved pool. 0: the function is throttled (disabled).
	Reserved *int `json:"reserved,omitempty"`
	// Provisioned is the provisioned concurrency per qualifier ($LATEST,
	// a published version or an alias): that many instances kept
	// initialised at all times. The Lambda API's
	// PutProvisionedConcurrencyConfig and `updraft concurrency
	// --provisioned` set the same entries.
	Provisioned Provisioned `json:"provisioned,omitempty"`
	// MaxInstances caps the function's instances, and so its concurrent
	// calls (0: no cap of its own).
	MaxInstances int `json:"max_instances,omitempty"`
}

// Throttle reasons, as Lambda sends them in a 429's Reason.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonTenantLimit   = "ConcurrentInvocationLimitExceeded"
	// Updraft's own: a function's instance cap, and the host's memory.
	ReasonMaxInstances = "FunctionInstanceLimitExceeded"
	ReasonHostCapacity = "HostCapacityExceeded"
)

// DefaultTenantConcurrency is the tenant-wide limit of concurrent calls.
const DefaultTenantConcurrency = 1000

// Validate checks c against the tenant limit.
func (c *Concurrency) Validate(tenantLimit int) error {
	if c.Reserved != nil && (*c.Reserved < 0 || *c.Reserved > tenantLimit) {
		return InvalidParameter("reserved concurrency %d is out of range: use 0 (disable the function) to %d (the tenant limit)", *c.Reserved, tenantLimit)
	}
	for q, n := range c.Provisioned {
		if n < 0 {
			return InvalidParameter("provisioned concurrency %d for %s is negative: use 0 or more", n, q)
		}
	}
	if c.MaxInstances < 0 {
		return InvalidParameter("max instances %d is negative: use 0 (no cap) or more", c.MaxInstances)
	}
	total := c.Provisioned.Total()
	if c.Reserved != nil && total > *c.Reserved {
		return InvalidParameter("provisioned concurrency %d exceeds reserved concurrency %d: raise --reserved or lower --provisioned", total, *c.Reserved)
	}
	if c.MaxInstances > 0 && total > c.MaxInstances {
		return InvalidParameter("provisioned concurrency %d exceeds max instances %d", total, c.MaxInstances)
	}
	return nil
}

// Provisioned maps a qualifier to its provisioned concurrency.
type Provisioned map[string]int

// Total is the sum over every qualifier.
func (p Provisioned) Total() int {
	n := 0
	for _, v := range p {
		n += v
	}
	return n
}

// String is "$LATEST=2 live=5", sorted; "2" for $LATEST alone; or "0".
func (p Provisioned) String() string {
	if len(p) == 0 {
		return "0"
	}
	if n, ok := p[LatestVersion]; ok && len(p) == 1 {
		return strconv.Itoa(n)
	}
	var b strings.Builder
	for i, q := range slices.Sorted(maps.Keys(p)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(q + "=" + strconv.Itoa(p[q]))
	}
	return b.String()
}

// UnmarshalJSON also reads the older form, a number for $LATEST.
func (p *Provisioned) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' && b[0] != 'n' {
		var n int
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*p = nil
		if n > 0 {
			*p = Provisioned{LatestVersion: n}
		}
		return nil
	}
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = m
	return nil
}
