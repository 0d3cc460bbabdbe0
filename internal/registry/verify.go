package registry

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// CheckOptions bounds a Check.
type CheckOptions struct {
	// MaxReads is store.VerifyOptions.MaxReads: the most messages read
	// back per stream (0: all).
	MaxReads uint64
	// MaxCodeBytes is the most code bytes read to check digests; when the
	// code store holds more, no digest is checked (invokes still check the
	// code they fetch, and the offline check reads it all). 0: no bound.
	MaxCodeBytes uint64
}

// CheckReport is a Check's findings in the registry's terms.
type CheckReport struct {
	Store    *store.Report `json:"store"`
	Findings []Finding     `json:"findings"`
	// CodeChecked says whether every code object was read and its digest
	// compared with its name.
	CodeChecked bool `json:"code_checked"`
}

// Finding is one loss, named: which functions, how many events, which keys.
type Finding struct {
	Stream string   `json:"stream"`          // the stream it was found in
	What   string   `json:"what"`            // e.g. "functions", "API keys", "async events"
	Count  uint64   `json:"count"`           // how many were lost or damaged
	Names  []string `json:"names,omitempty"` // what, by name, when known
	Detail string   `json:"detail"`          // the evidence
}

// Damaged reports whether anything was lost or is unreadable.
func (c *CheckReport) Damaged() bool { return len(c.Findings) > 0 || c.Store.Damaged() }

// Summary is what was checked: the store directory, the streams, the
// messages read back and what the state was compared with.
func (c *CheckReport) Summary() (dir string, streams int, readBack uint64, baseline string) {
	for _, s := range c.Store.Streams {
		readBack += s.Readable
	}
	return c.Store.Dir, len(c.Store.Streams), readBack, c.Store.Baseline
}

// Lines is the report for people, one finding a line; empty when intact.
func (c *CheckReport) Lines() []string {
	var out []string
	for _, f := range c.Findings {
		line := fmt.Sprintf("%s: %d %s lost or damaged (%s)", f.Stream, f.Count, f.What, f.Detail)
		if len(f.Names) > 0 {
			line += ": " + strings.Join(f.Names, ", ")
		}
		out = append(out, line)
	}
	for _, w := range c.Store.ServerDamage {
		out = append(out, "NATS server: "+w)
	}
	return out
}

// streamNouns names what a stream's messages are; registry's own buckets
// are named below. QUEUES, LOGS and USAGE are queue.StreamName,
// logs.StreamName and meter.StreamName; ASYNC is where versions before the
// queue spine kept async events (moved into QUEUES at start).
var streamNouns = map[string]string{
	"ASYNC":                   "async events",
	"QUEUES":                  "queued messages (async events, SQS queues, deliveries)",
	"KV_QUEUE_DEFS":           "queue definitions",
	"LOGS":                    "log batches",
	"USAGE":                   "usage record batches",
	"KV_" + functionsBucket:   "functions",
	"KV_" + versionsBucket:    "published versions",
	"KV_" + aliasesBucket:     "aliases",
	"KV_" + apiKeysBucket:     "API keys",
	"KV_" + accessKeyBucket:   "access keys",
	"KV_" + urlsBucket:        "function URLs",
	"KV_" + concurrencyBucket: "concurrency settings",
	"KV_" + codeHoldsBucket:   "code holds of deploys in flight",
	"OBJ_" + codeBucket:       "code object messages",
}

// StreamNoun names what the messages of stream are ("async events").
func StreamNoun(stream string) string {
	if n, ok := streamNouns[stream]; ok {
		return n
	}
	return "messages"
}

