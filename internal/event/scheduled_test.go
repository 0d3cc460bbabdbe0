package event

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestScheduledEventMatchesAWSExample(t *testing.T) {
	var v ScheduledEvent
	dec := json.NewDecoder(bytes.NewReader(readFile(t, "aws-scheduled-event.json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "aws-scheduled-event.json", v)
	// The constructor makes the same document but for EventBridge
	// Scheduler's source and ARN.
	got := NewScheduledEvent(ScheduledInput{
		ID: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", Account: "123456789012", Region: "us-east-1",
		At:          time.Date(2015, 10, 8, 12, 53, 6, 0, time.FixedZone("EDT", -4*3600)),
		ScheduleARN: "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule",
	})
	if got.Source != "aws.scheduler" {
		t.Fatalf("source %q", got.Source)
	}
	got.Source = "aws.events"
	sameJSON(t, "aws-scheduled-event.json", got)
}

func TestScheduledEventGolden(t *testing.T) {
	golden(t, "scheduled-event", NewScheduledEvent(ScheduledInput{
		ID: "0f5e2c1a-7d3b-8e4f-9a6b-1c2d3e4f5a6b", Account: "000000000001", Region: "local",
		At:          time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),
		ScheduleARN: "arn:aws:scheduler:local:000000000001:schedule/default/nightly",
	}))
}
