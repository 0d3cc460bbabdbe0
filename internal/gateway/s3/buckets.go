package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/objects"
)

type listAllMyBucketsResult struct {
	XMLName xml.Name   `xml:"ListAllMyBucketsResult"`
	NS      string     `xml:"xmlns,attr"`
	Owner   owner      `xml:"Owner"`
	Buckets []bucketXM `xml:"Buckets>Bucket"`
}

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type bucketXM struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
}

func (c *call) owner() owner {
	return owner{ID: fn.AccountID(c.tenant), DisplayName: c.tenant}
}

func (a *API) listBuckets(c *call) error {
	if err := c.authorize("s3:ListAllMyBuckets", "*", ""); err != nil {
		return err
	}
	out := listAllMyBucketsResult{NS: s3NS, Owner: c.owner(), Buckets: []bucketXM{}}
	for _, b := range a.svc.Buckets(c.ctx, c.tenant) {
		out.Buckets = append(out.Buckets, bucketXM{Name: b.Name, CreationDate: b.Created.Format(timeISO)})
	}
	return writeXML(c.w, http.StatusOK, out)
}

func (a *API) createBucket(c *call) error {
	if err := c.authorize("s3:CreateBucket", c.bucket, ""); err != nil {
		return err
	}
	// The body may hold a CreateBucketConfiguration: every bucket is in
	// the one region.
	if _, err := io.Copy(io.Discard, io.LimitReader(c.r.Body, maxXMLBody)); err != nil {
		return fn.AsError(err)
	}
	if err := a.svc.CreateBucket(c.ctx, c.tenant, c.bucket); err != nil {
		return err
	}
	c.w.Header().Set("Location", "/"+c.bucket)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) headBucket(c *call) error {
	if err := c.authorize("s3:ListBucket", c.bucket, ""); err != nil {
		return err
	}
	if _, err := a.svc.Bucket(c.ctx, c.tenant, c.bucket); err != nil {
		return err
	}
	c.w.Header().Set("x-amz-bucket-region", fn.Region)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) deleteBucket(c *call) error {
	if err := c.authorize("s3:DeleteBucket", c.bucket, ""); err != nil {
		return err
	}
	if err := a.svc.DeleteBucket(c.ctx, c.tenant, c.bucket); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

func (a *API) location(c *call) error {
	if err := c.authorize("s3:GetBucketLocation", c.bucket, ""); err != nil {
		return err
	}
	if _, err := a.svc.Bucket(c.ctx, c.tenant, c.bucket); err != nil {
		return err
	}
	return writeXML(c.w, http.StatusOK, locationConstraint{NS: s3NS, Region: fn.Region})
}

type corsConfiguration struct {
	XMLName xml.Name `xml:"CORSConfiguration"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Rules   []corsXM `xml:"CORSRule"`
}

type corsXM struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedHeaders []string `xml:"AllowedHeader,omitempty"`
	ExposeHeaders  []string `xml:"ExposeHeader,omitempty"`
	MaxAgeSeconds  int      `xml:"MaxAgeSeconds,omitempty"`
}

func (a *API) putCORS(c *call) error {
	if err := c.authorize("s3:PutBucketCORS", c.bucket, ""); err != nil {
		return err
	}
	var in corsConfiguration
	if err := readXML(c, &in); err != nil {
		return err
	}
	if len(in.Rules) == 0 {
		return objects.MalformedXML("a CORSConfiguration needs at least one CORSRule")
	}
	rules := make([]objects.CORSRule, len(in.Rules))
	for i, r := range in.Rules {
		rules[i] = objects.CORSRule(r)
	}
	if err := a.svc.PutCORS(c.ctx, c.tenant, c.bucket, rules); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getCORS(c *call) error {
	if err := c.authorize("s3:GetBucketCORS", c.bucket, ""); err != nil {
		return err
	}
	rules, err := a.svc.CORS(c.ctx, c.tenant, c.bucket)
	if err != nil {
		return err
	}
	out := corsConfiguration{NS: s3NS}
	for _, r := range rules {
		out.Rules = append(out.Rules, corsXM(r))
	}
	return writeXML(c.w, http.StatusOK, out)
}

func (a *API) deleteCORS(c *call) error {
	if err := c.authorize("s3:PutBucketCORS", c.bucket, ""); err != nil {
		return err
	}
	if err := a.svc.PutCORS(c.ctx, c.tenant, c.bucket, nil); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// cors adds the CORS headers of the bucket's matching rule to a request
// carrying an Origin.
func (a *API) cors(c *call) {
	origin := c.r.Header.Get("Origin")
	if origin == "" {
		return
	}
	b, err := a.svc.Bucket(c.ctx, c.tenant, c.bucket)
	if err != nil {
		return
	}
	method := c.r.Method
	if rule, ok := objects.MatchCORS(b.CORS, origin, method, nil); ok {
		setCORS(c.w, rule, origin, nil)
	}
}

func setCORS(w http.ResponseWriter, rule *objects.CORSRule, origin string, headers []string) {
	h := w.Header()
	if len(rule.AllowedOrigins) == 1 && rule.AllowedOrigins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", itoa(int64(rule.MaxAgeSeconds)))
	}
}

// preflight answers a browser's OPTIONS from the bucket's CORS rules.
func (a *API) preflight(c *call) error {
	origin, method := c.r.Header.Get("Origin"), c.r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return fn.Errorf(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.")
	}
	headers := splitList(c.r.Header.Get("Access-Control-Request-Headers"))
	rule, ok := a.svc.Preflight(c.ctx, c.tenant, c.bucket, origin, method, headers)
	if !ok {
		return accessForbidden("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	setCORS(c.w, rule, origin, headers)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// Anonymous claims a CORS preflight without credentials for a bucket
// some tenant has (the gateway calls it for unsigned requests).
func (a *API) Anonymous(r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if _, ok := a.virtualBucket(r.Host); !ok && strings.HasPrefix(r.URL.Path, "/url/") {
		return false // a function URL's preflight
	}
	bucket, _ := a.resolve(r)
	_, ok := a.svc.Preflight(r.Context(), "", bucket, r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method"), nil)
	return ok || bucket != "" && a.svc.Known(bucket)
}

// ServeAnonymous serves a preflight Anonymous claimed.
func (a *API) ServeAnonymous(w http.ResponseWriter, r *http.Request) {
	a.Serve(w, r, "")
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, strings.ToLower(v))
		}
	}
	return out
}