// Check verifies the store under the registry (see store.Verify) and names
// every loss: functions, versions and keys by their keys, API keys by their
// hash's prefix, code objects by digest with the functions that use them,
// other streams by count. It changes nothing, so it runs offline (`updraft
// admin check`) as well as at start.
func Check(ctx context.Context, st *store.Store, opt CheckOptions) (*CheckReport, error) {
	rep, err := st.Verify(ctx, store.VerifyOptions{MaxReads: opt.MaxReads})
	if err != nil {
		return nil, err
	}
	c := &CheckReport{Store: rep}
	users, err := codeUsers(ctx, st.JetStream())
	if err != nil {
		return nil, err
	}
	named := map[string]bool{} // code digests already reported
	for _, s := range rep.Streams {
		if len(s.Problems) == 0 {
			continue
		}
		f := Finding{Stream: s.Name, What: StreamNoun(s.Name), Count: s.LostMsgs, Detail: strings.Join(s.Problems, "; ")}
		for _, subj := range s.LostSubjects {
			name := subjectName(subj)
			if sha, ok := strings.CutPrefix(name, "code "); ok {
				named[sha] = true
				name = codeName(sha, users)
			}
			f.Names = append(f.Names, name)
		}
		if strings.HasPrefix(s.Name, "OBJ_") && len(f.Names) > 0 {
			f.What, f.Count = "code objects", uint64(len(f.Names))
		}
		f.Count = max(f.Count, uint64(len(f.Names)))
		c.Findings = append(c.Findings, f)
	}
	code, err := checkCode(ctx, st.JetStream(), opt.MaxCodeBytes)
	if err != nil {
		return nil, err
	}
	c.CodeChecked = code.checked
	bad := Finding{Stream: "OBJ_" + codeBucket, What: "code objects", Detail: "content does not match the digest it is named by, or cannot be read"}
	for _, sha := range code.bad {
		named[sha] = true
		bad.Names = append(bad.Names, codeName(sha, users))
	}
	missing := Finding{Stream: "OBJ_" + codeBucket, What: "code objects", Detail: "functions use them, the code store does not hold them"}
	for sha := range users {
		if !code.present[sha] && !named[sha] {
			missing.Names = append(missing.Names, codeName(sha, users))
		}
	}
	for _, f := range []Finding{bad, missing} {
		if len(f.Names) > 0 {
			slices.Sort(f.Names)
			f.Count = uint64(len(f.Names))
			c.Findings = append(c.Findings, f)
		}
	}
	return c, nil
}

// codeName names a code object and the functions that use it.
func codeName(sha string, users map[string][]string) string {
	const most = 10
	if u := users[sha]; len(u) > most {
		return fmt.Sprintf("code %s (used by %s and %d more)", sha, strings.Join(u[:most], ", "), len(u)-most)
	} else if len(u) > 0 {
		return "code " + sha + " (used by " + strings.Join(u, ", ") + ")"
	}
	return "code " + sha
}

// subjectName turns a stored subject into the name a person knows: a KV
// key ("tenant.name") or an object's name.
func subjectName(subj string) string {
	if rest, ok := strings.CutPrefix(subj, "$KV."); ok {
		bucket, key, _ := strings.Cut(rest, ".")
		switch bucket {
		case functionsBucket:
			return "function " + strings.Replace(key, ".", "/", 1)
		case versionsBucket:
			if i := strings.LastIndexByte(key, '.'); i > 0 {
				return "version " + strings.Replace(key[:i], ".", "/", 1) + ":" + key[i+1:]
			}
		case apiKeysBucket:
			return "API key sha256 " + key[:min(len(key), 12)] + "…"
		}
		return key
	}
	if rest, ok := strings.CutPrefix(subj, "$O."); ok {
		_, enc, _ := strings.Cut(rest, ".M.")
		if name, err := base64.URLEncoding.DecodeString(enc); err == nil {
			return "code " + string(name)
		}
		return subj
	}
	return subj
}

type codeResult struct {
	present map[string]bool // names of the objects stored
	checked bool            // every object's digest was checked
	bad     []string        // digests of objects that fail
}

// checkCode lists the code objects and, unless they hold more than
// maxBytes (0: no bound), reads each and compares its sha256 with its name.
func checkCode(ctx context.Context, js jetstream.JetStream, maxBytes uint64) (*codeResult, error) {
	res := &codeResult{present: map[string]bool{}}
	obs, err := js.ObjectStore(ctx, codeBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		res.checked = true
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: open code store: %w", err)
	}
	infos, err := codeInfos(ctx, js)
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, in := range infos {
		total += in.Size
		res.present[in.Name] = true
	}
	if maxBytes > 0 && total > maxBytes {
		return res, nil
	}
	res.checked = true
	for _, in := range infos {
		if err := verifyCodeObject(ctx, js, obs, in.Name); err != nil {
			res.bad = append(res.bad, in.Name)
		}
	}
	return res, nil
}

