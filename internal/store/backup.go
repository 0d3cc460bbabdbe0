package store

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// BackupFormat is the version of the backup layout Backup writes and
// Restore reads.
const BackupFormat = 1

// ManifestName is the backup's table of contents; it is written last, so a
// backup without it is incomplete.
const ManifestName = "manifest.json"

// Manifest describes a backup: when and by what it was taken, every stream
// with its state at its snapshot, and every file, each with its size and
// SHA-256 so that Restore can check the whole backup before it writes
// anything.
type Manifest struct {
	Format      int            `json:"format"`
	Created     time.Time      `json:"created"`
	Version     string         `json:"updraft_version"`
	NATSVersion string         `json:"nats_server_version"`
	Streams     []StreamBackup `json:"streams"`
	Files       []FileBackup   `json:"files"`
}

// StreamBackup is one stream's snapshot in a backup.
type StreamBackup struct {
	Name      string          `json:"name"`
	File      string          `json:"file"` // streams/<name>.snap: JetStream's snapshot, as the server sent it
	Size      int64           `json:"size"`
	SHA256    string          `json:"sha256"`
	Messages  uint64          `json:"messages"`
	Bytes     uint64          `json:"bytes"`
	FirstSeq  uint64          `json:"first_seq"`
	LastSeq   uint64          `json:"last_seq"`
	Consumers int             `json:"consumers"`
	Config    json.RawMessage `json:"config"` // the stream's JetStream config
	State     json.RawMessage `json:"state"`  // its state when the snapshot was taken
}

// FileBackup is one file from beside the store (master.key, admin.key,
// admin.credentials) in a backup.
type FileBackup struct {
	Name   string `json:"name"` // base name in the data directory
	File   string `json:"file"` // files/<name>
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupFile names a file outside the store that a backup must carry.
type BackupFile struct {
	Name string // base name it is restored under
	Path string // where it is now
}

// BackupOptions says what else goes in a backup and where snapshots wait.
type BackupOptions struct {
	Files []BackupFile
	// TempDir holds one stream's snapshot at a time while its size is
	// taken for the tar header; "" is the system's temporary directory.
	TempDir string
}

// Backup writes a consistent copy of every stream of the store (KV
// buckets, object stores, the async queue, logs, usage — whatever exists
// now, enumerated, not listed) and opt.Files to w as a tar archive:
// streams/<name>.snap for each stream, files/<name> for each file and
// manifest.json last. Each stream's snapshot is JetStream's own
// point-in-time snapshot, taken with its consumers and after checking
// every message's checksum; streams are taken one after another, key-value
// buckets first and object stores next, so code referenced by the
// registry's snapshot is in the code snapshot taken after it.
func (s *Store) Backup(ctx context.Context, w io.Writer, opt BackupOptions) (*Manifest, error) {
	names, err := s.streamNames(ctx)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: BackupFormat, Created: time.Now().UTC(), Version: moduleVersion(), NATSVersion: server.VERSION}
	tw := tar.NewWriter(w)
	for _, name := range names {
		sb, err := s.backupStream(ctx, tw, name, opt.TempDir)
		if err != nil {
			return nil, err
		}
		m.Streams = append(m.Streams, *sb)
	}
	for _, f := range opt.Files {
		fb, err := backupFile(tw, f)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, *fb)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("store: encode manifest: %w", err)
	}
	if err := writeEntry(tw, ManifestName, int64(len(data)), strings.NewReader(string(data))); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("store: finish backup: %w", err)
	}
	return m, nil
}

// streamNames lists every stream: KV_ buckets first, then OBJ_ stores,
// then the rest, each group by name.
func (s *Store) streamNames(ctx context.Context) ([]string, error) {
	var names []string
	l := s.js.StreamNames(ctx)
	for n := range l.Name() {
		names = append(names, n)
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("store: list streams: %w", err)
	}
	group := func(n string) int {
		switch {
		case strings.HasPrefix(n, "KV_"):
			return 0
		case strings.HasPrefix(n, "OBJ_"):
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if gi, gj := group(names[i]), group(names[j]); gi != gj {
			return gi < gj
		}
		return names[i] < names[j]
	})
	return names, nil
}

