package sqs

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/queue"
)

// API serves SQS's actions for the tenant the gateway authenticated.
type API struct {
	q   *queue.Manager
	log *slog.Logger
}

// New returns the SQS API over q.
func New(q *queue.Manager, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{q: q, log: log.With("component", "sqs")}
}

// call is one request: its tenant, the host its queue URLs name, and
// its input in the JSON protocol's shape.
type call struct {
	ctx    context.Context
	tenant string
	base   string // http://HOST/ACCOUNT/
	action string
	in     []byte
}

// decode unmarshals the input into v; a shape error is the client's.
func (c *call) decode(v any) error {
	if len(c.in) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.in, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalidParameter("The value of parameter %s has the wrong type: want %s.", te.Field, te.Type)
		}
		return sqsErr(codeInvalidParameter, "The request body is not valid JSON: %v", err)
	}
	return nil
}

type action func(a *API, c *call) (any, error)

// actions are the supported actions by name.
var actions = map[string]action{
	"CreateQueue":                  (*API).createQueue,
	"GetQueueUrl":                  (*API).getQueueURL,
	"ListQueues":                   (*API).listQueues,
	"DeleteQueue":                  (*API).deleteQueue,
	"PurgeQueue":                   (*API).purgeQueue,
	"GetQueueAttributes":           (*API).getQueueAttributes,
	"SetQueueAttributes":           (*API).setQueueAttributes,
	"ListDeadLetterSourceQueues":   (*API).listDeadLetterSources,
	"TagQueue":                     (*API).tagQueue,
	"UntagQueue":                   (*API).untagQueue,
	"ListQueueTags":                (*API).listQueueTags,
	"SendMessage":                  (*API).sendMessage,
	"SendMessageBatch":             (*API).sendMessageBatch,
	"ReceiveMessage":               (*API).receiveMessage,
	"DeleteMessage":                (*API).deleteMessage,
	"DeleteMessageBatch":           (*API).deleteMessageBatch,
	"ChangeMessageVisibility":      (*API).changeVisibility,
	"ChangeMessageVisibilityBatch": (*API).changeVisibilityBatch,
}

// maxBody bounds a request: ten messages of 256 KiB, escaped.
const maxBody = 4 << 20

// Serve is the gateway's handler for SQS requests (wire.TenantHandler).
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	if wire.RequestID(w) == "" {
		wire.SetRequestID(w)
	}
	target := r.Header.Get("X-Amz-Target")
	query := target == ""
	c := &call{ctx: r.Context(), tenant: tenant, base: baseURL(r, tenant)}
	var err error
	if query {
		c.action, c.in, err = readQuery(r)
	} else {
		c.action = strings.TrimPrefix(target, "AmazonSQS.")
		c.in, err = wire.ReadLimited(http.MaxBytesReader(w, r.Body, maxBody), nil, maxBody)
		if errors.Is(err, wire.ErrTooLarge) {
			err = sqsErr(codeBatchTooLong, "The request is larger than %d bytes.", maxBody)
		}
	}
	if err != nil {
		writeError(w, a.log, query, err)
		return
	}
	act, ok := actions[c.action]
	if !ok {
		writeError(w, a.log, query, sqsErr(codeInvalidAction, "The action %s is not valid for this endpoint: Updraft's SQS serves %s.", c.action, strings.Join(actionNames(), ", ")))
		return
	}
	if err := authorize(r, c); err != nil {
		writeError(w, a.log, query, err)
		return
	}
	out, err := act(a, c)
	if err != nil {
		writeError(w, a.log, query, err)
		return
	}
	if !query {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusOK)
		if out == nil {
			out = struct{}{}
		}
		writeJSONBody(w, out)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	writeXMLBody(w, envelope{action: c.action, result: out, requestID: wire.RequestID(w)})
}

// authorize checks the caller's permissions for the action on the queue it
// names (QueueUrl or QueueName), "*" for the account-wide actions.
func authorize(r *http.Request, c *call) error {
	if wire.PrincipalOf(r.Context()).Unrestricted() {
		return nil
	}
	var in struct{ QueueUrl, QueueName string }
	if len(c.in) > 0 {
		_ = json.Unmarshal(c.in, &in) // a malformed input fails in the action
	}
	name := in.QueueName
	if in.QueueUrl != "" {
		name = path.Base(in.QueueUrl)
	}
	if name == "" {
		name = "*"
	}
	return wire.Authorize(r, "sqs:"+c.action, "arn:aws:sqs:"+fn.Region+":"+fn.AccountID(c.tenant)+":"+name)
}

func actionNames() []string {
	out := make([]string, 0, len(actions))
	for n := range actions {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// baseURL is the prefix of the tenant's queue URLs on this endpoint.
func baseURL(r *http.Request, tenant string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + fn.AccountID(tenant) + "/"
}

func writeJSONBody(w io.Writer, v any) {
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func writeXMLBody(w io.Writer, v any) {
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// envelope is a query protocol reply: <ActionResponse><ActionResult>…
type envelope struct {
	action    string
	result    any
	requestID string
}

const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/"

func (e envelope) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: e.action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if e.result != nil {
		if err := enc.EncodeElement(e.result, xml.StartElement{Name: xml.Name{Local: e.action + "Result"}}); err != nil {
			return err
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{e.requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	return enc.EncodeToken(start.End())
}
