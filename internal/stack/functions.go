package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Deployer stores a function's code and configuration (control.Deploy):
// the function backend deploys through it so a template's function gets
// exactly what `updraft deploy` of a directory gets (its triggers and
// permissions applied), then sets the rest through Lambda's API.
type Deployer interface {
	Deploy(ctx context.Context, tenant string, req deploy.Request, publish bool) (*fn.Function, bool, error)
}

// StackTag is the tag on every function a stack made, naming the stack:
// a deploy refuses to take over a function another stack or a user made.
const StackTag = "updraft:stack"

// functions is the Backend of KindFunction for one deploy.
type functions struct {
	tenant string
	stack  string
	caller Caller // deploys check its permissions as Lambda's API would
	dep    Deployer
	lambda *lambda.Client
	code   func(r *Resource) ([]byte, error) // the zip to deploy, updraft.yaml generated (code.go)
}

func (f *functions) Apply(ctx context.Context, r, prev *Resource, prevApplied Applied) (Applied, error) {
	s := r.Function
	// Code goes in through control, not Lambda's API, so the caller's
	// permissions are checked here as that API would check them.
	action := "lambda:UpdateFunctionCode"
	if prev == nil {
		action = "lambda:CreateFunction"
	}
	if arn := fn.ARN(f.tenant, r.Name, ""); f.caller.Permissions != nil && !f.caller.Permissions.Allows(action, arn) {
		return Applied{}, fn.AccessDenied("the deployer's permissions do not allow %s on %s", action, arn)
	}
	zip, err := f.code(r)
	if err != nil {
		return Applied{}, err
	}
	dlq := s.DeadLetterARN
	req := deploy.Request{
		Name: r.Name, Runtime: s.Runtime, Handler: s.Handler, MemoryMB: s.MemoryMB, TimeoutSec: s.TimeoutSec,
		Env: s.Env, Zip: zip, Description: s.Description, EphemeralStorageMB: s.EphemeralMB,
		Tags: map[string]string{StackTag: f.stack}, DeadLetterARN: &dlq,
	}
	if req.Env == nil {
		req.Env = map[string]string{} // Lambda's semantics: the template's variables are all of them
	}
	got, _, err := f.dep.Deploy(ctx, f.tenant, req, s.Alias != "")
	if err != nil {
		return Applied{}, err
	}
	out := Applied{Version: got.Version}
	if err := f.reserved(ctx, r); err != nil {
		return out, err
	}
	// The alias first: the settings below go on it.
	if s.Alias != "" {
		if err := f.alias(ctx, r, prev, prevApplied, got.Version); err != nil {
			return out, err
		}
	}
	if err := f.eventInvoke(ctx, r, prev); err != nil {
		return out, err
	}
	if err := f.url(ctx, r, prev); err != nil {
		return out, err
	}
	if prev != nil && prev.Function.Alias != "" && prev.Function.Alias != s.Alias {
		if _, err := f.lambda.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: &r.Name, Name: &prev.Function.Alias}); err != nil && !notFound(err) {
			return out, fmt.Errorf("DeleteAlias %s: %w", prev.Function.Alias, err)
		}
	}
	return out, nil
}

// alias makes AutoPublishAlias exist. A new alias points at the version
// at once (AWS does the same on a stack's first deploy); an existing one
// moves at once only without a DeploymentPreference (or AllAtOnce):
// otherwise the engine's canary driver moves it. Provisioned concurrency
// goes on the alias.
func (f *functions) alias(ctx context.Context, r, prev *Resource, prevApplied Applied, version string) error {
	s := r.Function
	cur, err := f.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &r.Name, Name: &s.Alias})
	switch {
	case notFound(err):
		if _, err := f.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: &r.Name, Name: &s.Alias, FunctionVersion: &version}); err != nil {
			return fmt.Errorf("CreateAlias %s: %w", s.Alias, err)
		}
	case err != nil:
		return fmt.Errorf("GetAlias %s: %w", s.Alias, err)
	case aws.ToString(cur.FunctionVersion) != version && !Shifts(s.Deployment):
		if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &r.Name, Name: &s.Alias, FunctionVersion: &version,
			RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
			return fmt.Errorf("UpdateAlias %s: %w", s.Alias, err)
		}
	}
	if s.Provisioned > 0 {
		n := int32(s.Provisioned)
		if _, err := f.lambda.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: &r.Name, Qualifier: &s.Alias, ProvisionedConcurrentExecutions: &n}); err != nil {
			return fmt.Errorf("PutProvisionedConcurrencyConfig: %w", err)
		}
	} else if prev != nil && prev.Function.Provisioned > 0 && prev.Function.Alias != "" {
		if _, err := f.lambda.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{
			FunctionName: &r.Name, Qualifier: &prev.Function.Alias}); err != nil && !notFound(err) {
			return fmt.Errorf("DeleteProvisionedConcurrencyConfig: %w", err)
		}
	}
	return nil
}

// Shifts reports whether a preference moves traffic gradually.
func Shifts(p *DeploymentPreference) bool {
	return p != nil && p.Enabled && p.Type != "" && p.Type != "AllAtOnce"
}

