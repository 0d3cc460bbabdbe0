package event

import (
	"encoding/json"
	"time"
)

// ScheduledEvent is EventBridge's "Scheduled Event": what a schedule
// sends its target when the schedule has no input of its own.
type ScheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ScheduledInput is what a schedule knows of one tick.
type ScheduledInput struct {
	ID          string // the tick's request id
	Account     string // the schedule's account id
	Region      string
	At          time.Time // the scheduled time of the tick
	ScheduleARN string    // arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME
}

// NewScheduledEvent builds the event of EventBridge Scheduler (source
// aws.scheduler): time is the tick's scheduled time in UTC, to the second.
func NewScheduledEvent(in ScheduledInput) ScheduledEvent {
	return ScheduledEvent{
		Version: "0", ID: in.ID, DetailType: "Scheduled Event", Source: "aws.scheduler",
		Account: in.Account, Time: in.At.UTC().Format("2006-01-02T15:04:05Z"), Region: in.Region,
		Resources: []string{in.ScheduleARN}, Detail: json.RawMessage(`{}`),
	}
}
