package sqs

import (
	"encoding/base64"
	"errors"
	"slices"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

type queueURLOut struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

func (a *API) createQueue(c *call) (any, error) {
	var in struct {
		QueueName  string
		Attributes map[string]string
		Tags       map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, missingParameter("QueueName")
	}
	if err := checkQueueName(in.QueueName); err != nil {
		return nil, err
	}
	fifo := in.Attributes["FifoQueue"] == "true"
	if isFIFO := len(in.QueueName) > 5 && in.QueueName[len(in.QueueName)-5:] == ".fifo"; isFIFO != fifo {
		if isFIFO {
			return nil, invalidParameter("The queue %s ends in .fifo: a FIFO queue needs the attribute FifoQueue=true (updraft queue create --fifo).", in.QueueName)
		}
		return nil, invalidParameter("A FIFO queue's name must end in .fifo: name it %s.fifo.", in.QueueName)
	}
	attrs, err := c.checkAttributes(in.Attributes, fifo, true)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	id := queue.ID{Tenant: c.tenant, Name: in.QueueName}
	if old, err := a.q.Get(c.ctx, id); err == nil {
		return a.existing(c, id, old, attrs)
	} else if !isNotFound(err) {
		return nil, err
	}
	if err := a.checkDeadLetter(c, attrs); err != nil {
		return nil, err
	}
	cfg := queue.Config{Attributes: attrs, Tags: in.Tags}
	if err := c.apply(&cfg); err != nil {
		return nil, err
	}
	if _, err := a.q.Create(c.ctx, id, cfg); errors.Is(err, queue.ErrExists) {
		old, err := a.q.Get(c.ctx, id) // created meanwhile
		if err != nil {
			return nil, err
		}
		return a.existing(c, id, old, attrs)
	} else if err != nil {
		return nil, err
	}
	a.log.Info("queue created", "tenant", c.tenant, "queue", id.Name, "fifo", fifo)
	return queueURLOut{c.queueURL(id.Name)}, nil
}

// existing answers CreateQueue for a queue that exists: its URL when
// every attribute given has the value the queue has.
func (a *API) existing(c *call, id queue.ID, old queue.Config, attrs map[string]string) (any, error) {
	have := effective(old)
	for k, v := range attrs {
		if have[k] != v {
			return nil, sqsErr(codeQueueNameExists, "A queue named %s already exists with a different value for the attribute %s (%q, not %q): use SetQueueAttributes to change it.", id.Name, k, have[k], v)
		}
	}
	return queueURLOut{c.queueURL(id.Name)}, nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > 50 {
		return sqsErr(codeOverLimit, "A queue can have at most 50 tags, not %d.", len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return invalidParameter("The tag %q=%q is not valid: a key has 1 to 128 characters, a value at most 256.", k, v)
		}
	}
	return nil
}

func (a *API) getQueueURL(c *call) (any, error) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, missingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountID != "" && in.QueueOwnerAWSAccountID != fn.AccountID(c.tenant) {
		return nil, noSuchQueue(in.QueueName)
	}
	if checkQueueName(in.QueueName) != nil {
		return nil, noSuchQueue(in.QueueName)
	}
	if _, err := a.q.Get(c.ctx, queue.ID{Tenant: c.tenant, Name: in.QueueName}); err != nil {
		return nil, found(err, in.QueueName)
	}
	return queueURLOut{c.queueURL(in.QueueName)}, nil
}

