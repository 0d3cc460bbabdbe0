// Package apiclient is the Go client of Updraft's HTTP API (docs/API.md):
// function management under /v1/, Lambda's invoke path, log streaming and
// usage. The CLI and the end-to-end tests use it; it holds no logic beyond
// encoding requests and decoding replies and errors.
package apiclient
