package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/updraft-dev/updraft/internal/fn"
)

// exec is one deploy's or delete's work on a tenant's resources.
type exec struct {
	e      *Engine
	tenant string
	stack  string
	fns    *functions
	svc    *Services
	codes  map[string][]byte // by logical id: the zip to deploy
}

func (e *Engine) newExec(ctx context.Context, tenant, stack string, caller Caller, codes map[string][]byte) (*exec, error) {
	cfg := e.awsConfig(tenant, caller)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("stack: credentials for %s: %w", tenant, err)
	}
	x := &exec{e: e, tenant: tenant, stack: stack, svc: NewServices(cfg), codes: codes}
	x.fns = &functions{tenant: tenant, stack: stack, caller: caller, dep: e.cfg.Deployer, lambda: x.svc.fns, code: x.code}
	return x, nil
}

// code is the zip a function deploys: this deploy's, or (putting a
// previous version back) the stored code the stack recorded.
func (x *exec) code(r *Resource) ([]byte, error) {
	if z, ok := x.codes[r.LogicalID]; ok && r.Function.CodeURI != "" {
		return z, nil
	}
	return nil, fmt.Errorf("no code for %s", r.LogicalID)
}

func (x *exec) backend(k Kind) Backend {
	switch k {
	case KindFunction:
		return x.fns
	case KindAPI:
		return apis{}
	}
	return x.svc
}

// apis is the Backend of KindAPI: an API's routes are its functions' http
// triggers, made and removed with them, so the API itself has nothing to
// make.
type apis struct{}

func (apis) Apply(context.Context, *Resource, *Resource, Applied) (Applied, error) {
	return Applied{}, nil
}
func (apis) Delete(context.Context, *Resource, Applied) error { return nil }

// preflight refuses, before anything changes, to make a resource that
// exists already outside the stack (CloudFormation's "already exists"):
// a stack never takes over, nor later deletes, what it did not make.
func (x *exec) preflight(ctx context.Context, prev *Stack, want []Resource, steps []Step) error {
	byID := map[string]*Resource{}
	for i := range want {
		byID[want[i].LogicalID] = &want[i]
	}
	for _, st := range steps {
		if st.Action != ActionCreate && st.Action != ActionReplace {
			continue
		}
		r := byID[st.LogicalID]
		if r.Kind == KindAPI || r.Kind == KindSubscription || r.Kind == KindMapping {
			continue // no name to collide on
		}
		owner, exists, err := x.exists(ctx, r)
		if err != nil {
			return fmt.Errorf("%s %s (%s): checking whether %s exists: %w", r.Kind, r.LogicalID, r.Type, r.Name, err)
		}
		if exists && owner != x.stack {
			by := "made outside any stack"
			if owner != "" {
				by = "made by stack " + owner
			}
			return propError(r.LogicalID, r.Type, "", "%s %s already exists (%s): give the resource another name or remove the existing one", r.Kind, r.Name, by)
		}
	}
	return nil
}

// exists reports whether r's name is taken and, for a function, by which
// stack (its StackTag).
func (x *exec) exists(ctx context.Context, r *Resource) (owner string, ok bool, err error) {
	switch r.Kind {
	case KindFunction:
		out, err := x.fns.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &r.Name})
		if notFound(err) {
			return "", false, nil
		} else if err != nil {
			return "", false, err
		}
		return out.Tags[StackTag], true, nil
	case KindTable:
		_, err = x.svc.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &r.Name})
	case KindQueue:
		_, err = x.svc.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &r.Name})
	case KindTopic:
		arn, _ := Attribute(x.e.Inputs(x.tenant, x.stack, nil), r.Type, r.Name, "")
		_, err = x.svc.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	case KindBucket:
		_, err = x.svc.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &r.Name})
	case KindSchedule:
		_, err = x.svc.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: &r.Name})
	default:
		return "", false, nil
	}
	if err == nil {
		return "", true, nil
	}
	if notFound(err) || strings.Contains(err.Error(), "StatusCode: 404") {
		return "", false, nil
	}
	return "", false, err
}

