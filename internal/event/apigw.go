package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// HTTPRequest is API Gateway's HTTP API event, payload format 2.0, which
// Lambda function URLs use too. A Lambda authorizer gets the same shape
// with Type "REQUEST", RouteArn and IdentitySource set and no body.
type HTTPRequest struct {
	Version               string             `json:"version"`
	Type                  string             `json:"type,omitempty"`
	RouteArn              string             `json:"routeArn,omitempty"`
	IdentitySource        []string           `json:"identitySource,omitempty"`
	RouteKey              string             `json:"routeKey"`
	RawPath               string             `json:"rawPath"`
	RawQueryString        string             `json:"rawQueryString"`
	Cookies               []string           `json:"cookies,omitempty"`
	Headers               map[string]string  `json:"headers"`
	QueryStringParameters map[string]string  `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string  `json:"pathParameters,omitempty"`
	RequestContext        HTTPRequestContext `json:"requestContext"`
	Body                  string             `json:"body,omitempty"`
	IsBase64Encoded       bool               `json:"isBase64Encoded"`
}

// HTTPRequestContext is the event's requestContext.
type HTTPRequestContext struct {
	AccountID    string             `json:"accountId"`
	APIID        string             `json:"apiId"`
	Authorizer   *HTTPAuthorizer    `json:"authorizer,omitempty"`
	DomainName   string             `json:"domainName"`
	DomainPrefix string             `json:"domainPrefix"`
	HTTP         HTTPRequestDetails `json:"http"`
	RequestID    string             `json:"requestId"`
	RouteKey     string             `json:"routeKey"`
	Stage        string             `json:"stage"`
	Time         string             `json:"time"`
	TimeEpoch    int64              `json:"timeEpoch"`
}

// HTTPRequestDetails is requestContext.http.
type HTTPRequestDetails struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPAuthorizer is requestContext.authorizer: what the route's authorizer
// learnt about the caller.
type HTTPAuthorizer struct {
	JWT    *JWTAuthorizer `json:"jwt,omitempty"`
	Lambda map[string]any `json:"lambda,omitempty"`
}

// JWTAuthorizer is requestContext.authorizer.jwt. API Gateway hands claims
// over as strings; a claim that is not a string is its JSON text.
type JWTAuthorizer struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

// HTTPRequestInput is what NewHTTPRequest builds an event from besides the
// HTTP request itself.
type HTTPRequestInput struct {
	RequestID    string
	RouteKey     string // "$default" for a function URL
	RawPath      string // the request's path as the route sees it
	AccountID    string
	APIID        string
	DomainName   string
	DomainPrefix string
	Body         []byte
	// PathParameters are the route's {name} values (nil: none).
	PathParameters map[string]string
	Authorizer     *HTTPAuthorizer
	// DropAuthorization leaves the Authorization header out (function
	// URLs with AWS_IAM hold a signature there).
	DropAuthorization bool
	// Forwarded adds the X-Forwarded-For, -Proto and -Port headers API
	// Gateway adds (the client's address appended to any X-Forwarded-For
	// it sent).
	Forwarded bool
	// Stage is requestContext.stage: "$default" when empty, or a REST
	// API's stage name ("Prod").
	Stage string
	// APIKey is the caller's API key (requestContext.identity.apiKey in
	// payload 1.0) when the route requires one.
	APIKey string
	Now    time.Time
}

// TimeLayout is requestContext.time's format (the CLF date).
const TimeLayout = "02/Jan/2006:15:04:05 -0700"

// NewHTTPRequest builds the payload 2.0 event of r: header names in lower
// case with repeated values comma-joined, Cookie headers split into
// cookies, repeated query parameters comma-joined, and a body that is not
// UTF-8 text base64-encoded with isBase64Encoded.
func NewHTTPRequest(r *http.Request, in HTTPRequestInput) *HTTPRequest {
	headers := make(map[string]string, len(r.Header)+1)
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		switch {
		case lk == "cookie":
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		case lk == "authorization" && in.DropAuthorization:
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if in.Forwarded {
		if xff := headers["x-forwarded-for"]; xff != "" {
			headers["x-forwarded-for"] = xff + ", " + ip
		} else {
			headers["x-forwarded-for"] = ip
		}
		proto, port := "http", "80"
		if r.TLS != nil {
			proto, port = "https", "443"
		}
		if _, p, err := net.SplitHostPort(r.Host); err == nil {
			port = p
		}
		headers["x-forwarded-proto"], headers["x-forwarded-port"] = proto, port
	}
	var query map[string]string
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	stage := in.Stage
	if stage == "" {
		stage = "$default"
	}
	ev := &HTTPRequest{
		Version: "2.0", RouteKey: in.RouteKey, RawPath: in.RawPath, RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: in.PathParameters,
		RequestContext: HTTPRequestContext{
			AccountID: in.AccountID, APIID: in.APIID, Authorizer: in.Authorizer,
			DomainName: in.DomainName, DomainPrefix: in.DomainPrefix,
			HTTP:      HTTPRequestDetails{Method: r.Method, Path: in.RawPath, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent()},
			RequestID: in.RequestID, RouteKey: in.RouteKey, Stage: stage,
			Time: now.Format(TimeLayout), TimeEpoch: now.UnixMilli(),
		},
	}
	if len(in.Body) > 0 {
		if IsTextContent(r.Header.Get("Content-Type")) && utf8.Valid(in.Body) {
			ev.Body = string(in.Body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(in.Body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// IsTextContent reports whether a body of content type ct travels as text
// (else base64): no type, text/*, and the JSON, XML, JavaScript, form and
// YAML types.
func IsTextContent(ct string) bool {
	ct = strings.ToLower(ct)
	if ct == "" || strings.HasPrefix(ct, "text/") {
		return true
	}
	for _, s := range []string{"json", "xml", "javascript", "x-www-form-urlencoded", "yaml"} {
		if strings.Contains(ct, s) {
			return true
		}
	}
	return false
}

// HTTPResponse is a function's reply to a payload 2.0 event.
type HTTPResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Cookies           []string            `json:"cookies,omitempty"`
	Body              string              `json:"body,omitempty"`
	IsBase64Encoded   bool                `json:"isBase64Encoded,omitempty"`
}

// ErrBadHTTPResponse is a function reply API Gateway cannot turn into an
// HTTP response (a 502 for the client).
var ErrBadHTTPResponse = errors.New("the function's response is not a valid HTTP response")

// ParseHTTPResponse reads a function's payload as API Gateway does for
// payload format 2.0: a JSON object with statusCode is a full response;
// anything else (a bare JSON value, an object without statusCode) is the
// body of a 200 application/json response. It returns the decoded body.
func ParseHTTPResponse(payload []byte) (*HTTPResponse, []byte, error) {
	trimmed := bytes.TrimSpace(payload)
	if bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(trimmed, []byte(`"statusCode"`)) {
		var resp HTTPResponse
		if err := json.Unmarshal(payload, &resp); err == nil && resp.StatusCode != 0 {
			if resp.StatusCode < 100 || resp.StatusCode > 599 {
				return nil, nil, ErrBadHTTPResponse
			}
			body := []byte(resp.Body)
			if resp.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(resp.Body)
				if err != nil {
					return nil, nil, ErrBadHTTPResponse
				}
				body = b
			}
			return &resp, body, nil
		} else if err != nil {
			var probe map[string]json.RawMessage
			if json.Unmarshal(payload, &probe) == nil && probe["statusCode"] != nil {
				return nil, nil, ErrBadHTTPResponse // statusCode present but not a number, or a bad field
			}
		}
	}
	return &HTTPResponse{StatusCode: http.StatusOK, Headers: map[string]string{"content-type": "application/json"}}, payload, nil
}
