package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Request is a deploy: the code as a zip plus configuration. Zero fields are
// not given; given fields win over the zip's updraft.yaml.
type Request struct {
	Name       string
	Runtime    string
	Handler    string
	MemoryMB   int
	TimeoutSec int
	Env        map[string]string // merged over updraft.yaml's env, key by key
	Zip        []byte

	// Lambda API fields.
	Description        string
	Role               string
	EphemeralStorageMB int
	Tags               map[string]string
	// DeadLetterARN is Lambda's DeadLetterConfig.TargetArn: nil keeps the
	// function's, "" clears it.
	DeadLetterARN *string
	// LogFormat is Lambda's LoggingConfig.LogFormat: nil keeps the
	// function's.
	LogFormat *string
	// IgnoreManifest takes the configuration from the request alone, as
	// Lambda's API does: an updraft.yaml in the zip is not read.
	IgnoreManifest bool
	// CreateOnly fails with 409 ResourceConflictException when the
	// function exists (Lambda's CreateFunction).
	CreateOnly bool
}

// Deployer deploys functions and keeps the local cache of unpacked code.
type Deployer struct {
	// checks refuse a deploy before anything is stored (AddCheck): its
	// triggers, the secrets its environment names.
	checks []func(ctx context.Context, f *fn.Function) error

	reg      *registry.Registry
	cacheDir string
	log      *slog.Logger

	mu       sync.Mutex
	flights  map[string]*flight              // sha → unpack in progress
	locks    map[string]*fnLock              // tenant/name → deploy in progress
	uses     map[string]map[string]time.Time // UseKey → sha → handed out by CodeDir (prune.go)
	useGrace time.Duration                   // defaultUseGrace; tests shorten it

	moduleCheck ModuleCheck // runtime wasm's deploy-time compile (wasm.go)
}

// flight is one unpack that concurrent callers for the same code wait on.
type flight struct {
	done chan struct{}
	err  error
}

// fnLock serialises deploys of one function so each sees the previous
// revision; n counts holders and waiters so the map entry can go.
type fnLock struct {
	mu sync.Mutex
	n  int
}

