package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// RestoreOptions says where a backup is restored.
type RestoreOptions struct {
	DataDir  string // must be absent or empty; the backup's files go here
	StoreDir string // the store's directory, normally inside DataDir
}

// restoreChunk is the size of the pieces a snapshot is sent back in.
const restoreChunk = 128 << 10

// Restore checks the backup in dir against its manifest — every file
// present with its size and SHA-256 — before it writes anything, then
// restores every stream into a new store in opt.StoreDir and writes the
// backup's files (mode 0600) into opt.DataDir. The server must be stopped
// and opt.DataDir absent or empty. After each stream is restored its
// message count and last sequence are compared with the manifest. On an
// error what Restore wrote is removed again.
func Restore(ctx context.Context, dir string, opt RestoreOptions) (_ *Manifest, err error) {
	m, err := VerifyBackup(dir)
	if err != nil {
		return nil, err
	}
	if err := RequireEmpty(opt.DataDir, "restore only into a new or empty data directory, with the server stopped; move the old one aside first"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: restore: %w", err)
	}
	defer func() {
		if err != nil {
			clearDir(opt.DataDir)
		}
	}()
	st, err := Open(ctx, Config{Dir: opt.StoreDir})
	if err != nil {
		return nil, err
	}
	for _, sb := range m.Streams {
		if err := st.restoreStream(ctx, dir, sb); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		data, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			return nil, fmt.Errorf("store: restore %s: %w", f.Name, err)
		}
		if err := writeFileSync(filepath.Join(opt.DataDir, f.Name), data); err != nil {
			return nil, fmt.Errorf("store: restore %s: %w", f.Name, err)
		}
	}
	return m, nil
}

// restoreStream sends one stream's snapshot to the server's restore API
// and checks the stream it created.
func (s *Store) restoreStream(ctx context.Context, dir string, sb StreamBackup) error {
	req := server.JSApiStreamRestoreRequest{}
	if err := json.Unmarshal(sb.Config, &req.Config); err != nil {
		return fmt.Errorf("store: restore %s: config in the manifest: %w", sb.Name, err)
	}
	if err := json.Unmarshal(sb.State, &req.State); err != nil {
		return fmt.Errorf("store: restore %s: state in the manifest: %w", sb.Name, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	msg, err := s.nc.RequestWithContext(ctx, fmt.Sprintf(server.JSApiStreamRestoreT, sb.Name), body)
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", sb.Name, err)
	}
	var resp server.JSApiStreamRestoreResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("store: restore %s: decode reply: %w", sb.Name, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("store: restore %s: %w", sb.Name, resp.Error)
	}
	f, err := os.Open(filepath.Join(dir, sb.File))
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", sb.Name, err)
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, restoreChunk)
	for {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 {
			if err := s.sendChunk(ctx, sb.Name, resp.DeliverSubject, buf[:n], 30*time.Second, nil); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("store: restore %s: %w", sb.Name, rerr)
		}
	}
	// An empty message ends the transfer; the reply comes when the stream
	// is in place.
	var done server.JSApiStreamCreateResponse
	if err := s.sendChunk(ctx, sb.Name, resp.DeliverSubject, nil, 10*time.Minute, &done); err != nil {
		return err
	}
	if done.StreamInfo == nil {
		return fmt.Errorf("store: restore %s: the server did not report the restored stream", sb.Name)
	}
	got := done.StreamInfo.State
	if got.Msgs != sb.Messages || got.LastSeq != sb.LastSeq {
		return fmt.Errorf("store: restore %s: restored %d messages up to sequence %d, the backup holds %d up to %d",
			sb.Name, got.Msgs, got.LastSeq, sb.Messages, sb.LastSeq)
	}
	return nil
}

// sendChunk sends one piece of a snapshot and waits for the server's
// answer: empty for a stored chunk, an error or (for the last, empty piece)
// the created stream otherwise. out, when not nil, receives the answer.
func (s *Store) sendChunk(ctx context.Context, name, subj string, data []byte, timeout time.Duration, out *server.JSApiStreamCreateResponse) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := s.nc.RequestWithContext(ctx, subj, data)
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", name, err)
	}
	if len(msg.Data) == 0 {
		if out != nil {
			return fmt.Errorf("store: restore %s: the server did not confirm the restore", name)
		}
		return nil
	}
	var resp server.JSApiStreamCreateResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("store: restore %s: decode reply: %w", name, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("store: restore %s: %w", name, resp.Error)
	}
	if out != nil {
		*out = resp
	}
	return nil
}

// RequireEmpty refuses a directory that exists and holds anything, with
// hint saying what to do instead.
func RequireEmpty(dir, hint string) error {
	if dir == "" {
		return errors.New("store: no directory given")
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("store: %s is not empty (it holds %s): %s", dir, entries[0].Name(), hint)
	}
	return nil
}

// clearDir removes everything inside dir, leaving dir itself.
func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// writeFileSync writes data to a new file of mode 0600 and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
