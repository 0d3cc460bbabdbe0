package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// The CLI's AWS configuration exchanges its API key for session
// credentials that a real SDK client signs with, against a real daemon.
func TestAWSConfigSession(t *testing.T) {
	d, _, key := startServer(t)
	ctx := context.Background()
	env := map[string]string{"UPDRAFT_API_KEY": key, "UPDRAFT_ENDPOINT": "http://" + d.Addr()}
	a := &app{getenv: func(k string) string { return env[k] }}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("via-session")})
	if err != nil {
		t.Fatalf("CreateQueue with session credentials: %v", err)
	}
	if _, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A session ends with the key it was made from.
	api := apiclient.New("http://"+d.Addr(), key)
	k, err := api.CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	env2 := map[string]string{"UPDRAFT_API_KEY": k.APIKey, "UPDRAFT_ENDPOINT": "http://" + d.Addr()}
	cfg2, err := (&app{getenv: func(s string) string { return env2[s] }}).awsConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg2).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("a session of a live key: %v", err)
	}
	if err := api.RevokeKey(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg2).ListQueues(ctx, &sqs.ListQueuesInput{}); err == nil {
		t.Fatal("a session outlived the key it was made from")
	}
	// The token is what makes the key valid: without it, or with another
	// session's, the request is refused.
	for name, token := range map[string]string{"no token": "", "tampered": creds.SessionToken + "x"} {
		bad := cfg.Copy()
		bad.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: token}, nil
		})
		_, err := sqs.NewFromConfig(bad).ListQueues(ctx, &sqs.ListQueuesInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want an API error", name, err)
		}
	}
}
