package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// canaryTemplate is a function with AutoPublishAlias live and a
// DeploymentPreference; hook names a PreTraffic hook function ("" none).
func canaryTemplate(pref, hook string) string {
	hooks, hookFn := "", ""
	if hook != "" {
		hooks = "\n        Hooks:\n          PreTraffic: !Ref " + hook
		hookFn = fmt.Sprintf(`
  %s:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hook/
      Handler: hook.handler
      Runtime: python3.12
`, hook)
	}
	return `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: canary-fn
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      DeploymentPreference:
        Type: ` + pref + hooks + `
` + hookFn
}

func canaryCode(version string, fail bool) string {
	if fail {
		return "def handler(event, context):\n    raise Exception('version " + version + " is broken')\n"
	}
	return "def handler(event, context):\n    return '" + version + "'\n"
}

// waitShift polls the stack until function's shift ends, invoking the
// alias meanwhile (the error-rate guard needs calls to judge).
func waitShift(ctx context.Context, t *testing.T, api *apiclient.Client, lc *lambda.Client, stack, function string) *apiclient.StackDeployment {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		s, err := api.GetStack(ctx, stack)
		if err != nil {
			t.Fatal(err)
		}
		d := s.Deployment(function)
		if d != nil && (d.Status == "Succeeded" || d.Status == "RolledBack") {
			return d
		}
		_, _ = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Qualifier: aws.String("live")})
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the shift of %s did not end", function)
	return nil
}

func aliasVersion(ctx context.Context, t *testing.T, lc *lambda.Client, function string) (string, map[string]float64) {
	t.Helper()
	a, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]float64
	if a.RoutingConfig != nil {
		w = a.RoutingConfig.AdditionalVersionWeights
	}
	return aws.ToString(a.FunctionVersion), w
}

func invokeAlias(ctx context.Context, t *testing.T, lc *lambda.Client, function string) string {
	t.Helper()
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Qualifier: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		return "error: " + string(out.Payload)
	}
	var s string
	_ = json.Unmarshal(out.Payload, &s)
	return s
}

