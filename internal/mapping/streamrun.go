package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// streamLoop is one stream mapping's delivery loop on this node.
type streamLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// setStream starts (or restarts, with m's new definition) m's stream
// loop; r.mu is held.
func (r *Runner) setStream(k string, m *Mapping) {
	r.stopStream(k)
	if !m.Enabled {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &streamLoop{cancel: cancel, done: make(chan struct{})}
	r.streams[k] = l
	mm := *m
	go func() {
		defer close(l.done)
		r.runStream(ctx, &mm)
	}()
}

// stopStream stops k's loop and waits for it; r.mu is held.
func (r *Runner) stopStream(k string) {
	if l, ok := r.streams[k]; ok {
		l.cancel()
		<-l.done
		delete(r.streams, k)
	}
}

// runStream delivers m's records in order: a batch that fails blocks the
// later ones until it succeeds, is bisected, or runs out of retries or
// age, and is then sent to the on-failure destination and skipped. The
// position is stored after every settled batch.
func (r *Runner) runStream(ctx context.Context, m *Mapping) {
	log := r.cfg.Log.With("tenant", m.Tenant, "fn", m.Function, "uuid", m.UUID, "stream", m.Stream.ARN)
	if r.cfg.Streams == nil {
		log.Error("table streams are not served on this node; the mapping does not run")
		return
	}
	pause := func(n int) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(r.cfg.Backoff(n)):
			return true
		}
	}
	for n := 1; ctx.Err() == nil; n++ {
		pos, ok, err := r.store.position(ctx, m)
		if err == nil && !ok {
			pos = m.Stream.StartSeq
		}
		var rd StreamReader
		if err == nil {
			rd, err = r.cfg.Streams.Open(ctx, m.Stream.TableID, pos)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("opening the stream failed; trying again", "err", err)
				r.setStreamResult(m, "PROBLEM: "+err.Error())
			}
			pause(n)
			continue
		}
		err = r.readStream(ctx, m, rd, log)
		rd.Close()
		if err != nil && ctx.Err() == nil {
			log.Warn("reading the stream failed; resuming from the stored position", "err", err)
			pause(n)
		}
	}
}

func (r *Runner) readStream(ctx context.Context, m *Mapping, rd StreamReader, log *slog.Logger) error {
	for {
		batch, err := rd.Next(ctx, m.BatchSize, m.Window())
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			continue
		}
		if !r.settleStream(ctx, m, batch, log) {
			return ctx.Err()
		}
		if err := r.store.setPosition(ctx, m, batch[len(batch)-1].Seq); err != nil {
			return err
		}
	}
}