// undo is one change apply made, to put back on failure.
type undo struct {
	created bool
	now     Record
	prev    *Record // an update's previous record
}

// apply carries out the plan on next (whose Resources start as the
// previous record's), recording each change with save. It returns the
// traffic shifts to start. On failure it puts back what it changed, in
// reverse, and sets next's status.
func (x *exec) apply(ctx context.Context, prev, next *Stack, want []Resource, steps []Step, shas map[string]string, save func(*Stack) error) ([]*Deployment, error) {
	byID := map[string]Resource{}
	for _, r := range want {
		byID[r.LogicalID] = r
	}
	var undos []undo
	var shifts []*Deployment
	var replaced []Record // the old side of each replace, removed at the end
	fail := func(r *Resource, err error) ([]*Deployment, error) {
		err = fmt.Errorf("%s (%s) failed: %w", r.LogicalID, r.Type, err)
		perr := x.rollback(ctx, next, undos)
		for _, old := range replaced { // still there: back in the record
			next.Resources = append(removeRecord(next.Resources, old.LogicalID), old)
		}
		next.Resources = sortedRecords(next.Resources)
		if perr != nil {
			next.Status = StatusRollbackFailed
			return nil, fmt.Errorf("%w; putting back the previous resources failed too: %v", err, perr)
		}
		next.Status = StatusRollbackComplete
		if prev == nil {
			next.Status = StatusCreateFailed
		}
		return nil, err
	}
	notify := false
	for _, st := range steps {
		if st.Action == ActionDelete || st.Action == ActionKeep {
			continue
		}
		r := byID[st.LogicalID]
		var old *Record
		if st.Action == ActionUpdate {
			o := *next.record(r.LogicalID)
			old = &o
		}
		if st.Action == ActionReplace {
			// As CloudFormation does: the new one is made (its name
			// differs), the old one removed once all is in place.
			replaced = append(replaced, *next.record(r.LogicalID))
			next.Resources = removeRecord(next.Resources, r.LogicalID)
		}
		var prevRes *Resource
		var prevApplied Applied
		if old != nil {
			prevRes, prevApplied = &old.Resource, old.Applied
		}
		a, err := x.backend(r.Kind).Apply(ctx, &r, prevRes, prevApplied)
		if err != nil {
			return fail(&r, err)
		}
		rec := Record{Resource: r, Applied: a, CodeSHA256: shas[r.LogicalID]}
		if r.Kind == KindFunction && r.Function.Alias != "" && old != nil && Shifts(r.Function.Deployment) &&
			old.Applied.Version != "" && a.Version != old.Applied.Version {
			shifts = append(shifts, &Deployment{Tenant: x.tenant, Function: r.Name, Alias: r.Function.Alias,
				From: old.Applied.Version, To: a.Version, Preference: *r.Function.Deployment})
			rec.Applied.Version = old.Applied.Version // what the alias serves until the shift ends
		}
		undos = append(undos, undo{created: old == nil, now: rec, prev: old})
		next.Resources = append(removeRecord(next.Resources, r.LogicalID), rec)
		if r.Kind == KindBucket {
			notify = true
		}
		if err := save(next); err != nil {
			return fail(&r, err)
		}
	}
	// Notifications name functions and queues, so they go on last.
	for _, r := range want {
		if r.Kind != KindBucket {
			continue
		}
		old := prev.recordOrNil(r.LogicalID)
		if !notify && old != nil && sameSpec(&old.Resource, &r) {
			continue
		}
		if err := x.svc.ApplyNotifications(ctx, r.Name, r.Bucket.Notifications); err != nil {
			return fail(&r, fmt.Errorf("notifications: %w", err))
		}
	}
	// Then what the template no longer has goes, newest kinds first. A
	// failure here leaves the resource in the record (the next deploy
	// tries again) and is reported.
	var left []string
	for i := len(replaced) - 1; i >= 0; i-- {
		if err := x.delete(ctx, &replaced[i]); err != nil {
			left = append(left, fmt.Sprintf("%s (%s, the %s it replaced): %v", replaced[i].LogicalID, replaced[i].Type, replaced[i].Name, err))
		}
	}
	for _, st := range steps {
		if st.Action != ActionDelete {
			continue
		}
		rec := next.record(st.LogicalID)
		if err := x.delete(ctx, rec); err != nil {
			left = append(left, fmt.Sprintf("%s (%s): %v", rec.LogicalID, rec.Type, err))
			continue
		}
		next.Resources = removeRecord(next.Resources, st.LogicalID)
		if err := save(next); err != nil {
			return nil, err
		}
	}
	next.Resources = sortedRecords(next.Resources)
	next.Status = StatusUpdateComplete
	if prev == nil {
		next.Status = StatusCreateComplete
	}
	for _, d := range shifts {
		d.ID = NewDeploymentID() // Status "": the driver starts it
		next.Deployments = append(dropDeployment(next.Deployments, d.Function), d)
	}
	if len(left) > 0 {
		next.Reason = "the template no longer has these, but they could not be removed (the next deploy tries again): " + strings.Join(left, "; ")
	}
	return shifts, nil
}

