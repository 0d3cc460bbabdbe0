// Package s3 is the S3 REST adapter on the one endpoint: it resolves a
// request's bucket (virtual-hosted "BUCKET.HOST" or path-style
// "/BUCKET/KEY") and operation (method, subresource query, headers),
// authorizes it with wire.Authorize under S3's action names, calls
// internal/objects, and writes S3's XML replies and error XML.
//
// Bodies stream: the gateway verifies an S3 request's signature without
// reading its body, and the body's own verification (SHA-256, aws-chunked
// chunk signatures, trailing checksums) fails its last Read, so an upload
// that does not verify stores nothing.
package s3