// backupStream snapshots one stream into a temporary file, then copies it
// into the archive.
func (s *Store) backupStream(ctx context.Context, tw *tar.Writer, name, tempDir string) (*StreamBackup, error) {
	tmp, err := os.CreateTemp(tempDir, "updraft-snapshot-*")
	if err != nil {
		return nil, fmt.Errorf("store: backup %s: %w", name, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer func() { _ = tmp.Close() }()
	h := sha256.New()
	resp, size, err := s.snapshot(ctx, name, io.MultiWriter(tmp, h))
	if err != nil {
		return nil, err
	}
	sb := &StreamBackup{
		Name: name, File: "streams/" + name + ".snap", Size: size, SHA256: hex.EncodeToString(h.Sum(nil)),
		Messages: resp.State.Msgs, Bytes: resp.State.Bytes, FirstSeq: resp.State.FirstSeq,
		LastSeq: resp.State.LastSeq, Consumers: resp.State.Consumers,
	}
	if sb.Config, err = json.Marshal(resp.Config); err != nil {
		return nil, fmt.Errorf("store: backup %s: encode config: %w", name, err)
	}
	if sb.State, err = json.Marshal(resp.State); err != nil {
		return nil, fmt.Errorf("store: backup %s: encode state: %w", name, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("store: backup %s: %w", name, err)
	}
	if err := writeEntry(tw, sb.File, size, tmp); err != nil {
		return nil, err
	}
	return sb, nil
}

// snapshot asks the server for a snapshot of stream name (consumers
// included, messages checked) and writes its chunks to w, acknowledging
// each so that the server sends the next window.
func (s *Store) snapshot(ctx context.Context, name string, w io.Writer) (*server.JSApiStreamSnapshotResponse, int64, error) {
	inbox := nats.NewInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, 0, fmt.Errorf("store: snapshot %s: %w", name, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	req, err := json.Marshal(server.JSApiStreamSnapshotRequest{DeliverSubject: inbox, CheckMsgs: true})
	if err != nil {
		return nil, 0, err
	}
	msg, err := s.nc.RequestWithContext(ctx, fmt.Sprintf(server.JSApiStreamSnapshotT, name), req)
	if err != nil {
		return nil, 0, fmt.Errorf("store: snapshot %s: %w", name, err)
	}
	var resp server.JSApiStreamSnapshotResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, 0, fmt.Errorf("store: snapshot %s: decode reply: %w", name, err)
	}
	if resp.Error != nil {
		return nil, 0, fmt.Errorf("store: snapshot %s: %w", name, resp.Error)
	}
	if resp.Config == nil || resp.State == nil {
		return nil, 0, fmt.Errorf("store: snapshot %s: the server's reply has no config or state", name)
	}
	var size int64
	for {
		chunk, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("store: snapshot %s: %w", name, err)
		}
		if len(chunk.Data) == 0 {
			// The end: status 204, or why the server gave up.
			if st := chunk.Header.Get("Status"); st != "" && st != "204" {
				return nil, 0, fmt.Errorf("store: snapshot %s failed in the server: %s %s", name, st, chunk.Header.Get("Description"))
			}
			return &resp, size, nil
		}
		if _, err := w.Write(chunk.Data); err != nil {
			return nil, 0, fmt.Errorf("store: snapshot %s: %w", name, err)
		}
		size += int64(len(chunk.Data))
		if chunk.Reply != "" {
			if err := chunk.Respond(nil); err != nil {
				return nil, 0, fmt.Errorf("store: snapshot %s: acknowledge a chunk: %w", name, err)
			}
		}
	}
}

// backupFile copies one file into the archive.
func backupFile(tw *tar.Writer, f BackupFile) (*FileBackup, error) {
	if f.Name == "" || f.Name != path.Base(f.Name) || f.Name == "." || f.Name == ".." {
		return nil, fmt.Errorf("store: backup file name %q must be a plain base name", f.Name)
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("store: backup %s: %w", f.Name, err)
	}
	sum := sha256.Sum256(data)
	fb := &FileBackup{Name: f.Name, File: "files/" + f.Name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	if err := writeEntry(tw, fb.File, fb.Size, strings.NewReader(string(data))); err != nil {
		return nil, err
	}
	return fb, nil
}

// writeEntry adds one regular file, mode 0600, to the archive.
func writeEntry(tw *tar.Writer, name string, size int64, r io.Reader) error {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: time.Now().UTC()}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("store: backup %s: %w", name, err)
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return fmt.Errorf("store: backup %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("store: backup %s: wrote %d bytes, expected %d", name, n, size)
	}
	return nil
}

// moduleVersion is the running binary's module version and commit.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}

// errIncomplete: a backup without its manifest.
var errIncomplete = errors.New("the backup is incomplete: it has no " + ManifestName + " (was it interrupted? take a new one)")