// settleStream delivers batch until it is done with it; false when ctx
// ended first.
func (r *Runner) settleStream(ctx context.Context, m *Mapping, batch []StreamRecord, log *slog.Logger) bool {
	attempts, waits := 0, 0
	for {
		out := r.invokeStream(ctx, m, batch, log)
		switch {
		case ctx.Err() != nil:
			return false
		case out.ok:
			r.setStreamResult(m, resultOK)
			return true
		case out.platform:
			// Throttles and platform trouble do not count as attempts.
			waits++
			if !sleepCtx(ctx, r.cfg.Backoff(waits)) {
				return false
			}
			continue
		}
		r.setStreamResult(m, "PROBLEM: Function call failed")
		if out.from > 0 {
			batch = batch[out.from:] // checkpoint: the records before the first failure are done
		}
		attempts++
		if m.Stream.Bisect && len(batch) > 1 {
			h := len(batch) / 2
			return r.settleStream(ctx, m, batch[:h], log) && r.settleStream(ctx, m, batch[h:], log)
		}
		cond := ""
		switch {
		case time.Since(batch[0].Created) > m.Stream.maxAge():
			cond = event.ConditionRecordAge
		case m.Stream.MaxRetries >= 0 && attempts > m.Stream.MaxRetries:
			cond = event.ConditionRetryAttemptsExhausted
		}
		if cond != "" {
			r.streamFailed(ctx, m, batch, cond, attempts, out.res, log)
			return true
		}
		if !sleepCtx(ctx, r.cfg.Backoff(attempts)) {
			return false
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// streamOutcome is one call's result: ok, a platform error to wait out,
// or a function failure (from: the index of the first record to retry).
type streamOutcome struct {
	ok, platform bool
	from         int
	res          *fn.Result
}

func (r *Runner) invokeStream(ctx context.Context, m *Mapping, batch []StreamRecord, log *slog.Logger) streamOutcome {
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	ids := make([]string, len(batch))
	for i, rec := range batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(rec.Data)
		ids[i] = seqString(rec.Seq)
	}
	buf.WriteString(`]}`)
	res, err := r.inv.Invoke(ctx, &fn.Request{
		RequestID: queue.NewID(), Tenant: m.Tenant, Function: m.Function, Qualifier: m.Qualifier,
		Payload: buf.Bytes(), Async: true,
	})
	if err != nil {
		e := fn.AsError(err)
		log.Info("stream batch not delivered, will retry", "records", len(batch), "err", err)
		r.setStreamResult(m, "PROBLEM: "+e.Message)
		return streamOutcome{platform: retryable(e)}
	}
	r.inv.Finish(res)
	if res.FunctionError != "" {
		log.Info("function failed on a stream batch", "records", len(batch))
		return streamOutcome{res: res}
	}
	if m.ReportFailures {
		failed, perr := event.BatchItemFailures(res.Payload, ids)
		if perr != nil {
			log.Warn("the function's partial batch response is invalid; the whole batch is retried", "err", perr)
			return streamOutcome{res: res}
		}
		if len(failed) > 0 {
			from := len(batch)
			for i, id := range ids {
				for _, f := range failed {
					if f == id && i < from {
						from = i
					}
				}
			}
			return streamOutcome{from: from, res: res}
		}
	}
	return streamOutcome{ok: true, res: res}
}

// streamFailed sends the failure record of batch to m's on-failure
// destination (if any); the batch is skipped either way, as on Lambda.
func (r *Runner) streamFailed(ctx context.Context, m *Mapping, batch []StreamRecord, cond string, invokes int, res *fn.Result, log *slog.Logger) {
	log.Warn("giving up on a stream batch", "records", len(batch), "condition", cond, "destination", m.Stream.OnFailure)
	if m.Stream.OnFailure == "" {
		return
	}
	in := event.StreamFailureInput{
		RequestID: queue.NewID(), FunctionARN: fn.ARN(m.Tenant, m.Function, m.Qualifier), Condition: cond, Invokes: invokes,
		At: time.Now(), ShardID: "shardId-00000000000000000001-" + m.Stream.TableID,
		FirstSeq: seqString(batch[0].Seq), LastSeq: seqString(batch[len(batch)-1].Seq),
		FirstArrival: batch[0].Created, LastArrival: batch[len(batch)-1].Created,
		BatchSize: len(batch), StreamARN: m.Stream.ARN,
	}
	if res != nil {
		version := res.ExecutedVersion
		if version == "" {
			version = fn.LatestVersion
		}
		in.Response = &event.DestinationResponse{StatusCode: 200, ExecutedVersion: version, FunctionError: res.FunctionError}
	}
	body, err := json.Marshal(event.NewStreamFailureRecord(in))
	if err == nil {
		err = r.deliverFailure(ctx, m, body, fmt.Sprintf("%s/%d", m.UUID, batch[0].Seq))
	}
	if err != nil {
		log.Error("the on-failure destination did not take the record; the batch is skipped", "err", err)
	}
}

func (r *Runner) deliverFailure(ctx context.Context, m *Mapping, body []byte, dedup string) error {
	d, err := fn.ParseDestination(m.Tenant, m.Stream.OnFailure)
	if err != nil {
		return err
	}
	switch d.Kind {
	case fn.DestinationQueue:
		_, err := r.q.Send(ctx, queue.ID{Tenant: m.Tenant, Name: d.Name}, queue.Message{DedupID: dedup, Body: body})
		return err
	case fn.DestinationTopic:
		if r.cfg.Publish == nil {
			return fmt.Errorf("topics are not served here")
		}
		return r.cfg.Publish(ctx, m.Tenant, d.Name, dedup, body)
	}
	return fmt.Errorf("%s is not an on-failure destination of a stream", m.Stream.OnFailure)
}

// seqString is DynamoDB's SequenceNumber of a record (as internal/tables
// writes it).
func seqString(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	if len(s) < 21 {
		s = "000000000000000000000"[:21-len(s)] + s
	}
	return s
}

// setStreamResult records a stream mapping's last processing result. It
// does not take r.mu: apply holds it while it waits for a loop to stop.
func (r *Runner) setStreamResult(m *Mapping, res string) {
	r.streamResults.Store(key(m.Tenant, m.UUID), res)
}
