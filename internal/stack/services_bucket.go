package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (s *Services) applyBucket(ctx context.Context, r *Resource) error {
	want, err := bucketCORS(r)
	if err != nil {
		return err
	}
	if _, err := s.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(r.Name)}); err != nil && !svcIsCode(err, "BucketAlreadyOwnedByYou") {
		return svcFailed(r, "CreateBucket", err)
	}
	var have []s3types.CORSRule
	got, err := s.s3.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(r.Name)})
	switch {
	case svcIsCode(err, "NoSuchCORSConfiguration"):
	case err != nil:
		return svcFailed(r, "GetBucketCors", err)
	default:
		have = got.CORSRules
	}
	if reflect.DeepEqual(normalCORS(have), normalCORS(want)) {
		return nil
	}
	if len(want) == 0 {
		if _, err := s.s3.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(r.Name)}); err != nil {
			return svcFailed(r, "DeleteBucketCors", err)
		}
		return nil
	}
	if _, err := s.s3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(r.Name),
		CORSConfiguration: &s3types.CORSConfiguration{CORSRules: want}}); err != nil {
		return svcFailed(r, "PutBucketCors", err)
	}
	return nil
}

// corsRule is one rule of BucketSpec.CORS: S3's CORSRule, also read in
// CloudFormation's spelling (CorsRules, Id, ExposedHeaders, MaxAge).
type corsRule struct {
	ID             string
	AllowedOrigins []string
	AllowedMethods []string
	AllowedHeaders []string
	ExposeHeaders  []string
	ExposedHeaders []string
	MaxAgeSeconds  *int32
	MaxAge         *int32
}

// bucketCORS reads the spec's CORS rules (nil: none).
func bucketCORS(r *Resource) ([]s3types.CORSRule, error) {
	raw := bytes.TrimSpace(r.Bucket.CORS)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var cfg struct{ CORSRules []corsRule }
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, svcRefuse(r, http.StatusBadRequest, ValidationError, "property CorsConfiguration: %v: want {\"CORSRules\": [{\"AllowedOrigins\": [...], \"AllowedMethods\": [...], \"AllowedHeaders\", \"ExposeHeaders\", \"MaxAgeSeconds\", \"ID\"}]}", err)
	}
	out := make([]s3types.CORSRule, 0, len(cfg.CORSRules))
	for _, c := range cfg.CORSRules {
		rule := s3types.CORSRule{AllowedOrigins: c.AllowedOrigins, AllowedMethods: c.AllowedMethods, AllowedHeaders: c.AllowedHeaders,
			ExposeHeaders: append(c.ExposeHeaders, c.ExposedHeaders...), MaxAgeSeconds: c.MaxAgeSeconds}
		if rule.MaxAgeSeconds == nil {
			rule.MaxAgeSeconds = c.MaxAge
		}
		if c.ID != "" {
			rule.ID = aws.String(c.ID)
		}
		out = append(out, rule)
	}
	return out, nil
}

// corsText is a CORS rule in a comparable form.
type corsText struct {
	ID                                string
	Origins, Methods, Headers, Expose string
	MaxAge                            int32
}

func normalCORS(rules []s3types.CORSRule) []corsText {
	out := make([]corsText, 0, len(rules))
	for _, r := range rules {
		out = append(out, corsText{ID: aws.ToString(r.ID), Origins: fmt.Sprint(r.AllowedOrigins), Methods: fmt.Sprint(r.AllowedMethods),
			Headers: fmt.Sprint(r.AllowedHeaders), Expose: fmt.Sprint(r.ExposeHeaders), MaxAge: aws.ToInt32(r.MaxAgeSeconds)})
	}
	return out
}

func (s *Services) deleteBucket(ctx context.Context, r *Resource) error {
	_, err := s.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(r.Name)})
	switch {
	case err == nil, svcIsCode(err, "NoSuchBucket"):
		return nil
	case svcIsCode(err, "BucketNotEmpty"):
		return svcConflict(r, "the bucket %s still holds objects, and a stack does not delete them (neither does CloudFormation): empty it (aws s3 rm s3://%s --recursive, or updraft object ls %s and updraft object rm %s/KEY for each), then deploy or remove the stack again",
			r.Name, r.Name, r.Name, r.Name)
	}
	return svcFailed(r, "DeleteBucket", err)
}

// ApplyNotifications sets the bucket's whole notification configuration
// to n (an empty n clears it). A deploy calls it once the targets exist:
// after the functions, queues and topics it names.
func (s *Services) ApplyNotifications(ctx context.Context, bucket string, n []BucketNotification) error {
	cfg := &s3types.NotificationConfiguration{}
	for i, e := range n {
		events := make([]s3types.Event, 0, len(e.Events))
		for _, ev := range e.Events {
			events = append(events, s3types.Event(ev))
		}
		var filter *s3types.NotificationConfigurationFilter
		if e.Prefix != "" || e.Suffix != "" {
			key := &s3types.S3KeyFilter{}
			if e.Prefix != "" {
				key.FilterRules = append(key.FilterRules, s3types.FilterRule{Name: s3types.FilterRuleNamePrefix, Value: aws.String(e.Prefix)})
			}
			if e.Suffix != "" {
				key.FilterRules = append(key.FilterRules, s3types.FilterRule{Name: s3types.FilterRuleNameSuffix, Value: aws.String(e.Suffix)})
			}
			filter = &s3types.NotificationConfigurationFilter{Key: key}
		}
		id := aws.String(fmt.Sprintf("%s-%d", e.Kind, i+1))
		switch e.Kind {
		case "lambda":
			cfg.LambdaFunctionConfigurations = append(cfg.LambdaFunctionConfigurations, s3types.LambdaFunctionConfiguration{
				Id: id, LambdaFunctionArn: aws.String(e.Target), Events: events, Filter: filter})
		case "queue":
			cfg.QueueConfigurations = append(cfg.QueueConfigurations, s3types.QueueConfiguration{
				Id: id, QueueArn: aws.String(e.Target), Events: events, Filter: filter})
		case "topic":
			cfg.TopicConfigurations = append(cfg.TopicConfigurations, s3types.TopicConfiguration{
				Id: id, TopicArn: aws.String(e.Target), Events: events, Filter: filter})
		default:
			return fmt.Errorf("bucket %s: notification %d: kind %q is not one of lambda, queue, topic", bucket, i+1, e.Kind)
		}
	}
	if _, err := s.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket), NotificationConfiguration: cfg}); err != nil {
		return &CallError{LogicalID: bucket, Type: "AWS::S3::Bucket", Op: "PutBucketNotificationConfiguration", Err: err}
	}
	return nil
}
