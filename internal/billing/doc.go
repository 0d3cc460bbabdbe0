// Package billing turns usage records (internal/meter) into an itemised
// bill per tenant and per function for a calendar month (UTC), priced by a
// price table (Prices: Lambda's public prices unless --price-table names a
// JSON or YAML file).
//
// All money is exact decimal arithmetic (github.com/cockroachdb/apd/v3),
// never float: GB-seconds are recomputed from each record's billed
// milliseconds and memory size (integers), each line's exact amount is
// rounded half-up to the cent once, and the subtotal, free-tier deduction
// and total are sums of those rounded lines, so a printed bill adds up.
// docs/BILLING.md has the price table, the method and an example.
package billing