// New makes a Deployer that unpacks code under cacheDir (created 0700, with
// a go.mod that keeps Go tooling out: gomod.go) and removes unpacks left
// half-done by a crash.
func New(reg *registry.Registry, cacheDir string, log *slog.Logger) (*Deployer, error) {
	if reg == nil {
		return nil, errors.New("deploy: no registry")
	}
	if cacheDir == "" {
		return nil, errors.New("deploy: no code cache directory")
	}
	if log == nil {
		log = slog.Default()
	}
	abs, err := filepath.Abs(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("deploy: code cache %s: %w", cacheDir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("deploy: create code cache: %w", err)
	}
	if err := writeCacheGoMod(abs); err != nil {
		return nil, err
	}
	stale, err := filepath.Glob(filepath.Join(abs, tmpPrefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("deploy: code cache: %w", err)
	}
	for _, dir := range stale {
		if err := removeTree(dir); err != nil {
			log.Warn("could not remove a half-done unpack", "dir", dir, "err", err)
		}
	}
	return &Deployer{
		reg: reg, cacheDir: abs, log: log.With("component", "deploy"),
		flights: make(map[string]*flight), locks: make(map[string]*fnLock),
		uses: make(map[string]map[string]time.Time), useGrace: defaultUseGrace,
	}, nil
}

// Deploy validates req's code and configuration, stores the code, unpacks it
// into the cache and records the function for tenant. created reports a new
// function. Deploying the same code and configuration again changes nothing
// and returns the function as it is, with CodeChanged false.
func (d *Deployer) Deploy(ctx context.Context, tenant string, req Request) (f *fn.Function, created bool, err error) {
	if err := fn.ValidateTenant(tenant); err != nil {
		return nil, false, err
	}
	if len(req.Zip) == 0 {
		return nil, false, fn.InvalidParameter("no code: send the function's code as a zip")
	}
	if len(req.Zip) > fn.MaxZippedBytes {
		return nil, false, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestEntityTooLarge,
			"the zipped code is %d bytes: it must be at most %d bytes", len(req.Zip), fn.MaxZippedBytes)
	}
	a, err := openZip(req.Zip)
	if err != nil {
		return nil, false, err
	}
	var m Manifest
	switch data, err := a.readFile(ManifestFile, maxManifestBytes); {
	case req.IgnoreManifest:
	case err == nil:
		mp, err := ParseManifest(data)
		if err != nil {
			return nil, false, err
		}
		m = *mp
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, err
	}
	next, err := merge(tenant, req, &m)
	if err != nil {
		return nil, false, err
	}
	if err := checkCode(a, next); err != nil {
		return nil, false, err
	}
	if next.Runtime == fn.RuntimeWasm {
		if err := d.checkWasm(ctx, a, next); err != nil {
			return nil, false, err
		}
	}
	for _, check := range d.checks {
		if err := check(ctx, next); err != nil {
			return nil, false, err
		}
	}
	sum := sha256.Sum256(req.Zip)
	next.CodeSHA256 = hex.EncodeToString(sum[:])
	next.CodeSize = int64(len(req.Zip))

	unlock := d.lock(fn.Key(tenant, next.Name))
	defer unlock()
	prev, err := d.reg.GetFunction(ctx, tenant, next.Name)
	switch {
	case fn.IsNotFound(err):
		prev, created = nil, true
	case err != nil:
		return nil, false, err
	case req.CreateOnly:
		return nil, false, fn.Errorf(http.StatusConflict, fn.TypeResourceConflict,
			"Function already exist: %s (update it with UpdateFunctionCode / UpdateFunctionConfiguration, or delete it first)", next.Name)
	}
	if prev != nil {
		next.LastVersion = prev.LastVersion
		next.Provisioned, next.URL = prev.Provisioned, prev.URL
		if req.Tags == nil {
			next.Tags = prev.Tags // tags are not part of a deploy's configuration
		}
		if !req.IgnoreManifest {
			keepLambdaFields(next, prev, req)
		} else {
			// The Lambda API cannot express what updraft.yaml set.
			next.Network, next.Permissions, next.Triggers = prev.Network, prev.Permissions, prev.Triggers
		}
	}
	codeChanged := prev == nil || prev.CodeSHA256 != next.CodeSHA256
	if !codeChanged && sameConfig(prev, next) {
		return prev, false, nil
	}
	if codeChanged {
		// Held from collection until the definition naming it is stored.
		release, err := d.reg.HoldCode(ctx, next.CodeSHA256)
		if err != nil {
			return nil, false, err
		}
		defer release(context.WithoutCancel(ctx))
		// Nor pruned from the cache before then.
		inFlight := "deploy/" + fn.Key(tenant, next.Name)
		d.use(inFlight, next.CodeSHA256)
		defer d.unuse(inFlight, next.CodeSHA256)
		if err := d.storeCode(ctx, next.CodeSHA256, req.Zip); err != nil {
			return nil, false, err
		}
	}
	now := time.Now().UTC().Round(0)
	next.CreatedAt, next.UpdatedAt, next.Revision = now, now, 1
	if prev != nil {
		next.CreatedAt, next.Revision = prev.CreatedAt, prev.Revision+1
	}
	if err := d.reg.PutFunction(ctx, next); err != nil {
		return nil, false, err
	}
	if codeChanged {
		// A collection that read the holds just before ours was written
		// may have deleted code it found unreferenced: store it again.
		if err := d.storeCode(ctx, next.CodeSHA256, req.Zip); err != nil {
			return nil, false, err
		}
	}
	next.CodeChanged = codeChanged
	d.log.Debug("stored function", "tenant", tenant, "fn", next.Name, "revision", next.Revision,
		"code_sha256", next.CodeSHA256, "code_changed", codeChanged)
	return next, created, nil
}

// storeCode unpacks the code into the local cache (which also proves it
// unpacks within the limits, whatever its headers claim), then makes it
// durable in the registry, so a recorded function never points at code
// that is nowhere and a zip bomb is never stored.
func (d *Deployer) storeCode(ctx context.Context, sha string, zip []byte) error {
	if _, err := d.unpackOnce(ctx, sha, zip); err != nil {
		return err
	}
	ok, err := d.reg.HasCode(ctx, sha)
	if err != nil || ok {
		return err
	}
	return d.reg.PutCode(ctx, sha, zip)
}

// AddCheck makes Deploy refuse functions check refuses, before storing
// anything. Call before Deploy.
func (d *Deployer) AddCheck(check func(ctx context.Context, f *fn.Function) error) {
	d.checks = append(d.checks, check)
}

// merge builds tenant's function from req over the manifest m, with defaults
// applied and validated.
func merge(tenant string, req Request, m *Manifest) (*fn.Function, error) {
	f := &fn.Function{
		Tenant:      tenant,
		Name:        pick(req.Name, m.Name),
		Runtime:     pick(req.Runtime, m.Runtime),
		Handler:     pick(req.Handler, m.Handler),
		MemoryMB:    pick(req.MemoryMB, m.Memory),
		TimeoutSec:  pick(req.TimeoutSec, m.Timeout),
		Network:     m.Network,
		Permissions: m.Permissions,
		Triggers:    m.Triggers,

		Description:        req.Description,
		Role:               req.Role,
		EphemeralStorageMB: pick(req.EphemeralStorageMB, m.Storage),
		Tags:               req.Tags,
	}
	if req.DeadLetterARN != nil {
		f.DeadLetterARN = *req.DeadLetterARN
	}
	if req.LogFormat != nil {
		f.LogFormat = *req.LogFormat
	}
	f.RuntimeName = f.Runtime
	if len(m.Env)+len(req.Env) > 0 {
		f.Env = make(map[string]string, len(m.Env)+len(req.Env))
		maps.Copy(f.Env, m.Env)
		maps.Copy(f.Env, req.Env)
	}
	if f.Name == "" {
		return nil, fn.InvalidParameter("no function name: pass --name or set name: in %s", ManifestFile)
	}
	if f.Runtime == "" {
		return nil, fn.InvalidParameter("no runtime: pass --runtime or set runtime: in %s (one of %s; or python3, node, provided, go)", ManifestFile, strings.Join(fn.RuntimeNames(), ", "))
	}
	f.ApplyDefaults()
	if rt, err := fn.NormalizeRuntime(f.Runtime); err == nil && rt != fn.RuntimeProvided && rt != fn.RuntimeWasm && f.Handler == "" {
		return nil, fn.InvalidParameter("no handler: runtime %s needs one such as app.handler: pass --handler or set handler: in %s", rt, ManifestFile)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if fn.IsRuntimeAlias(f.RuntimeName) {
		f.RuntimeName = "" // a short name: the engine's Lambda name, or the one kept from before
	}
	return f, nil
}

func pick[T comparable](given, fallback T) T {
	var zero T
	if given != zero {
		return given
	}
	return fallback
}

// checkCode checks that the archive holds what f's runtime starts.
func checkCode(a *archive, f *fn.Function) error {
	switch f.Runtime {
	case fn.RuntimeProvided:
		if b := a.file("bootstrap"); b == nil || b.Mode()&0o111 == 0 {
			return fn.InvalidParameter("runtime provided needs an executable file named bootstrap at the root of the code (chmod +x bootstrap)")
		}
	case fn.RuntimePython:
		mod := strings.ReplaceAll(handlerModule(f.Handler), ".", "/")
		if a.file(mod+".py") == nil && a.file(mod+"/__init__.py") == nil {
			return fn.InvalidParameter("handler %q needs %s.py (or %s/__init__.py) in the code: no such file", f.Handler, mod, mod)
		}
	case fn.RuntimeNode:
		mod := handlerModule(f.Handler)
		for _, ext := range []string{".js", ".mjs", ".cjs"} {
			if a.file(mod+ext) != nil {
				return nil
			}
		}
		return fn.InvalidParameter("handler %q needs %s.js (or .mjs, .cjs) in the code: no such file", f.Handler, mod)
	}
	return nil
}

// handlerModule is the handler without its function: "a/b.func" → "a/b".
// Validate made sure there is a dot with something on both sides.
func handlerModule(handler string) string {
	mod := handler[:strings.LastIndexByte(handler, '.')]
	return path.Clean(strings.TrimPrefix(mod, "./"))
}

// sameConfig reports whether the configuration of a and b is the same.
func sameConfig(a, b *fn.Function) bool {
	return a.Runtime == b.Runtime && a.Handler == b.Handler && a.MemoryMB == b.MemoryMB &&
		a.TimeoutSec == b.TimeoutSec && maps.Equal(a.Env, b.Env) &&
		a.RuntimeName == b.RuntimeName && a.Description == b.Description && a.Role == b.Role &&
		a.EphemeralStorageMB == b.EphemeralStorageMB && a.Network == b.Network && maps.Equal(a.Tags, b.Tags) &&
		a.DeadLetterARN == b.DeadLetterARN && a.LogFormat == b.LogFormat && reflect.DeepEqual(a.Permissions, b.Permissions) &&
		fn.SameTriggers(a.Triggers, b.Triggers)
}

// lock serialises deploys of the function key and returns its unlock.
func (d *Deployer) lock(key string) (unlock func()) {
	d.mu.Lock()
	l := d.locks[key]
	if l == nil {
		l = &fnLock{}
		d.locks[key] = l
	}
	l.n++
	d.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		d.mu.Lock()
		if l.n--; l.n == 0 {
			delete(d.locks, key)
		}
		d.mu.Unlock()
	}
}

// SetTags changes the tags of tenant's function name with change (which
// edits the map it is given) and stores the result. Tags are metadata: the
// revision, and so the running instances, stay.
func (d *Deployer) SetTags(ctx context.Context, tenant, name string, change func(tags map[string]string)) (*fn.Function, error) {
	return d.Mutate(ctx, tenant, name, func(f *fn.Function) error {
		if f.Tags == nil {
			f.Tags = make(map[string]string)
		}
		change(f.Tags)
		if len(f.Tags) > 50 {
			return fn.InvalidParameter("a function can have at most 50 tags: it would have %d", len(f.Tags))
		}
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
		return nil
	})
}

// Mutate applies change to tenant's function name, serialised with
// deploys, and stores the result without a new revision: for metadata
// (tags, concurrency settings) that does not change what runs.
func (d *Deployer) Mutate(ctx context.Context, tenant, name string, change func(f *fn.Function) error) (*fn.Function, error) {
	unlock := d.lock(fn.Key(tenant, name))
	defer unlock()
	f, err := d.reg.GetFunction(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	if err := change(f); err != nil {
		return nil, err
	}
	if err := d.reg.PutFunction(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// keepLambdaFields carries over what the Lambda API set and an updraft.yaml
// deploy cannot express, so `updraft deploy` over a function made with
// CreateFunction keeps its description, role, ephemeral storage and the
// runtime name it was given (when the runtime is still the same).
func keepLambdaFields(next, prev *fn.Function, req Request) {
	if req.Description == "" {
		next.Description = prev.Description
	}
	if req.Role == "" {
		next.Role = prev.Role
	}
	if req.EphemeralStorageMB == 0 {
		next.EphemeralStorageMB = prev.EphemeralStorageMB
	}
	if req.DeadLetterARN == nil {
		next.DeadLetterARN = prev.DeadLetterARN
	}
	if req.LogFormat == nil {
		next.LogFormat = prev.LogFormat
	}
	if next.RuntimeName == "" && prev.Runtime == next.Runtime {
		next.RuntimeName = prev.RuntimeName
	}
}
