package fn

import (
	"path"
	"strings"
)

// Permissions are what a function's own credentials may do: a minimal
// policy model in the shape of an IAM policy's Allow statements. A
// function without Permissions may do anything with its tenant's
// resources (and nothing with another tenant's: credentials always carry
// their tenant).
//
// In updraft.yaml:
//
//	permissions:
//	  - actions: [s3:GetObject, s3:PutObject]
//	    resources: [arn:aws:s3:::uploads/*, thumbnails]
//	  - actions: ["dynamodb:*"]
//	    resources: [users]
type Permissions []Statement

// Statement allows Actions on Resources. An action is SERVICE:Operation
// ("s3:GetObject", "sqs:SendMessage", "dynamodb:Query"), with '*' matching
// any run of characters ("s3:*", "dynamodb:Get*", "*"). A resource is an
// ARN, '*' patterns allowed, or a bare name, which matches the resource of
// that name in any service the statement's actions name (a bucket, table,
// queue, topic or function), and the objects under a bucket of that name.
type Statement struct {
	Actions   []string `json:"actions" yaml:"actions"`
	Resources []string `json:"resources" yaml:"resources"`
}

// Validate checks the statements' shape.
func (p Permissions) Validate() error {
	for i, s := range p {
		if len(s.Actions) == 0 || len(s.Resources) == 0 {
			return InvalidParameter("permissions[%d] needs at least one action and one resource", i)
		}
		for _, a := range s.Actions {
			if a != "*" && !strings.Contains(a, ":") {
				return InvalidParameter("permissions[%d]: action %q is not SERVICE:Operation (e.g. s3:GetObject) or *", i, a)
			}
		}
		for _, r := range s.Resources {
			if r == "" {
				return InvalidParameter("permissions[%d]: a resource is empty", i)
			}
		}
	}
	return nil
}

// Allows reports whether the permissions allow action on resource (an
// ARN). Nil Permissions allow everything (of the caller's tenant).
func (p Permissions) Allows(action, resource string) bool {
	if p == nil {
		return true
	}
	for _, s := range p {
		if s.allows(action, resource) {
			return true
		}
	}
	return false
}

func (s Statement) allows(action, resource string) bool {
	actionOK := false
	for _, a := range s.Actions {
		if wildcard(strings.ToLower(a), strings.ToLower(action)) {
			actionOK = true
			break
		}
	}
	if !actionOK {
		return false
	}
	name := arnResourceName(resource)
	for _, r := range s.Resources {
		if strings.HasPrefix(r, "arn:") || r == "*" {
			if wildcard(r, resource) {
				return true
			}
			continue
		}
		// A bare name: the resource itself, or (buckets) its objects.
		if wildcard(r, name) {
			return true
		}
		if bucket, _, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(resource, "arn:aws:s3:::") && wildcard(r, bucket) {
			return true
		}
	}
	return false
}

// arnResourceName is the last part of an ARN: the name of a bucket (with
// "/key" for an object), a table ("table/NAME" → NAME), a queue, a topic or
// a function.
func arnResourceName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	res := parts[5]
	if rest, ok := strings.CutPrefix(res, "table/"); ok {
		res, _, _ = strings.Cut(rest, "/") // table/NAME/stream/... → NAME
	}
	if rest, ok := strings.CutPrefix(res, "function:"); ok {
		res, _, _ = strings.Cut(rest, ":")
	}
	return res
}

// wildcard matches s against pattern, where '*' matches any run of
// characters (including '/') and '?' one character.
func wildcard(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// path.Match stops '*' at '/': match each '*' across slashes by
	// replacing them in both with a character neither contains.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", sep), strings.ReplaceAll(s, "/", sep))
	return err == nil && ok
}
