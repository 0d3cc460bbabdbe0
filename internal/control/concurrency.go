package control

import (
	"context"
	"sort"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// GetConcurrency returns tenant's function name's scaling configuration.
func (c *Control) GetConcurrency(ctx context.Context, tenant, name string) (fn.Concurrency, error) {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return fn.Concurrency{}, err
	}
	return c.sched.Concurrency(tenant, name), nil
}

// PutConcurrency stores cc for an existing function and applies it. With
// wait, it returns once the provisioned instances are ready (or one failed
// to start, or ctx ends); the setting stays either way.
func (c *Control) PutConcurrency(ctx context.Context, tenant, name string, cc fn.Concurrency, wait bool) error {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return err
	}
	for q := range cc.Provisioned {
		if err := c.checkQualifier(ctx, tenant, name, q); err != nil {
			return err
		}
	}
	if err := c.sched.SetConcurrency(ctx, tenant, name, cc); err != nil {
		return err
	}
	c.reconcile(ctx, tenant, name)
	if !wait {
		return nil
	}
	return c.awaitProvisioned(ctx, tenant, name)
}

// SetReserved changes only the reservation (nil removes it).
func (c *Control) SetReserved(ctx context.Context, tenant, name string, reserved *int) error {
	cc, err := c.GetConcurrency(ctx, tenant, name)
	if err != nil {
		return err
	}
	cc.Reserved = reserved
	return c.PutConcurrency(ctx, tenant, name, cc, false)
}

// DeleteConcurrency removes a function's configuration and releases its
// provisioned instances to the keep-alive policy.
func (c *Control) DeleteConcurrency(ctx context.Context, tenant, name string) error {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return err
	}
	if err := c.sched.DeleteConcurrency(ctx, tenant, name); err != nil {
		return err
	}
	c.reconcile(ctx, tenant, name)
	return nil
}

// Instances is the visible state of a function's instances.
type Instances struct {
	Function    string          `json:"function"`
	Concurrency fn.Concurrency  `json:"concurrency"`
	InFlight    int             `json:"in_flight"`
	Instances   []pool.Instance `json:"instances"`
	Versions    []pool.Stats    `json:"versions"`
	Throttles   scheduler.Stats `json:"tenant"`
}

// Instances reports a function's instances and their states.
func (c *Control) Instances(ctx context.Context, tenant, name string) (*Instances, error) {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return nil, err
	}
	out := &Instances{Function: name, Concurrency: c.sched.Concurrency(tenant, name),
		InFlight: c.sched.InFlight(tenant, name), Throttles: c.sched.Stats(tenant)}
	out.Instances, out.Versions = c.pool.Instances(fn.Key(tenant, name))
	if out.Instances == nil {
		out.Instances = []pool.Instance{}
	}
	sort.Slice(out.Versions, func(i, j int) bool { return out.Versions[i].Key < out.Versions[j].Key })
	return out, nil
}

// Account is a tenant's view of its limits and use (Lambda's
// GetAccountSettings).
type Account struct {
	ConcurrentExecutions           int // the tenant's limit
	UnreservedConcurrentExecutions int // the limit less every reservation
	FunctionCount                  int
	CodeSizeBytes                  int64
	Capacity                       pool.Capacity // the host's memory for functions
}

// Account reports tenant's limits and use.
func (c *Control) Account(ctx context.Context, tenant string) (*Account, error) {
	fs, err := c.reg.ListFunctions(ctx, tenant)
	if err != nil {
		return nil, err
	}
	a := &Account{
		ConcurrentExecutions:           c.sched.TenantLimit(),
		UnreservedConcurrentExecutions: c.sched.Unreserved(tenant),
		FunctionCount:                  len(fs),
		Capacity:                       c.pool.Capacity(),
	}
	for _, f := range fs {
		a.CodeSizeBytes += f.CodeSize
	}
	return a, nil
}
