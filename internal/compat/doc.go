// Package compat proves Updraft's AWS Lambda compatibility with clients no
// one here wrote: its tests drive a real in-process daemon with the AWS SDK
// for Go v2's Lambda client, signing every request with Signature Version 4
// and a key pair from `updraft keys create`.
package compat
