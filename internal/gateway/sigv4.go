package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

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
// the body to hash it and puts it back for the handler.
func (g *Gateway) authSigV4(w http.ResponseWriter, r *http.Request) (string, error) {
	a, err := parseSigV4(r.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	tenant, secret, err := g.reg.AccessKey(r.Context(), a.keyID)
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge, "the request is larger than %d bytes", wire.MaxRequestBody)
		}
		return "", fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not read the request body: %v", err)
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
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	key := signingKey(secret, a.date, a.region, a.service)
	// The canonical URI is the path as sent, escaped once more (every
	// service but S3 signs it so): an ARN's ':' travels as %3A and is
	// signed as %253A.
	creq := canonicalRequest(r, awsEscape(r.URL.EscapedPath(), false), a.signedHeaders, payloadHash)
	sts := sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256(creq)
	if hmac.Equal(hmacSHA256(key, sts), a.signature) {
		return tenant, nil
	}
	return "", badSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
}

func canonicalRequest(r *http.Request, uri string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	if uri == "" {
		uri = "/"
	}
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue is a signed header's canonical value: trimmed, inner runs of
// spaces collapsed, several values joined by commas.
func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// canonicalQuery sorts the parameters by name, then value, each escaped.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, kv{awsEscape(k, true), awsEscape(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes all but the unreserved characters (and '/'
// unless slash is set), as SigV4 specifies.
func awsEscape(s string, slash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !slash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
