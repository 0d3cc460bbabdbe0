// Package mgmt is the gateway's adapter for Updraft's own management API
// under /v1/ (deploy, list, get, delete, logs, usage, billing, storage, backup,
// concurrency, instances, keys), which the CLI and apiclient speak. Each handler
// decodes, calls one operation of control, registry, logs or meter, and
// encodes.
package mgmt
