package mapping

import (
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Mapping
		want string // part of the message; "" valid
	}{
		{"defaults", Mapping{BatchSize: 10}, ""},
		{"zero batch", Mapping{BatchSize: 0}, "BatchSize 0 is outside 1 to 10000"},
		{"big batch", Mapping{BatchSize: 10001, WindowSeconds: 1}, "BatchSize 10001 is outside"},
		{"batch over 10 without window", Mapping{BatchSize: 11}, "must be greater than 0 if maximum batch size is greater than 10"},
		{"batch over 10 with window", Mapping{BatchSize: 10000, WindowSeconds: 1}, ""},
		{"window", Mapping{BatchSize: 1, WindowSeconds: 301}, "MaximumBatchingWindowInSeconds 301"},
		{"concurrency low", Mapping{BatchSize: 1, MaxConcurrency: 1}, "MaximumConcurrency 1 is outside 2 to 1000"},
		{"concurrency high", Mapping{BatchSize: 1, MaxConcurrency: 1001}, "outside 2 to 1000"},
		{"fifo batch", Mapping{Queue: "q.fifo", BatchSize: 11, WindowSeconds: 0}, "maximum for a FIFO queue"},
		{"fifo window", Mapping{Queue: "q.fifo", BatchSize: 10, WindowSeconds: 1}, "not supported for FIFO queues"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.m
			if m.Queue == "" {
				m.Queue = "q"
			}
			m.Function = "f"
			err := m.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := fn.AsError(err); err == nil || e.Type != fn.TypeInvalidParameterValue || !strings.Contains(e.Message, c.want) {
				t.Fatalf("got %v, want InvalidParameterValueException with %q", err, c.want)
			}
		})
	}
}

func TestQueueARN(t *testing.T) {
	arn := QueueARN("t", "jobs")
	if arn != "arn:aws:sqs:"+fn.Region+":"+fn.AccountID("t")+":jobs" {
		t.Fatal(arn)
	}
	if name, err := ParseQueueARN("t", "arn:aws:sqs:us-east-1:"+fn.AccountID("t")+":jobs"); err != nil || name != "jobs" {
		t.Fatalf("any region: %q %v", name, err)
	}
	for _, bad := range []string{"jobs", "arn:aws:sns:local:" + fn.AccountID("t") + ":jobs", "arn:aws:sqs:local:" + fn.AccountID("other") + ":jobs"} {
		if _, err := ParseQueueARN("t", bad); fn.AsError(err).Type != fn.TypeInvalidParameterValue {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}
