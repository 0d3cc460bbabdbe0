package gateway

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Presigned URLs: SigV4 in the query string (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature), as s3.NewPresignClient makes them; the payload is
// unsigned.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html

const maxPresignExpiry = 7 * 24 * time.Hour

// presigned reports whether r carries its signature in its query.
func presigned(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Algorithm") == sigV4Algorithm
}

// presignedScope returns the credential scope of a presigned request.
func presignedScope(r *http.Request) []string {
	if !presigned(r) {
		return nil
	}
	return strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/")
}

// authPresigned verifies a presigned request and returns its key's
// tenant.
func (g *Gateway) authPresigned(r *http.Request) (string, error) {
	q := r.URL.Query()
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" {
		return "", badSignature("X-Amz-Credential is malformed: want KEYID/DATE/REGION/SERVICE/aws4_request")
	}
	a := &sigV4Auth{keyID: scope[0], date: scope[1], region: scope[2], service: scope[3], signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";")}
	sig, err := hex.DecodeString(q.Get("X-Amz-Signature"))
	if err != nil || len(sig) != 32 {
		return "", badSignature("X-Amz-Signature is not 64 hex digits")
	}
	a.signature = sig
	tenant, secret, err := g.keySecret(r, a.keyID)
	if err != nil {
		return "", err
	}
	t, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil || a.date != q.Get("X-Amz-Date")[:8] {
		return "", badSignature("X-Amz-Date %q is missing, not in the form 20060102T150405Z, or not the credential's date", q.Get("X-Amz-Date"))
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return "", fn.Errorf(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be a number of seconds from 1 to %d", int(maxPresignExpiry.Seconds()))
	}
	if now := time.Now(); now.After(t.Add(time.Duration(secs) * time.Second)) {
		return "", fn.AccessDenied("Request has expired: it was valid until %s", t.Add(time.Duration(secs)*time.Second).UTC().Format(time.RFC3339))
	} else if t.After(now.Add(sigV4MaxSkew)) {
		return "", badSignature("X-Amz-Date %s is in the future (check the clock)", q.Get("X-Amz-Date"))
	}
	ok, err := a.verifyPresigned(r, secret, t)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", badSignature("The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	return tenant, nil
}

// verifyPresigned re-presigns a copy of r (its query without the
// signature, the headers it signed) with the AWS SDK's signer and
// compares the signatures.
func (a *sigV4Auth) verifyPresigned(r *http.Request, secret string, t time.Time) (bool, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	q := u.Query()
	q.Del("X-Amz-Signature")
	u.RawQuery = q.Encode()
	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range a.signedHeaders {
		switch {
		case h == "host", h == "":
		case unsignable[h]:
			return false, badSignature("the signed header %s cannot be verified: do not sign it", h)
		default:
			c.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: q.Get("X-Amz-Security-Token")}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = a.service == "s3" })
	signed, _, err := signer.PresignHTTP(r.Context(), creds, c, unsignedPayload, a.service, a.region, t)
	if err != nil {
		return false, fn.Internal(fmt.Errorf("gateway: recompute a presigned SigV4: %w", err))
	}
	su, err := url.Parse(signed)
	if err != nil {
		return false, fn.Internal(fmt.Errorf("gateway: parse a presigned URL: %w", err))
	}
	want, err := hex.DecodeString(su.Query().Get("X-Amz-Signature"))
	return err == nil && hmac.Equal(want, a.signature), nil
}
