package stack

import (
	"encoding/json"
	"slices"
	"sort"
)

// Plan actions.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionReplace = "replace" // its name or kind changed: made anew, the old one deleted
	ActionDelete  = "delete"
	ActionKeep    = "keep"
)

// Step is one line of a deploy's plan.
type Step struct {
	Action    string   `json:"action"`
	LogicalID string   `json:"logical_id"`
	Type      string   `json:"type"`
	Kind      Kind     `json:"kind"`
	Name      string   `json:"name,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// diff plans want against the stack's last record (nil: a new stack).
// codeSHA holds each function's code hash by logical id: a function whose
// code changed is updated even when its spec did not.
func diff(prev *Stack, want []Resource, codeSHA map[string]string) []Step {
	var steps []Step
	seen := map[string]bool{}
	for _, r := range ordered(want) {
		seen[r.LogicalID] = true
		st := Step{LogicalID: r.LogicalID, Type: r.Type, Kind: r.Kind, Name: r.Name, Notes: r.Notes}
		var old *Record
		if prev != nil {
			old = prev.record(r.LogicalID)
		}
		switch {
		case old == nil:
			st.Action = ActionCreate
		case old.Kind != r.Kind || old.Name != r.Name:
			st.Action = ActionReplace
		case !sameSpec(&old.Resource, &r) || r.Kind == KindFunction && old.CodeSHA256 != codeSHA[r.LogicalID]:
			st.Action = ActionUpdate
		default:
			st.Action = ActionKeep
		}
		steps = append(steps, st)
	}
	if prev != nil {
		var gone []Resource
		for _, rec := range prev.Resources {
			if !seen[rec.LogicalID] {
				gone = append(gone, rec.Resource)
			}
		}
		gone = ordered(gone)
		slices.Reverse(gone)
		for _, r := range gone {
			steps = append(steps, Step{Action: ActionDelete, LogicalID: r.LogicalID, Type: r.Type, Kind: r.Kind, Name: r.Name})
		}
	}
	return steps
}

// sameSpec compares what a resource should be, ignoring notes and order
// hints.
func sameSpec(a, b *Resource) bool {
	strip := func(r *Resource) []byte {
		c := *r
		c.Notes, c.DependsOn = nil, nil
		data, _ := json.Marshal(c)
		return data
	}
	return string(strip(a)) == string(strip(b))
}

// ordered sorts resources for creation: by KindOrder, then so that a
// resource comes after those it depends on, then by logical id.
func ordered(rs []Resource) []Resource {
	rank := map[Kind]int{}
	for i, k := range KindOrder {
		rank[k] = i
	}
	out := slices.Clone(rs)
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Kind] != rank[out[j].Kind] {
			return rank[out[i].Kind] < rank[out[j].Kind]
		}
		return out[i].LogicalID < out[j].LogicalID
	})
	// Within a kind, a resource goes after what it depends on (hooks and
	// authorizers are functions other functions name).
	pos := map[string]int{}
	for i, r := range out {
		pos[r.LogicalID] = i
	}
	// A cycle (which Resolve refuses) cannot loop here: the passes are capped.
	for moved, pass := true, 0; moved && pass <= len(out); pass++ {
		moved = false
		for i := range out {
			for _, d := range out[i].DependsOn {
				j, ok := pos[d]
				if ok && j > i && out[j].Kind == out[i].Kind {
					r := out[j]
					copy(out[i+1:j+1], out[i:j])
					out[i] = r
					for k := i; k <= j; k++ {
						pos[out[k].LogicalID] = k
					}
					moved = true
				}
			}
		}
	}
	return out
}
