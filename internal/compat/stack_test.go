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
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// writeApp writes files (path → content) under a new directory.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deployTemplate deploys dir/template.yaml as stack name, as
// `updraft deploy --template` does.
func deployTemplate(ctx context.Context, t *testing.T, api *apiclient.Client, dir, name string, params map[string]string, dryRun bool) (*apiclient.Stack, error) {
	t.Helper()
	return deployTemplatePath(ctx, t, api, filepath.Join(dir, "template.yaml"), name, params, dryRun)
}

const lifecycleV1 = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: lifecycle test
Parameters:
  Greeting:
    Type: String
    Default: hi
    AllowedValues: [hi, hello]
Globals:
  Function:
    Runtime: python3.12
    Timeout: 5
    CodeUri: src/
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.api
      Environment:
        Variables:
          GREETING: !Ref Greeting
          QUEUE: !GetAtt Jobs.QueueName
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.worker
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
Outputs:
  HelloUrl:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com/hello"
  QueueUrl:
    Value: !Ref Jobs
`

// lifecycleV2 drops the queue and its worker.
const lifecycleV2 = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hi
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: python3.12
      Handler: app.api
      Environment:
        Variables:
          GREETING: !Ref Greeting
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
Outputs:
  HelloUrl:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com/hello"
`

const lifecycleApp = `import json, os

def api(event, context):
    return {"statusCode": 200, "body": os.environ["GREETING"] + " from " + os.environ.get("QUEUE", "no queue")}

def worker(event, context):
    print("got", len(event["Records"]))
`

// TestStackLifecycle deploys a template, re-deploys one without a queue
// and its worker (a dry run first), and removes the stack.
func TestStackLifecycle(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	sqsc := sqs.NewFromConfig(p.awsConfig())
	lc := p.lambda()
	dir := writeApp(t, map[string]string{"template.yaml": lifecycleV1, "src/app.py": lifecycleApp})

	s, err := deployTemplate(ctx, t, api, dir, "shop", nil, false)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if s.Status != "CREATE_COMPLETE" || len(s.Resources) < 4 {
		t.Fatalf("stack %s with %d resources: %+v", s.Status, len(s.Resources), s)
	}
	url := s.Output("HelloUrl")
	if !strings.HasPrefix(url, "http://"+p.daemon.RoutesAddr()) {
		t.Fatalf("HelloUrl %q is not on the routes listener %s", url, p.daemon.RoutesAddr())
	}
	if code, body := httpDo(ctx, t, "GET", url, "", ""); code != 200 || body != "hi from shop-Jobs" {
		t.Fatalf("GET %s: %d %q", url, code, body)
	}
	if q := s.Output("QueueUrl"); !strings.HasSuffix(q, "/shop-Jobs") {
		t.Errorf("QueueUrl output %q", q)
	}
	ms, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("shop-Worker")})
	if err != nil || len(ms.EventSourceMappings) != 1 || aws.ToInt32(ms.EventSourceMappings[0].BatchSize) != 5 {
		t.Fatalf("the worker's SQS event: %+v %v", ms, err)
	}

	// Deploying the same again changes nothing.
	again, err := deployTemplate(ctx, t, api, dir, "shop", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range again.Plan {
		if st.Action != "keep" {
			t.Errorf("an unchanged redeploy plans %s %s", st.Action, st.LogicalID)
		}
	}

	// A dry run of v2 plans the deletes and changes nothing.
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(lifecycleV2), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := deployTemplate(ctx, t, api, dir, "shop", map[string]string{"Greeting": "hello"}, true)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{}
	for _, st := range plan.Plan {
		actions[st.LogicalID] = st.Action
	}
	if actions["Jobs"] != "delete" || actions["Worker"] != "delete" || actions["Api"] != "update" {
		t.Fatalf("dry-run plan %+v", plan.Plan)
	}
	if _, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("shop-Jobs")}); err != nil {
		t.Fatalf("a dry run removed the queue: %v", err)
	}

	s, err = deployTemplate(ctx, t, api, dir, "shop", map[string]string{"Greeting": "hello"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != "UPDATE_COMPLETE" {
		t.Fatalf("status %s: %s", s.Status, s.Reason)
	}
	if _, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("shop-Jobs")}); err == nil {
		t.Error("the queue the template no longer has is still there")
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("shop-Worker")}); err == nil {
		t.Error("the function the template no longer has is still there")
	}
	if code, body := httpDo(ctx, t, "GET", s.Output("HelloUrl"), "", ""); code != 200 || body != "hello from no queue" {
		t.Fatalf("after the update: %d %q", code, body)
	}
	list, err := api.ListStacks(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "shop" {
		t.Fatalf("stacks %+v %v", list, err)
	}

	// A function made outside the stack is not taken over.
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "other-Api", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := deployTemplate(ctx, t, api, dir, "other", nil, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("deploying over a function made outside the stack: %v", err)
	}

	if err := api.DeleteStack(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("shop-Api")}); err == nil {
		t.Error("the stack's function outlived the stack")
	}
	if _, err := api.GetStack(ctx, "shop"); !isStatus(err, 404) {
		t.Errorf("a removed stack: %v", err)
	}
	if code, _ := httpDo(ctx, t, "GET", s.Output("HelloUrl"), "", ""); code != 404 {
		t.Errorf("the removed stack's route answers %d", code)
	}
}

func isStatus(err error, status int) bool {
	ae, ok := err.(*apiclient.Error)
	return ok && ae.Status == status
}

// packageOrNil packages a template as the CLI does.
func packageOrNil(path string) (apiclient.StackBody, error) {
	b, err := deploy.PackageTemplate(path)
	if err != nil {
		return apiclient.StackBody{}, err
	}
	return apiclient.StackBody{Template: string(b.Text), Code: b.Code}, nil
}

func asAPIError(err error, target **apiclient.Error) bool {
	ae, ok := err.(*apiclient.Error)
	if ok {
		*target = ae
	}
	return ok
}
