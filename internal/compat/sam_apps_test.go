package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"gopkg.in/yaml.v3"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

// The example SAM apps of examples/*/template.yaml, deployed the way their
// README says and driven like a user: HTTP to the API's output URL, the
// real AWS SDK clients for buckets, tables and queues. The apps with Go
// functions go through samBuild first, as on AWS (sam build, then deploy
// .aws-sam/build/template.yaml).

// samBuild does what `sam build` does with examples/APP/template.yaml: each
// function's code goes to .aws-sam/build/LOGICALID (a Go function, one with
// Metadata BuildMethod go1.x, compiled into bootstrap there; any other
// copied), and the template is written beside them with CodeUri pointing at
// them. It returns the built template's path.
// buildMu makes the apps' Go builds take turns: the tests run in
// parallel, and one build at a time compiles the shared dependencies once
// (the build cache) instead of once per test.
var buildMu sync.Mutex

func samBuild(t *testing.T, app string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	src := filepath.Join("..", "..", "examples", app)
	text, err := os.ReadFile(filepath.Join(src, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil || len(doc.Content) != 1 {
		t.Fatalf("%s/template.yaml: %v", app, err)
	}
	out := filepath.Join(t.TempDir(), ".aws-sam", "build")
	resources := yamlChild(doc.Content[0], "Resources")
	if resources == nil {
		t.Fatalf("%s/template.yaml has no Resources", app)
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if typ := yamlChild(res, "Type"); typ == nil || typ.Value != "AWS::Serverless::Function" {
			continue
		}
		code := yamlChild(yamlChild(res, "Properties"), "CodeUri")
		if code == nil {
			t.Fatalf("%s: function %s has no CodeUri", app, id)
		}
		dir := filepath.Join(out, id)
		if m := yamlChild(yamlChild(res, "Metadata"), "BuildMethod"); m != nil && m.Value == "go1.x" {
			build := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), ".")
			build.Dir = filepath.Join(src, code.Value)
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build %s (%s): %v\n%s", id, code.Value, err, b)
			}
		} else if err := os.CopyFS(dir, os.DirFS(filepath.Join(src, code.Value))); err != nil {
			t.Fatal(err)
		}
		code.Value = id
	}
	built, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "template.yaml")
	if err := os.WriteFile(path, built, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// yamlChild is the value of key in the mapping n (nil if n is none or
// lacks it).
func yamlChild(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// deployStack deploys template as stack, as `updraft deploy --template`
// does, and returns the stack with its outputs by key.
func (p *platform) deployStack(ctx context.Context, t *testing.T, template, stack string, params map[string]string) (*apiclient.Stack, map[string]string) {
	t.Helper()
	st, err := p.deployTemplateFile(ctx, t, template, stack, params, false)
	if err != nil {
		t.Fatalf("deploy %s as %s: %v", template, stack, err)
	}
	outputs := map[string]string{}
	for _, o := range st.Outputs {
		outputs[o.Key] = o.Value
	}
	return st, outputs
}

// deployTemplateFile packages the template at path and its CodeUri
// directories and deploys them as stack.
func (p *platform) deployTemplateFile(ctx context.Context, t *testing.T, path, stack string, params map[string]string, dryRun bool) (*apiclient.Stack, error) {
	t.Helper()
	return deployTemplatePath(ctx, t, apiclient.New(p.endpoint, p.key.APIKey), path, stack, params, dryRun)
}

// deployTemplatePath packages the template at path as the CLI does
// (building in turn with the other tests) and deploys it as stack.
func deployTemplatePath(ctx context.Context, t *testing.T, api *apiclient.Client, path, stack string, params map[string]string, dryRun bool) (*apiclient.Stack, error) {
	t.Helper()
	buildMu.Lock()
	b, err := deploy.PackageTemplate(path)
	buildMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return api.DeployStack(ctx, stack, apiclient.StackBody{Template: string(b.Text), Parameters: params, Code: b.Code, DryRun: dryRun})
}

// apiURL is output key of outputs, checked to be served by the routes
// listener, without its trailing slash (for adding paths to).
func (p *platform) apiURL(t *testing.T, outputs map[string]string, key string) string {
	t.Helper()
	u := outputs[key]
	if ra := p.daemon.RoutesAddr(); ra == "" || !strings.HasPrefix(u, "http://"+ra) {
		t.Fatalf("output %s is %q, want a URL of the routes listener %s (outputs %v)", key, u, ra, outputs)
	}
	return strings.TrimSuffix(u, "/")
}

// httpDo sends a request with an optional bearer token and returns the
// status and body.
func httpDo(ctx context.Context, t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// examples/sam-hello-world is what `sam init` leaves (python3.12, Hello
// World Example): deployed unchanged, its output URL answers; the stack
// is listed, a second deploy of the same template plans no change, and
// deleting the stack takes the route down.
func TestSAMHelloWorld(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	template := filepath.Join("..", "..", "examples", "sam-hello-world", "template.yaml")
	_, outputs := p.deployStack(ctx, t, template, "sam-app", nil)
	// The output is http://ROUTES/hello/, trailing slash and all, as
	// sam init writes it: a REST API's route answers it as /hello.
	p.apiURL(t, outputs, "HelloWorldApi")
	url := outputs["HelloWorldApi"]
	if !strings.HasSuffix(url, "/hello/") {
		t.Fatalf("HelloWorldApi output %q", url)
	}
	st, body := httpDo(ctx, t, "GET", url, "", "")
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); st != 200 || err != nil || len(got) != 1 || got["message"] != "hello world" {
		t.Fatalf("GET %s: %d %s", url, st, body)
	}
	if arn := fn.ARN("default", "sam-app-HelloWorldFunction", ""); outputs["HelloWorldFunction"] != arn || outputs["HelloWorldFunctionIamRole"] == "" {
		t.Errorf("outputs %v, want HelloWorldFunction %s and a role", outputs, arn)
	}

	got2, err := api.GetStack(ctx, "sam-app")
	if err != nil || got2.Name != "sam-app" || len(got2.Outputs) != 3 {
		t.Fatalf("get stack: %+v %v", got2, err)
	}
	list, err := api.ListStacks(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "sam-app" {
		t.Fatalf("list stacks: %+v %v", list, err)
	}
	plan, err := p.deployTemplateFile(ctx, t, template, "sam-app", nil, true)
	if err != nil || len(plan.Plan) == 0 {
		t.Fatalf("dry run: %+v %v", plan, err)
	}
	for _, s := range plan.Plan {
		if s.Action != "keep" {
			t.Errorf("dry run of the deployed template plans %s %s (%s)", s.Action, s.LogicalID, s.Type)
		}
	}

	if err := api.DeleteStack(ctx, "sam-app"); err != nil {
		t.Fatal(err)
	}
	if st, body := httpDo(ctx, t, "GET", url, "", ""); st != 404 {
		t.Errorf("GET %s after the stack's deletion: %d %s, want 404", url, st, body)
	}
	if _, err := api.GetStack(ctx, "sam-app"); err == nil {
		t.Error("the deleted stack is still there")
	}
}

// waitObject polls bucket/key until it exists (a minute at most).
func waitObject(ctx context.Context, t *testing.T, c *s3.Client, bucket, key string) *s3.GetObjectOutput {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s/%s after a minute: %v", bucket, key, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// examples/thumbnail/template.yaml: an image uploaded to the stack's
// upload bucket comes back scaled down in its thumbnail bucket.
func TestSAMAppThumbnails(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, outputs := p.deployStack(ctx, t, filepath.Join("..", "..", "examples", "thumbnail", "template.yaml"), "thumbs", nil) // built by the deploy, as the README runs it
	uploads, thumbs := outputs["UploadBucket"], outputs["ThumbnailBucket"]
	if !strings.HasPrefix(uploads, "thumbs-uploads-") || !strings.HasPrefix(thumbs, "thumbs-thumbnails-") {
		t.Fatalf("bucket outputs %v", outputs)
	}
	p.driveThumbnails(ctx, t, uploads, thumbs)
}

// driveThumbnails uploads a tall image and checks its thumbnail.
func (p *platform) driveThumbnails(ctx context.Context, t *testing.T, uploads, thumbs string) {
	t.Helper()
	s3c := s3.NewFromConfig(p.awsConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	img := image.NewRGBA(image.Rect(0, 0, 300, 600))
	for y := range 600 {
		img.Set(y/2, y, color.RGBA{0, 0, 255, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &uploads, Key: aws.String("cats/tall cat.png"), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	thumb := waitObject(ctx, t, s3c, thumbs, "cats/tall cat.png")
	defer thumb.Body.Close()
	got, err := png.Decode(thumb.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dx() != 64 || b.Dy() != 128 {
		t.Errorf("thumbnail is %dx%d, want 64x128", b.Dx(), b.Dy())
	}
	if src := thumb.Metadata["source"]; src != uploads+"/cats/tall cat.png" {
		t.Errorf("thumbnail source %q", src)
	}
}

// examples/signup-welcome/template.yaml: POST /users puts the user in the
// table; its stream, the welcome function, the queue and the mailer end
// with the rendered email in the sent-mail bucket.
func TestSAMAppSignupWelcome(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, outputs := p.deployStack(ctx, t, samBuild(t, "signup-welcome"), "signup", map[string]string{"MailFrom": "hello@updraft.example"})
	p.driveSignup(ctx, t, p.apiURL(t, outputs, "SignupApi")+"/users", outputs["UsersTable"], outputs["SentMailBucket"], outputs["WelcomeQueueUrl"])
}

// driveSignup signs Ada up and follows her welcome email to the sent-mail
// bucket (from hello@updraft.example).
func (p *platform) driveSignup(ctx context.Context, t *testing.T, users, table, sentBucket, queueURL string) {
	t.Helper()
	if st, body := httpDo(ctx, t, "POST", users, "", `{"email":"not an address"}`); st != 400 || !strings.Contains(body, "is not an email address") {
		t.Fatalf("POST a bad sign-up: %d %s, want 400 with a message", st, body)
	}
	st, body := httpDo(ctx, t, "POST", users, "", `{"email":"ada@example.com","name":"Ada"}`)
	var user struct{ ID, Email, Name string }
	if err := json.Unmarshal([]byte(body), &user); st != 201 || err != nil || user.ID == "" || user.Email != "ada@example.com" {
		t.Fatalf("POST /users: %d %s", st, body)
	}
	cfg := p.awsConfig()
	item, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]ddb.AttributeValue{"id": &ddb.AttributeValueMemberS{Value: user.ID}}})
	if err != nil || item.Item["email"] == nil {
		t.Fatalf("the user in %s: %+v %v", table, item, err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sent := waitObject(ctx, t, s3c, sentBucket, "sent/"+user.ID+".eml")
	defer sent.Body.Close()
	msg, err := mail.ReadMessage(sent.Body)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("To") != `"Ada" <ada@example.com>` || msg.Header.Get("From") != "hello@updraft.example" ||
		msg.Header.Get("Subject") != "Welcome aboard!" || !strings.Contains(string(text), "Hello Ada,") {
		t.Fatalf("sent mail %v\n%s", msg.Header, text)
	}
	// The mailer took the message off the queue.
	q := sqs.NewFromConfig(cfg)
	for deadline := time.Now().Add(30 * time.Second); ; {
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the welcome queue still holds messages: %v", attrs.Attributes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
