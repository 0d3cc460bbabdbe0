// Package gateway is Updraft's HTTP root: the listener, request ids
// (X-Amzn-RequestId on every reply), authentication (Authorization: Bearer
// KEY, or AWS Signature Version 4 with a key pair) and the one AWS endpoint:
// a request is dispatched by its X-Amz-Target or the service of its SigV4
// credential scope to a mounted AWS-compatible service (Mount), or else to
// the REST routes of the protocol adapters in the sub-packages:
//
//   - gateway/lambda: Lambda's REST API and Invoke;
//   - gateway/mgmt: Updraft's /v1/ management API (CLI, apiclient);
//   - gateway/furl: function URLs;
//   - gateway/wire: what they share on the wire (error replies, JSON,
//     request ids, Lambda's name and ARN forms).
//
// A mounted service may also name query actions served without a signature
// on "/?Action=..." (UnsignedActions: SNS's SubscribeURL, whose token is
// its secret).
//
// Adapters decode, call one operation of control, router or a domain
// package, and encode; sequences of domain steps live in control.
//
// What one client may hold is bounded (limits.go): a header timeout, a
// body read deadline with a minimum rate (408), an answer at once to a
// request refused before its body is read, and a cap on connections per
// client address.
package gateway
