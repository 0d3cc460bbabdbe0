// Package web is the dashboard: a small single-page app (HTML, CSS and
// vanilla JavaScript, embedded with go:embed; no CDN and no build step, so
// it works offline) served by `updraft serve` at /ui/. The page asks for an
// API key, keeps it in the browser's sessionStorage, and calls the same
// /v1, Lambda and AWS-compatible APIs on the same origin with
// Authorization: Bearer; the handler itself serves only static files and
// needs no key. docs/DASHBOARD.md describes the views.
package web
