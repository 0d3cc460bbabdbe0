package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// VerifyOptions bounds a Verify.
type VerifyOptions struct {
	// MaxReads is the most messages read back per stream; a larger stream
	// is compared with the manifest only, and the report says so. 0: no
	// bound (the offline check).
	MaxReads uint64
}

// Report is what Verify found, stream by stream.
type Report struct {
	Dir string `json:"dir"` // the store directory
	// Baseline says what the streams were compared with: "clean stop"
	// (exact), "last start" (only what cannot shrink) or "none".
	Baseline string         `json:"baseline"`
	Streams  []StreamReport `json:"streams"`
	// ServerDamage are the NATS server's warnings and errors since Open
	// that say stored data was lost or corrupt.
	ServerDamage []string `json:"server_damage,omitempty"`
}

// StreamReport is one stream's findings. Problems empty: intact.
type StreamReport struct {
	Name     string `json:"name"`
	Msgs     uint64 `json:"msgs"`             // messages the stream holds by its own state
	Readable uint64 `json:"readable"`         // messages read back (Msgs when not read, see Unread)
	Unread   bool   `json:"unread,omitempty"` // too large to read back within MaxReads
	Expected uint64 `json:"expected"`         // messages at the baseline; 0 without one
	// LostMsgs is the best count of messages lost: against the baseline,
	// or the messages that could not be read back.
	LostMsgs uint64 `json:"lost_msgs"`
	// LostSubjects are subjects the baseline had and that cannot be read
	// now: KV keys ("$KV.<bucket>.<key>") and object metadata.
	LostSubjects []string `json:"lost_subjects,omitempty"`
	Problems     []string `json:"problems,omitempty"`
}

// Damaged reports whether anything was lost or could not be read.
func (r *Report) Damaged() bool {
	for _, s := range r.Streams {
		if len(s.Problems) > 0 {
			return true
		}
	}
	return len(r.ServerDamage) > 0
}

// Stream returns the report of the stream name, or nil.
func (r *Report) Stream(name string) *StreamReport {
	for i := range r.Streams {
		if r.Streams[i].Name == name {
			return &r.Streams[i]
		}
	}
	return nil
}

// Verify checks every stream: JetStream's own state (lost data, more
// subjects than messages), every message read back (up to MaxReads per
// stream), and the state against the manifest (see Accept): at a clean
// stop it must match exactly, after a crash sequences must not go back and
// no stream may be missing. It changes nothing.
func (s *Store) Verify(ctx context.Context, opt VerifyOptions) (*Report, error) {
	base, err := readManifest(s.dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Dir: s.dir, Baseline: "none"}
	if base != nil {
		rep.Baseline = "last start"
		if base.Clean {
			rep.Baseline = "clean stop"
		}
	}
	for _, line := range s.log.damageLines() {
		// After a clean stop the state files are complete: a recovery
		// that rebuilds them means the files changed under us.
		if isDamage(line) || rep.Baseline == "clean stop" {
			rep.ServerDamage = append(rep.ServerDamage, line)
		}
	}
	seen := map[string]bool{}
	names := s.js.StreamNames(ctx)
	for name := range names.Name() {
		seen[name] = true
		st, err := s.js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("store: stream %s: %w", name, err)
		}
		var mark *streamMark
		if m, ok := base.streams()[name]; ok {
			mark = &m
		}
		sr, err := verifyStream(ctx, st, name, mark, base != nil && base.Clean, opt)
		if err != nil {
			return nil, err
		}
		rep.Streams = append(rep.Streams, sr)
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("store: list streams: %w", err)
	}
	for name, m := range base.streams() {
		if !seen[name] {
			rep.Streams = append(rep.Streams, StreamReport{
				Name: name, Expected: m.Msgs, LostMsgs: m.Msgs, LostSubjects: m.Subjects,
				Problems: []string{fmt.Sprintf("the stream is gone (it held %d messages)", m.Msgs)},
			})
		}
	}
	slices.SortFunc(rep.Streams, func(a, b StreamReport) int { return strings.Compare(a.Name, b.Name) })
	return rep, nil
}

