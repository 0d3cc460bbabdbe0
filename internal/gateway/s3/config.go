package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/objects"
)

type notificationConfiguration struct {
	XMLName xml.Name         `xml:"NotificationConfiguration"`
	NS      string           `xml:"xmlns,attr,omitempty"`
	Topics  []notificationXM `xml:"TopicConfiguration"`
	Queues  []notificationXM `xml:"QueueConfiguration"`
	Lambdas []notificationXM `xml:"CloudFunctionConfiguration"`
	Bridge  *struct{}        `xml:"EventBridgeConfiguration"`
}

type notificationXM struct {
	ID            string       `xml:"Id,omitempty"`
	Topic         string       `xml:"Topic,omitempty"`
	Queue         string       `xml:"Queue,omitempty"`
	CloudFunction string       `xml:"CloudFunction,omitempty"`
	Events        []string     `xml:"Event"`
	Rules         []filterRule `xml:"Filter>S3Key>FilterRule,omitempty"`
}

type filterRule struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func toTargets(in []notificationXM, arn func(notificationXM) string) ([]objects.NotificationTarget, error) {
	var out []objects.NotificationTarget
	for _, n := range in {
		t := objects.NotificationTarget{ID: n.ID, ARN: arn(n), Events: n.Events}
		for _, r := range n.Rules {
			switch strings.ToLower(r.Name) {
			case "prefix":
				t.Prefix = r.Value
			case "suffix":
				t.Suffix = r.Value
			default:
				return nil, objects.InvalidArgument("filter rule name must be either prefix or suffix, not %q", r.Name)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func fromTargets(ts []objects.NotificationTarget, set func(*notificationXM, string)) []notificationXM {
	var out []notificationXM
	for _, t := range ts {
		n := notificationXM{ID: t.ID, Events: t.Events}
		set(&n, t.ARN)
		if t.Prefix != "" {
			n.Rules = append(n.Rules, filterRule{"Prefix", t.Prefix})
		}
		if t.Suffix != "" {
			n.Rules = append(n.Rules, filterRule{"Suffix", t.Suffix})
		}
		out = append(out, n)
	}
	return out
}

func (a *API) putNotification(c *call) error {
	if err := c.authorize("s3:PutBucketNotification", c.bucket, ""); err != nil {
		return err
	}
	var in notificationConfiguration
	if err := readXML(c, &in); err != nil {
		return err
	}
	if in.Bridge != nil {
		return notImplemented("EventBridgeConfiguration")
	}
	var cfg objects.NotificationConfig
	var err error
	if cfg.Lambda, err = toTargets(in.Lambdas, func(n notificationXM) string { return n.CloudFunction }); err != nil {
		return err
	}
	if cfg.Queue, err = toTargets(in.Queues, func(n notificationXM) string { return n.Queue }); err != nil {
		return err
	}
	if cfg.Topic, err = toTargets(in.Topics, func(n notificationXM) string { return n.Topic }); err != nil {
		return err
	}
	if err := a.svc.PutNotification(c.ctx, c.tenant, c.bucket, cfg); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getNotification(c *call) error {
	if err := c.authorize("s3:GetBucketNotification", c.bucket, ""); err != nil {
		return err
	}
	b, err := a.svc.Bucket(c.ctx, c.tenant, c.bucket)
	if err != nil {
		return err
	}
	out := notificationConfiguration{NS: s3NS}
	if n := b.Notification; n != nil {
		out.Lambdas = fromTargets(n.Lambda, func(x *notificationXM, arn string) { x.CloudFunction = arn })
		out.Queues = fromTargets(n.Queue, func(x *notificationXM, arn string) { x.Queue = arn })
		out.Topics = fromTargets(n.Topic, func(x *notificationXM, arn string) { x.Topic = arn })
	}
	return writeXML(c.w, http.StatusOK, out)
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Tags    []tagXM  `xml:"TagSet>Tag"`
}

type tagXM struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// parseTagging reads an x-amz-tagging header ("k1=v1&k2=v2").
func parseTagging(h string) (map[string]string, error) {
	if h == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(h)
	if err != nil {
		return nil, objects.InvalidArgument("x-amz-tagging is not a URL query: %v", err)
	}
	tags := map[string]string{}
	for k, v := range q {
		tags[k] = v[0]
	}
	return tags, nil
}

func (a *API) putTagging(c *call) error {
	if err := c.authorize("s3:PutObjectTagging", c.bucket, c.key); err != nil {
		return err
	}
	var in tagging
	if err := readXML(c, &in); err != nil {
		return err
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		if _, dup := tags[t.Key]; dup {
			return objects.InvalidArgument("Cannot provide multiple Tags with the same key: %s", t.Key)
		}
		tags[t.Key] = t.Value
	}
	if err := a.svc.PutTags(c.ctx, c.tenant, c.bucket, c.key, tags); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getTagging(c *call) error {
	if err := c.authorize("s3:GetObjectTagging", c.bucket, c.key); err != nil {
		return err
	}
	o, err := a.svc.Head(c.ctx, c.tenant, c.bucket, c.key)
	if err != nil {
		return err
	}
	out := tagging{NS: s3NS, Tags: []tagXM{}}
	keys := make([]string, 0, len(o.Tags))
	for k := range o.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Tags = append(out.Tags, tagXM{k, o.Tags[k]})
	}
	return writeXML(c.w, http.StatusOK, out)
}

func (a *API) deleteTagging(c *call) error {
	if err := c.authorize("s3:DeleteObjectTagging", c.bucket, c.key); err != nil {
		return err
	}
	if err := a.svc.PutTags(c.ctx, c.tenant, c.bucket, c.key, nil); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
