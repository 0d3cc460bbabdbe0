package apiclient

import (
	"context"
	"net/http"
	"time"
)

// SessionCredentials are short-lived AWS credentials of the caller's
// tenant, for the AWS-compatible services on the same endpoint.
type SessionCredentials struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
}

// Session exchanges the client's API key for session credentials.
func (c *Client) Session(ctx context.Context) (*SessionCredentials, error) {
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/session", nil, nil)
	if err != nil {
		return nil, err
	}
	s := new(SessionCredentials)
	if _, err := c.doJSON(req, s, http.StatusCreated); err != nil {
		return nil, err
	}
	return s, nil
}
