// Package objects is Updraft's S3-compatible object storage: buckets of a
// tenant, objects in them, multipart uploads, tags, CORS and notification
// configurations, and the notification events of every change.
//
// Layout: an object's bytes are content files under the data dir
// (DATA_DIR/objects, one file per object or per multipart part, written
// while hashing, fsync'ed, the directory fsync'ed); the commit point is a
// small metadata record in the JetStream stream OBJECTS, one subject per
// object (MaxMsgsPerSubject=1, so a subject's last record is its current
// version, as in a KV bucket). A change and its notification events are
// published in one atomic batch, so an acknowledged upload always has its
// events. At start, content files that no record references (uploads
// interrupted before their commit) are removed.
//
// Listing reads an in-memory sorted index of each bucket, rebuilt from the
// stream at start and kept current by a watch of the stream (so changes
// made by another node of a cluster show too).
//
// Events are delivered by a loop over a durable consumer of the event
// records: each is handed to its target (a function's asynchronous-invoke
// queue, an SQS queue or an SNS topic, all durable with their own
// retries) through the Targets interface, then acknowledged and deleted;
// a failed hand-over is retried with a backoff.
package objects
