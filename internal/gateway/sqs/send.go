package sqs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// sendIn is SendMessage's input and one SendMessageBatch entry.
type sendIn struct {
	QueueURL                string `json:"QueueUrl"`
	ID                      string `json:"Id"` // batch entries
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]msgAttr
	MessageSystemAttributes map[string]msgAttr
	MessageDeduplicationID  string `json:"MessageDeduplicationId"`
	MessageGroupID          string `json:"MessageGroupId"`
}

type sendOut struct {
	ID                           string `json:"Id,omitempty" xml:"Id,omitempty"`
	MessageID                    string `json:"MessageId" xml:"MessageId"`
	MD5OfMessageBody             string `xml:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:",omitempty" xml:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty" xml:",omitempty"`
	SequenceNumber               string `json:",omitempty" xml:",omitempty"`
}

// storedAttrs is what Updraft stores as a message's attributes
// (queue.Message.Attributes): SQS's message attributes, its system
// attributes (AWSTraceHeader) and the sender's account id.
type storedAttrs struct {
	Attrs  map[string]msgAttr `json:"a,omitempty"`
	System map[string]msgAttr `json:"s,omitempty"`
	Sender string             `json:"sender,omitempty"`
}

func (a *API) sendMessage(c *call) (any, error) {
	var in sendIn
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
	msg, out, err := prepare(c, cfg, in)
	if err != nil {
		return nil, err
	}
	return a.store(c, id, cfg, msg, out, in.QueueURL)
}

// store sends a prepared message and completes its reply.
func (a *API) store(c *call, id queue.ID, cfg queue.Config, msg queue.Message, out sendOut, url string) (sendOut, error) {
	s, err := a.q.Store(c.ctx, id, msg)
	if err != nil {
		return sendOut{}, found(err, url)
	}
	out.MessageID = s.ID
	if cfg.FIFO {
		out.SequenceNumber = sequenceNumber(s.Seq)
	}
	return out, nil
}

// sequenceNumber is a FIFO message's SequenceNumber: the stream sequence
// as SQS's 20-digit decimal form.
func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// prepare validates one message to send and builds what to store.
func prepare(c *call, cfg queue.Config, in sendIn) (queue.Message, sendOut, error) {
	if in.MessageBody == nil || *in.MessageBody == "" {
		return queue.Message{}, sendOut{}, missingParameter("MessageBody")
	}
	body := *in.MessageBody
	if err := checkBody(body); err != nil {
		return queue.Message{}, sendOut{}, err
	}
	size := len(body)
	for name, at := range in.MessageAttributes {
		n, err := checkMessageAttribute(name, at)
		if err != nil {
			return queue.Message{}, sendOut{}, err
		}
		size += n
	}
	if len(in.MessageAttributes) > 10 {
		return queue.Message{}, sendOut{}, invalidParameter("A message can have at most 10 message attributes, not %d.", len(in.MessageAttributes))
	}
	for name, at := range in.MessageSystemAttributes {
		if name != "AWSTraceHeader" || at.DataType != "String" || deref(at.StringValue) == "" {
			return queue.Message{}, sendOut{}, invalidParameter("The message system attribute %s is not valid: the only one is AWSTraceHeader, of DataType String.", name)
		}
	}
	limit, _ := strconv.Atoi(effective(cfg)["MaximumMessageSize"])
	if size > limit {
		return queue.Message{}, sendOut{}, invalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes (this one has %d, body and attributes).", limit, size)
	}
	msg := queue.Message{Body: []byte(body), Group: in.MessageGroupID}
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 || *in.DelaySeconds > int(queue.MaxDelay/time.Second) {
			return queue.Message{}, sendOut{}, invalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: it must be from 0 to 900.", *in.DelaySeconds)
		}
		if cfg.FIFO {
			return queue.Message{}, sendOut{}, invalidParameter("The request include parameter that is not valid for this queue type: a FIFO queue has no per-message DelaySeconds (set the queue's DelaySeconds).")
		}
		d := time.Duration(*in.DelaySeconds) * time.Second
		msg.Delay = &d
	}
	if err := checkFIFOFields(cfg, in, &msg); err != nil {
		return queue.Message{}, sendOut{}, err
	}
	st := storedAttrs{Attrs: in.MessageAttributes, System: in.MessageSystemAttributes, Sender: fn.AccountID(c.tenant)}
	msg.Attributes, _ = json.Marshal(st)
	out := sendOut{
		ID:                           in.ID,
		MD5OfMessageBody:             md5Hex(body),
		MD5OfMessageAttributes:       md5OfAttributes(in.MessageAttributes),
		MD5OfMessageSystemAttributes: md5OfAttributes(in.MessageSystemAttributes),
	}
	return msg, out, nil
}

