// Package httpapi serves HTTP API routes on their own listener (serve
// --routes-listen): it finds the tenant by host name (the default tenant
// at the listener's root, tenant T at T.<base domain>), matches the route,
// answers CORS preflights, runs the route's authorizer and validation,
// invokes the function with the payload 2.0 event and maps its reply to
// HTTP, all as API Gateway's HTTP APIs do. The semantics live in
// internal/httpapi; this package only adapts HTTP to them.
package httpapi
