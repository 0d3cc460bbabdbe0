package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// backupErrorTrailer is the trailer in which the server says why a backup
// stopped after it began sending (gateway/mgmt.BackupErrorTrailer).
const backupErrorTrailer = "Updraft-Backup-Error"

// Backup asks the server for a backup of its whole store (GET /v1/backup,
// admin key only) and returns the tar archive as it streams in. When the
// server fails part-way, reading ends with an error that says why instead
// of io.EOF. The caller closes the reader.
func (c *Client) Backup(ctx context.Context) (io.ReadCloser, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/backup", nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return &backupReader{resp: resp}, nil
}

// backupReader turns the server's error trailer into a read error.
type backupReader struct {
	resp *http.Response
}

func (b *backupReader) Read(p []byte) (int, error) {
	n, err := b.resp.Body.Read(p)
	if errors.Is(err, io.EOF) {
		if msg := b.resp.Trailer.Get(backupErrorTrailer); msg != "" {
			return n, fmt.Errorf("the server could not finish the backup: %s", msg)
		}
	}
	return n, err
}

func (b *backupReader) Close() error {
	closeBody(b.resp)
	return nil
}
