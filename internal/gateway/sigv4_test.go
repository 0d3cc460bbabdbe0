package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSigV4Canonicalization signs awkward requests with the AWS SDK's own
// signer and checks the server verifies them from what it receives: escaped path segments, repeated and unordered query
// parameters, spaces and non-ASCII, headers with inner runs of spaces.
func TestSigV4Canonicalization(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret}
	for _, target := range []string{
		"/2015-03-31/functions/hello/invocations",
		"/2017-03-31/tags/arn%3Aaws%3Alambda%3Alocal%3Adefault%3Afunction%3Ahello",
		"/2017-03-31/tags/arn%3Aaws%3Alambda%3Alocal%3Adefault%3Afunction%3Ahello?tagKeys=b&tagKeys=a&tagKeys=a%20b",
		"/2015-03-31/functions/?MaxItems=2&Marker=f%C3%A9%2Fx",
		"/2015-03-31/functions/na%20me?Qualifier=%24LATEST&a=&b",
	} {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, err := parseSigV4(r.Header.Get("Authorization"))
			if err != nil {
				t.Errorf("%s: %v", target, err)
				return
			}
			sum := sha256.Sum256([]byte("{}"))
			at, _ := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
			ok, err := a.verify(r, secret, hex.EncodeToString(sum[:]), at)
			switch {
			case err != nil:
				got = err.Error()
			case !ok:
				got = "mismatch"
			default:
				got = "ok"
			}
			// A wrong secret never verifies.
			if ok, _ := a.verify(r, secret+"x", hex.EncodeToString(sum[:]), at); ok {
				got = "verified with the wrong secret"
			}
		}))
		req, err := http.NewRequest("POST", srv.URL+target, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amz-Meta", "  a   b  ")
		sum := sha256.Sum256([]byte("{}"))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if got != "ok" {
			t.Errorf("%s: %s", target, got)
		}
	}
}
