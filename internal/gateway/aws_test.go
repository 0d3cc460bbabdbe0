package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServiceOf: the X-Amz-Target prefix or the SigV4 scope's service
// picks the service; Lambda and unsigned requests go to the REST routes.
func TestServiceOf(t *testing.T) {
	for _, tc := range []struct {
		authz, target, name, prefix string
	}{
		{"Bearer k", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20261203/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00", "", "lambda", ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20261203/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00", "AmazonSQS.SendMessage", "sqs", "AmazonSQS"},
		{"AWS4-HMAC-SHA256 Credential=AK/20261203/local/s3/aws4_request,SignedHeaders=host,Signature=00", "", "s3", ""},
		{"Bearer k", "DynamoDB_20120810.ListTables", "DynamoDB_20120810", "DynamoDB_20120810"},
		{"AWS4-HMAC-SHA256 Credential=malformed, Signature=00", "", "", ""},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", tc.authz)
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		name, prefix := serviceOf(r)
		if name != tc.name || prefix != tc.prefix {
			t.Errorf("%q %q: got %q %q, want %q %q", tc.authz, tc.target, name, prefix, tc.name, tc.prefix)
		}
	}
}

// TestUnknownService: a service the endpoint does not offer is a 400
// UnknownOperationException naming it and what is offered; a mounted one
// gets the authenticated request.
func TestUnknownService(t *testing.T) {
	g := &Gateway{services: map[string]Service{}, targets: map[string]Service{}, rest: http.NotFoundHandler()}
	g.cfg.Log = discard()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	g.serveHTTP(w, r)
	if w.Code != 400 || w.Header().Get("X-Amzn-ErrorType") != "UnknownOperationException" ||
		!strings.Contains(w.Body.String(), "DynamoDB_20120810 is not offered") || !strings.Contains(w.Body.String(), `"__type":"UnknownOperationException"`) {
		t.Fatalf("%d %s %s", w.Code, w.Header(), w.Body)
	}
	var got string
	g.Mount(Service{Name: "dynamodb", TargetPrefixes: []string{"DynamoDB_20120810"}, Handler: func(w http.ResponseWriter, r *http.Request, tenant string) {
		got = tenant
	}})
	w = httptest.NewRecorder()
	g.serveHTTP(w, r)
	// Mounted, but the request is not authenticated: 401 before the handler.
	if w.Code != 401 || got != "" {
		t.Fatalf("unauthenticated request to a mounted service: %d %q", w.Code, got)
	}
	if !strings.Contains(strings.Join(g.offered(), ","), "dynamodb") {
		t.Fatalf("offered: %v", g.offered())
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
