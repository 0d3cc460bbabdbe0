package tables

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// newRecord is the stream record message of one change, stored in the
// same atomic batch as the item. Its SequenceNumber is its sequence in the
// data stream, set when it is read.
func newRecord(t *Table, k itemKey, old, nw attr.Item, src Source, expect uint64) (*nats.Msg, error) {
	name := "MODIFY"
	switch {
	case old == nil:
		name = "INSERT"
	case nw == nil:
		name = "REMOVE"
	}
	keys, err := json.Marshal(t.keyItem(k))
	if err != nil {
		return nil, fmt.Errorf("tables: record keys: %w", err)
	}
	in := event.DynamoDBRecordInput{
		EventID: nuid.Next(), EventName: name, Region: fn.Region, StreamARN: t.StreamARN(),
		Created: now(), Keys: keys, ViewType: t.StreamView, ByService: src == Service,
	}
	size := int64(len(keys))
	if nw != nil && (t.StreamView == NewImage || t.StreamView == NewAndOldImages) {
		in.NewImage, _ = json.Marshal(nw)
		size += int64(ItemSize(nw))
	}
	if old != nil && (t.StreamView == OldImage || t.StreamView == NewAndOldImages) {
		in.OldImage, _ = json.Marshal(old)
		size += int64(ItemSize(old))
	}
	in.SizeBytes = size
	r, err := json.Marshal(event.NewDynamoDBRecord(in))
	if err != nil {
		return nil, fmt.Errorf("tables: record: %w", err)
	}
	data, err := json.Marshal(envelope{Record: r, Expect: expect, Item: nw})
	if err != nil {
		return nil, fmt.Errorf("tables: record: %w", err)
	}
	m := nats.NewMsg(t.recordSubject(k))
	m.Data = data
	m.Header.Set(hdrEventID, in.EventID)
	m.Header.Set("Nats-TTL", RecordTTL.String())
	return m, nil
}

// DecodeRecord reads a stored stream record and sets its SequenceNumber
// from its sequence in the data stream.
func DecodeRecord(data []byte, seq uint64) (event.DynamoDBRecord, error) {
	var env envelope
	var r event.DynamoDBRecord
	if err := json.Unmarshal(data, &env); err != nil {
		return r, fmt.Errorf("tables: stream record %d: %w", seq, err)
	}
	if err := json.Unmarshal(env.Record, &r); err != nil {
		return r, fmt.Errorf("tables: stream record %d: %w", seq, err)
	}
	r.Change.SequenceNumber = seqString(seq)
	return r, nil
}

// RecordSubjects is the filter of table id's stream records.
func RecordSubjects(id string) string { return changePrefix(id) + ">" }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
