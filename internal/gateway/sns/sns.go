package sns

import (
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/topic"
)

// Namespace is the XML namespace of SNS's replies.
const Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// maxBody bounds a request: PublishBatch's 256 KiB of messages, form-encoded.
const maxBody = 2 << 20

// API serves the SNS query protocol over a topic.Service.
type API struct {
	svc *topic.Service
	log *slog.Logger
}

// New returns the adapter.
func New(svc *topic.Service, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{svc: svc, log: log.With("component", "sns")}
}

// op is one action: it reads the form and returns the Result element's
// value (a struct with its XMLName set), or nil for an empty result.
type op func(r *http.Request, tenant string, f url.Values) (any, error)

func (a *API) ops() map[string]op {
	return map[string]op{
		"CreateTopic": a.createTopic, "DeleteTopic": a.deleteTopic, "ListTopics": a.listTopics,
		"GetTopicAttributes": a.getTopicAttributes, "SetTopicAttributes": a.setTopicAttributes,
		"Subscribe": a.subscribe, "ConfirmSubscription": a.confirmSubscription, "Unsubscribe": a.unsubscribe,
		"ListSubscriptions": a.listSubscriptions, "ListSubscriptionsByTopic": a.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": a.getSubscriptionAttributes, "SetSubscriptionAttributes": a.setSubscriptionAttributes,
		"Publish": a.publish, "PublishBatch": a.publishBatch,
		"TagResource": a.tagResource, "UntagResource": a.untagResource, "ListTagsForResource": a.listTagsForResource,
	}
}

// Serve is the gateway's handler for requests signed for "sns".
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		a.fail(w, fn.InvalidParameter("the request is not a form (Action=...&...) of at most %d bytes: %v", maxBody, err))
		return
	}
	action := r.Form.Get("Action")
	o, ok := a.ops()[action]
	if !ok {
		a.fail(w, fn.Errorf(http.StatusBadRequest, fn.TypeUnknownOperation,
			"The action %q is not valid for this endpoint: Updraft's SNS serves %s", action, strings.Join(a.actions(), ", ")))
		return
	}
	if err := authorize(r, tenant, action); err != nil {
		a.fail(w, err)
		return
	}
	res, err := o(r, tenant, r.Form)
	if err != nil {
		a.fail(w, err)
		return
	}
	if res == nil {
		// An empty result element: SDKs look for it even when the
		// operation returns nothing (TagResource, SetTopicAttributes, …).
		res = struct{ XMLName xml.Name }{xml.Name{Local: action + "Result"}}
	}
	writeXML(w, http.StatusOK, envelope{
		XMLName: xml.Name{Local: action + "Response"}, Xmlns: Namespace, Result: res, RequestID: wire.RequestID(w),
	})
}

// authorize checks the caller's permissions for action on the topic it
// names (TopicArn, or the topic of SubscriptionArn / ResourceArn; Name for
// CreateTopic), "*" for the account-wide actions.
func authorize(r *http.Request, tenant, action string) error {
	if wire.PrincipalOf(r.Context()).Unrestricted() {
		return nil
	}
	arn := r.Form.Get("TopicArn")
	for _, k := range []string{"ResourceArn", "SubscriptionArn"} {
		if v := r.Form.Get(k); arn == "" && v != "" {
			arn = v
		}
	}
	if arn == "" {
		name := r.Form.Get("Name")
		if name == "" {
			name = "*"
		}
		arn = "arn:aws:sns:" + fn.Region + ":" + fn.AccountID(tenant) + ":" + name
	}
	if parts := strings.Split(arn, ":"); len(parts) == 7 { // a subscription: its topic
		arn = strings.Join(parts[:6], ":")
	}
	return wire.Authorize(r, "sns:"+action, arn)
}

