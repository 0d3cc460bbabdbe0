package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/updraft-dev/updraft/internal/fn"
)

// compiledSchema is a route's body schema, ready to validate.
type compiledSchema struct{ s *jsonschema.Schema }

// noLoader refuses every $ref outside the schema itself: a route's schema
// stands alone, and a request must never make the platform read a file
// or fetch a URL.
type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("%s: a route's schema cannot refer to other documents", u)
}

// compileSchema compiles a JSON Schema document (draft 2020-12 unless it
// says otherwise with $schema). A bad schema is an
// InvalidParameterValueException saying why.
func compileSchema(doc []byte) (*compiledSchema, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fn.InvalidParameter("the route's schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	const loc = "mem:///route-schema.json"
	if err := c.AddResource(loc, v); err != nil {
		return nil, fn.InvalidParameter("the route's schema is not valid: %v", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fn.InvalidParameter("the route's schema is not a valid JSON Schema: %v", err)
	}
	return &compiledSchema{s: s}, nil
}

// Invalid is a request refused before any function runs: the reply is its
// Status with {"message": Message} (plus "errors" when it has some).
type Invalid struct {
	Status  int
	Message string
	Errors  []string
}

func (e *Invalid) Error() string {
	if len(e.Errors) > 0 {
		return e.Message + ": " + strings.Join(e.Errors, "; ")
	}
	return e.Message
}

func invalid(status int, msg string, errs ...string) *Invalid {
	return &Invalid{Status: status, Message: msg, Errors: errs}
}

// Validate checks a request against the route's requirements: required
// query parameters and headers, then the body against the schema. The
// error is an *Invalid (400) listing every problem found.
func (c *Compiled) Validate(query url.Values, h http.Header, body []byte) error {
	var errs []string
	for _, q := range c.RequiredQuery {
		if _, ok := query[q]; !ok {
			errs = append(errs, fmt.Sprintf("missing required query string parameter %q", q))
		}
	}
	for _, name := range c.RequiredHeaders {
		if h.Get(name) == "" {
			errs = append(errs, fmt.Sprintf("missing required header %q", strings.ToLower(name)))
		}
	}
	if c.schema != nil {
		errs = append(errs, c.schema.validate(body)...)
	}
	if len(errs) > 0 {
		return invalid(http.StatusBadRequest, "Invalid request", errs...)
	}
	return nil
}

// validate lists what is wrong with body, nil when it conforms.
func (s *compiledSchema) validate(body []byte) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return []string{"the request body is empty: a JSON body is required"}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{"the request body is not JSON: " + err.Error()}
	}
	err = s.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(u []jsonschemaUnit)
	walk = func(us []jsonschemaUnit) {
		for _, u := range us {
			if u.Error != nil && len(u.Errors) == 0 {
				loc := u.InstanceLocation
				if loc == "" {
					loc = "/"
				}
				out = append(out, fmt.Sprintf("%s: %s", loc, u.Error.String()))
			}
			walk(u.Errors)
		}
	}
	basic := ve.BasicOutput()
	walk([]jsonschemaUnit{*basic})
	if len(out) == 0 {
		out = append(out, ve.Error())
	}
	return out
}

type jsonschemaUnit = jsonschema.OutputUnit
