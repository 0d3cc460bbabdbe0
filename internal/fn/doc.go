// Package fn holds Updraft's domain types — Function, Limits, Invocation
// records — and the error catalogue that every layer returns and the HTTP
// layer maps to a status code and an AWS-style error type.
//
// It imports nothing of Updraft's own: every other package may import it.
package fn
