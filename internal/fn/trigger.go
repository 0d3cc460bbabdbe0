package fn

import (
	"bytes"
	"encoding/json"
)

// Trigger is one entry of updraft.yaml's `triggers:` list: what makes
// events reach the function besides direct calls. Kind is the entry's
// `type:` ("http", "schedule", "queue", "mail", …) and Spec the whole entry
// as JSON, read by the package owning that kind (control.TriggerKind).
//
//	triggers:
//	  - type: schedule
//	    expression: rate(5 minutes)
//	  - type: http
//	    route: GET /items/{id}
type Trigger struct {
	Kind string          `json:"kind"`
	Spec json.RawMessage `json:"spec"`
}

// SameTriggers reports whether a and b declare the same triggers.
func SameTriggers(a, b []Trigger) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || !bytes.Equal(a[i].Spec, b[i].Spec) {
			return false
		}
	}
	return true
}
