// Package furl serves function URLs: an HTTP request to /url/{id}/... is
// turned into an API Gateway HTTP API (payload 2.0) event, invoked, and the
// function's result mapped back to HTTP. A URL's CORS configuration is
// applied here, by the platform (cors.go).
package furl
