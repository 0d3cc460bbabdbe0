package compat

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestVersionsAndAliases publishes two versions, routes an alias 90/10
// between them and checks the split over 10,000 calls, each reporting the
// version that ran.
func TestVersionsAndAliases(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("canary"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "one")},
	})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary"), Description: aws.String("first")})
	if err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn)[len(aws.ToString(v1.FunctionArn))-9:] != ":canary:1" {
		t.Fatalf("PublishVersion: %s %s", aws.ToString(v1.Version), aws.ToString(v1.FunctionArn))
	}
	// Nothing changed: publishing again returns version 1.
	again, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary")})
	if err != nil || aws.ToString(again.Version) != "1" {
		t.Fatalf("PublishVersion again: %v %s", err, aws.ToString(again.Version))
	}
	up, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("canary"), ZipFile: pythonZip(t, "two")})
	if err != nil {
		t.Fatal(err)
	}
	// CodeSha256 guards against publishing code other than what was read.
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary"), CodeSha256: v1.CodeSha256})
	wantAPIError(t, err, "PreconditionFailedException")
	v2, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary"), CodeSha256: up.CodeSha256})
	if err != nil || aws.ToString(v2.Version) != "2" {
		t.Fatalf("PublishVersion 2: %v", err)
	}
	vs, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("canary")})
	if err != nil || len(vs.Versions) != 3 || aws.ToString(vs.Versions[0].Version) != "$LATEST" ||
		aws.ToString(vs.Versions[1].Version) != "1" || aws.ToString(vs.Versions[1].Description) != "first" {
		t.Fatalf("ListVersionsByFunction: %v %+v", err, vs)
	}

	// Each version runs its own code.
	for v, want := range map[string]string{"1": "one", "2": "two", "$LATEST": "two"} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String(v)})
		if err != nil || aws.ToString(out.ExecutedVersion) != v || !json.Valid(out.Payload) {
			t.Fatalf("Invoke %s: %v %s", v, err, aws.ToString(out.ExecutedVersion))
		}
		var got struct{ Version string }
		_ = json.Unmarshal(out.Payload, &got)
		if got.Version != want {
			t.Errorf("version %s ran code %q, want %q", v, got.Version, want)
		}
	}

	// Aliases.
	al, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String("canary"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
	})
	if err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	if aws.ToString(al.FunctionVersion) != "1" || al.RoutingConfig.AdditionalVersionWeights["2"] != 0.1 {
		t.Fatalf("CreateAlias: %+v", al)
	}
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	wantAPIError(t, err, "ResourceConflictException")
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("bad"), FunctionVersion: aws.String("9")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String("canary"), Name: aws.String("bad"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}},
	})
	wantAPIError(t, err, "InvalidParameterValueException")

	const calls = 10000
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls/8; i++ {
				out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary:live")})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				count[aws.ToString(out.ExecutedVersion)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Invoke alias: %v", err)
	}
	share := float64(count["2"]) / calls
	if count["1"]+count["2"] != calls || math.Abs(share-0.1) > 0.02 {
		t.Fatalf("split over %d calls: %v (version 2 took %.1f%%)", calls, count, 100*share)
	}
	t.Logf("alias live at 90/10: %v", count)

	upd, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String("canary"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
		RevisionId:    al.RevisionId,
	})
	if err != nil || aws.ToString(upd.FunctionVersion) != "2" {
		t.Fatalf("UpdateAlias: %v", err)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live")})
	if err != nil || aws.ToString(got.FunctionVersion) != "2" || aws.ToString(got.RevisionId) != aws.ToString(upd.RevisionId) {
		t.Fatalf("GetAlias: %v %+v", err, got)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("live")})
	if err != nil || aws.ToString(out.ExecutedVersion) != "2" {
		t.Fatalf("Invoke live after update: %v", err)
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("canary"), Qualifier: aws.String("1")})
	if err != nil || aws.ToString(cfg.Version) != "1" || aws.ToString(cfg.CodeSha256) != aws.ToString(v1.CodeSha256) {
		t.Fatalf("GetFunctionConfiguration :1: %v", err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("beta"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("canary")})
	if err != nil || len(list.Aliases) != 2 || aws.ToString(list.Aliases[0].Name) != "beta" {
		t.Fatalf("ListAliases: %v %+v", err, list)
	}
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("canary"), Name: aws.String("beta")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("canary"), Name: aws.String("beta")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("nosuch")})
	wantAPIError(t, err, "ResourceNotFoundException")

	// A version an alias uses cannot go; another can.
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("canary"), Qualifier: aws.String("2")})
	wantAPIError(t, err, "ResourceConflictException")
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("canary"), Qualifier: aws.String("1")}); err != nil {
		t.Fatalf("DeleteFunction :1: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("1")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("canary"), Qualifier: aws.String("live")})
	wantAPIError(t, err, "InvalidParameterValueException")

	// Deleting the function takes its versions and aliases along.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("canary"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "three")},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("1")})
	wantAPIError(t, err, "ResourceNotFoundException")
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary")})
	if err != nil || aws.ToString(v.Version) != "1" {
		t.Fatalf("PublishVersion after re-create: %v", err)
	}
	// Publish: true on UpdateFunctionCode and CreateFunction.
	pub, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("canary"), ZipFile: pythonZip(t, "four"), Publish: true})
	if err != nil || aws.ToString(pub.Version) != "2" {
		t.Fatalf("UpdateFunctionCode Publish: %v %+v", err, pub)
	}
	cp, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("pub"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "p")}, Publish: true,
	})
	if err != nil || aws.ToString(cp.Version) != "1" {
		t.Fatalf("CreateFunction Publish: %v %+v", err, cp)
	}
}
