package stack

// The template pipeline: Parse reads the YAML or JSON text (short forms
// like !Ref become their long forms), Resolve applies parameters,
// conditions and Globals and evaluates every intrinsic function, and
// Translate turns the resolved SAM and CloudFormation resources into the
// platform Resources a plan applies.

// Resolved is a template with no intrinsics left.
type Resolved struct {
	Description string
	// Parameters are the effective values (overrides over defaults).
	Parameters map[string]string
	// Resources in logical-id order; a resource whose Condition is false
	// is left out.
	Resources []Raw
	// Outputs whose Condition is false are left out.
	Outputs []Output
}

// Raw is one template resource after resolution. Properties hold JSON-like
// values only: map[string]any, []any, string, bool, int, float64 (a
// parameter's value is a string even when its Type is Number, so numeric
// properties must accept numeric strings).
type Raw struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	// DependsOn is the template's DependsOn plus every resource the
	// properties referred to (Ref, GetAtt, Sub), sorted, no duplicates.
	DependsOn []string
	Metadata  map[string]any
}