func (m *stateManifest) streams() map[string]streamMark {
	if m == nil {
		return nil
	}
	return m.Streams
}

func verifyStream(ctx context.Context, st jetstream.Stream, name string, mark *streamMark, clean bool, opt VerifyOptions) (StreamReport, error) {
	info, err := st.Info(ctx)
	if err != nil {
		return StreamReport{}, fmt.Errorf("store: stream %s info: %w", name, err)
	}
	state := info.State
	sr := StreamReport{Name: name, Msgs: state.Msgs, Readable: state.Msgs}
	problem := func(format string, args ...any) { sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...)) }
	if l := state.Lost; l != nil && len(l.Msgs) > 0 {
		sr.LostMsgs = uint64(len(l.Msgs))
		problem("JetStream lost %d messages (%d bytes) on recovery", len(l.Msgs), l.Bytes)
	}
	if uint64(state.NumSubjects) > state.Msgs {
		problem("its index knows %d subjects but only %d messages are stored", state.NumSubjects, state.Msgs)
	}
	if opt.MaxReads == 0 || state.Msgs <= opt.MaxReads {
		n, err := readBack(ctx, st, state.FirstSeq, state.LastSeq)
		if err != nil {
			return sr, fmt.Errorf("store: read back %s: %w", name, err)
		}
		sr.Readable = n
		if n < state.Msgs {
			sr.LostMsgs = max(sr.LostMsgs, state.Msgs-n)
			problem("%d of its %d messages cannot be read back", state.Msgs-n, state.Msgs)
		}
	} else {
		sr.Unread = true
	}
	if mark == nil {
		return sr, nil
	}
	sr.Expected = mark.Msgs
	if state.LastSeq < mark.LastSeq {
		problem("its last sequence went back from %d to %d", mark.LastSeq, state.LastSeq)
	}
	if !clean {
		return sr, nil
	}
	if expiredHead(info.Config.MaxAge, state, mark) {
		return sr, nil
	}
	if state.Msgs != mark.Msgs || state.FirstSeq != mark.FirstSeq || state.LastSeq != mark.LastSeq {
		if sr.Readable < mark.Msgs {
			sr.LostMsgs = max(sr.LostMsgs, mark.Msgs-sr.Readable)
		}
		problem("it held %d messages (sequences %d–%d) at the last clean stop, now %d (%d–%d)",
			mark.Msgs, mark.FirstSeq, mark.LastSeq, state.Msgs, state.FirstSeq, state.LastSeq)
	}
	for _, subj := range mark.Subjects {
		_, err := st.GetLastMsgForSubject(ctx, subj)
		switch {
		case err == nil:
		case errors.Is(err, jetstream.ErrMsgNotFound):
			sr.LostSubjects = append(sr.LostSubjects, subj)
		default:
			return sr, fmt.Errorf("store: read %s in %s: %w", subj, name, err)
		}
	}
	if len(sr.LostSubjects) > 0 {
		slices.Sort(sr.LostSubjects)
		problem("%d of its %d subjects at the last clean stop are gone", len(sr.LostSubjects), len(mark.Subjects))
	}
	return sr, nil
}

// expiredHead reports whether the only change since mark is messages gone
// from the head of a stream whose first message was old enough to expire
// by maxAge while the server was stopped.
func expiredHead(maxAge time.Duration, state jetstream.StreamState, mark *streamMark) bool {
	return maxAge > 0 && state.LastSeq == mark.LastSeq && state.Msgs < mark.Msgs &&
		(state.Msgs == 0 || state.FirstSeq > mark.FirstSeq) &&
		time.Since(mark.FirstTime) > maxAge
}

// readBack reads every message from first to last and counts those read.
// Each read asks for the next message at or after a sequence, so deleted
// ranges cost nothing.
func readBack(ctx context.Context, st jetstream.Stream, first, last uint64) (uint64, error) {
	var n uint64
	for seq := max(first, 1); seq <= last; {
		msg, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return n, err
		}
		if msg.Sequence > last {
			break
		}
		n++
		seq = max(msg.Sequence, seq) + 1
	}
	return n, nil
}
