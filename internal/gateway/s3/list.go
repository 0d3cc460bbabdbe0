package s3

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/updraft-dev/updraft/internal/objects"
)

type listResult struct {
	XMLName               xml.Name    `xml:"ListBucketResult"`
	NS                    string      `xml:"xmlns,attr"`
	Name                  string      `xml:"Name"`
	Prefix                string      `xml:"Prefix"`
	Marker                *string     `xml:"Marker,omitempty"`
	NextMarker            string      `xml:"NextMarker,omitempty"`
	StartAfter            string      `xml:"StartAfter,omitempty"`
	ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int        `xml:"KeyCount,omitempty"`
	MaxKeys               int         `xml:"MaxKeys"`
	Delimiter             string      `xml:"Delimiter,omitempty"`
	EncodingType          string      `xml:"EncodingType,omitempty"`
	IsTruncated           bool        `xml:"IsTruncated"`
	Contents              []contentXM `xml:"Contents"`
	CommonPrefixes        []prefixXM  `xml:"CommonPrefixes"`
}

type contentXM struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type prefixXM struct {
	Prefix string `xml:"Prefix"`
}

// listInput reads the parameters both list versions share.
func listInput(c *call) (objects.ListInput, func(string) string, error) {
	in := objects.ListInput{Prefix: c.get("prefix"), Delimiter: c.get("delimiter"), MaxKeys: 1000}
	if v := c.get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return in, nil, objects.InvalidArgument("Provided max-keys not an integer or within integer range")
		}
		in.MaxKeys = min(n, 1000)
	}
	enc := func(s string) string { return s }
	switch e := c.get("encoding-type"); e {
	case "":
	case "url":
		enc = url.QueryEscape
	default:
		return in, nil, objects.InvalidArgument("Invalid Encoding Method specified in Request: %s", e)
	}
	return in, enc, nil
}

func (a *API) list(c *call, in objects.ListInput, enc func(string) string, out *listResult) (objects.ListPage, error) {
	if err := c.authorize("s3:ListBucket", c.bucket, ""); err != nil {
		return objects.ListPage{}, err
	}
	page, err := a.svc.List(c.ctx, c.tenant, c.bucket, in)
	if err != nil {
		return page, err
	}
	out.NS, out.Name, out.Prefix, out.Delimiter, out.MaxKeys, out.IsTruncated = s3NS, c.bucket, enc(in.Prefix), enc(in.Delimiter), in.MaxKeys, page.Truncated
	if c.get("encoding-type") != "" {
		out.EncodingType = c.get("encoding-type")
	}
	for _, o := range page.Objects {
		out.Contents = append(out.Contents, contentXM{Key: enc(o.Key), LastModified: o.Modified.Format(timeISO), ETag: `"` + o.ETag + `"`, Size: o.Size, StorageClass: "STANDARD"})
	}
	for _, p := range page.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, prefixXM{enc(p)})
	}
	return page, nil
}

func (a *API) listV1(c *call) error {
	in, enc, err := listInput(c)
	if err != nil {
		return err
	}
	in.After = c.get("marker")
	var out listResult
	marker := enc(in.After)
	out.Marker = &marker
	page, err := a.list(c, in, enc, &out)
	if err != nil {
		return err
	}
	if page.Truncated && in.Delimiter != "" {
		out.NextMarker = enc(page.Next)
	}
	for i := range out.Contents {
		o := c.owner()
		out.Contents[i].Owner = &o
	}
	return writeXML(c.w, http.StatusOK, out)
}

func (a *API) listV2(c *call) error {
	in, enc, err := listInput(c)
	if err != nil {
		return err
	}
	var out listResult
	in.After = c.get("start-after")
	out.StartAfter = enc(in.After)
	if tok := c.get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return objects.InvalidArgument("The continuation token provided is incorrect")
		}
		in.After = max(in.After, string(b))
		out.ContinuationToken = tok
	}
	page, err := a.list(c, in, enc, &out)
	if err != nil {
		return err
	}
	n := len(page.Objects) + len(page.CommonPrefixes)
	out.KeyCount = &n
	if page.Truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
	}
	if c.get("fetch-owner") == "true" {
		for i := range out.Contents {
			o := c.owner()
			out.Contents[i].Owner = &o
		}
	}
	return writeXML(c.w, http.StatusOK, out)
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyBuf() *[]byte     { return copyBufs.Get().(*[]byte) }
func putCopyBuf(b *[]byte) { copyBufs.Put(b) }
