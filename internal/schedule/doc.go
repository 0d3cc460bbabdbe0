// Package schedule owns schedules with EventBridge Scheduler's semantics:
// rate(), cron() (six fields with ?, L, W, #, names and a year) and one-time
// at() expressions evaluated in an IANA time zone, kept in JetStream KV,
// and a firing loop that runs on every node and fires each tick once: a
// node claims a schedule's due ticks by compare-and-set on the schedule's
// state (a lease), hands them to the asynchronous queue under request
// ids derived from (schedule, tick), then confirms. Missed ticks after
// downtime follow the schedule's catch-up policy (none, one, all); a
// one-time schedule that fired shows COMPLETED. The target gets the
// schedule's input, else EventBridge's Scheduled Event. The package also
// implements updraft.yaml's `type: schedule` trigger (Trigger).
package schedule
