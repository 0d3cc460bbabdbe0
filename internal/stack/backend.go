package stack

import "context"

// Applied is what applying a resource left that its spec does not say:
// the id of a resource whose name is not one (a subscription's ARN, a
// mapping's UUID) and, for a function with an alias, the version the
// alias serves.
type Applied struct {
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
}

// Backend makes, changes and removes one tenant's platform resources.
// Every method is idempotent: applying a resource that already matches
// changes nothing, deleting one that is gone succeeds.
type Backend interface {
	// Apply makes r exist as specified. prev is what the stack applied
	// last time with its Applied (nil for a new resource); a resource of
	// the same logical id whose Name changed is deleted by the engine and
	// made anew, not passed here.
	Apply(ctx context.Context, r *Resource, prev *Resource, prevApplied Applied) (Applied, error)
	// Delete removes a resource the stack made.
	Delete(ctx context.Context, r *Resource, a Applied) error
}