// TestStackCanaryRollsBack deploys v1, then a failing v2 with a canary
// preference: the error-rate guard rolls the alias back to v1. Then a v3
// whose PreTraffic hook fails is rolled back before any traffic moves,
// and a v4 with a passing hook shifts linearly to the end.
func TestStackCanaryRollsBack(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	lc := p.lambda()
	dir := writeApp(t, map[string]string{
		"template.yaml": canaryTemplate("Canary50Percent10Seconds", ""),
		"src/app.py":    canaryCode("v1", false),
	})
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := deployTemplate(ctx, t, api, dir, "canary", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := aliasVersion(ctx, t, lc, "canary-fn")
	if got := invokeAlias(ctx, t, lc, "canary-fn"); got != "v1" || len(s.Deployments) != 0 {
		t.Fatalf("first deploy: alias %s answers %q, shifts %+v", v1, got, s.Deployments)
	}

	// v2 fails: the guard rolls back.
	write("src/app.py", canaryCode("v2", true))
	if s, err = deployTemplate(ctx, t, api, dir, "canary", nil, false); err != nil {
		t.Fatal(err)
	}
	if d := s.Deployment("canary-fn"); d == nil || d.From != v1 || d.To == v1 {
		t.Fatalf("no shift from %s: %+v", v1, s.Deployments)
	}
	d := waitShift(ctx, t, api, lc, "canary", "canary-fn")
	if d.Status != "RolledBack" || !strings.Contains(d.Reason, "%") {
		t.Fatalf("a failing version: %+v", d)
	}
	if v, w := aliasVersion(ctx, t, lc, "canary-fn"); v != v1 || len(w) != 0 {
		t.Fatalf("after the rollback the alias serves %s %v, want %s alone", v, w, v1)
	}
	for range 5 {
		if got := invokeAlias(ctx, t, lc, "canary-fn"); got != "v1" {
			t.Fatalf("after the rollback the alias answers %q", got)
		}
	}

	// v3 with a failing PreTraffic hook: rolled back, no traffic moved.
	write("template.yaml", canaryTemplate("Linear50PercentEvery1Second", "CheckFn"))
	write("src/app.py", canaryCode("v3", false))
	if err := os.MkdirAll(filepath.Join(dir, "hook"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("hook/hook.py", "def handler(event, context):\n    raise Exception('smoke test failed')\n")
	if _, err = deployTemplate(ctx, t, api, dir, "canary", nil, false); err != nil {
		t.Fatal(err)
	}
	d = waitShift(ctx, t, api, lc, "canary", "canary-fn")
	if d.Status != "RolledBack" || !strings.Contains(d.Reason, "smoke test failed") && !strings.Contains(strings.ToLower(d.Reason), "hook") {
		t.Fatalf("a failing hook: %+v", d)
	}
	if v, _ := aliasVersion(ctx, t, lc, "canary-fn"); v != v1 {
		t.Fatalf("after a failed hook the alias serves %s, want %s", v, v1)
	}

	// v4 with a passing hook: shifted to the end.
	write("hook/hook.py", "def handler(event, context):\n    return {'ok': True}\n")
	write("src/app.py", canaryCode("v4", false))
	if _, err = deployTemplate(ctx, t, api, dir, "canary", nil, false); err != nil {
		t.Fatal(err)
	}
	d = waitShift(ctx, t, api, lc, "canary", "canary-fn")
	if d.Status != "Succeeded" {
		t.Fatalf("a good version: %+v", d)
	}
	if v, w := aliasVersion(ctx, t, lc, "canary-fn"); v != d.To || len(w) != 0 {
		t.Fatalf("after the shift the alias serves %s %v, want %s alone", v, w, d.To)
	}
	if got := invokeAlias(ctx, t, lc, "canary-fn"); got != "v4" {
		t.Fatalf("after the shift the alias answers %q", got)
	}
	s, _ = api.GetStack(ctx, "canary")
	for _, r := range s.Resources {
		if r.LogicalID == "Fn" && r.Applied.Version != d.To {
			t.Errorf("the stack records version %s serving, want %s", r.Applied.Version, d.To)
		}
	}
}

// TestStackFailedUpdateKeepsPrevious: an update whose later resource
// fails puts the function back; a bad template names the resource and
// property and changes nothing.
func TestStackFailedUpdateKeepsPrevious(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	lc := p.lambda()
	base := `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: keep-fn
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
`
	dir := writeApp(t, map[string]string{"template.yaml": base, "src/app.py": canaryCode("v1", false)})
	if _, err := deployTemplate(ctx, t, api, dir, "keep", nil, false); err != nil {
		t.Fatal(err)
	}
	invoke := func() string {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("keep-fn")})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Payload)
	}
	// v2: new code, then a mapping from a queue that does not exist.
	broken := base + `  Feed:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:no-such-queue"
`
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src/app.py"), []byte(canaryCode("v2", false)), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := deployTemplate(ctx, t, api, dir, "keep", nil, false)
	if err == nil || !strings.Contains(err.Error(), "Feed") {
		t.Fatalf("a failing update: %v", err)
	}
	if s == nil || s.Status != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("stack after a failed update: %+v", s)
	}
	if got := invoke(); got != `"v1"` {
		t.Fatalf("after a failed update the function answers %s, want the previous version's", got)
	}

	// Bad templates: refused naming what to fix; nothing changes.
	for _, c := range []struct{ template, want string }{
		{strings.Replace(base, "python3.12", "python2.7", 1), "Resource Fn (AWS::Serverless::Function), property Runtime"},
		{base + "      Layers: [arn:aws:lambda:local:1:layer:x:1]\n", "property Layers"},
		{base + "  Box:\n    Type: AWS::EC2::Instance\n", "Resource Box (AWS::EC2::Instance)"},
		{strings.Replace(base, "CodeUri: src/", "CodeUri: !Ref Nope", 1), "Nope"},
	} {
		if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(c.template), 0o644); err != nil {
			t.Fatal(err)
		}
		b, perr := packageOrNil(filepath.Join(dir, "template.yaml"))
		if perr != nil {
			if !strings.Contains(perr.Error(), c.want) {
				t.Errorf("packaging refused %q with %v", c.want, perr)
			}
			continue
		}
		_, err := api.DeployStack(ctx, "keep", b)
		var ae *apiclient.Error
		if err == nil || !asAPIError(err, &ae) || ae.Status != 400 || ae.Type != "ValidationError" || !strings.Contains(ae.Message, c.want) {
			t.Errorf("template wanting %q: %v", c.want, err)
		}
	}
	if got := invoke(); got != `"v1"` {
		t.Fatalf("after refused templates the function answers %s", got)
	}
}

// TestStackShiftResumesAfterRestart stops the server in the middle of a
// canary shift; the restarted server carries it to its end.
func TestStackShiftResumesAfterRestart(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	dir := t.TempDir()
	p, stop := startAt(t, dir, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app := writeApp(t, map[string]string{
		"template.yaml": canaryTemplate("Canary10Percent15Seconds", ""),
		"src/app.py":    canaryCode("v1", false),
	})
	api := apiclient.New(p.endpoint, p.key.APIKey)
	if _, err := deployTemplate(ctx, t, api, app, "resume", nil, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "src/app.py"), []byte(canaryCode("v2", false)), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := deployTemplate(ctx, t, api, app, "resume", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	to := s.Deployment("canary-fn").To
	time.Sleep(500 * time.Millisecond) // into the 10% step
	stop()
	p, stop = startAt(t, dir, p.key)
	defer stop()
	api = apiclient.New(p.endpoint, p.key.APIKey)
	mid, err := api.GetStack(ctx, "resume")
	if err != nil {
		t.Fatal(err)
	}
	if d := mid.Deployment("canary-fn"); d == nil || d.Status == "Succeeded" || d.Status == "RolledBack" {
		t.Fatalf("the shift ended before the restart: %+v", d)
	}
	// A deploy while the shift runs is refused, not raced.
	if _, err := deployTemplate(ctx, t, api, app, "resume", nil, false); !isStatus(err, 409) || !strings.Contains(err.Error(), "in progress") {
		t.Fatalf("a deploy during the shift: %v", err)
	}
	d := waitShift(ctx, t, api, p.lambda(), "resume", "canary-fn")
	if d.Status != "Succeeded" || d.To != to {
		t.Fatalf("after the restart: %+v", d)
	}
	if v, w := aliasVersion(ctx, t, p.lambda(), "canary-fn"); v != to || len(w) != 0 {
		t.Fatalf("the alias serves %s %v, want %s alone", v, w, to)
	}
}
