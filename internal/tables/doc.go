// Package tables is DynamoDB-compatible tables with streams.
//
// Definitions live in the TABLES key-value bucket ("TENANT.NAME"). Items
// and stream records of every table live in one JetStream stream,
// TABLE_DATA (rollups and atomic batch publish allowed):
//
//	tbl.<table id>.i.<hash token>[.<range token>]  the item's current version ("Nats-Rollup: sub"; a delete is a tombstone)
//	tbl.<table id>.c.<hash token>[.<range token>]  the item's stream records, kept 24 hours (Nats-TTL)
//
// A write reads the item's subject under a lock of the item on this node,
// decides the new version (conditions, update expressions: the caller's
// Change) and stores it with the expected-last-subject-sequence it read,
// so a concurrent write on another node is refused rather than lost. With
// a stream, a single-item write stores the record (which carries the new
// version) and then the item, which names the record; a record its item
// does not name is pending and is settled (rolled forward, or deleted when
// the item moved on) by the next writer of the item or by the reader, so
// every record delivered describes a version the item took (pending.go).
// TransactWriteItems stores all its items and records in one atomic batch
// (one stream for all tables makes that possible across tables);
// concurrent multi-message writes share a batch (group commit, commit.go).
//
// Each table has an in-memory index (partition key → sort keys in order),
// rebuilt from the last message of every item subject at start and kept
// by a watch, so Query is a range scan of one partition and Scan walks
// the partitions; items are read from their subjects (consistent reads).
// The TTL reaper deletes expired items as the service (REMOVE records
// with userIdentity dynamodb.amazonaws.com). OpenStream reads a table's
// records in order for event source mappings.
package tables
