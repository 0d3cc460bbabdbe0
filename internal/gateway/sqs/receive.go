package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/queue"
)

type messageOut struct {
	MessageID              string     `json:"MessageId" xml:"MessageId"`
	ReceiptHandle          string     `xml:"ReceiptHandle"`
	MD5OfBody              string     `xml:"MD5OfBody"`
	Body                   string     `xml:"Body"`
	Attributes             attrMap    `json:",omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string     `json:",omitempty" xml:",omitempty"`
	MessageAttributes      msgAttrMap `json:",omitempty" xml:"MessageAttribute,omitempty"`
}

type receiveOut struct {
	Messages []messageOut `json:",omitempty" xml:"Message"`
}

// systemAttributes are the message system attributes ReceiveMessage can
// return.
var systemAttributes = []string{"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"}

func (a *API) receiveMessage(c *call) (any, error) {
	var in struct {
		QueueURL                    string `json:"QueueUrl"`
		AttributeNames              []string
		MessageSystemAttributeNames []string
		MessageAttributeNames       []string
		MaxNumberOfMessages         *int
		VisibilityTimeout           *int
		WaitTimeSeconds             *int
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	for _, n := range in.MessageSystemAttributeNames {
		if n != "All" && !contains(systemAttributes, n) {
			return nil, invalidAttributeName(n)
		}
	}
	opt := queue.ReceiveOptions{Max: 1}
	if n := in.MaxNumberOfMessages; n != nil {
		if *n < 1 || *n > 10 {
			return nil, invalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *n)
		}
		opt.Max = *n
	}
	cfg, err := a.q.Get(c.ctx, id)
	if err != nil {
		return nil, found(err, in.QueueURL)
	}
	attrs := effective(cfg)
	wait, _ := strconv.Atoi(attrs["ReceiveMessageWaitTimeSeconds"])
	if in.WaitTimeSeconds != nil {
		if *in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20 {
			return nil, invalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
		}
		wait = *in.WaitTimeSeconds
	}
	opt.Wait = time.Duration(wait) * time.Second
	if in.VisibilityTimeout != nil {
		if err := checkVisibility(in.VisibilityTimeout); err != nil {
			return nil, err
		}
		v := time.Duration(*in.VisibilityTimeout) * time.Second
		opt.Visibility = &v
	} else if attrs["VisibilityTimeout"] == "0" {
		var zero time.Duration
		opt.Visibility = &zero
	}
	got, err := a.q.Receive(c.ctx, id, opt)
	if err != nil {
		if errors.Is(err, context.Canceled) && c.ctx.Err() != nil {
			return receiveOut{}, nil // the client went away during a long poll
		}
		return nil, found(err, in.QueueURL)
	}
	sys := wanted(append(in.AttributeNames, in.MessageSystemAttributeNames...))
	out := receiveOut{Messages: make([]messageOut, 0, len(got))}
	now := time.Now()
	for _, d := range got {
		out.Messages = append(out.Messages, message(d, cfg.FIFO, sys, in.MessageAttributeNames, now))
	}
	return out, nil
}

// wanted is the set of names asked for; "All" asks for all.
func wanted(names []string) func(string) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(n string) bool { return set["All"] || set[n] }
}

// message is a delivery as ReceiveMessage returns it.
func message(d queue.Delivery, fifo bool, sys func(string) bool, attrNames []string, now time.Time) messageOut {
	var st storedAttrs
	_ = json.Unmarshal(d.Attributes, &st) // none or not SQS's: no attributes
	m := messageOut{MessageID: d.ID, ReceiptHandle: d.Handle, MD5OfBody: md5Hex(string(d.Body)), Body: string(d.Body)}
	all := attrMap{
		"SenderId":                st.Sender,
		"SentTimestamp":           strconv.FormatInt(d.Sent.UnixMilli(), 10),
		"ApproximateReceiveCount": strconv.Itoa(d.Receives),
	}
	if d.Receives == 1 {
		all["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(now.UnixMilli(), 10)
	}
	if fifo {
		all["MessageGroupId"] = d.Group
		all["MessageDeduplicationId"] = d.DedupID
		all["SequenceNumber"] = sequenceNumber(d.Seq)
	}
	if th := st.System["AWSTraceHeader"]; th.StringValue != nil {
		all["AWSTraceHeader"] = *th.StringValue
	}
	for k, v := range all {
		if v != "" && sys(k) {
			if m.Attributes == nil {
				m.Attributes = attrMap{}
			}
			m.Attributes[k] = v
		}
	}
	for name, at := range st.Attrs {
		if attributeWanted(name, attrNames) {
			if m.MessageAttributes == nil {
				m.MessageAttributes = msgAttrMap{}
			}
			m.MessageAttributes[name] = at
		}
	}
	m.MD5OfMessageAttributes = md5OfAttributes(m.MessageAttributes)
	return m
}

// attributeWanted matches a message attribute's name against
// MessageAttributeNames: "All", ".*", "prefix.*" or the exact name.
func attributeWanted(name string, filters []string) bool {
	for _, f := range filters {
		switch {
		case f == "All" || f == ".*":
			return true
		case strings.HasSuffix(f, ".*"):
			if strings.HasPrefix(name, strings.TrimSuffix(f, "*")) {
				return true
			}
		case f == name:
			return true
		}
	}
	return false
}

func checkVisibility(v *int) error {
	if v == nil {
		return missingParameter("VisibilityTimeout")
	}
	if *v < 0 || *v > int(queue.MaxVisibility/time.Second) {
		return invalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: it must be from 0 to 43200 seconds (12 hours).", *v)
	}
	return nil
}

func (a *API) deleteMessage(c *call) (any, error) {
	var in struct {
		QueueURL      string `json:"QueueUrl"`
		ReceiptHandle string
	}
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
	return nil, a.settle(c, id, in.ReceiptHandle, nil)
}

func (a *API) changeVisibility(c *call) (any, error) {
	var in struct {
		QueueURL          string `json:"QueueUrl"`
		ReceiptHandle     string
		VisibilityTimeout *int
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	id, err := c.queueOf(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkVisibility(in.VisibilityTimeout); err != nil {
		return nil, err
	}
	if _, err := a.q.Get(c.ctx, id); err != nil {
		return nil, found(err, in.QueueURL)
	}
	return nil, a.settle(c, id, in.ReceiptHandle, in.VisibilityTimeout)
}

// settleTimeout bounds waiting for the store to confirm a settle.
const settleTimeout = 5 * time.Second

// settle deletes the message of handle (visibility nil) or changes its
// visibility timeout.
func (a *API) settle(c *call, id queue.ID, handle string, visibility *int) error {
	if handle == "" {
		return missingParameter("ReceiptHandle")
	}
	ctx, cancel := context.WithTimeout(c.ctx, settleTimeout)
	defer cancel()
	var err error
	if visibility == nil {
		err = a.q.Ack(ctx, id, handle)
	} else {
		err = a.q.ChangeVisibility(ctx, id, handle, time.Duration(*visibility)*time.Second)
	}
	if errors.Is(err, queue.ErrBadHandle) {
		return badHandle(handle)
	}
	return err
}