type listQueuesOut struct {
	QueueURLs []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:",omitempty" xml:",omitempty"`
}

func (a *API) listQueues(c *call) (any, error) {
	var in struct {
		QueueNamePrefix string
		MaxResults      *int
		NextToken       string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, invalidParameter("Value %d for parameter MaxResults is invalid. Reason: it must be from 1 to 1000.", *in.MaxResults)
		}
		limit = *in.MaxResults
	} else if in.NextToken != "" {
		return nil, invalidParameter("NextToken needs MaxResults.")
	}
	after := ""
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, invalidParameter("Invalid NextToken: pass the NextToken of the previous ListQueues reply unchanged.")
		}
		after = string(b)
	}
	ids, err := a.q.List(c.ctx, c.tenant, in.QueueNamePrefix)
	if err != nil {
		return nil, err
	}
	out := listQueuesOut{}
	for _, id := range ids {
		if id.Name <= after || checkQueueName(id.Name) != nil {
			continue // before the page, or not an SQS queue (lambda-async:…)
		}
		if len(out.QueueURLs) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(lastName(out.QueueURLs)))
			break
		}
		out.QueueURLs = append(out.QueueURLs, c.queueURL(id.Name))
	}
	return out, nil
}

func lastName(urls []string) string {
	u := urls[len(urls)-1]
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == '/' {
			return u[i+1:]
		}
	}
	return u
}

type queueURLIn struct {
	QueueURL string `json:"QueueUrl"`
}

func (a *API) deleteQueue(c *call) (any, error) {
	var in queueURLIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := a.q.Delete(c.ctx, id); err != nil {
		return nil, found(err, in.QueueURL)
	}
	a.log.Info("queue deleted", "tenant", c.tenant, "queue", id.Name)
	return nil, nil
}

func (a *API) purgeQueue(c *call) (any, error) {
	var in queueURLIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, found(a.q.Purge(c.ctx, id), in.QueueURL)
}

type attributesOut struct {
	Attributes attrMap `json:",omitempty" xml:"Attribute,omitempty"`
}

func (a *API) getQueueAttributes(c *call) (any, error) {
	var in struct {
		QueueURL       string `json:"QueueUrl"`
		AttributeNames []string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	cfg, err := a.q.Get(c.ctx, id)
	if err != nil {
		return nil, found(err, in.QueueURL)
	}
	all := effective(cfg)
	all["QueueArn"] = queueARN(c.tenant, id.Name)
	all["CreatedTimestamp"] = strconv.FormatInt(cfg.Created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(cfg.Modified.Unix(), 10)
	want := map[string]bool{}
	for _, n := range in.AttributeNames {
		if n != "All" && all[n] == "" && !slices.Contains(readOnly, n) && !isAttributeName(n) {
			return nil, invalidAttributeName(n)
		}
		want[n] = true
	}
	if want["All"] || want["ApproximateNumberOfMessages"] || want["ApproximateNumberOfMessagesNotVisible"] || want["ApproximateNumberOfMessagesDelayed"] {
		st, err := a.q.Stats(c.ctx, id)
		if err != nil {
			return nil, found(err, in.QueueURL)
		}
		all["ApproximateNumberOfMessages"] = strconv.Itoa(st.Visible)
		all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(st.InFlight)
		all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(st.Delayed)
	}
	out := attrMap{}
	for k, v := range all {
		if want["All"] || want[k] {
			out[k] = v
		}
	}
	return attributesOut{out}, nil
}

// isAttributeName says whether n is one of SQS's queue attributes.
func isAttributeName(n string) bool {
	_, isInt := intAttributes[n]
	return isInt || n == "RedrivePolicy" || n == "FifoQueue" || contains(fifoOnly, n) || contains(storedAsGiven, n) || contains(readOnly, n)
}

func (a *API) setQueueAttributes(c *call) (any, error) {
	var in struct {
		QueueURL   string `json:"QueueUrl"`
		Attributes map[string]string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, missingParameter("Attributes")
	}
	cfg, err := a.q.Get(c.ctx, id)
	if err != nil {
		return nil, found(err, in.QueueURL)
	}
	attrs, err := c.checkAttributes(in.Attributes, cfg.FIFO, false)
	if err != nil {
		return nil, err
	}
	if err := a.checkDeadLetter(c, attrs); err != nil {
		return nil, err
	}
	_, err = a.q.Update(c.ctx, id, func(cfg *queue.Config) error {
		if cfg.Attributes == nil {
			cfg.Attributes = map[string]string{}
		}
		for k, v := range attrs {
			cfg.Attributes[k] = v
		}
		return c.apply(cfg)
	})
	return nil, found(err, in.QueueURL)
}

func (a *API) listDeadLetterSources(c *call) (any, error) {
	var in queueURLIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if _, err := a.q.Get(c.ctx, id); err != nil {
		return nil, found(err, in.QueueURL)
	}
	ids, err := a.q.List(c.ctx, c.tenant, "")
	if err != nil {
		return nil, err
	}
	out := struct {
		QueueURLs []string `json:"queueUrls" xml:"QueueUrl"`
	}{QueueURLs: []string{}}
	for _, src := range ids {
		if cfg, err := a.q.Get(c.ctx, src); err == nil && cfg.DeadLetter == id.Name {
			out.QueueURLs = append(out.QueueURLs, c.queueURL(src.Name))
		}
	}
	return out, nil
}

func (a *API) tagQueue(c *call) (any, error) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		Tags     map[string]string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, missingParameter("Tags")
	}
	_, err = a.q.Update(c.ctx, id, func(cfg *queue.Config) error {
		if cfg.Tags == nil {
			cfg.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			cfg.Tags[k] = v
		}
		return checkTags(cfg.Tags)
	})
	return nil, found(err, in.QueueURL)
}

func (a *API) untagQueue(c *call) (any, error) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		TagKeys  []string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, missingParameter("TagKeys")
	}
	_, err = a.q.Update(c.ctx, id, func(cfg *queue.Config) error {
		for _, k := range in.TagKeys {
			delete(cfg.Tags, k)
		}
		return nil
	})
	return nil, found(err, in.QueueURL)
}

func (a *API) listQueueTags(c *call) (any, error) {
	var in queueURLIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	cfg, err := a.q.Get(c.ctx, id)
	if err != nil {
		return nil, found(err, in.QueueURL)
	}
	return struct {
		Tags tagMap `json:",omitempty" xml:"Tag,omitempty"`
	}{tagMap(cfg.Tags)}, nil
}
