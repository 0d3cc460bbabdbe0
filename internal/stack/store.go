package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Bucket is the KV bucket of stack records, one per tenant and stack.
const Bucket = "stacks"

// Stack statuses, CloudFormation's names.
const (
	StatusCreateInProgress = "CREATE_IN_PROGRESS"
	StatusCreateComplete   = "CREATE_COMPLETE"
	StatusCreateFailed     = "CREATE_FAILED" // nothing was left: the created resources were removed
	StatusUpdateInProgress = "UPDATE_IN_PROGRESS"
	StatusUpdateComplete   = "UPDATE_COMPLETE"
	StatusRollbackComplete = "UPDATE_ROLLBACK_COMPLETE" // an update failed and what it changed was put back
	StatusRollbackFailed   = "UPDATE_ROLLBACK_FAILED"   // an update failed and putting back failed too: Reason says what
	StatusDeleteInProgress = "DELETE_IN_PROGRESS"
	StatusDeleteFailed     = "DELETE_FAILED"
)

// Stack is the record of the resources one template made.
type Stack struct {
	Tenant      string            `json:"tenant"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Description string            `json:"description,omitempty"`
	TemplateSHA string            `json:"template_sha256"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	Resources   []Record          `json:"resources"`
	Outputs     []Output          `json:"outputs,omitempty"`
	// Plan is what the last deploy did (or, in a dry run, would do).
	Plan        []Step        `json:"plan,omitempty"`
	Deployments []*Deployment `json:"deployments,omitempty"` // the aliases' traffic shifts of the last deploy
	Created     time.Time     `json:"created"`
	Updated     time.Time     `json:"updated"`
}

// Record is one resource the stack made, as applied.
type Record struct {
	Resource
	Applied Applied `json:"applied"`
	// CodeSHA256 is a function's code as deployed (its zip's hash).
	CodeSHA256 string `json:"code_sha256,omitempty"`
}

// record finds a resource by logical id.
func (s *Stack) record(id string) *Record {
	for i := range s.Resources {
		if s.Resources[i].LogicalID == id {
			return &s.Resources[i]
		}
	}
	return nil
}

// InProgress reports whether a deploy or delete is running on the stack.
func (s *Stack) InProgress() bool { return strings.HasSuffix(s.Status, "_IN_PROGRESS") }

type records struct{ kv jetstream.KeyValue }

func openRecords(ctx context.Context, st *store.Store) (*records, error) {
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Description: "SAM stacks: the resources each template made", History: 1})
	if err != nil {
		return nil, fmt.Errorf("stack: open %s: %w", Bucket, err)
	}
	return &records{kv: kv}, nil
}

func recordKey(tenant, name string) string { return tenant + "." + name }

// get returns the stack and its KV revision (0 and a NotFound error when
// there is none).
func (r *records) get(ctx context.Context, tenant, name string) (*Stack, uint64, error) {
	e, err := r.kv.Get(ctx, recordKey(tenant, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, NotFound(name)
	} else if err != nil {
		return nil, 0, fmt.Errorf("stack: read %s: %w", name, err)
	}
	var s Stack
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return nil, 0, fmt.Errorf("stack: decode %s: %w", name, err)
	}
	return &s, e.Revision(), nil
}

// put stores s; rev 0 creates it (failing when it exists), else updates it
// only if it is still at rev. It returns the new revision.
func (r *records) put(ctx context.Context, s *Stack, rev uint64) (uint64, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("stack: encode %s: %w", s.Name, err)
	}
	key := recordKey(s.Tenant, s.Name)
	if rev == 0 {
		n, err := r.kv.Create(ctx, key, data)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fn.Conflict("stack %s changed while this deploy ran: deploy again", s.Name)
		}
		return n, err
	}
	n, err := r.kv.Update(ctx, key, data, rev)
	if err != nil {
		if strings.Contains(err.Error(), "wrong last sequence") {
			return 0, fn.Conflict("stack %s changed while this deploy ran: deploy again", s.Name)
		}
		return 0, fmt.Errorf("stack: store %s: %w", s.Name, err)
	}
	return n, nil
}

func (r *records) delete(ctx context.Context, tenant, name string) error {
	if err := r.kv.Delete(ctx, recordKey(tenant, name)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("stack: delete %s: %w", name, err)
	}
	return nil
}

// list returns tenant's stacks by name; tenant "" lists every tenant's.
func (r *records) list(ctx context.Context, tenant string) ([]*Stack, error) {
	filter := ">"
	if tenant != "" {
		filter = tenant + ".>"
	}
	lister, err := r.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("stack: list: %w", err)
	}
	var out []*Stack
	for key := range lister.Keys() {
		t, name, _ := strings.Cut(key, ".")
		s, _, err := r.get(ctx, t, name)
		if err != nil {
			if fn.AsError(err) != nil && fn.AsError(err).Status == 404 {
				continue // deleted since listed
			}
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// NotFound is the 404 for a stack that does not exist.
func NotFound(name string) *fn.Error {
	return fn.Errorf(404, ValidationError, "Stack with id %s does not exist: `updraft stack ls` lists the stacks", name)
}