func (a *API) actions() []string {
	var out []string
	for k := range a.ops() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type envelope struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	Result    any
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type errorEnvelope struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// SNS error codes (the awsQueryError codes SDKs resolve).
const (
	codeInvalidAction = "InvalidAction"
	codeNotFound      = "NotFound"
	codeInvalidParam  = "InvalidParameter"
	codeAuthorization = "AuthorizationError"
	codeThrottled     = "Throttled"
	codeInternal      = "InternalError"
)

// code maps the fn catalogue's types to SNS's error codes.
func code(e *fn.Error) string {
	switch e.Type {
	case fn.TypeUnknownOperation:
		return codeInvalidAction
	case fn.TypeResourceNotFound:
		return codeNotFound
	case fn.TypeInvalidParameterValue, fn.TypeValidation, fn.TypeRequestTooLarge, fn.TypeRequestEntityTooLarge, fn.TypeInvalidRequestContent:
		return codeInvalidParam
	case fn.TypeAccessDenied:
		return codeAuthorization
	case fn.TypeTooManyRequests:
		return codeThrottled
	}
	if e.Status >= 500 {
		return codeInternal
	}
	return codeInvalidParam
}

func (a *API) fail(w http.ResponseWriter, err error) {
	e := fn.AsError(err)
	kind := "Sender"
	status := e.Status
	c := code(e)
	switch c {
	case codeInvalidParam:
		status = http.StatusBadRequest
	case codeInternal:
		kind = "Receiver"
		a.log.Error("request failed", "err", err, "request_id", wire.RequestID(w))
	}
	writeXML(w, status, errorEnvelope{Xmlns: Namespace, Type: kind, Code: c, Message: e.Message, RequestID: wire.RequestID(w)})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// entry is one key/value pair of an attribute map.
type entry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func entries(m map[string]string) []entry {
	out := make([]entry, 0, len(m))
	for k, v := range m {
		out = append(out, entry{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// indexed returns the distinct "prefix.N." prefixes present in f, by N.
func indexed(f url.Values, prefix string) []string {
	seen := map[int]bool{}
	for k := range f {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			seen[i] = true
		}
	}
	var idx []int
	for i := range seen {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = prefix + "." + strconv.Itoa(n) + "."
	}
	return out
}

// attributeMap reads NAME.entry.N.key/value.
func attributeMap(f url.Values, name string) map[string]string {
	out := map[string]string{}
	for _, p := range indexed(f, name+".entry") {
		out[f.Get(p+"key")] = f.Get(p + "value")
	}
	return out
}

// tags reads NAME.member.N.Key/Value.
func tags(f url.Values, name string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range indexed(f, name+".member") {
		k := f.Get(p + "Key")
		if k == "" || len(k) > 128 || len(f.Get(p+"Value")) > 256 {
			return nil, fn.InvalidParameter("Invalid parameter: Tags: a tag key is 1 to 128 characters and its value at most 256")
		}
		out[k] = f.Get(p + "Value")
	}
	if len(out) > 50 {
		return nil, fn.InvalidParameter("Invalid parameter: Tags: at most 50 tags per resource")
	}
	return out, nil
}

func required(f url.Values, names ...string) error {
	for _, n := range names {
		if f.Get(n) == "" {
			return fn.InvalidParameter("Invalid parameter: %s: the parameter %s is required", n, n)
		}
	}
	return nil
}

// UnsignedActions are the actions ServeUnsigned answers.
var UnsignedActions = []string{"ConfirmSubscription"}

// ServeUnsigned answers an unsigned GET of a SubscribeURL
// ("/?Action=ConfirmSubscription&TopicArn=...&Token=..."): the token is
// the secret, as with SNS, and the subscription's
// ConfirmationWasAuthenticated stays false.
func (a *API) ServeUnsigned(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := required(q, "TopicArn", "Token"); err != nil {
		a.fail(w, err)
		return
	}
	sub, err := a.svc.ConfirmByToken(r.Context(), q.Get("TopicArn"), q.Get("Token"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeXML(w, http.StatusOK, envelope{
		XMLName: xml.Name{Local: "ConfirmSubscriptionResponse"}, Xmlns: Namespace, RequestID: wire.RequestID(w),
		Result: subscriptionARNResult{XMLName: xml.Name{Local: "ConfirmSubscriptionResult"}, SubscriptionArn: sub.ARN},
	})
}
