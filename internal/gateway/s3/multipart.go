package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/objects"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (a *API) createUpload(c *call) error {
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	tags, err := parseTagging(c.r.Header.Get("x-amz-tagging"))
	if err != nil {
		return err
	}
	h, meta := headersOf(c.r)
	id, err := a.svc.CreateUpload(c.ctx, c.tenant, c.bucket, c.key, h, meta, tags)
	if err != nil {
		return err
	}
	return writeXML(c.w, http.StatusOK, initiateResult{NS: s3NS, Bucket: c.bucket, Key: c.key, UploadID: id})
}

func partNumber(c *call) (int, error) {
	n, err := strconv.Atoi(c.get("partNumber"))
	if err != nil || n < 1 || n > objects.MaxPartNumber {
		return 0, objects.InvalidArgument("Part number must be an integer between 1 and %d, inclusive", objects.MaxPartNumber)
	}
	return n, nil
}

func (a *API) uploadPart(c *call) error {
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	n, err := partNumber(c)
	if err != nil {
		return err
	}
	if err := checkLength(c.r, maxPartSize); err != nil {
		return err
	}
	md5, err := contentMD5(c.r)
	if err != nil {
		return err
	}
	p, err := a.svc.UploadPart(c.ctx, c.tenant, objects.PartInput{
		Bucket: c.bucket, Key: c.key, Upload: c.get("uploadId"), Number: n, Body: c.r.Body, Size: c.r.ContentLength, ContentMD5: md5,
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", `"`+p.ETag+`"`)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// maxPartSize is S3's largest part.
const maxPartSize = 5 << 30

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (a *API) uploadPartCopy(c *call) error {
	sb, sk, err := copySource(c.r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	if err := c.authorize("s3:GetObject", sb, sk); err != nil {
		return err
	}
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	n, err := partNumber(c)
	if err != nil {
		return err
	}
	var rng func(int64) (int64, int64, error)
	if h := c.r.Header.Get("x-amz-copy-source-range"); h != "" {
		rng = func(size int64) (int64, int64, error) {
			off, k, ok, err := parseRange(h, size)
			if err == nil && (!ok || off+k > size) {
				err = objects.InvalidArgument("The x-amz-copy-source-range value %q must be of the form bytes=first-last, within the source object of %d bytes", h, size)
			}
			return off, k, err
		}
	}
	p, _, err := a.svc.CopyPart(c.ctx, c.tenant, objects.PartInput{Bucket: c.bucket, Key: c.key, Upload: c.get("uploadId"), Number: n}, sb, sk, rng, copyCheck(c.r.Header))
	if err != nil {
		return err
	}
	return writeXML(c.w, http.StatusOK, copyPartResult{NS: s3NS, LastModified: p.Modified.Format(timeISO), ETag: `"` + p.ETag + `"`})
}

type completeRequest struct {
	Parts []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func (a *API) completeUpload(c *call) error {
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	var in completeRequest
	if err := readXML(c, &in); err != nil {
		return err
	}
	parts := make([]objects.CompletedPart, len(in.Parts))
	for i, p := range in.Parts {
		parts[i] = objects.CompletedPart{Number: p.PartNumber, ETag: strings.Trim(p.ETag, `"`)}
	}
	o, err := a.svc.Complete(c.ctx, c.tenant, c.bucket, c.key, c.get("uploadId"), parts, c.caller())
	if err != nil {
		return err
	}
	return writeXML(c.w, http.StatusOK, completeResult{NS: s3NS, Location: "/" + c.bucket + "/" + c.key, Bucket: c.bucket, Key: c.key, ETag: `"` + o.ETag + `"`})
}

func (a *API) abortUpload(c *call) error {
	if err := c.authorize("s3:AbortMultipartUpload", c.bucket, c.key); err != nil {
		return err
	}
	if err := a.svc.Abort(c.ctx, c.tenant, c.bucket, c.key, c.get("uploadId")); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	NS                   string   `xml:"xmlns,attr"`
	Bucket               string   `xml:"Bucket"`
	Key                  string   `xml:"Key"`
	UploadID             string   `xml:"UploadId"`
	PartNumberMarker     int      `xml:"PartNumberMarker"`
	NextPartNumberMarker int      `xml:"NextPartNumberMarker"`
	MaxParts             int      `xml:"MaxParts"`
	IsTruncated          bool     `xml:"IsTruncated"`
	StorageClass         string   `xml:"StorageClass"`
	Parts                []partXM `xml:"Part"`
}

type partXM struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

func (a *API) listParts(c *call) error {
	if err := c.authorize("s3:ListMultipartUploadParts", c.bucket, c.key); err != nil {
		return err
	}
	after, _ := strconv.Atoi(c.get("part-number-marker"))
	max := 1000
	if v, err := strconv.Atoi(c.get("max-parts")); err == nil && v >= 0 {
		max = min(v, 1000)
	}
	id := c.get("uploadId")
	_, parts, truncated, err := a.svc.Parts(c.ctx, c.tenant, c.bucket, c.key, id, after, max)
	if err != nil {
		return err
	}
	out := listPartsResult{NS: s3NS, Bucket: c.bucket, Key: c.key, UploadID: id, PartNumberMarker: after, MaxParts: max, IsTruncated: truncated, StorageClass: "STANDARD"}
	for _, p := range parts {
		out.Parts = append(out.Parts, partXM{PartNumber: p.Number, LastModified: p.Modified.Format(timeISO), ETag: `"` + p.ETag + `"`, Size: p.Size})
		out.NextPartNumberMarker = p.Number
	}
	return writeXML(c.w, http.StatusOK, out)
}

type listUploadsResult struct {
	XMLName            xml.Name   `xml:"ListMultipartUploadsResult"`
	NS                 string     `xml:"xmlns,attr"`
	Bucket             string     `xml:"Bucket"`
	KeyMarker          string     `xml:"KeyMarker"`
	UploadIDMarker     string     `xml:"UploadIdMarker"`
	NextKeyMarker      string     `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string     `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string     `xml:"Prefix"`
	MaxUploads         int        `xml:"MaxUploads"`
	IsTruncated        bool       `xml:"IsTruncated"`
	Uploads            []uploadXM `xml:"Upload"`
}

type uploadXM struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiated    string `xml:"Initiated"`
	StorageClass string `xml:"StorageClass"`
	Owner        owner  `xml:"Owner"`
	Initiator    owner  `xml:"Initiator"`
}

func (a *API) listUploads(c *call) error {
	if err := c.authorize("s3:ListBucketMultipartUploads", c.bucket, ""); err != nil {
		return err
	}
	ups, err := a.svc.Uploads(c.ctx, c.tenant, c.bucket)
	if err != nil {
		return err
	}
	max := 1000
	if v, err := strconv.Atoi(c.get("max-uploads")); err == nil && v >= 0 {
		max = min(v, 1000)
	}
	prefix, keyMarker, idMarker := c.get("prefix"), c.get("key-marker"), c.get("upload-id-marker")
	out := listUploadsResult{NS: s3NS, Bucket: c.bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, Prefix: prefix, MaxUploads: max}
	passed := keyMarker == ""
	for _, u := range ups {
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		if !passed {
			if u.Key < keyMarker || u.Key == keyMarker && (idMarker == "" || u.ID <= idMarker) {
				continue
			}
			passed = true
		}
		if len(out.Uploads) == max {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, uploadXM{Key: u.Key, UploadID: u.ID, Initiated: u.Initiated.Format(timeISO), StorageClass: "STANDARD", Owner: c.owner(), Initiator: c.owner()})
		out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.ID
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return writeXML(c.w, http.StatusOK, out)
}
