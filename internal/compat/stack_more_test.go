package compat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// everythingTemplate uses the function properties and resource types the
// example apps do not: reserved and provisioned concurrency, a function
// URL, a dead-letter queue, ephemeral storage, an SNS event, a topic with
// a subscription, a plain event source mapping, a Scheduler schedule and
// a condition that leaves a resource out.
const everythingTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Timeout: 10
Resources:
  Dead:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dead.Arn
        maxReceiveCount: 3
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt Work.Arn
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn"
      Handler: app.handler
      MemorySize: 256
      EphemeralStorage:
        Size: 1024
      ReservedConcurrentExecutions: 5
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig:
        ProvisionedConcurrentExecutions: 1
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt Dead.Arn
      FunctionUrlConfig:
        AuthType: NONE
      Environment:
        Variables:
          STAGE: !Ref Stage
          PROD_QUEUE: !If [IsProd, !Ref ProdOnly, none]
      Events:
        Alarm:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
  Poll:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !GetAtt Work.Arn
      BatchSize: 7
  Tick:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(1 hour)
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: !GetAtt Fn.Arn
        RoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/scheduler"
        Input: '{"from": "schedule"}'
Outputs:
  FnUrl:
    Value: !GetAtt Fn.Arn
  Alias:
    Value: !Ref Fn.Alias
`

const everythingApp = `import json, os

def handler(event, context):
    if "Records" in event and event["Records"][0].get("EventSource") == "aws:sns":
        print("SNS", event["Records"][0]["Sns"]["Message"])
    return {"statusCode": 200, "body": json.dumps({"stage": os.environ["STAGE"], "prod_queue": os.environ["PROD_QUEUE"]})}
`

// TestStackEverything deploys everythingTemplate and checks each
// resource and setting through the AWS APIs, and that an SNS publish
// reaches the function through its SNS event.
func TestStackEverything(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	cfg := p.awsConfig()
	lc := p.lambda()
	dir := writeApp(t, map[string]string{"template.yaml": everythingTemplate, "src/app.py": everythingApp})
	s, err := deployTemplate(ctx, t, api, dir, "all", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range s.Resources {
		ids[r.LogicalID] = true
	}
	if ids["ProdOnly"] || !ids["Poll"] || !ids["Tick"] || !ids["FnAlarm"] {
		t.Fatalf("resources %v (ProdOnly must be left out by its condition)", ids)
	}

	f, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("all-fn")})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Configuration
	if aws.ToInt32(c.MemorySize) != 256 || aws.ToInt32(c.Timeout) != 10 || c.EphemeralStorage == nil || aws.ToInt32(c.EphemeralStorage.Size) != 1024 {
		t.Errorf("configuration %+v", c)
	}
	if c.DeadLetterConfig == nil || !strings.HasSuffix(aws.ToString(c.DeadLetterConfig.TargetArn), ":all-Dead") {
		t.Errorf("dead-letter config %+v", c.DeadLetterConfig)
	}
	if f.Concurrency == nil || aws.ToInt32(f.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Errorf("reserved concurrency %+v", f.Concurrency)
	}
	pc, err := lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("all-fn"), Qualifier: aws.String("live")})
	if err != nil || aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 1 {
		t.Errorf("provisioned concurrency on the alias: %+v %v", pc, err)
	}
	u, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("all-fn"), Qualifier: aws.String("live")})
	if err != nil || u.AuthType != "NONE" {
		t.Fatalf("function URL: %+v %v", u, err)
	}
	if code, body := httpDo(ctx, t, "GET", aws.ToString(u.FunctionUrl), "", ""); code != 200 || !strings.Contains(body, `"stage": "dev"`) || !strings.Contains(body, `"prod_queue": "none"`) {
		t.Errorf("GET the function URL: %d %s", code, body)
	}
	if a := s.Output("Alias"); !strings.HasSuffix(a, ":function:all-fn:live") {
		t.Errorf("Alias output %q", a)
	}

	ms, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("all-fn")})
	if err != nil || len(ms.EventSourceMappings) != 1 || aws.ToInt32(ms.EventSourceMappings[0].BatchSize) != 7 {
		t.Errorf("event source mapping: %+v %v", ms, err)
	}
	sc, err := scheduler.NewFromConfig(cfg).GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("all-Tick")})
	if err != nil || aws.ToString(sc.ScheduleExpression) != "rate(1 hour)" || strings.ReplaceAll(aws.ToString(sc.Target.Input), " ", "") != `{"from":"schedule"}` {
		if sc != nil && sc.Target != nil {
			t.Errorf("schedule: %s target %s input %q (%v)", aws.ToString(sc.ScheduleExpression), aws.ToString(sc.Target.Arn), aws.ToString(sc.Target.Input), err)
		} else {
			t.Errorf("schedule: %v", err)
		}
	}
	q, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("all-Work")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"}})
	if err != nil || !strings.Contains(qa.Attributes["RedrivePolicy"], "all-Dead") {
		t.Errorf("redrive policy: %+v %v", qa, err)
	}

	// The SNS event: a publish reaches the function.
	snc := sns.NewFromConfig(cfg)
	topics, err := snc.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arn string
	for _, tp := range topics.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":all-Alerts") {
			arn = aws.ToString(tp.TopicArn)
		}
	}
	subs, err := snc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil || len(subs.Subscriptions) != 2 {
		t.Fatalf("subscriptions of %s: %+v %v (want the function's and the queue's)", arn, subs, err)
	}
	if _, err := snc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("disk full")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var text strings.Builder
		err := api.Logs(ctx, "all-fn", "", false, func(e fn.LogEntry) error {
			text.WriteString(e.Message + "\n")
			return nil
		})
		if err == nil && strings.Contains(text.String(), "SNS disk full") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SNS event did not reach the function: %v\n%s", err, text.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Removing the stack removes all of it.
	if err := api.DeleteStack(ctx, "all"); err != nil {
		t.Fatal(err)
	}
	if _, err := scheduler.NewFromConfig(cfg).GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("all-Tick")}); err == nil {
		t.Error("the schedule outlived the stack")
	}
	if _, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("all-Dead")}); err == nil {
		t.Error("the dead-letter queue outlived the stack")
	}
}

// TestStackReplaceRenamed: a resource whose name changes is made anew
// under the new name and the old one removed.
func TestStackReplaceRenamed(t *testing.T) {
	t.Parallel() // its own server
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	q := sqs.NewFromConfig(p.awsConfig())
	tpl := func(name string) string {
		return "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: " + name + "\n"
	}
	dir := writeApp(t, map[string]string{"template.yaml": tpl("jobs-one")})
	if _, err := deployTemplate(ctx, t, api, dir, "ren", nil, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(tpl("jobs-two")), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := deployTemplate(ctx, t, api, dir, "ren", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Plan) != 1 || s.Plan[0].Action != "replace" {
		t.Fatalf("plan %+v", s.Plan)
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs-two")}); err != nil {
		t.Errorf("the new queue: %v", err)
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs-one")}); err == nil {
		t.Error("the replaced queue is still there")
	}
}