func checkFIFOFields(cfg queue.Config, in sendIn, msg *queue.Message) error {
	if !cfg.FIFO {
		if in.MessageDeduplicationID != "" {
			return invalidParameter("The request include parameter that is not valid for this queue type: MessageDeduplicationId is for FIFO queues only.")
		}
		return checkToken("MessageGroupId", in.MessageGroupID)
	}
	if in.MessageGroupID == "" {
		return missingParameter("MessageGroupId (every message of a FIFO queue belongs to a group)")
	}
	if err := checkToken("MessageGroupId", in.MessageGroupID); err != nil {
		return err
	}
	if err := checkToken("MessageDeduplicationId", in.MessageDeduplicationID); err != nil {
		return err
	}
	msg.DedupID = in.MessageDeduplicationID
	if msg.DedupID == "" {
		if effective(cfg)["ContentBasedDeduplication"] != "true" {
			return invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly.")
		}
		sum := sha256.Sum256(msg.Body)
		msg.DedupID = hex.EncodeToString(sum[:])
	}
	return nil
}

// checkToken validates a group or de-duplication id: up to 128 letters,
// digits and punctuation.
func checkToken(name, v string) error {
	if len(v) > 128 {
		return invalidParameter("%s %q is too long: at most 128 characters.", name, clip(v))
	}
	for _, r := range v {
		if r < '!' || r > '~' {
			return invalidParameter("%s %q can only contain letters, digits and punctuation (!\"#$%%&'()*+,-./:;<=>?@[\\]^_`{|}~).", name, clip(v))
		}
	}
	return nil
}

// checkBody refuses characters SQS refuses: a body is XML text (#x9, #xA,
// #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF).
func checkBody(body string) error {
	if !utf8.ValidString(body) {
		return sqsErr(codeInvalidContents, "Invalid binary character: the message body must be UTF-8 text (send binary data base64-encoded).")
	}
	for i, r := range body {
		if r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			continue
		}
		return sqsErr(codeInvalidContents, "Invalid binary character '#x%X' at byte %d of the message body: SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.", r, i)
	}
	return nil
}

// checkMessageAttribute validates one message attribute and returns its
// size (name, type and value).
func checkMessageAttribute(name string, a msgAttr) (int, error) {
	lower := strings.ToLower(name)
	if name == "" || len(name) > 256 || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
		strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return 0, invalidParameter("The message attribute name %q is not valid: up to 256 letters, digits, '_', '-' and '.', not starting with AWS. or Amazon., no leading, trailing or doubled '.'.", clip(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return 0, invalidParameter("The message attribute name %q is not valid: it can only contain letters, digits, '_', '-' and '.'.", clip(name))
		}
	}
	if a.DataType == "" {
		return 0, invalidParameter("The message attribute '%s' must contain a non-empty message attribute type.", name)
	}
	base := baseType(a.DataType)
	switch base {
	case "String", "Number":
		if deref(a.StringValue) == "" {
			return 0, invalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
		}
		if len(a.BinaryValue) > 0 {
			return 0, invalidParameter("The message attribute '%s' with type '%s' must use field 'String'.", name, base)
		}
		if base == "Number" {
			if _, ok := new(big.Float).SetString(*a.StringValue); !ok {
				return 0, invalidParameter("Can't cast the value of message (user) attribute '%s' to a number: %q.", name, clip(*a.StringValue))
			}
		} else if err := checkBody(*a.StringValue); err != nil {
			return 0, invalidParameter("The message attribute '%s' has characters SQS does not accept.", name)
		}
		return len(name) + len(a.DataType) + len(*a.StringValue), nil
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return 0, invalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
		}
		if a.StringValue != nil {
			return 0, invalidParameter("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
		}
		return len(name) + len(a.DataType) + len(a.BinaryValue), nil
	}
	return 0, invalidParameter("The type of message (user) attribute '%s' is invalid: %q. Use String, Number or Binary, optionally with a custom suffix (Number.int).", name, a.DataType)
}