// codeInfos reads the metadata of every stored code object straight from
// the stream (the object store's List waits for messages a damaged stream
// counts but cannot deliver).
func codeInfos(ctx context.Context, js jetstream.JetStream) ([]*jetstream.ObjectInfo, error) {
	stream, err := js.Stream(ctx, "OBJ_"+codeBucket)
	if err != nil {
		return nil, fmt.Errorf("registry: open code store: %w", err)
	}
	byName := map[string]*jetstream.ObjectInfo{}
	for seq := uint64(1); ; {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject("$O."+codeBucket+".M.>"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("registry: read code metadata: %w", err)
		}
		seq = max(msg.Sequence, seq) + 1
		info := new(jetstream.ObjectInfo)
		if err := json.Unmarshal(msg.Data, info); err != nil {
			continue // unreadable metadata: its object is missing below
		}
		if info.Deleted {
			delete(byName, info.Name)
			continue
		}
		byName[info.Name] = info
	}
	out := make([]*jetstream.ObjectInfo, 0, len(byName))
	for _, in := range byName {
		out = append(out, in)
	}
	return out, nil
}

// verifyCodeObject reads object name and checks that it is the zip whose
// sha256 it is named by.
func verifyCodeObject(ctx context.Context, js jetstream.JetStream, obs jetstream.ObjectStore, name string) error {
	_, err := readCode(ctx, js, obs, name)
	return err
}

// readCode reads the code object named sha chunk by chunk and checks it
// against its digest: every chunk reads back, the sizes add up, and its
// sha256 is its name. A damaged object is an error wrapping ErrCodeCorrupt
// at once; the object store's own reader would wait for a lost chunk.
func readCode(ctx context.Context, js jetstream.JetStream, obs jetstream.ObjectStore, sha string) ([]byte, error) {
	info, err := obs.GetInfo(ctx, sha)
	if err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, "OBJ_"+codeBucket)
	if err != nil {
		return nil, err
	}
	subj := "$O." + codeBucket + ".C." + info.NUID
	data := make([]byte, 0, info.Size)
	seq := uint64(1)
	for n := 0; n < int(info.Chunks); n++ {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("%w: %d of its %d chunks read back", ErrCodeCorrupt, n, info.Chunks)
		}
		if err != nil {
			return nil, err
		}
		data = append(data, msg.Data...)
		seq = max(msg.Sequence, seq) + 1
	}
	if uint64(len(data)) != info.Size {
		return nil, fmt.Errorf("%w: %d bytes read back, %d stored", ErrCodeCorrupt, len(data), info.Size)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("%w: its content has sha256 %x", ErrCodeCorrupt, sum)
	}
	return data, nil
}

// codeUsers maps each code digest to the functions and versions using it.
func codeUsers(ctx context.Context, js jetstream.JetStream) (map[string][]string, error) {
	users := map[string][]string{}
	for _, bucket := range []string{functionsBucket, versionsBucket} {
		entries, err := kvEntries(ctx, js, bucket)
		if err != nil {
			return nil, err
		}
		for key, value := range entries {
			var f fn.Function
			if json.Unmarshal(value, &f) != nil || f.CodeSHA256 == "" {
				continue
			}
			name := strings.Replace(key, ".", "/", 1)
			if bucket == versionsBucket {
				if i := strings.LastIndexByte(name, '.'); i > 0 {
					name = name[:i] + ":" + name[i+1:]
				}
			}
			users[f.CodeSHA256] = append(users[f.CodeSHA256], name)
		}
	}
	for _, u := range users {
		slices.Sort(u)
	}
	return users, nil
}

// kvEntries reads the live keys of a KV bucket and their values straight
// from its stream, message by message. A KV watcher (Keys, ListKeys) waits
// for as many messages as the stream's state counts, which on a damaged
// stream never arrive; this read cannot hang. No bucket: no entries.
func kvEntries(ctx context.Context, js jetstream.JetStream, bucket string) (map[string][]byte, error) {
	stream, err := js.Stream(ctx, "KV_"+bucket)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", bucket, err)
	}
	prefix := "$KV." + bucket + "."
	entries := map[string][]byte{}
	for seq := uint64(1); ; {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(prefix+">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("registry: read %s: %w", bucket, err)
		}
		seq = max(msg.Sequence, seq) + 1
		key := strings.TrimPrefix(msg.Subject, prefix)
		if op := msg.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			delete(entries, key)
			continue
		}
		entries[key] = msg.Data
	}
}
