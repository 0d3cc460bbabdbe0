package fn

// Concurrency is a function's scaling configuration (Lambda's
// PutFunctionConcurrency plus provisioned concurrency and an instance cap).
type Concurrency struct {
	// Reserved is carved out of the tenant's concurrency limit for this
	// function alone and is also its ceiling. nil: the function shares the
	// tenant's unreserved pool. 0: the function is throttled (disabled).
	Reserved *int `json:"reserved,omitempty"`
	// Provisioned instances are kept initialised at all times.
	Provisioned int `json:"provisioned"`
	// MaxInstances caps the function's instances (0: the server's default).
	MaxInstances int `json:"max_instances,omitempty"`
}

// Throttle reasons, as Lambda sends them in a 429's Reason.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonTenantLimit   = "ConcurrentInvocationLimitExceeded"
)

// DefaultTenantConcurrency is the tenant-wide limit of concurrent calls.
const DefaultTenantConcurrency = 1000

// Validate checks c against the tenant limit.
func (c *Concurrency) Validate(tenantLimit int) error {
	if c.Reserved != nil && (*c.Reserved < 0 || *c.Reserved > tenantLimit) {
		return InvalidParameter("reserved concurrency %d is out of range: use 0 (disable the function) to %d (the tenant limit)", *c.Reserved, tenantLimit)
	}
	if c.Provisioned < 0 {
		return InvalidParameter("provisioned concurrency %d is negative: use 0 or more", c.Provisioned)
	}
	if c.MaxInstances < 0 {
		return InvalidParameter("max instances %d is negative: use 0 (server default) or more", c.MaxInstances)
	}
	if c.Reserved != nil && c.Provisioned > *c.Reserved {
		return InvalidParameter("provisioned concurrency %d exceeds reserved concurrency %d: raise --reserved or lower --provisioned", c.Provisioned, *c.Reserved)
	}
	if c.MaxInstances > 0 && c.Provisioned > c.MaxInstances {
		return InvalidParameter("provisioned concurrency %d exceeds max instances %d", c.Provisioned, c.MaxInstances)
	}
	return nil
}
