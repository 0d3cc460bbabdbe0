// Package gateway is Updraft's HTTP front: the management REST API under
// /v1/, Lambda's Invoke path (/2015-03-31/functions/{name}/invocations), and
// health. It authenticates every request (Authorization: Bearer KEY → tenant),
// stamps X-Amzn-RequestId on every reply, and maps typed errors from the fn
// catalogue to a status, X-Amzn-ErrorType and {"Type","message"}.
package gateway
