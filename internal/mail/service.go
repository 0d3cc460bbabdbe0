package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// MessagesBucket is the JetStream object store keeping raw messages, one
// object per (tenant, message) named "TENANT/MESSAGE_ID". It is the
// receipt action's bucketName; when S3-compatible object storage lands the
// messages move to a bucket of that name.
const MessagesBucket = "MAIL_MESSAGES"

// Defaults.
const (
	DefaultMaxBytes = 10 << 20 // SES's limit for a Lambda action is 30 MB with S3
	// MaxRecipients is SES's limit of recipients per message.
	MaxRecipients = 50
	// MessageRetention is how long a raw message is kept.
	MessageRetention = 30 * 24 * time.Hour
)

// AsyncInvoker stores an asynchronous invocation durably (the queue
// spine); requestID de-duplicates a repeated one.
type AsyncInvoker interface {
	InvokeAsync(ctx context.Context, tenant, function, qualifier, requestID string, payload []byte) error
}

// Config wires the service.
type Config struct {
	Store   *store.Store
	Invoker AsyncInvoker
	// Function looks a function up; routes are made only to existing ones.
	Function func(ctx context.Context, tenant, name string) (*fn.Function, error)
	Log      *slog.Logger
}

// Service owns the mail routes, the stored messages and their delivery to
// functions; the SMTP server (smtp.go) feeds it.
type Service struct {
	cfg    Config
	routes *Routes
	msgs   jetstream.ObjectStore
	log    *slog.Logger
}

// Open opens the routes and the message store.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Invoker == nil || cfg.Function == nil {
		return nil, errors.New("mail: no store, invoker or function lookup")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	routes, err := OpenRoutes(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	msgs, err := cfg.Store.Objects(ctx, jetstream.ObjectStoreConfig{
		Bucket: MessagesBucket, Description: "raw inbound mail messages", TTL: MessageRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: messages: %w", err)
	}
	return &Service{cfg: cfg, routes: routes, msgs: msgs, log: log.With("component", "mail")}, nil
}

// Routes is the route store.
func (s *Service) Routes() *Routes { return s.routes }

// AddRoute routes a recipient of tenant to function[:qualifier], replacing
// the tenant's route of that recipient; a recipient another tenant routes
// is a conflict.
func (s *Service) AddRoute(ctx context.Context, tenant, recipient, function, qualifier string) (*Route, error) {
	rcpt, err := NormalizeRecipient(recipient)
	if err != nil {
		return nil, err
	}
	if err := checkQualifier(qualifier); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Function(ctx, tenant, function); err != nil {
		return nil, err
	}
	r := Route{Recipient: rcpt, Tenant: tenant, Function: function, Qualifier: qualifier}
	if err := s.routes.put(ctx, r, func(*Route) error { return nil }); err != nil {
		return nil, err
	}
	got, _, err := s.routes.get(ctx, rcpt)
	if err != nil {
		return nil, err
	}
	if got == nil || got.Tenant != tenant {
		return nil, routeNotFound(rcpt) // removed meanwhile
	}
	s.log.Info("mail route added", "tenant", tenant, "recipient", rcpt, "fn", function, "qualifier", qualifier)
	return got, nil
}

// checkQualifier accepts "" (the unqualified function), $LATEST, a
// version number or an alias name.
func checkQualifier(q string) error {
	if q == "" || q == fn.LatestVersion || strings.Trim(q, "0123456789") == "" {
		return nil
	}
	if err := fn.ValidateAliasName(q); err != nil {
		return fn.InvalidParameter("qualifier %q: %v: use a version number or an alias", q, err)
	}
	return nil
}

// RemoveRoute deletes tenant's route of recipient.
func (s *Service) RemoveRoute(ctx context.Context, tenant, recipient string) error {
	rcpt, err := NormalizeRecipient(recipient)
	if err != nil {
		return err
	}
	return s.routes.delete(ctx, tenant, rcpt, func(*Route) bool { return true })
}

// ListRoutes returns tenant's routes.
func (s *Service) ListRoutes(ctx context.Context, tenant string) ([]Route, error) {
	return s.routes.List(ctx, tenant)
}

// Message returns tenant's stored raw message id.
func (s *Service) Message(ctx context.Context, tenant, id string) ([]byte, error) {
	if !validMessageID(id) {
		return nil, messageNotFound(id)
	}
	b, err := s.msgs.GetBytes(ctx, objectName(tenant, id))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, messageNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("mail: read message %s: %w", id, err)
	}
	return b, nil
}

