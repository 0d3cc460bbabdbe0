package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway"
	s3api "github.com/updraft-dev/updraft/internal/gateway/s3"
	"github.com/updraft-dev/updraft/internal/objects"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/topic"
)

// startObjects starts the object storage (content files under
// DATA_DIR/objects) and mounts the S3 API on the endpoint.
func (d *Daemon) startObjects(ctx context.Context, gw *gateway.Gateway, s services, topics *topic.Service) error {
	svc, err := objects.New(objects.Config{
		Store:   d.st,
		Dir:     filepath.Join(d.cfg.DataDir, "objects"),
		Targets: objectTargets{reg: d.reg, async: s.async, queues: s.queues, topics: topics},
		Log:     d.log,
	})
	if err != nil {
		return err
	}
	d.onClose(svc.Close)
	if err := svc.Start(ctx); err != nil {
		return err
	}
	s.ctl.RegisterTenantResources(bucketResources{svc})
	api := s3api.New(svc, s3api.Config{Log: d.log, Hosts: func() []string {
		host, _, _ := net.SplitHostPort(d.Addr())
		return []string{host}
	}})
	gw.Mount(gateway.Service{Name: "s3", Handler: api.Serve, Error: api.Error, Anonymous: api.Anonymous, ServeAnonymous: api.ServeAnonymous})
	return nil
}

// objectTargets delivers S3 notifications through the durable spine: a
// function's asynchronous-invoke queue, an SQS queue, an SNS topic.
type objectTargets struct {
	reg    *registry.Registry
	async  *async.Queue
	queues *queue.Manager
	topics *topic.Service
}

var _ objects.Targets = objectTargets{}

func (t objectTargets) InvokeAsync(ctx context.Context, tenant, arn, eventID string, payload []byte) error {
	name, qualifier, ok := lambdaName(tenant, arn)
	if !ok {
		return fmt.Errorf("objects: %s is not a function ARN of the tenant", arn)
	}
	return t.async.Enqueue(ctx, &async.Event{
		RequestID: uuidOf(eventID), Tenant: tenant, Function: name, Qualifier: qualifier, Payload: json.RawMessage(payload),
	})
}

func (t objectTargets) SendQueue(ctx context.Context, tenant, arn, eventID string, body []byte) error {
	name, ok := sqsName(tenant, arn)
	if !ok {
		return fmt.Errorf("objects: %s is not a queue ARN of the tenant", arn)
	}
	_, err := t.queues.Send(ctx, queue.ID{Tenant: tenant, Name: name}, queue.Message{DedupID: eventID, Body: body})
	if errors.Is(err, queue.ErrNotFound) {
		return nil // deleted after the configuration named it: S3 drops the event too
	}
	return err
}

func (t objectTargets) PublishTopic(ctx context.Context, tenant, arn, eventID, subject, message string) error {
	_, err := t.topics.Publish(ctx, tenant, topic.Message{TopicARN: arn, Subject: subject, Message: message, IdempotencyKey: eventID})
	if fn.IsNotFound(err) {
		return nil
	}
	return err
}

func (t objectTargets) Exists(ctx context.Context, tenant, kind, arn string) (bool, error) {
	var err error
	switch kind {
	case objects.KindLambda:
		name, _, ok := lambdaName(tenant, arn)
		if !ok {
			return false, nil
		}
		_, err = t.reg.GetFunction(ctx, tenant, name)
	case objects.KindQueue:
		name, ok := sqsName(tenant, arn)
		if !ok {
			return false, nil
		}
		_, err = t.queues.Get(ctx, queue.ID{Tenant: tenant, Name: name})
		if errors.Is(err, queue.ErrNotFound) {
			return false, nil
		}
	case objects.KindTopic:
		_, err = t.topics.GetTopic(ctx, tenant, arn)
	default:
		return false, nil
	}
	if fn.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// sqsName returns the queue name of tenant's queue ARN.
func sqsName(tenant, arn string) (string, bool) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[4] != fn.AccountID(tenant) {
		return "", false
	}
	return p[5], true
}

// lambdaName returns the function name and qualifier of tenant's
// function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func lambdaName(tenant, arn string) (name, qualifier string, ok bool) {
	p := strings.Split(arn, ":")
	if len(p) < 7 || len(p) > 8 || p[0] != "arn" || p[2] != "lambda" || p[4] != fn.AccountID(tenant) || p[5] != "function" || p[6] == "" {
		return "", "", false
	}
	if len(p) == 8 {
		qualifier = p[7]
	}
	return p[6], qualifier, true
}

// uuidOf formats a 32-hex-digit id as a UUID.
func uuidOf(h string) string {
	if len(h) != 32 {
		return h
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
