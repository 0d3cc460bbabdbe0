// Package lambda is the gateway's adapter for AWS Lambda's REST API
// (functions, versions and aliases, concurrency, function URL
// configuration, tags, account settings) and its Invoke path: it decodes
// Lambda's shapes, calls one operation of control, router or registry, and
// encodes Lambda's replies and errors.
package lambda
