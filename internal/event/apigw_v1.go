package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Payload format versions of a route's event.
const (
	PayloadV1 = "1.0" // REST APIs' proxy event (ProxyRequest)
	PayloadV2 = "2.0" // HTTP APIs' and function URLs' event (HTTPRequest)
)

// ProxyRequest is API Gateway's Lambda proxy event, payload format 1.0:
// what REST APIs send, and HTTP APIs with payloadFormatVersion 1.0. Maps
// with nothing in them, and a missing body, are null as AWS sends them.
type ProxyRequest struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  ProxyRequestContext `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// ProxyRequestContext is the 1.0 event's requestContext.
type ProxyRequestContext struct {
	AccountID string `json:"accountId"`
	APIID     string `json:"apiId"`
	// Authorizer is what the route's authorizer learnt: a JWT's
	// {"claims": …, "scopes": …}, or a Lambda authorizer's context keys.
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          ProxyIdentity  `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// ProxyIdentity is requestContext.identity. The IAM and Cognito fields
// are null: routes have neither.
type ProxyIdentity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	APIKey                        *string `json:"apiKey"`
	APIKeyID                      *string `json:"apiKeyId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// NewProxyRequest builds the payload 1.0 event of r from the same input
// as NewHTTPRequest: header names as the client sent them (Go's canonical
// form) with the last value in headers and every value in
// multiValueHeaders, Cookie kept as a header, query parameters likewise
// (last value, and all values), resource the route key's path ({proxy+}
// kept) and the path as requested; a body that is not UTF-8 text
// base64-encoded with isBase64Encoded. It carries no "version" field, as
// REST APIs send none.
func NewProxyRequest(r *http.Request, in HTTPRequestInput) *ProxyRequest {
	multi := make(map[string][]string, len(r.Header)+4)
	for k, vs := range r.Header {
		if in.DropAuthorization && strings.EqualFold(k, "Authorization") {
			continue
		}
		multi[k] = append([]string(nil), vs...)
	}
	multi["Host"] = []string{r.Host}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if in.Forwarded {
		xff := ip
		if prev := r.Header.Values("X-Forwarded-For"); len(prev) > 0 {
			xff = strings.Join(prev, ", ") + ", " + ip
		}
		proto, port := "http", "80"
		if r.TLS != nil {
			proto, port = "https", "443"
		}
		if _, p, err := net.SplitHostPort(r.Host); err == nil {
			port = p
		}
		multi["X-Forwarded-For"], multi["X-Forwarded-Proto"], multi["X-Forwarded-Port"] = []string{xff}, []string{proto}, []string{port}
	}
	headers := make(map[string]string, len(multi))
	for k, vs := range multi {
		headers[k] = vs[len(vs)-1]
	}
	var query map[string]string
	var multiQuery map[string][]string
	if r.URL.RawQuery != "" {
		multiQuery = r.URL.Query()
		query = make(map[string]string, len(multiQuery))
		for k, vs := range multiQuery {
			query[k] = vs[len(vs)-1]
		}
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	resource := in.RawPath
	if _, p, ok := strings.Cut(in.RouteKey, " "); ok {
		resource = p
	}
	stage := in.Stage
	if stage == "" {
		stage = "$default"
	}
	var params map[string]string
	if len(in.PathParameters) > 0 {
		params = in.PathParameters
	}
	ev := &ProxyRequest{
		Resource: resource, Path: in.RawPath, HTTPMethod: r.Method,
		Headers: headers, MultiValueHeaders: multi,
		QueryStringParameters: query, MultiValueQueryStringParameters: multiQuery,
		PathParameters: params,
		RequestContext: ProxyRequestContext{
			AccountID: in.AccountID, APIID: in.APIID, Authorizer: in.Authorizer.proxy(),
			DomainName: in.DomainName, DomainPrefix: in.DomainPrefix, ExtendedRequestID: in.RequestID,
			HTTPMethod: r.Method, Identity: ProxyIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
			Path: in.RawPath, Protocol: r.Proto, RequestID: in.RequestID,
			RequestTime: now.Format(TimeLayout), RequestTimeEpoch: now.UnixMilli(),
			ResourceID: resourceID(r.Method, resource), ResourcePath: resource, Stage: stage,
		},
	}
	if in.APIKey != "" {
		key := in.APIKey
		ev.RequestContext.Identity.APIKey = &key
	}
	if len(in.Body) > 0 {
		body := string(in.Body)
		if !IsTextContent(r.Header.Get("Content-Type")) || !utf8.Valid(in.Body) {
			body = base64.StdEncoding.EncodeToString(in.Body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &body
	}
	return ev
}

// resourceID stands in for the id API Gateway gives a REST API's resource
// and method: six base-36 characters, the same for the same route.
func resourceID(method, resource string) string {
	h := fnv.New32a()
	h.Write([]byte(method + " " + resource))
	id := strconv.FormatUint(uint64(h.Sum32()%2176782336), 36) // 36^6
	return strings.Repeat("0", 6-len(id)) + id
}

// proxy is a 1.0 event's requestContext.authorizer: a JWT authorizer's
// claims and scopes (as HTTP APIs send them in 1.0), a Lambda
// authorizer's context keys at the top (as REST APIs send them).
func (a *HTTPAuthorizer) proxy() map[string]any {
	if a == nil || a.JWT == nil && len(a.Lambda) == 0 {
		return nil
	}
	out := make(map[string]any, len(a.Lambda)+2)
	for k, v := range a.Lambda {
		out[k] = v
	}
	if a.JWT != nil {
		out["claims"], out["scopes"] = a.JWT.Claims, a.JWT.Scopes
	}
	return out
}

// ProxyResponse is a function's reply to a payload 1.0 event.
type ProxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body,omitempty"`
	IsBase64Encoded   bool                `json:"isBase64Encoded,omitempty"`
}

// ParseProxyResponse reads a function's reply to a payload 1.0 event as
// API Gateway does: it must be a JSON object with a statusCode (100–599),
// string headers, lists of strings in multiValueHeaders and a string body;
// anything else is ErrBadHTTPResponse (a 502 for the client). Without a
// Content-Type header the reply is application/json, as REST APIs answer.
// It returns the response as an HTTPResponse (no cookies) and the decoded
// body.
func ParseProxyResponse(payload []byte) (*HTTPResponse, []byte, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
		return nil, nil, ErrBadHTTPResponse
	}
	var resp ProxyResponse
	if err := json.Unmarshal(payload, &resp); err != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
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
	out := &HTTPResponse{StatusCode: resp.StatusCode, Headers: resp.Headers, MultiValueHeaders: resp.MultiValueHeaders,
		Body: resp.Body, IsBase64Encoded: resp.IsBase64Encoded}
	if !hasHeader(out, "Content-Type") {
		if out.Headers == nil {
			out.Headers = map[string]string{}
		}
		out.Headers["content-type"] = "application/json"
	}
	return out, body, nil
}

func hasHeader(r *HTTPResponse, name string) bool {
	for k := range r.Headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	for k, vs := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return true
		}
	}
	return false
}
