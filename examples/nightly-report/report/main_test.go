package main

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestReportDay(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ev      Event
		want    string
		wantErr bool
	}{
		{Event{Time: "2026-03-08T01:00:00Z"}, "2026-03-07", false},
		{Event{Time: "2026-03-01T00:30:00+02:00"}, "2026-02-27", false}, // 22:30 UTC the day before
		{Event{Day: "2026-01-31"}, "2026-01-31", false},
		{Event{}, "2026-12-02", false},
		{Event{Day: "yesterday"}, "", true},
		{Event{Time: "tonight"}, "", true},
	} {
		got, err := reportDay(c.ev, now)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%+v: %q, %v; want %q (error %v)", c.ev, got, err, c.want, c.wantErr)
		}
	}
}

func TestReportAdd(t *testing.T) {
	r := &Report{ByCategory: map[string]float64{}}
	for _, it := range []map[string]types.AttributeValue{
		{"amount": &types.AttributeValueMemberN{Value: "10.10"}, "category": &types.AttributeValueMemberS{Value: "books"}},
		{"amount": &types.AttributeValueMemberN{Value: "0.20"}, "category": &types.AttributeValueMemberS{Value: "books"}},
		{"amount": &types.AttributeValueMemberN{Value: "5"}},
	} {
		if err := r.add(it); err != nil {
			t.Fatal(err)
		}
	}
	if r.Sales != 3 || r.Total != 15.3 || r.ByCategory["books"] != 10.3 || r.ByCategory["other"] != 5 {
		t.Fatalf("report %+v", r)
	}
	if err := r.add(map[string]types.AttributeValue{"amount": &types.AttributeValueMemberS{Value: "1"}}); err == nil {
		t.Fatal("a sale with a string amount was counted")
	}
}