// rollback puts back what undos changed, newest first: a created resource
// is removed, an updated one is applied as it was.
func (x *exec) rollback(ctx context.Context, next *Stack, undos []undo) error {
	var errs []error
	for i := len(undos) - 1; i >= 0; i-- {
		u := undos[i]
		if u.created {
			if err := x.delete(ctx, &u.now); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", u.now.LogicalID, err))
				continue
			}
			next.Resources = removeRecord(next.Resources, u.now.LogicalID)
			continue
		}
		if u.prev.Kind == KindFunction {
			z, err := x.e.cfg.Code(ctx, u.prev.CodeSHA256)
			if err != nil {
				errs = append(errs, fmt.Errorf("previous code of %s: %w", u.prev.LogicalID, err))
				continue
			}
			x.codes[u.prev.LogicalID] = z
		}
		if _, err := x.backend(u.prev.Kind).Apply(ctx, &u.prev.Resource, &u.now.Resource, u.now.Applied); err != nil {
			errs = append(errs, fmt.Errorf("put back %s: %w", u.prev.LogicalID, err))
			continue
		}
		if u.prev.Kind == KindBucket {
			if err := x.svc.ApplyNotifications(ctx, u.prev.Name, u.prev.Bucket.Notifications); err != nil {
				errs = append(errs, fmt.Errorf("put back the notifications of %s: %w", u.prev.LogicalID, err))
			}
		}
		next.Resources = append(removeRecord(next.Resources, u.prev.LogicalID), *u.prev)
	}
	next.Resources = sortedRecords(next.Resources)
	return errors.Join(errs...)
}

// delete removes one recorded resource (a bucket's notifications first).
func (x *exec) delete(ctx context.Context, rec *Record) error {
	if rec.Kind == KindAPI {
		return nil // its routes went with its functions' triggers
	}
	if rec.Kind == KindBucket && len(rec.Bucket.Notifications) > 0 {
		if err := x.svc.ApplyNotifications(ctx, rec.Name, nil); err != nil && !notFound(err) {
			return err
		}
	}
	return x.backend(rec.Kind).Delete(ctx, &rec.Resource, rec.Applied)
}

func (s *Stack) recordOrNil(id string) *Record {
	if s == nil {
		return nil
	}
	return s.record(id)
}

func sortedRecords(rs []Record) []Record {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return out
}

func dropDeployment(ds []*Deployment, function string) []*Deployment {
	out := ds[:0:0]
	for _, d := range ds {
		if d.Function != function {
			out = append(out, d)
		}
	}
	return out
}

var _ = fn.Region
