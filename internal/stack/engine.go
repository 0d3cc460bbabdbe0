package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Config wires the engine to the platform.
type Config struct {
	Store    *store.Store
	Deployer Deployer
	// Endpoint is the platform's AWS endpoint as the daemon reaches it;
	// RoutesURL the HTTP routes listener ("" when off).
	Endpoint  func() string
	RoutesURL func() string
	// Credentials are AWS credentials for tenant acting as caller: the
	// engine makes a stack's resources through the AWS APIs as the
	// deployer, so they are checked as the deployer's own calls are.
	Credentials func(ctx context.Context, tenant string, caller Caller) (aws.Credentials, error)
	// Code returns a stored code zip by its SHA-256 (a rollback redeploys
	// a function's previous code).
	Code func(ctx context.Context, sha string) ([]byte, error)
	// Calls counts a version's invocations and failures since t (the
	// canary guard).
	Calls func(ctx context.Context, tenant, function, version string, since time.Time) (calls, errors int, err error)
	Log   *slog.Logger
}

// Engine deploys and deletes stacks.
type Engine struct {
	cfg Config
	rec *records

	mu      sync.Mutex
	locks   map[string]*sync.Mutex // by tenant.stack: one deploy or delete at a time on this node
	running map[string]*running    // tenant.stack.function: a shift in progress on this node

	hooks  *HookStatuses   // what hooks report through CodeDeploy's API
	ctx    context.Context // the engine's life: traffic shifts run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens the stack records.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "stack")
	rec, err := openRecords(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	run, cancel := context.WithCancel(context.Background())
	return &Engine{cfg: cfg, rec: rec, locks: map[string]*sync.Mutex{}, running: map[string]*running{}, hooks: NewHookStatuses(), ctx: run, cancel: cancel}, nil
}

// Hooks is where PutLifecycleEventHookExecutionStatus reports land
// (gateway/codedeploy).
func (e *Engine) Hooks() *HookStatuses { return e.hooks }

// Close stops the traffic shifts (a restart resumes them: Start).
func (e *Engine) Close(context.Context) error {
	e.cancel()
	e.wg.Wait()
	return nil
}

// DeployRequest is one `updraft deploy --template`.
type DeployRequest struct {
	Name       string
	Template   []byte
	Parameters map[string]string
	// Code holds the zip of each CodeUri directory the template names,
	// keyed by the CodeUri as written.
	Code   map[string][]byte
	DryRun bool
	// Caller is who deploys: the resources are made with their rights.
	Caller Caller
}

// Caller is a deployer's rights: their key's scope and, for a function's
// credentials, its permissions (nil: everything of the tenant).
type Caller struct {
	Scope       string
	Permissions fn.Permissions
}

// Inputs are the values a tenant's template is resolved against.
func (e *Engine) Inputs(tenant, stack string, params map[string]string) Inputs {
	return Inputs{Stack: stack, Tenant: tenant, AccountID: fn.AccountID(tenant), Region: fn.Region,
		Endpoint: e.cfg.Endpoint(), RoutesURL: e.cfg.RoutesURL(), Parameters: params}
}

// Deploy makes the stack what the template says: it plans against the
// stack's last record, then (unless DryRun) creates, updates and deletes
// resources. A failure puts back what the deploy changed and names the
// resource and the reason; the functions keep serving their previous
// versions. Traffic shifts to new alias versions go on after Deploy
// returns (Stack.Deployments).
func (e *Engine) Deploy(ctx context.Context, tenant string, req DeployRequest) (*Stack, error) {
	if err := validName(req.Name); err != nil {
		return nil, err
	}
	in := e.Inputs(tenant, req.Name, req.Parameters)
	want, outputs, resolved, err := e.translate(req.Template, in)
	if err != nil {
		return nil, err
	}
	codes, shas, err := e.functionCode(want, req.Code)
	if err != nil {
		return nil, err
	}
	unlock := e.lock(tenant, req.Name)
	defer unlock()
	prev, rev, err := e.rec.get(ctx, tenant, req.Name)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if prev != nil && prev.InProgress() && time.Since(prev.Updated) < staleAfter {
		return nil, fn.Conflict("stack %s is %s (since %s): wait for it to finish", req.Name, prev.Status, prev.Updated.Format(time.RFC3339))
	}
	steps := diff(prev, want, shas)
	sum := sha256.Sum256(req.Template)
	next := &Stack{Tenant: tenant, Name: req.Name, Description: resolved.Description, TemplateSHA: hex.EncodeToString(sum[:]),
		Parameters: resolved.Parameters, Plan: steps, Outputs: outputs, Created: time.Now().UTC(), Updated: time.Now().UTC()}
	if prev != nil {
		next.Created = prev.Created
		next.Resources = prev.Resources
		next.Deployments = prev.Deployments
	}
	if req.DryRun {
		next.Status = "DRY_RUN"
		return next, nil
	}
	if prev != nil {
		for _, d := range prev.Deployments {
			if !d.Done() {
				return nil, fn.Conflict("stack %s: the traffic shift of %s:%s from version %s to %s is in progress (%s, %.0f%%): deploy again when it has ended (`updraft stack get %s`)",
					req.Name, d.Function, d.Alias, d.From, d.To, d.Status, d.Weight*100, req.Name)
			}
		}
	}
	x, err := e.newExec(ctx, tenant, req.Name, req.Caller, codes)
	if err != nil {
		return nil, err
	}
	if err := x.preflight(ctx, prev, want, steps); err != nil {
		return nil, err
	}
	next.Status = StatusUpdateInProgress
	if prev == nil {
		next.Status = StatusCreateInProgress
	}
	if rev, err = e.rec.put(ctx, next, rev); err != nil {
		return nil, err
	}
	shifts, applyErr := x.apply(ctx, prev, next, want, steps, shas, func(s *Stack) error {
		s.Updated = time.Now().UTC()
		var err error
		rev, err = e.rec.put(ctx, s, rev)
		return err
	})
	if applyErr != nil {
		applyErr = deployFailed(req.Name, next.Status, applyErr)
		next.Reason = applyErr.Error()
	}
	next.Updated = time.Now().UTC()
	if _, err := e.rec.put(ctx, next, rev); err != nil {
		return nil, fmt.Errorf("%w (and recording it failed: %v)", orErr(applyErr), err)
	}
	if applyErr != nil {
		e.cfg.Log.Warn("stack deploy failed", "tenant", tenant, "stack", req.Name, "status", next.Status, "err", applyErr)
		return next, applyErr
	}
	e.cfg.Log.Info("stack deployed", "tenant", tenant, "stack", req.Name, "status", next.Status, "resources", len(next.Resources))
	for _, d := range shifts {
		d := *d // the driver's own: the reply holds the other
		e.shift(tenant, req.Name, req.Caller, &d)
	}
	return next, nil
}

// deployFailed is the error of a deploy that ran and failed: the
// platform's own error type when a resource was refused with one, else a
// ValidationError; the message names the stack, where it was left and
// the resource that failed.
func deployFailed(stack, status string, err error) error {
	msg := fmt.Sprintf("stack %s is %s: %v", stack, status, err)
	var fe *fn.Error
	if errors.As(err, &fe) && fe.Status < 500 {
		return fn.Errorf(fe.Status, fe.Type, "%s", msg)
	}
	return invalid("%s", msg)
}

// staleAfter is how long an IN_PROGRESS record with no progress holds off
// another deploy (its node may have died mid-deploy).
const staleAfter = 2 * time.Minute

func orErr(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("stack deployed")
}

// translate runs the template pipeline.
func (e *Engine) translate(text []byte, in Inputs) ([]Resource, []Output, *Resolved, error) {
	t, err := Parse(text)
	if err != nil {
		return nil, nil, nil, err
	}
	resolved, err := Resolve(t, in)
	if err != nil {
		return nil, nil, nil, err
	}
	want, outputs, err := Translate(resolved, in)
	if err != nil {
		return nil, nil, nil, err
	}
	// A NoEcho parameter is not kept or shown, as CloudFormation masks it.
	for name, p := range t.Parameters {
		if _, ok := resolved.Parameters[name]; ok && p.NoEcho {
			resolved.Parameters[name] = "****"
		}
	}
	return want, outputs, resolved, nil
}

// functionCode builds each function's zip and its hash.
func (e *Engine) functionCode(want []Resource, code map[string][]byte) (map[string][]byte, map[string]string, error) {
	byURI := map[string][]byte{}
	for k, v := range code {
		byURI[cleanURI(k)] = v
	}
	zips, shas := map[string][]byte{}, map[string]string{}
	for i := range want {
		r := &want[i]
		if r.Kind != KindFunction {
			continue
		}
		src, ok := byURI[cleanURI(r.Function.CodeURI)]
		if !ok {
			return nil, nil, propError(r.LogicalID, r.Type, "CodeUri", "the deploy carries no code for %q: `updraft deploy --template` zips each CodeUri directory next to the template", r.Function.CodeURI)
		}
		z, err := functionZip(src, r)
		if err != nil {
			return nil, nil, propError(r.LogicalID, r.Type, "CodeUri", "%v", err)
		}
		sum := sha256.Sum256(z)
		zips[r.LogicalID], shas[r.LogicalID] = z, hex.EncodeToString(sum[:])
	}
	return zips, shas, nil
}

// cleanURI is a CodeUri as a key: "./hello_world/" and "hello_world" are
// the same directory.
func cleanURI(s string) string {
	return strings.TrimPrefix(path.Clean(strings.ReplaceAll(s, "\\", "/")), "./")
}

// Get returns a stack's record.
func (e *Engine) Get(ctx context.Context, tenant, name string) (*Stack, error) {
	s, _, err := e.rec.get(ctx, tenant, name)
	return s, err
}

// List returns tenant's stacks.
func (e *Engine) List(ctx context.Context, tenant string) ([]*Stack, error) {
	if tenant == "" {
		return nil, fn.InvalidParameter("no tenant")
	}
	return e.rec.list(ctx, tenant)
}

// Delete removes every resource the stack made, newest kinds first, then
// the record. A resource that cannot go (a bucket still holding objects)
// stops it: the record stays, DELETE_FAILED, naming it.
func (e *Engine) Delete(ctx context.Context, tenant, name string, caller Caller) error {
	unlock := e.lock(tenant, name)
	defer unlock()
	// Its shifts stop first: they write the record too.
	e.stopShifts(tenant, name)
	s, rev, err := e.rec.get(ctx, tenant, name)
	if err != nil {
		return err
	}
	if s.InProgress() && time.Since(s.Updated) < staleAfter && s.Status != StatusDeleteInProgress {
		return fn.Conflict("stack %s is %s: wait for it to finish", name, s.Status)
	}
	x, err := e.newExec(ctx, tenant, name, caller, nil)
	if err != nil {
		return err
	}
	s.Status, s.Reason, s.Updated = StatusDeleteInProgress, "", time.Now().UTC()
	if rev, err = e.rec.put(ctx, s, rev); err != nil {
		return err
	}
	gone := make([]Resource, 0, len(s.Resources))
	for _, r := range s.Resources {
		gone = append(gone, r.Resource)
	}
	gone = ordered(gone)
	for i := len(gone) - 1; i >= 0; i-- {
		rec := s.record(gone[i].LogicalID)
		if err := x.delete(ctx, rec); err != nil {
			s.Status, s.Reason, s.Updated = StatusDeleteFailed, err.Error(), time.Now().UTC()
			if _, perr := e.rec.put(ctx, s, rev); perr != nil {
				e.cfg.Log.Warn("record a failed stack delete", "stack", name, "err", perr)
			}
			return err
		}
		s.Resources = removeRecord(s.Resources, rec.LogicalID)
		s.Updated = time.Now().UTC()
		if rev, err = e.rec.put(ctx, s, rev); err != nil {
			return err
		}
	}
	e.cfg.Log.Info("stack deleted", "tenant", tenant, "stack", name)
	return e.rec.delete(ctx, tenant, name)
}

func removeRecord(rs []Record, id string) []Record {
	out := rs[:0:0]
	for _, r := range rs {
		if r.LogicalID != id {
			out = append(out, r)
		}
	}
	return out
}

func (e *Engine) lock(tenant, name string) func() {
	e.mu.Lock()
	m, ok := e.locks[tenant+"."+name]
	if !ok {
		m = &sync.Mutex{}
		e.locks[tenant+"."+name] = m
	}
	e.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func isNotFound(err error) bool {
	fe := fn.AsError(err)
	return fe != nil && fe.Status == 404
}

// validName checks a stack name as CloudFormation does.
func validName(name string) error {
	if name == "" || len(name) > 128 || !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') ||
		strings.IndexFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
		}) >= 0 {
		return invalid("stack name %q must start with a letter and hold only letters, digits and hyphens (at most 128): use --stack NAME", name)
	}
	return nil
}

// awsConfig is an SDK configuration acting as tenant's caller.
func (e *Engine) awsConfig(tenant string, caller Caller) aws.Config {
	creds := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		return e.cfg.Credentials(ctx, tenant, caller)
	})
	return aws.Config{Region: fn.Region, Credentials: aws.NewCredentialsCache(creds), BaseEndpoint: aws.String(e.cfg.Endpoint())}
}

func (e *Engine) lambdaClient(tenant string, caller Caller) *lambda.Client {
	return lambda.NewFromConfig(e.awsConfig(tenant, caller))
}
