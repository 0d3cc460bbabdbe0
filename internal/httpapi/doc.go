// Package httpapi owns HTTP API routes with API Gateway HTTP API semantics:
//
//   - Route and its key ("GET /items/{id}", greedy "{proxy+}", ANY,
//     "$default"), stored per tenant in JetStream KV (Bucket) and served
//     from an in-memory Table per tenant that a watch keeps current on
//     every node (store.go); Table.Match picks the most specific route as
//     API Gateway does (match.go);
//   - authorizers (authorize.go): API keys with usage plans — a token
//     bucket per key and a daily quota counted durably (apikeys.go,
//     usage.go) —, JWT (HS256, RS256, ES256; a secret or a JWKS file or
//     URL, cached; jwt.go) and Lambda authorizers (payload 2.0 REQUEST
//     events, simple responses, cached by identity source);
//   - request validation: required query parameters and headers and a
//     JSON Schema for the body (validate.go);
//   - CORS, answered by the platform (cors.go);
//   - updraft.yaml's `type: http` triggers (trigger.go).
//
// The listener's handler is internal/gateway/httpapi; the event shape
// (payload format 2.0) is internal/event's HTTPRequest.
package httpapi