func messageNotFound(id string) error {
	return fn.NotFound("no stored mail message %s (messages are kept %d days)", id, int(MessageRetention.Hours()/24))
}

func objectName(tenant, id string) string { return tenant + "/" + id }

// Envelope is one message as the SMTP session received it, its
// recipients already matched to routes.
type Envelope struct {
	From     string  // MAIL FROM, "" for a bounce
	Routes   []Route // one per accepted recipient, in RCPT order
	Rcpts    []string
	Raw      []byte // the message as stored: trace headers and data
	Received time.Time
}

// Deliver stores env and hands it to its functions; when it returns nil
// the message is durable and every function's invocation is stored.
//
// Order: the raw message is stored first (one object per tenant), then one
// asynchronous invocation per (message, function) is stored on the queue
// spine, each with fsync; only then does the caller answer 250. A crash
// before the 250 leaves the client to retry (an invocation already stored
// may then run twice: delivery is at least once); after it nothing
// remains to be done but the queued invocations, which survive restarts.
func (s *Service) Deliver(ctx context.Context, id string, env Envelope) error {
	hdr, err := parseHeader(env.Raw)
	if err != nil {
		return err
	}
	groups := groupRoutes(env)
	stored := map[string]bool{}
	for _, g := range groups {
		if stored[g.route.Tenant] {
			continue
		}
		name := objectName(g.route.Tenant, id)
		if _, err := s.msgs.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(env.Raw)); err != nil {
			return fmt.Errorf("mail: store message %s: %w", id, err)
		}
		stored[g.route.Tenant] = true
	}
	processed := time.Now()
	for _, g := range groups {
		r := g.route
		rec := event.NewSESRecord(event.SESInput{
			MessageID: id, Received: env.Received, Processed: processed, Source: env.From,
			Destination: env.Rcpts, Recipients: g.rcpts,
			Headers: hdr.headers, HeadersTruncated: hdr.truncated, CommonHeaders: hdr.common,
			FunctionARN: fn.ARN(r.Tenant, r.Function, r.Qualifier),
			BucketName:  MessagesBucket, ObjectKey: id,
		})
		payload, err := event.Encode(event.SESEvent{Records: []event.SESEventRecord{rec}})
		if err != nil {
			return fmt.Errorf("mail: %w", err)
		}
		if err := s.cfg.Invoker.InvokeAsync(ctx, r.Tenant, r.Function, r.Qualifier, requestID(id, r), payload); err != nil {
			return fmt.Errorf("mail: queue message %s for %s: %w", id, r.Function, err)
		}
		s.log.Info("mail accepted", "tenant", r.Tenant, "fn", r.Function, "message_id", id, "recipients", len(g.rcpts))
	}
	return nil
}

// group is the recipients of one message routed to one function.
type group struct {
	route Route
	rcpts []string
}

// groupRoutes gathers env's recipients by function: one invocation per
// (message, function), whatever the number of its recipients.
func groupRoutes(env Envelope) []group {
	var out []group
	idx := map[string]int{}
	for i, r := range env.Routes {
		k := r.Tenant + "\x00" + r.Function + "\x00" + r.Qualifier
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, group{route: r})
		}
		out[j].rcpts = append(out[j].rcpts, env.Rcpts[i])
	}
	return out
}

// requestID is the invocation's id: derived from the message and the
// function, so that storing it again de-duplicates.
func requestID(id string, r Route) string {
	sum := sha256.Sum256([]byte(id + "\x00" + r.Tenant + "\x00" + r.Function + "\x00" + r.Qualifier))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewMessageID makes a message id as SES's: 32 lower-case letters and
// digits.
func NewMessageID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

func validMessageID(id string) bool {
	if len(id) != 32 {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") == ""
}
