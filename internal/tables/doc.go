// Package tables is DynamoDB-compatible tables with streams.
//
// Definitions live in the TABLES key-value bucket ("TENANT.NAME"). Items
// and stream records of every table live in one JetStream stream,
// TABLE_DATA (MaxMsgsPerSubject 1, atomic batch publish allowed):
//
//	tbl.<table id>.i.<hash token>[.<range token>]  the item's current version (a delete is a tombstone)
//	tbl.<table id>.c.<event id>                    a stream record, kept 24 hours (Nats-TTL)
//
// A write reads the item's subject under a lock of the item on this node,
// decides the new version (conditions, update expressions: the caller's
// Change), and publishes the item and its stream record in one atomic
// batch whose item message expects the sequence it read: an acknowledged
// write always has its record, an unacknowledged one has none, and a
// concurrent write on another node is refused rather than lost. One
// stream for all tables lets TransactWriteItems across tables be one
// atomic batch too.
//
// Each table has an in-memory index (partition key → sort keys in order),
// rebuilt from the last message of every item subject at start and kept
// by a watch, so Query is a range scan of one partition and Scan walks
// the partitions; items are read from their subjects (consistent reads).
// The TTL reaper deletes expired items as the service (REMOVE records
// with userIdentity dynamodb.amazonaws.com).
package tables
