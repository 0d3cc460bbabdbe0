package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// PositionBucket holds each stream mapping's position: the sequence of
// the last record it delivered (or gave up on), keyed "TENANT.UUID". A
// restart resumes after it.
const PositionBucket = "EVENT_SOURCE_POSITIONS"

// Limits and defaults of stream sources, Lambda's for DynamoDB streams.
const (
	DefaultStreamBatchSize = 100
	MaxRetryAttempts       = 10_000
	MinRecordAge           = 60
	MaxRecordAge           = 604_800
	// StreamRetention is how long a record is kept: a record older than
	// that is gone, so "forever" means this long.
	StreamRetention = 24 * time.Hour
	TrimHorizon     = "TRIM_HORIZON"
	Latest          = "LATEST"
)

// Stream is a table stream source's settings.
type Stream struct {
	ARN     string `json:"arn"`      // the stream ARN (EventSourceArn)
	TableID string `json:"table_id"` // the table's id in the store
	// StartingPosition is TRIM_HORIZON or LATEST; StartSeq the sequence
	// LATEST resolved to at creation (records after it are delivered).
	StartingPosition string `json:"starting_position"`
	StartSeq         uint64 `json:"start_seq,omitempty"`
	// MaxRetries is MaximumRetryAttempts (-1: until the record expires).
	MaxRetries int `json:"max_retries"`
	// MaxAge is MaximumRecordAgeInSeconds (-1: until the record expires).
	MaxAge    int    `json:"max_age"`
	Bisect    bool   `json:"bisect,omitempty"`
	OnFailure string `json:"on_failure,omitempty"` // an SQS queue or SNS topic ARN
}

// IsStreamARN reports whether arn names a DynamoDB table stream.
func IsStreamARN(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:dynamodb:") && strings.Contains(arn, "/stream/")
}

func (m *Mapping) validateStream() error {
	s := m.Stream
	switch {
	case m.BatchSize < 1 || m.BatchSize > MaxBatchSize:
		return fn.InvalidParameter("BatchSize %d is outside 1 to %d", m.BatchSize, MaxBatchSize)
	case m.WindowSeconds < 0 || m.WindowSeconds > MaxWindowSeconds:
		return fn.InvalidParameter("MaximumBatchingWindowInSeconds %d is outside 0 to %d", m.WindowSeconds, MaxWindowSeconds)
	case s.StartingPosition != TrimHorizon && s.StartingPosition != Latest:
		return fn.InvalidParameter("StartingPosition %q is required for a stream source: TRIM_HORIZON or LATEST", s.StartingPosition)
	case s.MaxRetries < -1 || s.MaxRetries > MaxRetryAttempts:
		return fn.InvalidParameter("MaximumRetryAttempts %d is outside -1 to %d", s.MaxRetries, MaxRetryAttempts)
	case s.MaxAge != -1 && (s.MaxAge < MinRecordAge || s.MaxAge > MaxRecordAge):
		return fn.InvalidParameter("MaximumRecordAgeInSeconds %d is outside %d to %d (or -1)", s.MaxAge, MinRecordAge, MaxRecordAge)
	case m.Function == "" || s.TableID == "":
		return fn.InvalidParameter("a mapping needs an EventSourceArn and a FunctionName")
	}
	if s.OnFailure != "" {
		d, err := fn.ParseDestination(m.Tenant, s.OnFailure)
		if err != nil || d.Kind == fn.DestinationFunction {
			return fn.InvalidParameter("DestinationConfig.OnFailure.Destination %q must be an SQS queue or SNS topic ARN of this account", s.OnFailure)
		}
	}
	return nil
}

// maxAge is how old a record may be before the mapping gives up on it.
func (s *Stream) maxAge() time.Duration {
	if s.MaxAge < 0 {
		return StreamRetention
	}
	return time.Duration(s.MaxAge) * time.Second
}

// Streams are the table streams stream mappings read (internal/tables,
// wired by the daemon).
type Streams interface {
	// Resolve checks that tenant has the stream arn and returns its
	// table's id and the sequence of its latest record (for LATEST).
	Resolve(ctx context.Context, tenant, arn string) (tableID string, latest uint64, err error)
	// Open reads table tableID's records after sequence after, in order.
	Open(ctx context.Context, tableID string, after uint64) (StreamReader, error)
}

// StreamReader reads one table's stream records in order.
type StreamReader interface {
	// Next waits for a record, then takes up to max records that arrive
	// within window.
	Next(ctx context.Context, max int, window time.Duration) ([]StreamRecord, error)
	Close()
}

// StreamRecord is one stored stream record.
type StreamRecord struct {
	Seq     uint64
	Data    json.RawMessage // the record in DynamoDB Streams' shape, SequenceNumber set
	Created time.Time       // ApproximateCreationDateTime
}

// position returns the stored position of m (ok false when none).
func (s *Store) position(ctx context.Context, m *Mapping) (uint64, bool, error) {
	e, err := s.pos.Get(ctx, key(m.Tenant, m.UUID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("mapping: position of %s: %w", m.UUID, err)
	}
	n, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("mapping: position of %s: %w", m.UUID, err)
	}
	return n, true, nil
}

// setPosition stores m's position.
func (s *Store) setPosition(ctx context.Context, m *Mapping, seq uint64) error {
	if _, err := s.pos.Put(ctx, key(m.Tenant, m.UUID), []byte(strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("mapping: position of %s: %w", m.UUID, err)
	}
	return nil
}