func (f *functions) reserved(ctx context.Context, r *Resource) error {
	if n := r.Function.Reserved; n != nil {
		v := int32(*n)
		if _, err := f.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: &r.Name, ReservedConcurrentExecutions: &v}); err != nil {
			return fmt.Errorf("PutFunctionConcurrency: %w", err)
		}
		return nil
	}
	if _, err := f.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: &r.Name}); err != nil && !notFound(err) {
		return fmt.Errorf("DeleteFunctionConcurrency: %w", err)
	}
	return nil
}

// eventInvoke sets EventInvokeConfig on the function (on the alias with
// AutoPublishAlias, as SAM does).
func (f *functions) eventInvoke(ctx context.Context, r, prev *Resource) error {
	s := r.Function
	q := qualifier(s)
	if s.EventInvoke == nil {
		if prev != nil && prev.Function.EventInvoke != nil {
			pq := qualifier(prev.Function)
			if _, err := f.lambda.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: &r.Name, Qualifier: pq}); err != nil && !notFound(err) {
				return fmt.Errorf("DeleteFunctionEventInvokeConfig: %w", err)
			}
		}
		return nil
	}
	in := &lambda.PutFunctionEventInvokeConfigInput{FunctionName: &r.Name, Qualifier: q, DestinationConfig: &ltypes.DestinationConfig{}}
	if e := s.EventInvoke; e.MaxRetries != nil {
		in.MaximumRetryAttempts = aws.Int32(int32(*e.MaxRetries))
	}
	if e := s.EventInvoke; e.MaxAgeSec != nil {
		in.MaximumEventAgeInSeconds = aws.Int32(int32(*e.MaxAgeSec))
	}
	if d := s.EventInvoke.OnSuccess; d != "" {
		in.DestinationConfig.OnSuccess = &ltypes.OnSuccess{Destination: &d}
	}
	if d := s.EventInvoke.OnFailure; d != "" {
		in.DestinationConfig.OnFailure = &ltypes.OnFailure{Destination: &d}
	}
	if _, err := f.lambda.PutFunctionEventInvokeConfig(ctx, in); err != nil {
		return fmt.Errorf("PutFunctionEventInvokeConfig: %w", err)
	}
	return nil
}

// url sets FunctionUrlConfig (on the alias with AutoPublishAlias).
func (f *functions) url(ctx context.Context, r, prev *Resource) error {
	s := r.Function
	if s.URL == nil {
		if prev != nil && prev.Function.URL != nil {
			if _, err := f.lambda.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: &r.Name, Qualifier: qualifier(prev.Function)}); err != nil && !notFound(err) {
				return fmt.Errorf("DeleteFunctionUrlConfig: %w", err)
			}
		}
		return nil
	}
	var cors *ltypes.Cors
	if len(s.URL.CORS) > 0 {
		cors = &ltypes.Cors{}
		if err := json.Unmarshal(s.URL.CORS, cors); err != nil {
			return fmt.Errorf("FunctionUrlConfig.Cors: %w", err)
		}
	}
	auth := ltypes.FunctionUrlAuthType(s.URL.AuthType)
	q := qualifier(s)
	if prev != nil && prev.Function.URL != nil && reflect.DeepEqual(qualifier(prev.Function), q) {
		if _, err := f.lambda.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: &r.Name, Qualifier: q, AuthType: auth, Cors: cors}); err == nil {
			return nil
		} else if !notFound(err) {
			return fmt.Errorf("UpdateFunctionUrlConfig: %w", err)
		}
	}
	_, err := f.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: &r.Name, Qualifier: q, AuthType: auth, Cors: cors})
	var conflict *ltypes.ResourceConflictException
	if errors.As(err, &conflict) {
		_, err = f.lambda.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: &r.Name, Qualifier: q, AuthType: auth, Cors: cors})
	}
	if err != nil {
		return fmt.Errorf("function URL: %w", err)
	}
	return nil
}

func (f *functions) Delete(ctx context.Context, r *Resource, _ Applied) error {
	if _, err := f.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &r.Name}); err != nil && !notFound(err) {
		return fmt.Errorf("DeleteFunction: %w", err)
	}
	return nil
}

// RouteAlias points a function's alias at primary, with weight of the
// calls going to additional (the canary driver's step).
func RouteAlias(ctx context.Context, c *lambda.Client, function, alias, primary, additional string, weight float64) error {
	weights := map[string]float64{}
	if additional != "" && weight > 0 {
		weights[additional] = weight
	}
	_, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &function, Name: &alias, FunctionVersion: &primary,
		RoutingConfig: &ltypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights}})
	if err != nil {
		return fmt.Errorf("UpdateAlias %s:%s: %w", function, alias, err)
	}
	return nil
}

func qualifier(s *FunctionSpec) *string {
	if s.Alias != "" {
		return aws.String(s.Alias)
	}
	return nil
}

// notFound reports an AWS API's not-found error, whichever service's.
func notFound(err error) bool {
	return svcIsCode(err, "ResourceNotFoundException", "NotFound", "NoSuchKey", "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
}
