package control

import (
	"context"
	"errors"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Messaging is what the asynchronous-invocation settings need besides the
// registry: where they are stored, and the services whose resources a
// destination may name.
type Messaging struct {
	EventConfigs *registry.EventConfigs
	Queues       *queue.Manager
	// TopicExists reports whether tenant has the topic (nil: topics are not
	// served, and a topic destination is refused).
	TopicExists func(ctx context.Context, tenant, name string) (bool, error)
	// DeleteFunction removes what the messaging layer keeps for a deleted
	// function (its queue of pending events); nil: nothing.
	DeleteFunction func(ctx context.Context, tenant, name string) error
}

// SetMessaging wires the messaging layer in; call before Start.
func (c *Control) SetMessaging(m Messaging) { c.msg = m }

// GetEventConfig returns the qualifier's asynchronous-invocation settings
// (404 when none are set).
func (c *Control) GetEventConfig(ctx context.Context, tenant, name, q string) (*fn.EventInvokeConfig, error) {
	if err := c.checkFunctionQualifier(ctx, tenant, name, q); err != nil {
		return nil, err
	}
	ec, err := c.eventConfigs().Get(ctx, tenant, name, orLatest(q))
	if err != nil {
		return nil, err
	}
	if ec == nil {
		return nil, fn.NotFound("The function %s has no EventInvokeConfig for qualifier %s", name, orLatest(q))
	}
	return ec, nil
}

// EventConfigFor is the setting an event of the qualifier runs with, nil
// for Lambda's defaults; the async loop calls it per event.
func (c *Control) EventConfigFor(ctx context.Context, tenant, name, q string) (*fn.EventInvokeConfig, error) {
	if c.msg.EventConfigs == nil {
		return nil, nil
	}
	return c.msg.EventConfigs.Get(ctx, tenant, name, orLatest(q))
}

// PutEventConfig replaces the qualifier's settings (Lambda's Put), or with
// update merges the given fields into them (Lambda's Update, which fails
// when none exist).
func (c *Control) PutEventConfig(ctx context.Context, ec *fn.EventInvokeConfig, update func(old *fn.EventInvokeConfig)) (*fn.EventInvokeConfig, error) {
	ec.Qualifier = orLatest(ec.Qualifier)
	if err := c.checkFunctionQualifier(ctx, ec.Tenant, ec.Function, ec.Qualifier); err != nil {
		return nil, err
	}
	if update != nil {
		old, err := c.eventConfigs().Get(ctx, ec.Tenant, ec.Function, ec.Qualifier)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, fn.NotFound("The function %s has no EventInvokeConfig for qualifier %s: put one first", ec.Function, ec.Qualifier)
		}
		update(old)
		ec = old
	}
	if err := ec.Validate(); err != nil {
		return nil, err
	}
	for _, arn := range []string{ec.OnSuccess, ec.OnFailure} {
		if arn != "" {
			if err := c.checkDestination(ctx, ec.Tenant, arn, true); err != nil {
				return nil, err
			}
		}
	}
	ec.LastModified = time.Now().UTC()
	if err := c.eventConfigs().Put(ctx, ec); err != nil {
		return nil, err
	}
	return ec, nil
}

// DeleteEventConfig removes the qualifier's settings.
func (c *Control) DeleteEventConfig(ctx context.Context, tenant, name, q string) error {
	if _, err := c.GetEventConfig(ctx, tenant, name, q); err != nil {
		return err
	}
	return c.eventConfigs().Delete(ctx, tenant, name, orLatest(q))
}

// ListEventConfigs returns every qualifier's settings of the function.
func (c *Control) ListEventConfigs(ctx context.Context, tenant, name string) ([]*fn.EventInvokeConfig, error) {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return nil, err
	}
	return c.eventConfigs().List(ctx, tenant, name)
}

// checkDestination checks that arn names an existing queue, topic or (with
// functions) function of tenant.
func (c *Control) checkDestination(ctx context.Context, tenant, arn string, functions bool) error {
	d, err := fn.ParseDestination(tenant, arn)
	if err != nil {
		return fn.InvalidParameter("%s: %s", arn, err.Error())
	}
	switch d.Kind {
	case fn.DestinationQueue:
		if c.msg.Queues == nil {
			return fn.InvalidParameter("%s: queues are not served here", arn)
		}
		if _, err := c.msg.Queues.Get(ctx, queue.ID{Tenant: tenant, Name: d.Name}); errors.Is(err, queue.ErrNotFound) {
			return fn.InvalidParameter("%s: the queue %s does not exist: create it first", arn, d.Name)
		} else if err != nil {
			return err
		}
	case fn.DestinationTopic:
		if c.msg.TopicExists == nil {
			return fn.InvalidParameter("%s: topics are not served here", arn)
		}
		ok, err := c.msg.TopicExists(ctx, tenant, d.Name)
		if err != nil {
			return err
		}
		if !ok {
			return fn.InvalidParameter("%s: the topic %s does not exist: create it first", arn, d.Name)
		}
	case fn.DestinationFunction:
		if !functions {
			return fn.InvalidParameter("%s: a dead-letter target is a queue or a topic, not a function", arn)
		}
		if _, err := c.reg.GetFunction(ctx, tenant, d.Name); err != nil {
			if fn.IsNotFound(err) {
				return fn.InvalidParameter("%s: the function %s does not exist", arn, d.Name)
			}
			return err
		}
	}
	return nil
}

// checkFunctionQualifier accepts "" or $LATEST, a published version or an
// alias of an existing function.
func (c *Control) checkFunctionQualifier(ctx context.Context, tenant, name, q string) error {
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return err
	}
	return c.checkQualifier(ctx, tenant, name, orLatest(q))
}

// eventConfigs is the settings' store; without one (a server wired without
// messaging) every call says so.
func (c *Control) eventConfigs() eventConfigStore {
	if c.msg.EventConfigs == nil {
		return noEventConfigs{}
	}
	return c.msg.EventConfigs
}

type eventConfigStore interface {
	Get(ctx context.Context, tenant, name, q string) (*fn.EventInvokeConfig, error)
	Put(ctx context.Context, c *fn.EventInvokeConfig) error
	Delete(ctx context.Context, tenant, name, q string) error
	List(ctx context.Context, tenant, name string) ([]*fn.EventInvokeConfig, error)
}

type noEventConfigs struct{}

var errNoAsync = fn.Unavailable("asynchronous invocation settings are not served by this server")

func (noEventConfigs) Get(context.Context, string, string, string) (*fn.EventInvokeConfig, error) {
	return nil, errNoAsync
}
func (noEventConfigs) Put(context.Context, *fn.EventInvokeConfig) error { return errNoAsync }
func (noEventConfigs) Delete(context.Context, string, string, string) error {
	return errNoAsync
}
func (noEventConfigs) List(context.Context, string, string) ([]*fn.EventInvokeConfig, error) {
	return nil, errNoAsync
}

func orLatest(q string) string {
	if q == "" {
		return fn.LatestVersion
	}
	return q
}
