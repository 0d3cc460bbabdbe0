package stack

import (
	"fmt"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// ValidationError is CloudFormation's error type for a template it
// refuses; every refusal names where in the template the problem is.
const ValidationError = "ValidationError"

// invalid refuses the template as a whole (a section, a parameter).
func invalid(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, ValidationError, format, args...)
}

// propError refuses property path (dotted: "Events.Upload.Properties.Bucket")
// of resource id: "Resource MyFunction (AWS::Serverless::Function), property
// Runtime: python2.7 is not a runtime Updraft runs: use one of …".
func propError(id, typ, path, format string, args ...any) *fn.Error {
	where := fmt.Sprintf("Resource %s (%s)", id, typ)
	if path != "" {
		where += ", property " + path
	}
	return invalid("%s: %s", where, fmt.Sprintf(format, args...))
}
