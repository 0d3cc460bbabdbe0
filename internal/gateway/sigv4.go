package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// AWS Signature Version 4, verified against the access key's secret:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	sigV4MaxSkew   = 15 * time.Minute
	amzDateFormat  = "20060102T150405Z"
)

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    []byte
}

func parseSigV4(h string) (*sigV4Auth, error) {
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return nil, badSignature("the Authorization header does not start with %s", sigV4Algorithm)
	}
	a := &sigV4Auth{}
	var cred, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			sig = v
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" {
		return nil, badSignature("the Credential of the Authorization header is malformed: want KEYID/DATE/REGION/SERVICE/aws4_request")
	}
	a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	var err error
	if a.signature, err = hex.DecodeString(sig); err != nil || len(a.signature) != sha256.Size {
		return nil, badSignature("the Signature of the Authorization header is not 64 hex digits")
	}
	if len(a.signedHeaders) == 0 || a.signedHeaders[0] == "" {
		return nil, badSignature("SignedHeaders is missing from the Authorization header")
	}
	return a, nil
}

func badSignature(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusForbidden, fn.TypeInvalidSignature, format, args...)
}

// authSigV4 verifies r's signature and returns the key's tenant. It reads
// the body to hash it, and puts it back for the handler, only once the key
// is known to exist and the date to be in range: a request with an unknown
// key is refused before its body is read.
func (g *Gateway) authSigV4(w http.ResponseWriter, r *http.Request) (string, error) {
	a, err := parseSigV4(r.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	tenant, secret, err := g.keySecret(r, a.keyID)
	if err != nil {
		return "", err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return "", badSignature("X-Amz-Date %q is missing or not in the form 20060102T150405Z", amzDate)
	}
	if skew := time.Since(t); skew > sigV4MaxSkew || skew < -sigV4MaxSkew {
		return "", badSignature("Signature expired: %s is now earlier than %s or later than %s (check the clock)",
			amzDate, time.Now().UTC().Add(-sigV4MaxSkew).Format(amzDateFormat), time.Now().UTC().Add(sigV4MaxSkew).Format(amzDateFormat))
	}
	if a.date != amzDate[:8] {
		return "", badSignature("the credential scope date %s is not the date of X-Amz-Date %s", a.date, amzDate)
	}
	if s3, err := a.streamS3(r, secret, t); s3 || err != nil {
		return tenant, err // S3's body is verified as the handler streams it
	}
	body, err := readSigned(w, r)
	if err != nil {
		return "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		if h != "UNSIGNED-PAYLOAD" {
			return "", badSignature("X-Amz-Content-Sha256 does not match the body: the body was changed or the hash is wrong")
		}
		payloadHash = h
	}
	ok, err := a.verify(r, secret, payloadHash, t)
	if err != nil {
		return "", err
	}
	if ok {
		return tenant, nil
	}
	return "", badSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
}

// readSigned reads a signed request's body into memory that grows as its
// bytes arrive, at most wire.MaxRequestBody.
func readSigned(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := wire.MaxRequestBody
	if r.ContentLength >= 0 && r.ContentLength < wire.MaxRequestBody {
		limit = int(r.ContentLength) // the body ends there
	}
	body, err := wire.ReadLimited(http.MaxBytesReader(w, r.Body, wire.MaxRequestBody), nil, limit)
	if err == nil {
		return body, nil
	}
	var mbe *http.MaxBytesError
	var fe *fn.Error
	switch {
	case errors.As(err, &mbe), errors.Is(err, wire.ErrTooLarge):
		return nil, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge, "the request is larger than %d bytes", wire.MaxRequestBody)
	case errors.As(err, &fe):
		return nil, fe // e.g. the body arrived too slowly
	}
	return nil, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not read the request body: %v", err)
}

// unsignable are headers the AWS SDK's signer never signs; a request that
// signed one cannot be verified by it.
var unsignable = map[string]bool{"authorization": true, "user-agent": true, "x-amzn-trace-id": true, "expect": true}

// verify recomputes the signature with the AWS SDK's own v4 signer over a
// copy of r that carries exactly the headers the client signed, and
// compares it with the one sent.
func (a *sigV4Auth) verify(r *http.Request, secret, payloadHash string, t time.Time) (bool, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range a.signedHeaders {
		switch {
		case h == "host":
		case h == "content-length":
			c.ContentLength = r.ContentLength
		case unsignable[h]:
			return false, badSignature("the signed header %s cannot be verified: do not sign it", h)
		default:
			c.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: c.Header.Get("X-Amz-Security-Token")}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = a.service == "s3" // S3 signs the path as sent
	})
	if err := signer.SignHTTP(r.Context(), creds, c, payloadHash, a.service, a.region, t); err != nil {
		return false, fn.Internal(fmt.Errorf("gateway: recompute SigV4: %w", err))
	}
	_, sig, _ := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	want, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(want, a.signature), nil
}
