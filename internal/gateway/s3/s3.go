package s3

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/objects"
)

// Config tunes the API.
type Config struct {
	// Hosts are the endpoint's own host names: a request to
	// "BUCKET.HOST" is virtual-hosted. "localhost" is always one.
	Hosts func() []string
	Log   *slog.Logger
}

// API serves S3's REST operations.
type API struct {
	svc *objects.Service
	cfg Config
	log *slog.Logger
}

// New returns the S3 API over svc.
func New(svc *objects.Service, cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &API{svc: svc, cfg: cfg, log: cfg.Log.With("component", "s3")}
}

// call is one request, its bucket and key resolved.
type call struct {
	ctx    context.Context
	w      http.ResponseWriter
	r      *http.Request
	tenant string
	bucket string
	key    string
	q      map[string][]string
}

func (c *call) has(sub string) bool { _, ok := c.q[sub]; return ok }
func (c *call) get(name string) string {
	if v := c.q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// authorize checks the principal may do action on the call's bucket or
// object.
func (c *call) authorize(action, bucket, key string) error {
	return wire.Authorize(c.r, action, objects.ARN(bucket, key))
}

func (c *call) caller() objects.Caller {
	p := wire.PrincipalOf(c.ctx)
	id := "AWS:" + fn.AccountID(c.tenant)
	if p.Function != "" {
		id += ":" + p.Function
	}
	host, _, _ := net.SplitHostPort(c.r.RemoteAddr)
	return objects.Caller{PrincipalID: id, SourceIP: host, RequestID: wire.RequestID(c.w)}
}

// Serve is the gateway's handler for S3 requests (wire.TenantHandler).
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	if wire.RequestID(w) == "" {
		wire.SetRequestID(w)
	}
	w.Header().Set("x-amz-request-id", wire.RequestID(w))
	bucket, key := a.resolve(r)
	c := &call{ctx: r.Context(), w: w, r: r, tenant: tenant, bucket: bucket, key: key, q: r.URL.Query()}
	if err := a.dispatch(c); err != nil {
		writeError(w, r, a.log, err)
	}
}

// Error writes a failed authentication as S3's error XML.
func (a *API) Error(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, a.log, err)
}

// resolve finds the bucket and key: from a virtual-hosted Host
// ("BUCKET.HOST"), else from the path ("/BUCKET/KEY").
func (a *API) resolve(r *http.Request) (bucket, key string) {
	if b, ok := a.virtualBucket(r.Host); ok {
		return b, strings.TrimPrefix(r.URL.Path, "/")
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func (a *API) virtualBucket(hostport string) (string, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	hosts := []string{"localhost"}
	if a.cfg.Hosts != nil {
		hosts = append(hosts, a.cfg.Hosts()...)
	}
	for _, base := range hosts {
		if b, ok := strings.CutSuffix(host, "."+strings.ToLower(base)); ok && b != "" && net.ParseIP(base) == nil {
			return b, true
		}
	}
	return "", false
}

// unsupported are subresources Updraft's S3 does not offer.
var unsupported = []string{"acl", "policy", "policyStatus", "lifecycle", "replication", "website", "logging",
	"encryption", "object-lock", "legal-hold", "retention", "requestPayment", "accelerate", "analytics",
	"inventory", "metrics", "intelligent-tiering", "ownershipControls", "publicAccessBlock", "restore",
	"select", "torrent", "attributes", "versions", "versionId", "website", "renameObject"}

func (a *API) dispatch(c *call) error {
	for _, sub := range unsupported {
		if c.has(sub) {
			return notImplemented("?" + sub)
		}
	}
	if c.r.Method == http.MethodOptions {
		return a.preflight(c)
	}
	if c.bucket == "" {
		if c.r.Method != http.MethodGet {
			return methodNotAllowed(c.r.Method, "the service")
		}
		return a.listBuckets(c)
	}
	a.cors(c)
	if c.key == "" {
		return a.bucketOp(c)
	}
	return a.objectOp(c)
}

func (a *API) bucketOp(c *call) error {
	r := c.r
	switch r.Method {
	case http.MethodPut:
		switch {
		case c.has("cors"):
			return a.putCORS(c)
		case c.has("notification"):
			return a.putNotification(c)
		case c.has("tagging"), c.has("versioning"):
			return notImplemented("bucket tagging and versioning")
		}
		return a.createBucket(c)
	case http.MethodHead:
		return a.headBucket(c)
	case http.MethodDelete:
		if c.has("cors") {
			return a.deleteCORS(c)
		}
		if c.has("tagging") {
			return notImplemented("bucket tagging")
		}
		return a.deleteBucket(c)
	case http.MethodGet:
		switch {
		case c.has("location"):
			return a.location(c)
		case c.has("cors"):
			return a.getCORS(c)
		case c.has("notification"):
			return a.getNotification(c)
		case c.has("uploads"):
			return a.listUploads(c)
		case c.has("tagging"), c.has("versioning"):
			return notImplemented("bucket tagging and versioning")
		case c.get("list-type") == "2":
			return a.listV2(c)
		}
		return a.listV1(c)
	case http.MethodPost:
		if c.has("delete") {
			return a.deleteObjects(c)
		}
	}
	return methodNotAllowed(r.Method, "a bucket")
}

func (a *API) objectOp(c *call) error {
	r := c.r
	switch r.Method {
	case http.MethodPut:
		switch {
		case c.has("tagging"):
			return a.putTagging(c)
		case c.has("uploadId"):
			if r.Header.Get("x-amz-copy-source") != "" {
				return a.uploadPartCopy(c)
			}
			return a.uploadPart(c)
		case r.Header.Get("x-amz-copy-source") != "":
			return a.copyObject(c)
		}
		return a.putObject(c)
	case http.MethodGet, http.MethodHead:
		switch {
		case c.has("tagging") && r.Method == http.MethodGet:
			return a.getTagging(c)
		case c.has("uploadId") && r.Method == http.MethodGet:
			return a.listParts(c)
		}
		return a.getObject(c)
	case http.MethodDelete:
		switch {
		case c.has("tagging"):
			return a.deleteTagging(c)
		case c.has("uploadId"):
			return a.abortUpload(c)
		}
		return a.deleteObject(c)
	case http.MethodPost:
		switch {
		case c.has("uploads"):
			return a.createUpload(c)
		case c.has("uploadId"):
			return a.completeUpload(c)
		}
	}
	return methodNotAllowed(r.Method, "an object")
}

// s3NS is S3's XML namespace.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// writeXML writes v as the reply's XML body.
func writeXML(w http.ResponseWriter, status int, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return fn.Internal(err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
	return nil
}

// maxXMLBody bounds a request's XML document (DeleteObjects of 1000 keys
// of 1024 bytes, escaped, fits).
const maxXMLBody = 4 << 20

// readXML decodes the request's XML body into v.
func readXML(c *call, v any) error {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, maxXMLBody+1))
	if err != nil {
		return fn.AsError(err)
	}
	if len(b) > maxXMLBody {
		return objects.MalformedXML("the XML document is larger than %d bytes", maxXMLBody)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return objects.MalformedXML("The XML you provided was not well-formed or did not validate against our published schema: %v", err)
	}
	return nil
}

// timeISO is S3's timestamp format in XML.
const timeISO = "2006-01-02T15:04:05.000Z"
