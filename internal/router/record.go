package router

import (
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/logs"
)

// logTailBytes is how much of an invocation's log LogType: Tail returns.
const logTailBytes = 4096

type record struct {
	req      *fn.Request
	f        *fn.Function
	version  string
	cold     bool
	initDur  time.Duration
	initLogs []byte
	logs     []byte
	dur      time.Duration
	maxMem   int
	outcome  string
	// errorType and payload are the failed call's error type and error
	// JSON: the cause lines of a crash, an out-of-memory kill or a failed
	// init say what the caller got.
	errorType string
	payload   []byte
}

// record writes the invocation's log lines and billing record and returns
// the log tail.
func (r *Router) record(rec *record) []byte {
	now := time.Now()
	id := rec.req.RequestID
	billed := fn.BilledMs(rec.dur)
	entry := func(msg, reqID string) fn.LogEntry {
		return fn.LogEntry{Time: now, Function: rec.f.Name, RequestID: reqID, Message: msg}
	}
	var out []fn.LogEntry
	if len(rec.initLogs) > 0 {
		for _, l := range logs.SplitLines(rec.initLogs) {
			out = append(out, entry(l, ""))
		}
	}
	first := len(out)
	status, cause := rec.cause(now)
	rep := logs.Report{
		RequestID: id, Duration: rec.dur, BilledMs: billed, MemoryMB: rec.f.MemoryMB, MaxMemoryMB: rec.maxMem,
		Status: status,
	}
	if status == logs.StatusError {
		rep.ErrorType = rec.errorType
	}
	if rec.cold {
		rep.InitDuration = rec.initDur
	}
	if rec.f.LogFormat == fn.LogFormatJSON {
		for i := range out { // init lines
			out[i].Message = logs.AppJSON(now, "", "INFO", out[i].Message)
		}
		out = append(out, entry(logs.StartJSON(now, id, rec.version), id))
		for _, l := range logs.SplitLines(rec.logs) {
			out = append(out, entry(logs.AppJSON(now, id, "INFO", l), id))
		}
		for _, l := range cause {
			out = append(out, entry(logs.AppJSON(now, id, "ERROR", l), id))
		}
		out = append(out, entry(logs.EndJSON(now, id, rep.Status, rec.dur), id), entry(logs.ReportJSON(now, rep), id))
	} else {
		out = append(out, entry(logs.StartLine(id, rec.version), id))
		for _, l := range logs.SplitLines(rec.logs) {
			out = append(out, entry(l, id))
		}
		out = append(out, entryLines(cause, entry, id)...)
		out = append(out, entry(logs.EndLine(id), id), entry(logs.ReportLine(rep), id))
	}
	r.logs.Append(rec.f.Tenant, out...)

	u := fn.Usage{
		Time: now, Tenant: rec.f.Tenant, Function: rec.f.Name, Version: rec.version,
		RequestID: id, DurationMs: float64(rec.dur) / float64(time.Millisecond),
		BilledMs: billed, MemoryMB: rec.f.MemoryMB, MaxMemoryMB: rec.maxMem,
		GBs: fn.GBSeconds(billed, rec.f.MemoryMB), Cold: rec.cold, Outcome: rec.outcome,
	}
	if rec.cold {
		u.InitMs = float64(rec.initDur) / float64(time.Millisecond)
	}
	r.meter.Record(u)
	if r.cfg.Month != nil {
		r.cfg.Month.Add(u)
	}

	if !rec.req.WantLogTail {
		return nil
	}
	var tail []byte
	for _, e := range out[first:] {
		tail = append(tail, e.Message...)
		tail = append(tail, '\n')
	}
	if len(tail) > logTailBytes {
		tail = tail[len(tail)-logTailBytes:]
	}
	return tail
}

// cause is the REPORT status and the lines Lambda writes before END when
// the platform ended the call: the timeout, or the runtime's exit (a crash,
// an out-of-memory kill, a failed init) with its error type. A call that
// ran to its end, failed or not, has none: a handled error is the
// function's own output.
func (rec *record) cause(now time.Time) (string, []string) {
	switch {
	case rec.outcome == fn.OutcomeTimeout:
		return logs.StatusTimeout, []string{logs.TimeoutLine(now, rec.req.RequestID, rec.f.Timeout())}
	case rec.outcome == fn.OutcomeCrash, rec.errorType == errorTypeOutOfMemory:
		return logs.StatusError, logs.ErrorLines(rec.req.RequestID, rec.errorType, rec.payload)
	}
	return "", nil
}

// errorTypeOutOfMemory is Lambda's error type for an instance killed for
// lack of memory; the runtime may have reported the failure itself, so the
// outcome is then an error, not a crash.
const errorTypeOutOfMemory = "Runtime.OutOfMemory"

func entryLines(lines []string, entry func(msg, reqID string) fn.LogEntry, id string) []fn.LogEntry {
	out := make([]fn.LogEntry, len(lines))
	for i, l := range lines {
		out[i] = entry(l, id)
	}
	return out
}
