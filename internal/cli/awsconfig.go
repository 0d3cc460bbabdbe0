package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/updraft-dev/updraft/internal/fn"
)

// awsConfig is an AWS SDK configuration for the AWS-compatible services on
// the endpoint (S3, DynamoDB, …): the commands for them use the real SDK
// clients. Credentials are session credentials exchanged for the CLI's API
// key (POST /v1/session), refreshed before they expire.
func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	c, err := a.client()
	if err != nil {
		return aws.Config{}, err
	}
	creds := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		s, err := c.Session(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("exchange the API key for AWS credentials: %w", err)
		}
		return aws.Credentials{
			AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
			CanExpire: true, Expires: s.Expiration, Source: "updraft session",
		}, nil
	})
	return aws.Config{
		Region:       fn.Region,
		Credentials:  aws.NewCredentialsCache(creds),
		BaseEndpoint: aws.String(c.Endpoint),
	}, nil
}
