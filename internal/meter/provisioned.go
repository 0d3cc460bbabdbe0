package meter

// OutcomeProvisioned marks a usage record of provisioned concurrency
// rather than of a call: BilledMs is how long one provisioned instance was
// kept ready, MemoryMB its memory, GBs their product. Such records are not
// invocations: Summary leaves them out of the call counts and sums them
// apart.
const OutcomeProvisioned = "provisioned"
