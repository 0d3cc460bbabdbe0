package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Name limits of the services, and what a generated name may hold.
var nameRules = map[string]struct {
	max     int
	lower   bool
	invalid *regexp.Regexp
}{
	"AWS::Serverless::Function":    {64, false, regexp.MustCompile(`[^A-Za-z0-9_-]`)},
	"AWS::SQS::Queue":              {80, false, regexp.MustCompile(`[^A-Za-z0-9_-]`)},
	"AWS::SNS::Topic":              {256, false, regexp.MustCompile(`[^A-Za-z0-9_-]`)},
	"AWS::S3::Bucket":              {63, true, regexp.MustCompile(`[^a-z0-9-]`)},
	"AWS::DynamoDB::Table":         {255, false, regexp.MustCompile(`[^A-Za-z0-9_.-]`)},
	"AWS::Serverless::SimpleTable": {255, false, regexp.MustCompile(`[^A-Za-z0-9_.-]`)},
	"AWS::Scheduler::Schedule":     {64, false, regexp.MustCompile(`[^A-Za-z0-9_.-]`)},
	"AWS::Serverless::HttpApi":     {64, true, regexp.MustCompile(`[^a-z0-9-]`)},
	"AWS::Serverless::Api":         {64, true, regexp.MustCompile(`[^a-z0-9-]`)},
}

// nameProperty is the property that names a resource of each type.
var nameProperty = map[string]string{
	"AWS::Serverless::Function":    "FunctionName",
	"AWS::SQS::Queue":              "QueueName",
	"AWS::SNS::Topic":              "TopicName",
	"AWS::S3::Bucket":              "BucketName",
	"AWS::DynamoDB::Table":         "TableName",
	"AWS::Serverless::SimpleTable": "TableName",
	"AWS::Scheduler::Schedule":     "Name",
}

// PhysicalName is the name a resource gets: its own name property when
// the template gives one, else STACK-LOGICALID. AWS appends a random
// suffix; Updraft keeps generated names stable, so a redeploy finds the
// resource it made before, and shortens a long one with a hash so two
// resources never share a name.
func PhysicalName(stack, logicalID, typ string, props map[string]any) string {
	if p, ok := nameProperty[typ]; ok {
		if s, ok := props[p].(string); ok && s != "" {
			return s
		}
	}
	name := stack + "-" + logicalID
	rule, ok := nameRules[typ]
	if !ok {
		return name
	}
	if rule.lower {
		name = strings.ToLower(name)
	}
	name = rule.invalid.ReplaceAllString(name, "-")
	fifo := typ == "AWS::SQS::Queue" && isTrue(props["FifoQueue"]) ||
		typ == "AWS::SNS::Topic" && isTrue(props["FifoTopic"])
	max := rule.max
	if fifo {
		max -= len(".fifo")
	}
	if len(name) > max {
		sum := sha256.Sum256([]byte(stack + "/" + logicalID))
		name = strings.TrimRight(name[:max-9], "-") + "-" + hex.EncodeToString(sum[:])[:8]
	}
	if fifo {
		name += ".fifo"
	}
	return name
}

// isTrue reads a boolean property written as true or "true".
func isTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}

// Attribute is the value of Ref (attr "") or Fn::GetAtt of a resource of
// type typ named name (PhysicalName), as AWS gives it. Attributes known
// only once a resource exists are stand-ins the backend settles at
// apply: a table's StreamArn ends in /stream/latest.
func Attribute(in Inputs, typ, name, attr string) (string, error) {
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, in.Region, in.AccountID, resource)
	}
	switch typ {
	case "AWS::Serverless::Function":
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return fn.ARN(in.Tenant, name, ""), nil
		}
	case "AWS::SQS::Queue":
		url := strings.TrimSuffix(in.Endpoint, "/") + "/" + in.AccountID + "/" + name
		switch attr {
		case "", "QueueUrl":
			return url, nil
		case "Arn":
			return arn("sqs", name), nil
		case "QueueName":
			return name, nil
		}
	case "AWS::SNS::Topic":
		switch attr {
		case "", "TopicArn":
			return arn("sns", name), nil
		case "TopicName":
			return name, nil
		}
	case "AWS::S3::Bucket":
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return "arn:aws:s3:::" + name, nil
		case "DomainName", "RegionalDomainName":
			return strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(in.Endpoint, "/"), "http://"), "https://") + "/" + name, nil
		}
	case "AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable":
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return arn("dynamodb", "table/"+name), nil
		case "StreamArn":
			return arn("dynamodb", "table/"+name+"/stream/latest"), nil
		}
	case "AWS::Scheduler::Schedule":
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return arn("scheduler", "schedule/default/"+name), nil
		}
	case "AWS::Serverless::HttpApi", "AWS::Serverless::Api":
		switch attr {
		case "":
			return name, nil
		case "ApiEndpoint":
			return in.RoutesURL, nil
		case "RootResourceId":
			return name + "-root", nil
		}
	default:
		return "", invalid("resources of type %s cannot be referred to", typ)
	}
	if attr == "" {
		return "", invalid("resources of type %s cannot be referred to with Ref", typ)
	}
	return "", invalid("%s has no attribute %s that Updraft provides", typ, attr)
}

// StreamLatest is the stand-in a table's StreamArn ends with before the
// table exists (Attribute); the backend replaces it with the table's
// LatestStreamArn.
const StreamLatest = "/stream/latest"
