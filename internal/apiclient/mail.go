package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// MailRoute sends the mail for a recipient (an address or "@domain") to
// a function.
type MailRoute struct {
	Recipient string `json:"recipient"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	// Owner is "" for a route made by the API or CLI, "yaml:FUNCTION" for
	// one a function's updraft.yaml declares.
	Owner   string    `json:"owner,omitempty"`
	Created time.Time `json:"created"`
}

// AddMailRoute routes recipient (help@example.com or @example.com) to
// function (NAME or NAME:QUALIFIER), replacing the caller's route of it.
func (c *Client) AddMailRoute(ctx context.Context, recipient, function string) (*MailRoute, error) {
	body, err := json.Marshal(map[string]string{"recipient": recipient, "function": function})
	if err != nil {
		return nil, fmt.Errorf("apiclient: mail route: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/mail/routes", nil, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	out := new(MailRoute)
	if _, err := c.doJSON(req, out, http.StatusCreated); err != nil {
		return nil, err
	}
	return out, nil
}

// MailRoutes lists the caller's mail routes by recipient.
func (c *Client) MailRoutes(ctx context.Context) ([]MailRoute, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/mail/routes", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Routes []MailRoute `json:"routes"`
	}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.Routes, nil
}

// RemoveMailRoute deletes the caller's route of recipient.
func (c *Client) RemoveMailRoute(ctx context.Context, recipient string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, "/v1/mail/routes/"+url.PathEscape(recipient), nil, nil)
	if err != nil {
		return err
	}
	_, err = c.doJSON(req, nil, http.StatusNoContent)
	return err
}

// MailMessage returns a stored raw message (RFC 5322) by its SES message
// id, the objectKey of its event's receipt action.
func (c *Client) MailMessage(ctx context.Context, id string) ([]byte, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/mail/messages/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("apiclient: mail message %s: %w", id, err)
	}
	return b, nil
}
