// Package meter keeps the billing record of every invocation and sums them
// into usage summaries.
//
// Records live in the JetStream stream USAGE, one subject per function
// (usage.<tenant>.<function>), batched by store.Batcher: one message per
// function per flush holds a JSON array of fn.Usage. Records are kept
// without an age limit; the stream is bounded by size only (default 10 GiB,
// several tens of millions of records), beyond which the oldest go first.
//
// Provisioned concurrency is metered too (Provisioned): records with
// Outcome OutcomeProvisioned hold the instance-time a version's provisioned
// instances were kept ready. They are not calls: Summary and Records leave
// them out; AllRecords, which bills (internal/billing) read, has them.
package meter
