package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestSvcSameValue(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"30", "30", true},
		{"30", "45", false},
		{"", "", true},
		{"", "{}", false},
		{`{"kind":["a"]}`, `{"kind": ["a"]}`, true},
		{`{"kind":["a"]}`, `{"kind":["b"]}`, false},
		{`{"deadLetterTargetArn":"arn:q","maxReceiveCount":"3"}`, `{"maxReceiveCount":3,"deadLetterTargetArn":"arn:q"}`, true},
		{`{"maxReceiveCount":3}`, `{"maxReceiveCount":4}`, false},
		{"true", `"true"`, false}, // scalars are text, not JSON
	} {
		if got := svcSameValue(c.a, c.b); got != c.same {
			t.Errorf("svcSameValue(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

func TestSubscriptionChanges(t *testing.T) {
	for _, c := range []struct {
		name       string
		have, want map[string]string
		change     map[string]string
		ok         bool
	}{
		{"same", map[string]string{"FilterPolicy": `{"a":[1]}`, "FilterPolicyScope": "MessageAttributes", "RawMessageDelivery": "false"},
			map[string]string{"FilterPolicy": `{"a": [1]}`}, map[string]string{}, true},
		{"changed policy", map[string]string{"FilterPolicy": `{"a":[1]}`, "RawMessageDelivery": "false"},
			map[string]string{"FilterPolicy": `{"a":[2]}`}, map[string]string{"FilterPolicy": `{"a":[2]}`}, true},
		{"policy dropped", map[string]string{"FilterPolicy": `{"a":[1]}`, "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true"},
			nil, map[string]string{"FilterPolicy": "", "FilterPolicyScope": "MessageAttributes", "RawMessageDelivery": "false"}, true},
		{"redrive dropped", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:q"}`}, nil, nil, false},
		{"redrive kept", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:q"}`},
			map[string]string{"RedrivePolicy": `{"deadLetterTargetArn": "arn:q"}`}, map[string]string{}, true},
	} {
		change, ok := subscriptionChanges(c.have, c.want)
		if ok != c.ok || ok && !equalMaps(change, c.change) {
			t.Errorf("%s: %v %v, want %v %v", c.name, change, ok, c.change, c.ok)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFunctionRefAndRole(t *testing.T) {
	for in, want := range map[string]string{
		"thumbs":      "thumbs",
		"thumbs:live": "thumbs:live",
		"arn:aws:lambda:local:123456789012:function:thumbs":      "thumbs",
		"arn:aws:lambda:local:123456789012:function:thumbs:live": "thumbs:live",
	} {
		if got := functionRef(in); got != want {
			t.Errorf("functionRef(%q) = %q, want %q", in, got, want)
		}
	}
	if got := placeholderRole("arn:aws:lambda:local:123456789012:function:thumbs:live"); got != "arn:aws:iam::123456789012:role/updraft-scheduler" {
		t.Errorf("placeholderRole = %q", got)
	}
}

func TestBucketCORS(t *testing.T) {
	res := func(cors string) *Resource {
		return &Resource{LogicalID: "Photos", Type: "AWS::S3::Bucket", Kind: KindBucket, Name: "photos", Bucket: &BucketSpec{CORS: []byte(cors)}}
	}
	for _, c := range []struct {
		cors    string
		rules   int
		maxAge  int32
		expose  string
		wantErr string
	}{
		{"", 0, 0, "", ""},
		{"null", 0, 0, "", ""},
		{`{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":30}]}`, 1, 30, "[ETag]", ""},
		// CloudFormation's spelling of the same
		{`{"CorsRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"ExposedHeaders":["ETag"],"MaxAge":30,"Id":"r1"}]}`, 1, 30, "[ETag]", ""},
		{`{"CORSRules":[{"AllowedOrigin":["*"]}]}`, 0, 0, "", "Resource Photos (AWS::S3::Bucket): property CorsConfiguration"},
	} {
		rules, err := bucketCORS(res(c.cors))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want %q", c.cors, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(rules) != c.rules {
			t.Errorf("%s: %d rules, %v", c.cors, len(rules), err)
			continue
		}
		if c.rules > 0 {
			n := normalCORS(rules)[0]
			if n.MaxAge != c.maxAge || n.Expose != c.expose {
				t.Errorf("%s: %+v", c.cors, n)
			}
		}
	}
}

// A resource of a kind the backend does not make, or without its spec,
// is refused before any call (the backend here has no endpoint at all).
func TestServicesRefuses(t *testing.T) {
	s := NewServices(aws.Config{Region: "local", BaseEndpoint: aws.String("http://127.0.0.1:1")})
	for _, c := range []struct {
		r    *Resource
		want string
	}{
		{&Resource{LogicalID: "Api", Type: "AWS::Serverless::HttpApi", Kind: KindAPI, Name: "api", API: &APISpec{}}, "does not make resources of kind \"api\""},
		{&Resource{LogicalID: "Jobs", Type: "AWS::SQS::Queue", Kind: KindQueue, Name: "jobs"}, "without its queue spec"},
		{&Resource{LogicalID: "Jobs", Type: "AWS::SQS::Queue", Kind: KindQueue, Queue: &QueueSpec{}}, "without its physical name"},
	} {
		_, err := s.Apply(context.Background(), c.r, nil, Applied{})
		if err == nil || !strings.Contains(err.Error(), "Resource "+c.r.LogicalID+" ("+c.r.Type+")") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("apply %s: %v, want %q", c.r.LogicalID, err, c.want)
		}
	}
	if err := s.Delete(context.Background(), &Resource{LogicalID: "F", Type: "AWS::Serverless::Function", Kind: KindFunction}, Applied{}); err == nil {
		t.Error("delete of a function: no error")
	}
}
